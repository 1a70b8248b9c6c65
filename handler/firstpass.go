package handler

import (
	"context"
	"slices"
	"sync"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// decideEvery is how many answers a large first pass decides, claims,
// delivers and commits at a time, while it goes on asking about the rest.
// Held until every export was asked about, the answers and the copies of
// the exports they change would cost as much as the loaded state again;
// each batch's commit hands its copies to the store, which drops the
// exports they replace.
const decideEvery = 1000

// firstPass takes the first pass's answers as they come. A pass with more
// exports to ask about than its batch size decides them in batches of
// about that size; a smaller one, and a dry run, keeps every answer for
// one decision once all are in (finish), so that it commits once.
type firstPass struct {
	r *run
	// size is the answers per batch; 0: one batch, once all are in.
	size int
	snap *state.Snapshot
	mu   sync.Mutex
	// got are the answers not decided yet.
	got []poll
	// full is told when got holds a batch.
	full chan struct{}
	// kept are the decided answers the cycle still needs: the running
	// ones, when it follows them.
	kept  []poll
	seeds map[string]followSeed
	// skipped says some export was not asked about: the cycle ran out of
	// time.
	skipped bool
}

// newFirstPass begins the first pass over n exports from snap.
func (r *run) newFirstPass(snap *state.Snapshot, n int) *firstPass {
	fp := &firstPass{r: r, snap: snap, full: make(chan struct{}, 1), seeds: map[string]followSeed{}}
	size := r.c.decideEvery
	if size <= 0 {
		size = decideEvery
	}
	if n > size && !r.opts.DryRun {
		fp.size = size
		// Pruning walks the whole state: once a pass, with its last batch.
		r.pruneLater = true
	}
	return fp
}

// add takes answers; a full batch is decided by ask's loop.
func (fp *firstPass) add(ps ...poll) {
	fp.mu.Lock()
	fp.got = append(fp.got, ps...)
	full := fp.size > 0 && len(fp.got) >= fp.size
	fp.mu.Unlock()
	if full {
		select {
		case fp.full <- struct{}{}:
		default:
		}
	}
}

// take returns a batch of the answers not decided yet, at most the batch
// size, when they fill one; or, when all is set, all that are left. The
// workers ask faster than a batch is delivered, so many answers may wait:
// deciding them all at once would hold their events, claims and copies
// together, the very cost batches are there to bound.
func (fp *firstPass) take(all bool) []poll {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if len(fp.got) == 0 || !all && (fp.size == 0 || len(fp.got) < fp.size) {
		return nil
	}
	if all || len(fp.got) == fp.size {
		b := fp.got
		fp.got = nil
		return b
	}
	// Both copied, so that neither holds the other's answers.
	b := slices.Clone(fp.got[:fp.size])
	fp.got = slices.Clone(fp.got[fp.size:])
	return b
}

// ask asks about refs until pollCtx ends, deciding each batch of answers
// as it fills while the workers go on asking, then the full batches still
// waiting. What is left of the last batch waits for finish.
func (fp *firstPass) ask(ctx, pollCtx context.Context, refs []event.Ref) error {
	if fp.size == 0 {
		fp.add(fp.r.c.checkUntil(pollCtx, refs, fp.r.limiter, nil)...)
		return nil
	}
	askCtx, cancel := context.WithCancel(pollCtx)
	defer cancel()
	asked := make(chan struct{})
	go func() {
		defer close(asked)
		fp.r.c.checkEach(askCtx, refs, fp.r.limiter, nil, func(_ int, p poll) { fp.add(p) })
	}()
	for done := false; !done; {
		select {
		case <-fp.full:
		case <-asked:
			done = true
		}
		for b := fp.take(false); b != nil; b = fp.take(false) {
			if err := fp.decide(ctx, b); err != nil {
				cancel()
				<-asked
				return err
			}
		}
	}
	return nil
}

// finish decides what is left, pruning the state as a one-batch pass
// does.
func (fp *firstPass) finish(ctx context.Context) error {
	fp.r.pruneLater = false
	return fp.decide(ctx, fp.take(true))
}

// decide decides, claims, delivers and commits polls, records their
// checks in the cycle's result and keeps those that following needs.
func (fp *firstPass) decide(ctx context.Context, polls []poll) error {
	r := fp.r
	follows := r.c.Config.FollowFor != 0
	if follows {
		// Taken before the decisions overwrite what the state knew.
		for k, s := range followSeeds(fp.snap, polls) {
			fp.seeds[k] = s
		}
	}
	snap, err := r.pass(ctx, fp.snap, polls)
	if err != nil {
		return err
	}
	fp.snap = snap
	done := polls[:0] // polls are not needed once decided
	for _, p := range polls {
		fp.skipped = fp.skipped || p.skipped
		if follows && running(p) {
			fp.kept = append(fp.kept, p)
		} else {
			done = append(done, p)
		}
	}
	r.recordChecks(snap, done)
	return nil
}
