package handler

import (
	"context"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// stateReadEvery is how often a following cycle reads the state for
// exports recorded since it began (by export-notifier start, or by another
// invocation's payload): a warm read lists only the records written since
// the last, so each costs one list request when nothing is new.
const stateReadEvery = 5 * time.Second

// pickUp reads the state and asks once about the pending exports this
// cycle has not asked about yet, within the window, and decides what the
// answers mean as the first pass does, delivering it at once; those still
// running join the followed set. A read that fails is logged and tried
// again later; the next cycle's first pass sees those exports anyway.
func (f *follower) pickUp(ctx context.Context, snap *state.Snapshot) (*state.Snapshot, error) {
	f.readAt = f.r.c.now()
	fresh, err := f.r.c.Store.Load(ctx)
	if err != nil {
		f.r.log.Warn("reading the state for exports started since the cycle began failed; the next cycle sees them", "state", f.r.c.Store.Location(), "error", err.Error())
		return snap, nil
	}
	snap = fresh
	var refs []event.Ref
	for _, ref := range watchList(f.r.c.Config, nil, snap, f.readAt) {
		if !f.asked[ref.String()] {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return snap, nil
	}
	got := f.ask(ctx, refs)
	seeds := followSeeds(snap, got)
	var checked []poll
	for _, p := range got {
		if p.skipped {
			continue // out of the window: left to the next cycle
		}
		f.asked[p.ref.String()] = true
		f.r.res.Watched++
		f.polls = append(f.polls, p)
		checked = append(checked, p)
		if running(p) {
			f.add(len(f.polls)-1, seeds)
		}
	}
	if len(checked) == 0 {
		return snap, nil
	}
	// Decided as a first pass would: the progress of those still running
	// is recorded too, so that the next cycle knows their pace.
	return f.r.pass(ctx, snap, checked)
}
