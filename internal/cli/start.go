package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/app"
	"github.com/export-notifier/export-notifier/state"
)

// startFlag is one flag of the start command: the StartSpec field it sets.
type startFlag struct {
	name  string // flag name, without dashes
	field string // the field's JSON name in a payload item
	usage string
	set   func(s *event.StartSpec, v string) error
}

func startText(set func(*event.StartSpec, string)) func(*event.StartSpec, string) error {
	return func(s *event.StartSpec, v string) error { set(s, v); return nil }
}

func startNumber(set func(*event.StartSpec, int64)) func(*event.StartSpec, string) error {
	return func(s *event.StartSpec, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("not a whole number")
		}
		set(s, n)
		return nil
	}
}

// startFlags lists the spec's flags, in the order the usage shows them.
func startFlags() []startFlag {
	return []startFlag{
		{"kind", "kind", "kind of export: asset (ExportRecord, the default), vul (ExportVul) or suspEvent (ExportSuspEvents)",
			startText(func(s *event.StartSpec, v string) { s.Kind = event.Kind(v) })},
		{"lang", "lang", "language of the file: zh (the API's default) or en",
			startText(func(s *event.StartSpec, v string) { s.Lang = v })},
		{"export-type", "exportType", "asset: what to export (required): " + strings.Join(event.ExportTypes(), ", "),
			startText(func(s *event.StartSpec, v string) { s.ExportType = v })},
		{"export-file-type", "exportFileType", "asset: virusScanExport, required with --export-type virusScanExport",
			startText(func(s *event.StartSpec, v string) { s.ExportFileType = v })},
		{"params", "params", `asset: filter conditions as a JSON object, such as {"extend":"1"}`,
			func(s *event.StartSpec, v string) error { return s.Params.UnmarshalJSON([]byte(v)) }},
		{"account", "resourceDirectoryAccountId", "asset: resource directory member account (default RESOURCE_DIRECTORY_ACCOUNT_ID)",
			startNumber(func(s *event.StartSpec, n int64) { s.Account = n })},
		{"type", "type", "vul: vulnerability type (required): " + strings.Join(event.VulTypes(), ", "),
			startText(func(s *event.StartSpec, v string) { s.Type = v })},
		{"dealed", "dealed", "vul: y (fixed) or n; suspEvent: Y (handled) or N",
			startText(func(s *event.StartSpec, v string) { s.Dealed = v })},
		{"necessity", "necessity", "vul: fix priorities, comma-separated: asap, later, nntf",
			startText(func(s *event.StartSpec, v string) { s.Necessity = v })},
		{"attach-types", "attachTypes", "vul: sca, with --type app",
			startText(func(s *event.StartSpec, v string) { s.AttachTypes = v })},
		{"group-id", "groupId", "vul and suspEvent: server or asset group ID",
			startNumber(func(s *event.StartSpec, n int64) { s.GroupID = n })},
		{"uuids", "uuids", "vul: server UUIDs, comma-separated",
			startText(func(s *event.StartSpec, v string) { s.UUIDs = v })},
		{"vpc-instance-ids", "vpcInstanceIds", "vul: VPC IDs, comma-separated",
			startText(func(s *event.StartSpec, v string) { s.VpcInstanceIDs = v })},
		{"cve-id", "cveId", "vul: a CVE ID, such as CVE-2022-44702",
			startText(func(s *event.StartSpec, v string) { s.CveID = v })},
		{"alias-name", "aliasName", "vul: vulnerability name",
			startText(func(s *event.StartSpec, v string) { s.AliasName = v })},
		{"search-tags", "searchTags", "vul: tag, such as \"Restart required\"",
			startText(func(s *event.StartSpec, v string) { s.SearchTags = v })},
		{"create-ts-start", "createTsStart", "vul: first scanned at or after, in milliseconds since the epoch",
			startNumber(func(s *event.StartSpec, n int64) { s.CreateTsStart = n })},
		{"create-ts-end", "createTsEnd", "vul: first scanned at or before, in milliseconds since the epoch",
			startNumber(func(s *event.StartSpec, n int64) { s.CreateTsEnd = n })},
		{"levels", "levels", "suspEvent: severities, comma-separated: serious, suspicious, remind",
			startText(func(s *event.StartSpec, v string) { s.Levels = v })},
		{"status", "status", "suspEvent: handling status: 0 (all), 1 (pending), 2, 4, 8, 16, 32 (handled), 64, 128",
			startText(func(s *event.StartSpec, v string) { s.Status = v })},
		{"time-start", "timeStart", `suspEvent: detected at or after, "2006-01-02 15:04:05"`,
			startText(func(s *event.StartSpec, v string) { s.TimeStart = v })},
		{"time-end", "timeEnd", `suspEvent: detected at or before, "2006-01-02 15:04:05"`,
			startText(func(s *event.StartSpec, v string) { s.TimeEnd = v })},
		{"parent-event-types", "parentEventTypes", "suspEvent: alert types, comma-separated",
			startText(func(s *event.StartSpec, v string) { s.ParentEventTypes = v })},
		{"name", "name", "suspEvent: alert name",
			startText(func(s *event.StartSpec, v string) { s.Name = v })},
		{"uuid", "uuid", "suspEvent: server UUID",
			startText(func(s *event.StartSpec, v string) { s.UUID = v })},
		{"cluster-id", "clusterId", "suspEvent: cluster ID",
			startText(func(s *event.StartSpec, v string) { s.ClusterID = v })},
	}
}

// startResult is what start prints on stdout.
type startResult struct {
	Export    string `json:"export"`
	RequestID string `json:"requestId"`
}

// runStart starts one export, prints its reference as JSON on stdout, and
// records it in the state as pending, so the next poll watches it.
func runStart(ctx context.Context, args []string, env Env) int {
	fs := newFlags("start",
		"start --kind asset --export-type assetInstance [--lang en] ...\n"+
			"start --kind vul --type cve [--dealed n] ...\n"+
			"start --kind suspEvent [--levels serious] ...\n"+
			"start --spec '{\"kind\": \"asset\", \"exportType\": \"assetInstance\"}'",
		"Starts one Security Center export, prints {\"export\": \"kind:id\", \"requestId\": ...},\n"+
			"and records it in the state (STATE_URL) so the next poll watches it. It does not retry\n"+
			"once the request may have arrived. Reads SAS_REGION, SAS_ENDPOINT,\n"+
			"RESOURCE_DIRECTORY_ACCOUNT_ID, STATE_URL and the ALIBABA_CLOUD_* credentials.",
		"start --export-type assetInstance --lang en",
		"start --kind vul --type cve --dealed n --necessity asap,later",
		"start --kind suspEvent --levels serious --time-start '2026-11-01 00:00:00'")
	var spec event.StartSpec
	flags := startFlags()
	for _, f := range flags {
		fs.Func(f.name, f.usage, func(v string) error { return f.set(&spec, v) })
	}
	rawSpec := fs.String("spec", "", "the export as a payload's start item, in JSON, instead of the flags above")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long, retries included")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	if *timeout <= 0 {
		return fs.usageError(env, fmt.Sprintf("--timeout %s: want a positive duration", *timeout))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if given["spec"] {
		for _, f := range flags {
			if given[f.name] {
				return fs.usageError(env, fmt.Sprintf("--%s and --spec: give the export either as flags or as --spec", f.name))
			}
		}
		parsed, err := event.ParseStartSpec([]byte(*rawSpec))
		if err != nil {
			return fs.usageError(env, "--spec: "+err.Error())
		}
		spec = parsed
	}
	if spec.Kind == "" {
		spec.Kind = event.Asset
	}
	if err := spec.Validate(); err != nil {
		return fs.usageError(env, startFlagOf(err, flags, given["spec"])+err.Error())
	}
	client, cfg, err := app.NewClient(env.Getenv, app.CredentialsFrom(env.Getenv))
	if err != nil {
		return checkUsageError(env.Stderr, "start", err.Error())
	}
	defer client.Close()
	// The state is opened first: a bad STATE_URL is refused before anything
	// starts, and the started export joins the set the next poll watches.
	store, err := app.OpenState(ctx, app.Setup{Getenv: env.Getenv, Credentials: cfg.Credentials})
	if err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier start: %v\n", err)
		return SetupExit(err)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	ref, requestID, err := client.Start(ctx, spec)
	if err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier start: %v\n", err)
		var e *exports.Error
		if errors.As(err, &e) && (e.Code == exports.CodeMissingCredentials || e.Code == exports.CodeInvalidStartSpec) {
			return ExitUsage
		}
		return ExitFailed
	}
	if code := writeStartResult(env.Stdout, env.Stderr, startResult{Export: ref.String(), RequestID: requestID}); code != ExitOK {
		return code
	}
	// The start may have used up --timeout: recording it gets its own time.
	recordCtx, cancelRecord := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancelRecord()
	if _, err := state.Update(recordCtx, store, func(s *state.Snapshot) error {
		s.Watch(ref, time.Now())
		return nil
	}); err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier start: %s started, but %s could not record it (watch it with poll --ids %s): %v\n", ref, store.Location(), ref, err)
		return ExitFailed
	}
	return ExitOK
}

// startFlagOf is "--flag: " for the flag that sets the field a
// validation error is about, or "--spec: " when the spec came whole.
func startFlagOf(err error, flags []startFlag, fromSpec bool) string {
	if fromSpec {
		return "--spec: "
	}
	var e *event.SpecError
	if !errors.As(err, &e) {
		return ""
	}
	for _, f := range flags {
		if f.field == e.Field {
			return "--" + f.name + ": "
		}
	}
	return ""
}

func writeStartResult(stdout, stderr io.Writer, r startResult) int {
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "export-notifier start: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return ExitOK
}
