package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// StartResult is what became of one export the invocation asked to start.
type StartResult struct {
	Spec    string `json:"spec"`
	Export  string `json:"export,omitempty"`
	Outcome string `json:"outcome"` // started, failed, already started, would start
	Error   string `json:"error,omitempty"`
}

// startExports starts the exports opts asks for, each at most once per
// invocation: the intent is committed before Security Center is asked and
// the returned ID after, so a retried invocation finds its starts recorded
// and makes none again. A started export joins the watched set.
func (c *Cycle) startExports(ctx context.Context, opts Options, cycleID string, log *slog.Logger) ([]StartResult, error) {
	if len(opts.Starts) == 0 {
		return nil, nil
	}
	results := make([]StartResult, len(opts.Starts))
	for i, spec := range opts.Starts {
		results[i] = StartResult{Spec: spec.String(), Outcome: "already started"}
	}
	if opts.DryRun {
		for i := range results {
			results[i].Outcome = "would start"
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
	keys := make([]string, len(opts.Starts))
	for i, spec := range opts.Starts {
		keys[i] = fmt.Sprintf("%s|%d|%s", invocation, i, spec.Key())
	}
	mine, err := c.intendStarts(ctx, opts.Starts, keys, cycleID, results)
	if err != nil {
		return nil, err
	}
	outcomes := c.callStarter(ctx, opts.Starts, mine, results, log)
	if err := c.recordStarts(ctx, opts.Starts, keys, outcomes, cycleID); err != nil {
		// The exports did start; say which, so a person can watch them.
		return results, fmt.Errorf("record the started exports %v in %s (watch them with poll --ids): %w", startedRefs(results), c.Store.Location(), err)
	}
	return results, nil
}

// intendStarts commits the intent to start each spec under its key and
// returns the indexes this cycle is to start: those no earlier run of the
// invocation recorded. What an earlier run made of the others goes into
// results; this run leaves them be.
func (c *Cycle) intendStarts(ctx context.Context, specs []event.StartSpec, keys []string, cycleID string, results []StartResult) ([]int, error) {
	var mine []int
	snap, err := state.Update(ctx, c.Store, func(s *state.Snapshot) error {
		mine = mine[:0]
		now := c.now()
		for i, key := range keys {
			if s.Intend(key, specs[i], cycleID, now) {
				mine = append(mine, i)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record the exports to start in %s: %w", c.Store.Location(), err)
	}
	for i, key := range keys {
		if r := snap.Starts[key]; r != nil && r.ClaimedBy != cycleID {
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

// started is what Security Center answered to the start of specs[index].
type started struct {
	index     int
	ref       event.Ref
	requestID string
	err       error
}

// callStarter starts specs[i] for each i in mine, noting each outcome in
// results.
func (c *Cycle) callStarter(ctx context.Context, specs []event.StartSpec, mine []int, results []StartResult, log *slog.Logger) []started {
	outcomes := make([]started, 0, len(mine))
	for _, i := range mine {
		ref, requestID, err := c.Starter.Start(ctx, specs[i])
		outcomes = append(outcomes, started{i, ref, requestID, err})
		if err != nil {
			results[i].Outcome, results[i].Error = "failed", err.Error()
			log.Error("export not started", "spec", results[i].Spec, "error", err.Error())
			continue
		}
		results[i].Outcome, results[i].Export = "started", ref.String()
		log.Info("export started", "spec", results[i].Spec, "export", ref.String(), "requestId", requestID)
	}
	return outcomes
}

// recordStarts commits what became of each start and, when started
// events are announced, adds them. Sinks that keep a self-updating message
// about the export announce it with that message's first post rather than
// a separate one.
func (c *Cycle) recordStarts(ctx context.Context, specs []event.StartSpec, keys []string, outcomes []started, cycleID string) error {
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
			ex := s.SettleStart(keys[o.index], cycleID, o.ref, o.requestID, o.err, mayHaveStarted, now)
			if ex != nil && c.Config.NotifyOn[event.Started] {
				st := ex.Status
				st.Ref, st.RequestID = o.ref, o.requestID
				ev := newEvent(c.Config, o.ref, event.Started, st, nil, now)
				ev.Start = &specs[o.index]
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
