package handler

import (
	"context"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler/follow"
	"github.com/export-notifier/export-notifier/state"
)

// FollowUpdate is what a following cycle learnt about one export it
// follows, for a caller that shows progress (Options.OnFollow).
type FollowUpdate struct {
	Status event.Status
	// ETA is when the export is expected to finish; zero while its pace
	// is not known.
	ETA time.Time
	// Done says the export is no longer followed by this cycle: it
	// finished, its check failed, or the window ended.
	Done bool
}

// followSeeds are what the state knew of the running exports before this
// cycle asked: the progress last seen to change, and when. Taken before
// the first pass's decisions overwrite them.
func followSeeds(snap *state.Snapshot, polls []poll) map[string]follow.Sample {
	seeds := map[string]follow.Sample{}
	for _, p := range polls {
		key := p.ref.String()
		if ex := snap.Exports[key]; ex != nil && running(p) && !ex.LastChange.IsZero() && running(poll{status: ex.LastStatus()}) {
			seeds[key] = follow.Sample{At: ex.LastChange, Fraction: fraction(ex.LastStatus())}
		}
	}
	return seeds
}

// seenAt is when p's answer came, or now when that is not known: the
// time its progress is recorded at, from which the next cycle measures
// the export's pace.
func (p poll) seenAt(now time.Time) time.Time {
	if p.at.IsZero() || p.at.After(now) {
		return now
	}
	return p.at
}

// running says the check found the export still under way.
func running(p poll) bool {
	return !p.skipped && p.err == nil && (p.status.State == event.Init || p.status.State == event.Exporting)
}

// fraction is how far an export is, from 0 to 1: from its counts when it
// has them, finer than its percentage.
func fraction(st event.Status) float64 {
	if st.TotalCount > 0 && st.CurrentCount > 0 {
		return min(float64(st.CurrentCount)/float64(st.TotalCount), 1)
	}
	return min(float64(st.Progress)/100, 1)
}

// followEnd is when following ends: FollowFor after now, and no later
// than the deadline less the time to commit. False: no following.
func (r *run) followEnd() (time.Time, bool) {
	now := r.c.now()
	f := r.c.Config.FollowFor
	if f == 0 {
		return time.Time{}, false
	}
	end := r.deadline.Add(-min(commitReserve, r.deadline.Sub(r.started)/4))
	if f != FollowToDeadline && now.Add(f).Before(end) {
		end = now.Add(f)
	}
	return end, end.After(now)
}

// follower is one cycle's following: its schedule, and the latest poll
// of each export by key (an index into the cycle's polls).
type follower struct {
	r      *run
	sched  *follow.Schedule
	polls  []poll
	latest map[string]int
	end    time.Time
}

// follow keeps asking about the exports the first pass found running
// until each finishes or the window ends, deciding and delivering what
// each round finds finished at once, under the same claims as the first
// pass. It returns at once when nothing may finish in the window, and
// does not follow at all when the first pass left exports unchecked:
// those go first, in the next cycle.
func (r *run) follow(ctx context.Context, seeds map[string]follow.Sample, snap *state.Snapshot, polls []poll, out sent) (*state.Snapshot, []poll, sent, error) {
	end, ok := r.followEnd()
	if !ok || anySkipped(polls) {
		return snap, polls, out, nil
	}
	f := &follower{r: r, sched: follow.New(follow.DefaultPolicy()), polls: polls, latest: map[string]int{}, end: end}
	for i, p := range polls {
		if !running(p) {
			continue
		}
		key := p.ref.String()
		f.latest[key] = i
		if seed, ok := seeds[key]; ok {
			f.sched.Seed(key, seed)
		}
		f.sched.Observe(key, follow.Sample{At: p.at, Fraction: fraction(p.status)})
		f.tell(p, false)
	}
	for {
		next, ok := f.sched.Next(end)
		if !ok || r.sleepUntil(ctx, next) != nil {
			break
		}
		var err error
		if snap, out, err = f.round(ctx, snap, out); err != nil {
			return nil, polls, out, err
		}
	}
	f.stop()
	return snap, polls, out, nil
}

// round asks about the exports due now and delivers what finished.
func (f *follower) round(ctx context.Context, snap *state.Snapshot, out sent) (*state.Snapshot, sent, error) {
	keys := f.sched.Due(f.r.c.now(), f.end)
	refs := make([]event.Ref, len(keys))
	for i, key := range keys {
		refs[i] = f.polls[f.latest[key]].ref
	}
	got := f.r.c.checkUntil(ctx, refs, f.r.limiter, nil)
	var decided []poll
	for i, p := range got {
		if p.skipped {
			f.sched.Forget(keys[i]) // out of time: left to the next cycle
			continue
		}
		f.polls[f.latest[keys[i]]] = p
		if running(p) {
			f.sched.Observe(keys[i], follow.Sample{At: p.at, Fraction: fraction(p.status)})
			f.tell(p, false)
			continue
		}
		f.tell(p, true)
		f.sched.Forget(keys[i])
		decided = append(decided, p)
	}
	if len(decided) == 0 {
		return snap, out, nil
	}
	return f.r.pass(ctx, snap, decided, out)
}

// stop ends following: the exports still running are left to the next
// cycle, which records their progress. Recording it here would cost a
// commit a cycle for what the next cycle's first pass sees anyway.
func (f *follower) stop() {
	for _, i := range f.latest {
		if p := f.polls[i]; running(p) {
			f.tell(p, true)
		}
	}
}

// tell passes what was learnt of p to Options.OnFollow.
func (f *follower) tell(p poll, done bool) {
	if f.r.opts.OnFollow == nil {
		return
	}
	eta, _ := f.sched.ETA(p.ref.String())
	f.r.opts.OnFollow(FollowUpdate{Status: p.status, ETA: eta, Done: done})
}

// pass decides what polls mean, delivers what was claimed and commits the
// outcome, adding it to out.
func (r *run) pass(ctx context.Context, snap *state.Snapshot, polls []poll, out sent) (*state.Snapshot, sent, error) {
	r.archive(ctx, snap, polls)
	snap, p, err := r.decide(ctx, snap, polls)
	if err != nil {
		return nil, out, err
	}
	o := r.deliver(ctx, p, snap)
	if snap, err = r.settle(ctx, snap, o); err != nil {
		return nil, out, err
	}
	out.deliveries = append(out.deliveries, o.deliveries...)
	out.messages = append(out.messages, o.messages...)
	return snap, out, nil
}

func anySkipped(polls []poll) bool {
	for _, p := range polls {
		if p.skipped {
			return true
		}
	}
	return false
}

// sleepUntil waits on the cycle's clock until t, or until ctx ends.
func (r *run) sleepUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(r.c.now())
	if d <= 0 {
		return ctx.Err()
	}
	if r.c.Sleep != nil {
		return r.c.Sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
