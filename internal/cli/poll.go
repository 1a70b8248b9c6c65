package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/export-notifier/export-notifier/handler"
)

func runPoll(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("poll", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	every := fs.Duration("every", 0, "run a cycle this often until interrupted (e.g. 5m); 0 runs one cycle")
	dryRun := fs.Bool("dry-run", false, "decide and print, but send nothing and commit nothing")
	ids := fs.String("ids", "", "exports to watch in addition to EXPORT_IDS, e.g. 131231,vul:52")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "export-notifier poll: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if *every < 0 {
		fmt.Fprintf(env.Stderr, "export-notifier poll: --every %s is negative\n", *every)
		return ExitUsage
	}
	log, err := NewLogger(env.Getenv, env.Stderr, false)
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier poll:", err)
		return ExitUsage
	}
	in, err := handler.ParsePayload(*ids)
	if err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier poll: --ids: %v\n", errors.Unwrap(err))
		return ExitUsage
	}
	if len(in.Starts) > 0 {
		fmt.Fprintln(env.Stderr, "export-notifier poll: --ids names exports to watch; start exports with export-notifier start")
		return ExitUsage
	}
	timeout, err := pollTimeout(env.Getenv)
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier poll:", err)
		return ExitUsage
	}
	cycle, err := NewCycle(ctx, Setup{Getenv: env.Getenv, Credentials: CredentialsFrom(env.Getenv), Console: env.Stderr, Log: log})
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier poll:", err)
		return SetupExit(err)
	}
	once := func() int {
		// A signal stops the loop, not the cycle under way: it finishes
		// within POLL_TIMEOUT so nothing it claimed is left hanging.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		res, err := cycle.Run(cctx, handler.Options{Refs: in.Refs, DryRun: *dryRun})
		var inputErr *handler.InputError
		if errors.As(err, &inputErr) {
			fmt.Fprintln(env.Stderr, "export-notifier poll:", err)
			return ExitUsage
		}
		if err != nil {
			log.Error("cycle failed", "error", err)
			return ExitFailed
		}
		out, _ := json.Marshal(res)
		fmt.Fprintln(env.Stdout, string(out))
		return ExitOK
	}
	code := once()
	if *every == 0 {
		return code
	}
	ticker := time.NewTicker(*every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Info("interrupted: stopping after the last cycle")
			return code
		case <-ticker.C:
			code = once()
		}
	}
}
