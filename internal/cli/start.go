package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/exports/catalog"
	"github.com/export-notifier/export-notifier/internal/app"
	"github.com/export-notifier/export-notifier/state"
)

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
			"start --spec '{\"kind\": \"asset\", \"exportType\": \"assetInstance\"}'\n"+
			"start --accounts all --export-type assetInstance",
		"Starts one Security Center export, prints {\"export\": \"kind:id\", \"requestId\": ...},\n"+
			"and records it in the state (STATE_URL) so the next poll watches it. It does not retry\n"+
			"once the request may have arrived. Reads SAS_REGION, SAS_ENDPOINT,\n"+
			"RESOURCE_DIRECTORY_ACCOUNT_ID, STATE_URL and the ALIBABA_CLOUD_* credentials.\n"+
			"With --accounts (all, or member account IDs) it starts one asset export per member\n"+
			"account, as one batch, within POLL_QPS, and prints {\"starts\": [...]}; exit 1 when\n"+
			"any of them did not start.",
		"start --export-type assetInstance --lang en",
		"start --kind vul --type cve --dealed n --necessity asap,later",
		"start --kind suspEvent --levels serious --time-start '2026-11-01 00:00:00'")
	var spec event.StartSpec
	flags := catalog.Flags()
	for _, f := range flags {
		fs.Func(f.Name, f.Usage, func(v string) error { return f.Set(&spec, v) })
	}
	rawSpec := fs.String("spec", "", "the export as a payload's start item, in JSON, instead of the flags above")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long, retries included")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	if *timeout <= 0 {
		return fs.usageError(env, fmt.Sprintf("--timeout %s: want a positive duration", *timeout))
	}
	spec, problem := startSpecOf(fs, flags, spec, *rawSpec)
	if problem != "" {
		return fs.usageError(env, problem)
	}
	if spec.Accounts != "" {
		return runStartBatch(ctx, spec, *timeout, env)
	}
	client, cfg, err := app.NewClient(env.Getenv, app.CredentialsFrom(env.Getenv), nil)
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
	ref, code := startExport(ctx, client, spec, *timeout, env)
	if code != ExitOK {
		return code
	}
	return recordStarted(ctx, store, ref, env.Stderr)
}

// startSpecOf is the export to start: fromFlags, or rawSpec parsed when
// --spec was given (and no other flag naming the export), of kind asset
// unless it names one; or what is wrong with it, "--flag: ..." for the flag
// at fault.
func startSpecOf(fs *flagSet, flags []catalog.Flag, fromFlags event.StartSpec, rawSpec string) (event.StartSpec, string) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	spec := fromFlags
	if given["spec"] {
		for _, f := range flags {
			if given[f.Name] {
				return spec, fmt.Sprintf("--%s and --spec: give the export either as flags or as --spec", f.Name)
			}
		}
		parsed, err := catalog.Parse([]byte(rawSpec))
		if err != nil {
			return spec, "--spec: " + err.Error()
		}
		spec = parsed
	}
	if spec.Kind == "" {
		spec.Kind = event.Asset
	}
	if err := catalog.Validate(spec); err != nil {
		return spec, startFlagOf(err, flags, given["spec"]) + err.Error()
	}
	return spec, ""
}

// startExport starts spec's export within timeout and prints its
// reference as JSON on stdout; the code is ExitOK when it did.
func startExport(ctx context.Context, client *exports.Client, spec event.StartSpec, timeout time.Duration, env Env) (event.Ref, int) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ref, requestID, err := client.Start(ctx, spec)
	if err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier start: %v\n", err)
		var e *exports.Error
		if errors.As(err, &e) && (e.Code == exports.CodeMissingCredentials || e.Code == exports.CodeInvalidStartSpec) {
			return ref, ExitUsage
		}
		return ref, ExitFailed
	}
	return ref, writeStartResult(env.Stdout, env.Stderr, startResult{Export: ref.String(), RequestID: requestID})
}

// recordStarted records ref in store as pending, so the next poll watches
// it. The start may have used up --timeout: recording gets its own time,
// and goes on when ctx is cancelled.
func recordStarted(ctx context.Context, store state.Store, ref event.Ref, stderr io.Writer) int {
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := state.RecordStarted(recordCtx, store, ref, time.Now()); err != nil {
		fmt.Fprintf(stderr, "export-notifier start: %s started, but %s could not record it (watch it with poll --ids %s): %v\n", ref, store.Location(), ref, err)
		return ExitFailed
	}
	return ExitOK
}

// startFlagOf is "--flag: " for the flag that sets the field a
// validation error is about, or "--spec: " when the spec came whole.
func startFlagOf(err error, flags []catalog.Flag, fromSpec bool) string {
	if fromSpec {
		return "--spec: "
	}
	var e *event.SpecError
	if !errors.As(err, &e) {
		return ""
	}
	for _, f := range flags {
		if f.Field == e.Field {
			return "--" + f.Name + ": "
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
