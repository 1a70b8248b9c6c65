package main

import (
	"context"
	"slices"
	"time"

	"github.com/export-notifier/export-notifier/state"
)

// startRecorder records each export of the workload in the state at its
// start, through the state's own path for a started export
// (state.RecordStarted, as export-notifier start records it), with a
// store of its own as a separate process would have. The skip clock
// never waits, so the recorder takes the clock's waits over: it moves the
// clock on to each start on the way and records it then.
type startRecorder struct {
	clock   *skipClock
	store   state.Store
	pending []timedExport // by start
	err     error
}

// newStartRecorder records work's starts in the state under dir, or none
// unless record.
func newStartRecorder(ctx context.Context, dir string, clock *skipClock, work []timedExport, record bool) (*startRecorder, error) {
	r := &startRecorder{clock: clock}
	if !record {
		return r, nil
	}
	store, err := state.Open(ctx, "file://"+dir, state.Options{})
	if err != nil {
		return nil, err
	}
	r.store, r.pending = store, slices.Clone(work)
	slices.SortFunc(r.pending, func(a, b timedExport) int { return a.start.Compare(b.start) })
	return r, nil
}

// sleep is the cycles' Sleep: the clock moves on by d, recording the
// starts on the way.
func (r *startRecorder) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.advanceTo(ctx, r.clock.Now().Add(d))
	return nil
}

// advanceTo moves the clock on to t, recording the starts up to t on the
// way; the first failure to record is kept in r.err.
func (r *startRecorder) advanceTo(ctx context.Context, t time.Time) {
	for len(r.pending) > 0 && !r.pending[0].start.After(t) && r.err == nil {
		e := r.pending[0]
		r.pending = r.pending[1:]
		r.clock.advanceTo(e.start)
		r.err = state.RecordStarted(ctx, r.store, e.ref, r.clock.Now())
	}
	r.clock.advanceTo(t)
}
