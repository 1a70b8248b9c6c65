package handler

import (
	"context"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// checkRest asks about rest under the cycle's QPS cap until pollCtx ends,
// handing each answer to fp. A following cycle asks first about the
// exports the state expects to have finished since they were last
// checked, and announces those it finds finished at once, rather than
// after asking about every other export: with many pending that takes a
// second per POLL_QPS of them.
func (r *run) checkRest(ctx, pollCtx context.Context, fp *firstPass, rest []event.Ref) error {
	var soon, others []event.Ref
	if r.c.Config.FollowFor != 0 && !r.opts.DryRun {
		now := r.c.now()
		for _, ref := range rest {
			if expectedDone(fp.snap.Exports[ref.String()], now) {
				soon = append(soon, ref)
			} else {
				others = append(others, ref)
			}
		}
	} else {
		others = rest
	}
	var done []poll
	for _, p := range r.c.checkUntil(pollCtx, soon, r.limiter, nil) {
		if !p.skipped && p.err == nil && !running(p) {
			done = append(done, p)
		} else {
			fp.add(p)
		}
	}
	if len(done) > 0 {
		if err := fp.decide(ctx, done); err != nil {
			return err
		}
	}
	return fp.ask(ctx, pollCtx, others)
}

// expectedDone says whether ex, pending, is expected to have finished
// since it was last checked, at the pace it kept from when it was first
// seen to when its progress last changed.
func expectedDone(ex *state.Export, now time.Time) bool {
	if ex == nil || !ex.Finished.IsZero() {
		return false
	}
	last := ex.LastStatus()
	if !running(poll{status: last}) {
		return false
	}
	f, span := fraction(last), ex.LastChange.Sub(ex.FirstSeen)
	if f <= 0 || span <= 0 {
		return false
	}
	eta := ex.FirstSeen.Add(time.Duration(float64(span) / f))
	return !eta.After(now) && eta.After(ex.LastChecked)
}
