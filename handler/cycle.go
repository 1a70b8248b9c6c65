// Package handler runs one poll cycle, the same on Function Compute and on
// the command line: merge the exports to watch, ask Security Center about
// each, decide what people must be told, claim those events in the state,
// deliver them to every sink, and commit the outcome as it comes.
//
// The claim is what keeps overlapping cycles (FC retries, a slow cycle and
// the next tick, two cron jobs) from sending an event twice: events are
// committed as claimed before anything is sent, and a cycle that dies after
// claiming leaves them to whichever cycle runs once the lease has expired.
// What a sink accepts is committed before it sends its next message, so
// that such a cycle repeats at most one message per sink.
package handler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/state"
)

// Cycle holds the parts a cycle works with. Run keeps its work in locals,
// so one Cycle may run repeatedly and concurrently (overlapping FC
// invocations in one instance); the state's claims keep overlapping runs
// from sending an event twice.
type Cycle struct {
	Config  Config
	Checker Checker
	// Starter starts the exports a payload asks for; nil refuses them.
	Starter Starter
	Store   state.Store
	Sinks   []notify.Notifier
	// Takes says whether a sink takes an event (its <SINK>_ROUTE, and the
	// sink's own nature); nil: notify.Takes alone. An event no sink takes
	// is recorded as decided and sent nowhere.
	Takes func(sink notify.Notifier, ev event.Event) bool
	// Archiver copies each completed export's file before it is
	// announced; nil archives nothing.
	Archiver Archiver
	Log      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits d on the same clock, or until ctx ends; nil means a
	// timer. Only following sleeps.
	Sleep func(ctx context.Context, d time.Duration) error
	// decideEvery overrides the batch size of a large first pass
	// (decideEvery, the constant), for tests.
	decideEvery int
}

// Options are what differs between one run of a cycle and the next.
type Options struct {
	// Refs are exports named by this invocation (payload, --ids), watched
	// in addition to the configured and pending ones.
	Refs []event.Ref
	// Starts are exports to start before polling (a payload's "start").
	Starts []event.StartSpec
	// Trigger identifies the invocation (see Input.Trigger), so that a
	// retried one does not start its exports again.
	Trigger string
	// DryRun decides and reports without starting, sending or committing.
	DryRun bool
	// ID names the cycle in claims and logs; empty means a random one.
	ID string
	// OnFollow, when set, is told what following learns of each running
	// export (the CLI's progress lines). It is called from the cycle's
	// goroutine and must not block.
	OnFollow func(FollowUpdate)
}

// ErrNoDeadline is returned when Run is given a context without a deadline:
// a cycle must know when to stop polling so it has time to commit.
var ErrNoDeadline = errors.New("the cycle's context has no deadline")

// Run runs one cycle, in steps: plan the time budget, start the exports
// the invocation asks for, poll the watched ones, decide and claim what
// must be told, deliver it, and settle the outcome in the state (a large
// pass does so for each batch of answers as it comes: firstpass.go); then,
// with Config.FollowFor, follow the exports still running and do the same
// for each as it finishes (follow.go). It
// returns an error only when the cycle could not finish: bad
// configuration (an *InputError), or a state that could not be read or
// committed. Exports that failed to check are events in the Result, not
// errors.
func (c *Cycle) Run(ctx context.Context, opts Options) (Result, error) {
	r, err := c.budget(ctx, opts)
	if err != nil {
		return Result{}, err
	}
	if err := r.start(ctx); err != nil {
		return r.res, err
	}
	fp, err := r.poll(ctx)
	if err != nil {
		return r.res, err
	}
	if opts.DryRun {
		return r.dryRun(fp.snap, fp.got).summarised(fp.snap, r.started), nil
	}
	if err := fp.finish(ctx); err != nil {
		return r.res, err
	}
	snap, polls, err := r.follow(ctx, fp)
	if err != nil {
		return r.res, err
	}
	r.recordChecks(snap, polls)
	if !r.res.Summarised {
		inWatchOrder(r.res.Exports, r.watched, func(e ExportResult) string { return e.Export })
	}
	return r.report(snap), nil
}

// nothingToWatch tells someone whose cycle had nothing to check what
// would give it something.
const nothingToWatch = "nothing to watch: name exports in EXPORT_IDS or in the invocation's payload, pass them to poll --ids, or start one with export-notifier start"

// checkCredentials refuses to run a cycle whose Checker has no
// credentials: every check would fail alike, and each failure would be
// announced as if Security Center had refused the export.
func (c *Cycle) checkCredentials(ctx context.Context) error {
	cc, ok := c.Checker.(CredentialChecker)
	if !ok {
		return nil
	}
	if err := cc.CheckCredentials(ctx); err != nil {
		return &InputError{Source: "credentials", Err: err}
	}
	return nil
}

func (c *Cycle) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cycle) logger() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Cycle) sinkNames() []string {
	names := make([]string, len(c.Sinks))
	for i, s := range c.Sinks {
		names[i] = s.Name()
	}
	return names
}

// takers names the sinks among names that take ev.
func (c *Cycle) takers(ev event.Event, names []string) []string {
	var out []string
	for _, sink := range c.Sinks {
		if !slices.Contains(names, sink.Name()) {
			continue
		}
		if c.Takes != nil && c.Takes(sink, ev) || c.Takes == nil && notify.Takes(sink, ev) {
			out = append(out, sink.Name())
		}
	}
	return out
}

func newCycleID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
