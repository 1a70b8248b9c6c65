package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/app"
	"github.com/export-notifier/export-notifier/internal/live"
	"github.com/export-notifier/export-notifier/scrub"
)

// runPoll runs one poll cycle, or with --every one cycle that often until
// ctx is cancelled.
func runPoll(ctx context.Context, args []string, env Env) int {
	fs := newFlags("poll", "poll [--every 5m] [--follow-for 50s] [--dry-run] [--ids 131231,vul:52 | --ids @file]",
		"Runs one poll cycle: checks the exports in EXPORT_IDS (and --ids) and those the\n"+
			"state holds, notifies the sinks of what changed, and prints the cycle's result\n"+
			"as JSON on stdout. Logs go to stderr. With --every it runs a cycle that often\n"+
			"until interrupted. Reads its configuration from the environment. --ids @file\n"+
			"(and EXPORT_IDS=@file) reads the list from a file, for lists too long for\n"+
			"one argument. --follow-for keeps following the exports still running after the\n"+
			"first pass, announcing each within seconds of its end, and shows their progress\n"+
			"on a terminal.",
		"poll --dry-run --ids 131231,vul:52",
		"poll --every 5m",
		"poll --every 1m --follow-for 50s",
		"poll --ids @ids.txt")
	every := fs.Duration("every", 0, "run a cycle this often until interrupted (e.g. 5m); 0 runs one cycle")
	dryRun := fs.Bool("dry-run", false, "decide and print, but send nothing and commit nothing")
	follow := fs.String("follow-for", "", "after the first pass, keep following running exports this long (e.g. 50s); 0 is one pass; default FOLLOW_FOR, else 0")
	ids := fs.String("ids", "", "exports to watch in addition to EXPORT_IDS, e.g. 131231,vul:52, or @file to read them from a file")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	if *every < 0 {
		return fs.usageError(env, fmt.Sprintf("--every %s is negative", *every))
	}
	following, err := followFor(*follow, env.Getenv)
	if err != nil {
		return fs.usageError(env, err.Error())
	}
	secrets := app.NewSecrets(env.Getenv)
	board, log, err := pollOutput(&env, following != 0, secrets)
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier poll:", err)
		return ExitUsage
	}
	in, err := pollIDs(*ids)
	if err != nil {
		return fs.usageError(env, err.Error())
	}
	timeout, err := app.PollTimeout(env.Getenv)
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier poll:", err)
		return ExitUsage
	}
	cycle, err := app.NewCycle(ctx, app.Setup{Getenv: env.Getenv, Credentials: app.CredentialsFrom(env.Getenv), Console: env.Stderr, Log: log, Secrets: secrets})
	if err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier poll:", secrets.Secrets().Error(err))
		return SetupExit(err)
	}
	cycle.Config.FollowFor = following
	opts := handler.Options{Refs: in.Refs, DryRun: *dryRun}
	if following != 0 {
		showCtx, stopShowing := context.WithCancel(ctx)
		defer stopShowing()
		opts.OnFollow = progressShower(showCtx, board, log)
	}
	p := poller{cycle: cycle, timeout: followTimeout(timeout, following), opts: opts, log: log, env: env}
	code := p.once(ctx)
	if *every == 0 {
		return code
	}
	return p.repeat(ctx, *every, code)
}

// pollOutput is where a poll writes: on a terminal while following, live
// lines that the logs and the console sink pass above (env.Stderr becomes
// the board); and the logger.
func pollOutput(env *Env, following bool, secrets *scrub.Live) (*live.Board, *slog.Logger, error) {
	var board *live.Board
	if following && live.IsTerminal(env.Stderr) {
		board = live.New(env.Stderr)
		env.Stderr = board
	}
	log, err := app.NewLogger(env.Getenv, env.Stderr, false, secrets)
	return board, log, err
}

// pollIDs reads --ids: a list, a payload's JSON, or @file for a long list.
func pollIDs(ids string) (handler.Input, error) {
	if strings.HasPrefix(strings.TrimSpace(ids), "@") {
		refs, err := handler.ParseIDs(ids)
		if err != nil {
			return handler.Input{}, fmt.Errorf("--ids: %w", err)
		}
		return handler.Input{Refs: refs}, nil
	}
	in, err := handler.ParsePayload(ids)
	if err != nil {
		return handler.Input{}, fmt.Errorf("--ids: %w", errors.Unwrap(err))
	}
	if len(in.Starts) > 0 {
		return handler.Input{}, errors.New("--ids names exports to watch; start exports with export-notifier start")
	}
	return in, nil
}

// poller runs the cycles of one poll command.
type poller struct {
	cycle   *handler.Cycle
	timeout time.Duration // POLL_TIMEOUT, each cycle's
	opts    handler.Options
	log     *slog.Logger
	env     Env
}

// once runs one cycle and prints its result as JSON on stdout. A signal
// (ctx's cancellation) stops the loop, not the cycle under way: it
// finishes within POLL_TIMEOUT so nothing it claimed is left hanging.
func (p poller) once(ctx context.Context) int {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
	defer cancel()
	res, err := p.cycle.Run(cctx, p.opts)
	var inputErr *handler.InputError
	if errors.As(err, &inputErr) {
		fmt.Fprintln(p.env.Stderr, "export-notifier poll:", err)
		return ExitUsage
	}
	if err != nil {
		p.log.Error("cycle failed", "error", err)
		return ExitFailed
	}
	_ = res.WriteJSON(p.env.Stdout)
	return ExitOK
}

// repeat runs a cycle every interval until ctx is cancelled and returns
// the last cycle's exit code, code until one has run.
func (p poller) repeat(ctx context.Context, every time.Duration, code int) int {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			p.log.Info("interrupted: stopping after the last cycle")
			return code
		case <-ticker.C:
			code = p.once(ctx)
		}
	}
}
