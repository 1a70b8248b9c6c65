package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/app"
)

// batchResult is what start --accounts prints on stdout: one entry per
// member account.
type batchResult struct {
	Starts []handler.StartResult `json:"starts"`
}

// runStartBatch starts spec's export for each member account it names,
// as a payload's start item would, and prints what became of each. The
// exit status is ExitFailed when any of them did not start.
func runStartBatch(ctx context.Context, spec event.StartSpec, timeout time.Duration, env Env) int {
	secrets := app.NewSecrets(env.Getenv)
	log, err := app.NewLogger(env.Getenv, env.Stderr, false, secrets)
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier start:", err)
		return ExitUsage
	}
	cycle, err := app.NewCycle(ctx, app.Setup{Getenv: env.Getenv, Credentials: app.CredentialsFrom(env.Getenv), Console: env.Stderr, Log: log, Secrets: secrets})
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier start:", secrets.Secrets().Error(err))
		return SetupExit(err)
	}
	results, err := cycle.Start(ctx, []event.StartSpec{spec}, time.Now().Add(timeout))
	code := ExitOK
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier start:", secrets.Secrets().Error(err))
		code = ExitFailed
	}
	for _, r := range results {
		if r.Outcome != "started" {
			code = ExitFailed
		}
	}
	out, err := json.MarshalIndent(batchResult{Starts: results}, "", "  ")
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier start:", err)
		return ExitFailed
	}
	fmt.Fprintf(env.Stdout, "%s\n", out)
	return code
}
