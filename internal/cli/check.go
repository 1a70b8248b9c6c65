package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/app"
)

// runCheck asks Security Center about one export and prints its status as
// JSON on stdout.
func runCheck(ctx context.Context, args []string, env Env) int {
	fs := newFlags("check", "check --id 131231 [--kind asset|vul|hc|warning|suspEvent] [--account N] [--timeout 30s]",
		"Asks Security Center about one export and prints its status as JSON. Reads\n"+
			"SAS_REGION, SAS_ENDPOINT, RESOURCE_DIRECTORY_ACCOUNT_ID and the\n"+
			"ALIBABA_CLOUD_* credentials.",
		"check --id 131231",
		"check --id 52 --kind vul",
		"check --id vul:52")
	id := fs.String("id", "", "export ID, or a reference such as vul:52 or 131231@16670360956")
	kind := fs.String("kind", "", "export kind: asset (default), vul, hc, warning or suspEvent")
	account := fs.Int64("account", 0, "resource directory member account (asset exports only)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long, retries included")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	ref, err := checkRef(*id, *kind, *account)
	if err != nil {
		return fs.usageError(env, err.Error())
	}
	if *timeout <= 0 {
		return fs.usageError(env, fmt.Sprintf("--timeout %s: want a positive duration", *timeout))
	}
	client, _, err := app.NewClient(env.Getenv, app.CredentialsFrom(env.Getenv), nil)
	if err != nil {
		return checkUsageError(env.Stderr, "check", err.Error())
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	st, err := client.Get(ctx, ref)
	if err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier check: %v\n", err)
		var e *exports.Error
		if errors.As(err, &e) && (e.Code == exports.CodeMissingCredentials || e.Code == exports.CodeInvalidExportRef) {
			return ExitUsage
		}
		return ExitFailed
	}
	out, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier check: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(env.Stdout, "%s\n", out)
	return ExitOK
}

// checkRef builds the reference that --id, --kind and --account name.
func checkRef(id, kind string, account int64) (event.Ref, error) {
	if strings.TrimSpace(id) == "" {
		return event.Ref{}, fmt.Errorf("--id is required (an export ID such as 131231)")
	}
	ref, err := event.ParseRef(id)
	if err != nil {
		return event.Ref{}, fmt.Errorf("--id: %w", err)
	}
	if kind != "" {
		k, err := event.ParseKind(kind)
		if err != nil {
			return event.Ref{}, fmt.Errorf("--kind %q: %w", kind, err)
		}
		if strings.Contains(id, ":") && k != ref.Kind {
			return event.Ref{}, fmt.Errorf("--kind %q contradicts --id %q", kind, id)
		}
		ref.Kind = k
	}
	if account < 0 {
		return event.Ref{}, fmt.Errorf("--account %d: want a positive account ID", account)
	}
	if account != 0 {
		if ref.Account != 0 && ref.Account != account {
			return event.Ref{}, fmt.Errorf("--account %d contradicts --id %q", account, id)
		}
		ref.Account = account
	}
	if err := ref.Validate(); err != nil {
		return event.Ref{}, err
	}
	return ref, nil
}

// checkUsageError prints a one-line configuration or flag error.
func checkUsageError(w io.Writer, command, msg string) int {
	fmt.Fprintf(w, "export-notifier %s: %s\n", command, msg)
	return ExitUsage
}
