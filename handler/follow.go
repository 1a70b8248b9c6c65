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

// followSeed is what the state knew of a running export before this
// cycle asked: the progress last seen to change, and when; or, for an
// export never answered about, when it was recorded (started).
type followSeed struct {
	prior   follow.Sample
	started time.Time
}

// followSeeds are the seeds of the running exports among polls, taken
// before the cycle's decisions overwrite them.
func followSeeds(snap *state.Snapshot, polls []poll) map[string]followSeed {
	seeds := map[string]followSeed{}
	for _, p := range polls {
		key := p.ref.String()
		ex := snap.Exports[key]
		switch {
		case ex == nil || !running(p):
		case ex.LastChecked.IsZero() && ex.Status.State == "" && !ex.FirstSeen.IsZero():
			// Recorded by a start and never asked about: it started then.
			seeds[key] = followSeed{started: ex.FirstSeen}
		case !ex.LastChange.IsZero() && running(poll{status: ex.LastStatus()}):
			seeds[key] = followSeed{prior: follow.Sample{At: ex.LastChange, Fraction: fraction(ex.LastStatus())}}
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
// than lastRound before sending stops, so that what the last round finds
// is sent and committed. False: no following.
func (r *run) followEnd() (time.Time, bool) {
	now := r.c.now()
	f := r.c.Config.FollowFor
	if f == 0 {
		return time.Time{}, false
	}
	end := r.deadline.Add(-r.stopMargin - lastRound)
	if f != FollowToDeadline && now.Add(f).Before(end) {
		end = now.Add(f)
	}
	return end, end.After(now)
}

// follower is one cycle's following: its schedule, the latest poll of
// each export by key (an index into the cycle's polls), every export the
// cycle asked about, and when it last read the state.
type follower struct {
	r      *run
	sched  *follow.Schedule
	polls  []poll
	latest map[string]int
	asked  map[string]bool
	end    time.Time
	readAt time.Time
}

// follow keeps asking about the exports the first pass found running
// until each finishes or the window ends, deciding and delivering what
// each round finds finished at once, under the same claims as the first
// pass. It returns at once when nothing may finish in the window, and
// does not follow at all when the first pass left exports unchecked:
// those go first, in the next cycle.
//
// It returns the polls of the exports it followed, each as last asked
// about, and of those it picked up.
func (r *run) follow(ctx context.Context, fp *firstPass) (*state.Snapshot, []poll, error) {
	snap, polls := fp.snap, fp.kept
	end, ok := r.followEnd()
	if !ok || fp.skipped {
		return snap, polls, nil
	}
	f := &follower{r: r, sched: follow.New(follow.DefaultPolicy()), polls: polls, latest: map[string]int{}, asked: make(map[string]bool, len(r.watched)), end: end, readAt: r.c.now()}
	for _, ref := range r.watched {
		f.asked[ref.String()] = true
	}
	for i, p := range polls {
		if running(p) {
			f.add(i, fp.seeds)
		}
	}
	for {
		next, ok := f.sched.Next(end)
		if !ok {
			break
		}
		read := f.readAt.Add(stateReadEvery)
		if read.Before(next) {
			next = read
		}
		if r.sleepUntil(ctx, next) != nil {
			break
		}
		var err error
		if !r.c.now().Before(read) {
			snap, err = f.pickUp(ctx, snap)
		}
		if err == nil {
			snap, err = f.round(ctx, snap)
		}
		if err != nil {
			return nil, f.polls, err
		}
	}
	f.stop()
	return snap, f.polls, nil
}

// add follows the running export of f.polls[i], from what seeds knew of
// it before.
func (f *follower) add(i int, seeds map[string]followSeed) {
	p := f.polls[i]
	key := p.ref.String()
	f.latest[key] = i
	switch seed := seeds[key]; {
	case !seed.started.IsZero():
		f.sched.Started(key, seed.started)
	case !seed.prior.At.IsZero():
		f.sched.Seed(key, seed.prior)
	}
	f.sched.Observe(key, follow.Sample{At: p.at, Fraction: fraction(p.status)})
	f.tell(p, false)
}

// round asks about the exports due now and delivers what finished.
func (f *follower) round(ctx context.Context, snap *state.Snapshot) (*state.Snapshot, error) {
	keys := f.sched.Due(f.r.c.now(), f.end)
	if len(keys) == 0 {
		return snap, nil
	}
	refs := make([]event.Ref, len(keys))
	for i, key := range keys {
		refs[i] = f.polls[f.latest[key]].ref
	}
	got := f.ask(ctx, refs)
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
		return snap, nil
	}
	return f.r.pass(ctx, snap, decided)
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
// outcome, adding it to the cycle's result.
func (r *run) pass(ctx context.Context, snap *state.Snapshot, polls []poll) (*state.Snapshot, error) {
	r.archive(ctx, snap, polls)
	snap, p, err := r.decide(ctx, snap, polls)
	if err != nil {
		return nil, err
	}
	o := r.deliver(ctx, p, snap)
	if snap, err = r.settle(ctx, snap, o); err != nil {
		return nil, err
	}
	r.recordSent(o)
	return snap, nil
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

// ask asks about refs under the cycle's QPS cap, starting no call later
// than halfway into the last round: an ask due at the window's end is
// made, and leaves time to claim what it finds before sending stops.
func (f *follower) ask(ctx context.Context, refs []event.Ref) []poll {
	askCtx, cancel := context.WithTimeout(ctx, f.end.Add(lastRound/2).Sub(f.r.c.now()))
	defer cancel()
	return f.r.c.checkUntil(askCtx, refs, f.r.limiter, nil)
}
