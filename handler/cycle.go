// Package handler runs one poll cycle, the same on Function Compute and on
// the command line: merge the exports to watch, ask Security Center about
// each, decide what people must be told, claim those events in the state,
// deliver them to every sink, and commit the outcome.
//
// The claim is what keeps overlapping cycles (FC retries, a slow cycle and
// the next tick, two cron jobs) from sending an event twice: events are
// committed as claimed before anything is sent, and a cycle that dies after
// claiming leaves them to whichever cycle runs once the lease has expired.
package handler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	Log     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
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
}

// ErrNoDeadline is returned when Run is given a context without a deadline:
// a cycle must know when to stop polling so it has time to commit.
var ErrNoDeadline = errors.New("the cycle's context has no deadline")

// Run runs one cycle. It returns an error only when the cycle could not
// finish: the state could not be read or committed. Exports that failed to
// check are events in the Result, not errors.
func (c *Cycle) Run(ctx context.Context, opts Options) (Result, error) {
	now := c.now()
	deadline, ok := ctx.Deadline()
	if !ok {
		return Result{}, ErrNoDeadline
	}
	// The deadline is on the wall clock, whatever clock decisions use.
	budget := time.Until(deadline)
	cycleID := opts.ID
	if cycleID == "" {
		cycleID = newCycleID(now)
	}
	log := c.logger().With("cycle", cycleID)
	lease := c.Config.Lease
	switch {
	case lease <= 0:
		lease = 2 * budget
	case lease < budget:
		// A claim that expires while its cycle may still be sending lets
		// an overlapping cycle send the same event.
		log.Warn("CLAIM_LEASE is shorter than the cycle's deadline; using the deadline", "claimLease", lease, "deadline", budget)
		lease = budget
	}
	// Starting and polling may use the first half of the time; sending ends
	// early enough to leave the results commit at least a few seconds.
	pollBy := deadline.Add(-budget / 2)
	stopBy := deadline.Add(-max(budget/10, min(5*time.Second, budget/4)))
	res := Result{Cycle: cycleID, DryRun: opts.DryRun}
	var err error

	if len(opts.Starts) > 0 {
		if err := c.checkCredentials(ctx); err != nil {
			return res, err
		}
	}
	startCtx, cancelStart := context.WithDeadline(ctx, pollBy)
	res.Starts, err = c.start(startCtx, opts, cycleID, log)
	cancelStart()
	if err != nil {
		return res, err
	}
	snap, err := c.Store.Load(ctx)
	if err != nil {
		return res, fmt.Errorf("load state from %s: %w", c.Store.Location(), err)
	}
	refs := watchList(c.Config, opts.Refs, snap, now)
	res.Watched = len(refs)
	if len(refs) == 0 {
		log.Info(nothingToWatch)
	} else if err := c.checkCredentials(ctx); err != nil {
		return res, err
	}

	pollCtx, cancelPoll := context.WithDeadline(ctx, pollBy)
	polls := c.poll(pollCtx, refs)
	cancelPoll()

	sinks, updaters := c.sinkNames(), c.updaterNames()
	var messages []messageWork
	decide := func(s *state.Snapshot) ([]state.Due, error) {
		t := c.now()
		changed := decideEvents(c.Config, s, polls, sinks, t)
		due := s.Due(sinks, t)
		claimed := due[:0]
		for _, d := range due {
			if s.Claim(cycleID, d, t, lease) {
				claimed = append(claimed, d)
			}
		}
		messages = planMessages(s, polls, updaters, cycleID, t, lease)
		pruned := s.Prune(t, c.Config.Retention)
		if !changed && len(claimed) == 0 && len(messages) == 0 && len(pruned) == 0 {
			// Nothing moved: rewriting the whole state every tick would
			// cost a write (an OSS put) for nothing.
			return nil, state.ErrNoChange
		}
		return claimed, nil
	}

	var claimed []state.Due
	if opts.DryRun {
		claimed, _ = decide(snap) // ErrNoChange only says nothing would be committed
		res.record(polls, snap, sinks)
		for _, d := range claimed {
			res.Events = append(res.Events, EventResult{ID: d.Event.ID, Type: d.Event.Type, Export: d.ExportKey, Sink: d.Sink, Outcome: "would send"})
		}
		res.StateVersion = snap.Version
		return res, nil
	}

	snap, err = state.UpdateFrom(ctx, c.Store, snap, func(s *state.Snapshot) error {
		var err error
		claimed, err = decide(s)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("commit claims to %s: %w", c.Store.Location(), err)
	}
	for _, p := range polls {
		logPoll(log, p)
	}

	// One retry policy for the cycle, logging each failed attempt with the
	// cycle's ID.
	retrier := notify.DefaultRetrier()
	retrier.Logger = log
	outcomes, messageOutcomes := c.deliver(ctx, retrier, claimed, messages, snap, stopBy, log)

	if len(claimed) > 0 || len(messages) > 0 {
		snap, err = state.UpdateFrom(ctx, c.Store, snap, func(s *state.Snapshot) error {
			t := c.now()
			for _, o := range outcomes {
				s.Settle(cycleID, o.due, o.err, t)
			}
			for _, o := range messageOutcomes {
				o.settle(s, cycleID)
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("commit delivery results to %s (the claimed events go out again once the claims expire): %w", c.Store.Location(), err)
		}
	}
	res.record(polls, snap, sinks)
	for _, o := range outcomes {
		res.Events = append(res.Events, o.result())
	}
	for _, o := range messageOutcomes {
		res.Messages = append(res.Messages, o.result())
	}
	res.StateVersion = snap.Version
	return res, nil
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

// delivery is the outcome of sending one claimed event to one sink.
type delivery struct {
	due      state.Due
	attempts int
	err      error
}

func (d delivery) result() EventResult {
	r := EventResult{ID: d.due.Event.ID, Type: d.due.Event.Type, Export: d.due.ExportKey, Sink: d.due.Sink, Attempts: d.attempts, Outcome: "sent"}
	if d.err != nil {
		r.Outcome, r.Error = "failed", d.err.Error()
	}
	return r
}

// deliver sends the claimed events and the running messages, each sink on
// its own so a slow or dead sink does not hold the others, and stops
// sending at stopBy so the results can still be committed. A sink that
// edits its messages turns an export's message into the event's message
// rather than posting a new one.
func (c *Cycle) deliver(ctx context.Context, retrier notify.Retrier, claimed []state.Due, messages []messageWork, snap *state.Snapshot, stopBy time.Time, log *slog.Logger) ([]delivery, []messageOutcome) {
	if len(claimed) == 0 && len(messages) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithDeadline(ctx, stopBy)
	defer cancel()
	bySink := map[string][]state.Due{}
	for _, d := range claimed {
		bySink[d.Sink] = append(bySink[d.Sink], d)
	}
	messagesBySink := map[string][]messageWork{}
	for _, m := range messages {
		messagesBySink[m.sink] = append(messagesBySink[m.sink], m)
	}
	var (
		mu          sync.Mutex
		out         []delivery
		messagesOut []messageOutcome
		wg          sync.WaitGroup
	)
	record := func(d delivery) {
		logDelivery(log, d)
		mu.Lock()
		out = append(out, d)
		mu.Unlock()
	}
	for _, sink := range c.Sinks {
		dues, work := bySink[sink.Name()], messagesBySink[sink.Name()]
		if len(dues) == 0 && len(work) == 0 {
			continue
		}
		wg.Go(func() {
			defer func() {
				// A panic in a sink must not take the process down: what
				// this sink had claimed goes out once the claims expire.
				if p := recover(); p != nil {
					log.Error("sink panicked", "sink", sink.Name(), "panic", fmt.Sprint(p))
				}
			}()
			if u, ok := sink.(notify.Updater); ok {
				sent := c.sendMessages(ctx, retrier, u, work, log)
				mu.Lock()
				messagesOut = append(messagesOut, sent...)
				mu.Unlock()
				dues = c.updateMessages(ctx, retrier, u, dues, snap, record)
			}
			byID := make(map[string]state.Due, len(dues))
			events := make([]event.Event, len(dues))
			for i, d := range dues {
				events[i] = d.Event
				byID[d.Event.ID] = d
			}
			for _, o := range safeDeliver(ctx, retrier, sink, events) {
				for _, ev := range o.Events {
					record(delivery{due: byID[ev.ID], attempts: o.Attempts, err: o.Err})
				}
			}
		})
	}
	wg.Wait()
	return out, messagesOut
}

// updateMessages delivers the events about exports that already have a
// message at u by updating that message, and returns the rest, to be sent
// as new messages.
func (c *Cycle) updateMessages(ctx context.Context, retrier notify.Retrier, u notify.Updater, dues []state.Due, snap *state.Snapshot, record func(delivery)) []state.Due {
	rest := dues[:0:0]
	for _, d := range dues {
		m := snap.Message(d.ExportKey, d.Sink)
		if m == nil || m.Handle == "" {
			rest = append(rest, d)
			continue
		}
		attempts, err := retrier.Update(ctx, u, m.Handle, d.Event)
		var sinkErr *notify.Error
		if errors.As(err, &sinkErr) && !sinkErr.Retryable {
			// The message is gone (deleted, say): tell it in a new one.
			rest = append(rest, d)
			continue
		}
		record(delivery{due: d, attempts: attempts, err: err})
	}
	return rest
}

// safeDeliver turns a panic in a sink into a failed delivery of its events,
// so the claims are settled and the cycle still commits.
func safeDeliver(ctx context.Context, retrier notify.Retrier, sink notify.Notifier, events []event.Event) (out []notify.Outcome) {
	defer func() {
		if p := recover(); p != nil {
			out = []notify.Outcome{{Events: events, Attempts: 1, Err: fmt.Errorf("sink %s panicked: %v", sink.Name(), p)}}
		}
	}()
	return retrier.Deliver(ctx, sink, events)
}

func newCycleID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
