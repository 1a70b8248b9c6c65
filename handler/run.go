package handler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/state"
)

// run is what the steps of one Run share: the cycle's parts, its time
// budget and identity, and the result so far. Each Run has its own, so
// that one Cycle may run repeatedly and concurrently.
type run struct {
	c       *Cycle
	opts    Options
	id      string
	log     *slog.Logger
	started time.Time
	// pollBy ends starting and polling; stopBy ends sending, stopMargin
	// before the deadline, leaving the results commit the rest.
	pollBy, stopBy time.Time
	stopMargin     time.Duration
	lease          time.Duration
	// deadline is ctx's deadline on the cycle's clock.
	deadline time.Time
	// limiter is the cycle's POLL_QPS cap, shared by all its calls.
	limiter *rate.Limiter
	// retrier is the cycle's one retry policy for every sink; it logs each
	// failed attempt with the cycle's ID.
	retrier         notify.Retrier
	sinks, updaters []string
	// unrouted are the events the last decision recorded that no sink
	// takes, logged once the decision is committed.
	unrouted []event.Event
	// watched is the cycle's watch list: the exports its first pass asks
	// about (see watchList).
	watched []event.Ref
	// pruneLater says a first pass has batches left to decide: its last
	// one prunes the state (see firstPass).
	pruneLater bool
	// folded counts the entries of res.Exports already summarised.
	folded int
	res    Result
}

// plan is what the decide step claimed for this cycle to send.
type plan struct {
	claimed  []state.Due
	messages []messageWork
	// takeovers are the claimed deliveries (by dueKey) that may already be
	// at their sink (see takenOver).
	takeovers map[string]bool
}

// sent is what became of a plan.
type sent struct {
	deliveries []delivery
	messages   []messageOutcome
	// commits records them in the state as they come; nil when nothing
	// was sent.
	commits *committer
}

// budget plans the cycle's time from ctx's deadline: starting and polling
// may use the first half; sending ends early enough to leave the results
// commit at least a few seconds; a claim lasts at least as long as the
// cycle may still be sending.
func (c *Cycle) budget(ctx context.Context, opts Options) (*run, error) {
	started := c.now()
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil, ErrNoDeadline
	}
	// The deadline is on the wall clock, whatever clock decisions use.
	budget := time.Until(deadline)
	r := &run{c: c, opts: opts, id: opts.ID, started: started, sinks: c.sinkNames(), updaters: c.updaterNames()}
	if r.id == "" {
		r.id = newCycleID(started)
	}
	r.log = c.logger().With("cycle", r.id)
	r.deadline = started.Add(budget)
	r.limiter = rate.NewLimiter(rate.Limit(c.Config.QPS), 1)
	r.lease = c.Config.Lease
	switch {
	case r.lease <= 0:
		r.lease = 2 * budget
	case r.lease < budget:
		// A claim that expires while its cycle may still be sending lets
		// an overlapping cycle send the same event.
		r.log.Warn("CLAIM_LEASE is shorter than the cycle's deadline; using the deadline", "claimLease", r.lease, "deadline", budget)
		r.lease = budget
	}
	r.pollBy = deadline.Add(-budget / 2)
	r.stopMargin = max(budget/10, min(5*time.Second, budget/4))
	r.stopBy = deadline.Add(-r.stopMargin)
	r.retrier = notify.DefaultRetrier()
	r.retrier.Logger = r.log
	r.res = Result{Cycle: r.id, DryRun: opts.DryRun}
	return r, nil
}

// start starts the exports the invocation asks for, by pollBy.
func (r *run) start(ctx context.Context) error {
	if len(r.opts.Starts) == 0 {
		return nil
	}
	if err := r.c.checkCredentials(ctx); err != nil {
		return err
	}
	var err error
	r.res.Starts, err = r.c.startExports(ctx, r.opts, r.id, r.pollBy, r.log)
	return err
}

// decideIn records in s what the polls mean and claims what this cycle is
// to send. It is re-run on a freshly loaded snapshot when another cycle
// committed first, so it decides from s alone.
func (r *run) decideIn(s *state.Snapshot, polls []poll) (plan, error) {
	t := r.c.now()
	r.unrouted = nil
	takers := func(ev event.Event) []string { return r.c.takers(ev, r.sinks) }
	unrouted := func(ev event.Event) { r.unrouted = append(r.unrouted, ev) }
	changed := decideEvents(r.c.Config, s, polls, takers, unrouted, t)
	changed = finishAbandoned(r.c.Config, s, r.watched, t) || changed
	if r.c.Config.Digest && decideDigests(r.c.Config, s, takers, t) {
		changed = true
	}
	p := plan{takeovers: map[string]bool{}}
	for _, d := range s.Due(r.sinks, t) {
		takeover := takenOver(s, d, r.id)
		if s.Claim(r.id, d, t, r.lease) {
			p.claimed = append(p.claimed, d)
			if takeover {
				p.takeovers[dueKey(d)] = true
			}
		}
	}
	p.messages = planMessages(s, r.c.ownMessages(s, polls), r.updaters, takers, r.id, t, r.lease)
	var pruned []event.Ref
	if !r.pruneLater {
		pruned = s.Prune(t, r.c.Config.Retention)
	}
	if !changed && len(p.claimed) == 0 && len(p.messages) == 0 && len(pruned) == 0 {
		// Nothing moved: rewriting the whole state every tick would cost a
		// write (an OSS put) for nothing.
		return plan{}, state.ErrNoChange
	}
	return p, nil
}

// decide commits the decisions and the claims, before anything is sent.
func (r *run) decide(ctx context.Context, snap *state.Snapshot, polls []poll) (*state.Snapshot, plan, error) {
	var p plan
	snap, err := state.UpdateFrom(ctx, r.c.Store, snap, func(s *state.Snapshot) error {
		var err error
		p, err = r.decideIn(s, polls)
		return err
	})
	if err != nil {
		return nil, plan{}, fmt.Errorf("commit claims to %s: %w", r.c.Store.Location(), err)
	}
	for _, checked := range polls {
		logPoll(r.log, checked)
	}
	for _, ev := range r.unrouted {
		r.log.Info("no sink takes the event; it is recorded and sent nowhere (see the sinks' _ROUTE settings)",
			"export", ev.Status.Ref.String(), "event", ev.ID, "type", ev.Type)
	}
	return snap, p, nil
}

// dryRun reports what the cycle would send, committing nothing.
func (r *run) dryRun(snap *state.Snapshot, polls []poll) Result {
	p, _ := r.decideIn(snap, polls) // ErrNoChange only says nothing would be committed
	r.res.recordChecks(polls)
	r.res.recordPending(snap, r.sinks)
	for _, d := range p.claimed {
		r.res.Events = append(r.res.Events, EventResult{ID: d.Event.ID, Type: d.Event.Type, Export: d.ExportKey, Sink: d.Sink, Outcome: "would send"})
	}
	r.res.StateVersion = snap.Version
	return r.res
}

// settle commits what became of the plan that was not committed while
// sending. Should it fail, the claimed events not yet recorded go out
// again once their claims expire.
func (r *run) settle(ctx context.Context, snap *state.Snapshot, out sent) (*state.Snapshot, error) {
	if out.commits == nil {
		return snap, nil
	}
	if err := out.commits.flush(ctx); err != nil {
		return nil, fmt.Errorf("%w (the claimed events not recorded go out again once the claims expire)", err)
	}
	snap, err := out.commits.last(ctx)
	if err != nil {
		return nil, fmt.Errorf("load state from %s: %w", r.c.Store.Location(), err)
	}
	return snap, nil
}

// recordChecks records decided checks in the cycle's result, which a
// large cycle summarises as they come (see SummariseAbove).
func (r *run) recordChecks(snap *state.Snapshot, polls []poll) {
	r.res.recordChecks(polls)
	if r.res.Watched > SummariseAbove {
		r.res.summarise(snap, r.started, r.folded)
		r.folded = len(r.res.Exports)
	}
}

// recordSent adds what became of a plan to the cycle's result: as each
// pass ends, rather than keeping every delivery of a large cycle until it
// ends beside the result made of them.
func (r *run) recordSent(o sent) {
	for _, d := range o.deliveries {
		r.res.Events = append(r.res.Events, d.result())
	}
	for _, m := range o.messages {
		r.res.Messages = append(r.res.Messages, m.result())
	}
}

// report completes the cycle's result, whose checks and deliveries were
// recorded as they were decided and made (see Run).
func (r *run) report(snap *state.Snapshot) Result {
	r.res.recordPending(snap, r.sinks)
	r.res.StateVersion = snap.Version
	return r.res
}
