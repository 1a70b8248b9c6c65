package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// StartResult is what became of one export the invocation asked to start.
type StartResult struct {
	Spec    string `json:"spec"`
	Export  string `json:"export,omitempty"`
	Outcome string `json:"outcome"` // started, failed, already started, would start, not started
	Error   string `json:"error,omitempty"`
}

// plannedStart is one export the invocation is to start: a start item of
// its own, or one member account of an item that names accounts.
type plannedStart struct {
	spec event.StartSpec // names one member account at most
	// key identifies the start across runs of the invocation; batch
	// names the item's batch, empty for an item of one export.
	key, batch string
}

// startExports starts the exports opts asks for, each at most once per
// invocation: the intent is committed before Security Center is asked and
// the returned ID after, so a retried invocation finds its starts recorded
// and makes none again. A started export joins the watched set. An item
// that names member accounts starts one export per account, a batch.
// Calls to Security Center keep to the cycle's QPS cap and end at
// startBy; committing what started may take longer.
func (c *Cycle) startExports(ctx context.Context, opts Options, cycleID string, startBy time.Time, log *slog.Logger) ([]StartResult, error) {
	if len(opts.Starts) == 0 {
		return nil, nil
	}
	if opts.DryRun {
		results := make([]StartResult, len(opts.Starts))
		for i, spec := range opts.Starts {
			results[i] = StartResult{Spec: spec.String(), Outcome: "would start"}
		}
		return results, nil
	}
	if c.Starter == nil {
		return nil, errors.New("this cycle has no way to start exports")
	}
	invocation := opts.Trigger
	if invocation == "" {
		invocation = cycleID // a direct invocation or the CLI: every run is new
	}
	limiter := rate.NewLimiter(rate.Limit(c.Config.QPS), 1)
	callCtx, cancel := context.WithDeadline(ctx, startBy)
	defer cancel()
	plans, unplanned, err := c.planStarts(callCtx, opts.Starts, invocation, limiter)
	if err != nil {
		return nil, err
	}
	results := make([]StartResult, len(plans))
	for i, p := range plans {
		results[i] = StartResult{Spec: p.spec.String(), Outcome: "already started"}
	}
	mine, err := c.intendStarts(ctx, plans, cycleID, results)
	if err != nil {
		return nil, err
	}
	outcomes := c.callStarter(callCtx, plans, mine, results, limiter, log)
	if err := c.recordStarts(ctx, plans, outcomes, cycleID); err != nil {
		// The exports did start; say which, so a person can watch them.
		return results, fmt.Errorf("record the started exports %v in %s (watch them with poll --ids): %w", startedRefs(results), c.Store.Location(), err)
	}
	return append(unplanned, results...), nil
}

// intendStarts commits the intent to start each plan under its key and
// returns the indexes this cycle is to start: those no earlier run of the
// invocation recorded. What an earlier run made of the others goes into
// results; this run leaves them be.
func (c *Cycle) intendStarts(ctx context.Context, plans []plannedStart, cycleID string, results []StartResult) ([]int, error) {
	var mine []int
	snap, err := state.Update(ctx, c.Store, func(s *state.Snapshot) error {
		mine = intendIn(s, plans, cycleID, c.now())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record the exports to start in %s: %w", c.Store.Location(), err)
	}
	for i, p := range plans {
		if r := snap.Starts[p.key]; r != nil && r.ClaimedBy != cycleID {
			switch {
			case r.Ref.ID != 0:
				results[i].Export = r.Ref.String()
			case r.Error != "":
				results[i].Outcome, results[i].Error = "failed earlier", r.Error
			default:
				results[i].Outcome = "started earlier, outcome unknown"
			}
		}
	}
	return mine, nil
}

// intendIn records in s the plans no earlier run recorded, and returns
// their indexes: a lone start each, a batch all together.
func intendIn(s *state.Snapshot, plans []plannedStart, cycleID string, now time.Time) []int {
	var mine []int
	batches := map[string][]int{}
	var order []string
	for i, p := range plans {
		if p.batch == "" {
			if s.Intend(p.key, p.spec, cycleID, now) {
				mine = append(mine, i)
			}
			continue
		}
		if _, seen := batches[p.batch]; !seen {
			order = append(order, p.batch)
		}
		batches[p.batch] = append(batches[p.batch], i)
	}
	for _, batch := range order {
		indexes := batches[batch]
		keys := make([]string, len(indexes))
		specs := make([]event.StartSpec, len(indexes))
		for j, i := range indexes {
			keys[j], specs[j] = plans[i].key, plans[i].spec
		}
		for _, j := range s.IntendBatch(batch, keys, specs, cycleID, now) {
			mine = append(mine, indexes[j])
		}
	}
	slices.Sort(mine)
	return mine
}

// started is what Security Center answered to the start of plans[index].
type started struct {
	index     int
	ref       event.Ref
	requestID string
	err       error
}

// callStarter starts plans[i] for each i in mine, at most
// Config.Concurrency at a time and within the QPS cap, noting each
// outcome in results. A start the deadline left no time for is not made.
func (c *Cycle) callStarter(ctx context.Context, plans []plannedStart, mine []int, results []StartResult, limiter *rate.Limiter, log *slog.Logger) []started {
	outcomes := make([]started, len(mine))
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(c.Config.Concurrency, len(mine))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				outcomes[j] = c.startOne(ctx, plans[mine[j]].spec, mine[j], limiter)
			}
		}()
	}
	for j := range mine {
		work <- j
	}
	close(work)
	wg.Wait()
	for _, o := range outcomes {
		r := &results[o.index]
		var skipped notStarted
		switch {
		case errors.As(o.err, &skipped):
			r.Outcome, r.Error = "not started", o.err.Error()
			log.Error("export not started", "spec", r.Spec, "error", o.err.Error())
		case o.err != nil:
			r.Outcome, r.Error = "failed", o.err.Error()
			log.Error("export not started", "spec", r.Spec, "error", o.err.Error())
		default:
			r.Outcome, r.Export = "started", o.ref.String()
			log.Info("export started", "spec", r.Spec, "export", o.ref.String(), "requestId", o.requestID)
		}
	}
	return outcomes
}

// startOne starts spec once the QPS cap allows.
func (c *Cycle) startOne(ctx context.Context, spec event.StartSpec, index int, limiter *rate.Limiter) started {
	if err := limiter.Wait(ctx); err != nil {
		return started{index: index, err: notStarted{err}}
	}
	ref, requestID, err := c.Starter.Start(ctx, spec)
	return started{index, ref, requestID, err}
}

// notStarted is a start never asked for: the invocation's deadline came
// first, so Security Center did nothing.
type notStarted struct{ err error }

func (e notStarted) Error() string {
	return "not started before the invocation's deadline (raise the function's timeout or POLL_QPS): " + e.err.Error()
}

func (e notStarted) Unwrap() error { return e.err }

// Failure names the outcome for the state and the digest.
func (e notStarted) Failure() event.Failure {
	return event.Failure{Code: "NotStarted", Message: e.Error()}
}

// recordStarts commits what became of each start and, when started
// events are announced, adds them. Sinks that keep a self-updating message
// about the export announce it with that message's first post rather than
// a separate one.
func (c *Cycle) recordStarts(ctx context.Context, plans []plannedStart, outcomes []started, cycleID string) error {
	var startedSinks []string
	for _, name := range c.sinkNames() {
		if !slices.Contains(c.updaterNames(), name) {
			startedSinks = append(startedSinks, name)
		}
	}
	_, err := state.Update(ctx, c.Store, func(s *state.Snapshot) error {
		now := c.now()
		for _, o := range outcomes {
			var uncertain uncertainStart
			mayHaveStarted := errors.As(o.err, &uncertain) && uncertain.StartOutcomeUnknown()
			ex := s.SettleStart(plans[o.index].key, cycleID, o.ref, o.requestID, o.err, mayHaveStarted, now)
			if ex != nil && c.Config.NotifyOn[event.Started] {
				st := ex.Status.Of(o.ref)
				st.RequestID = o.requestID
				ev := newEvent(c.Config, o.ref, event.Started, st, nil, now)
				ev.Start = &plans[o.index].spec
				s.AddEvent(o.ref, ev, c.takers(ev, startedSinks))
			}
		}
		return nil
	})
	return err
}

func startedRefs(results []StartResult) []string {
	var refs []string
	for _, r := range results {
		if r.Export != "" {
			refs = append(refs, r.Export)
		}
	}
	return refs
}
