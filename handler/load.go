package handler

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// poll loads the state and checks the exports to watch by pollBy.
// The exports the configuration and the invocation name need no state to
// be known. A store that has not read the state yet (a cold start) may
// take long to, so the first of them is asked about before the load
// begins (it begins once that check returns, or after firstCheckHold): a large
// state neither delays the first request nor competes with it for the
// CPU. A warm store loads only what is new, so the named exports wait
// slowLoad for it. Either way, what a slow load leaves time for is asked
// about while it loads; what to decide still waits for the state.
// Checking stops starting new calls once the state is loaded, and the
// rest follow in the state's order, least recently checked first.
func (r *run) poll(ctx context.Context) (*firstPass, error) {
	pollCtx, cancel := context.WithDeadline(ctx, r.pollBy)
	defer cancel()
	limiter := r.limiter
	begin, loaded := make(chan struct{}), make(chan struct{})
	var (
		snap    *state.Snapshot
		loadErr error
	)
	go func() {
		defer close(loaded)
		wait := time.NewTimer(firstCheckHold)
		defer wait.Stop()
		select {
		case <-begin:
		case <-wait.C:
		}
		snap, loadErr = r.c.Store.Load(ctx)
	}()
	early := r.pollWhileLoading(pollCtx, limiter, begin, loaded, !state.IsWarm(r.c.Store))
	<-loaded
	if loadErr != nil {
		return nil, fmt.Errorf("load state from %s: %w", r.c.Store.Location(), loadErr)
	}
	refs := watchList(r.c.Config, r.opts.Refs, snap, r.started)
	r.watched = refs
	r.res.Watched = len(refs)
	fp := r.newFirstPass(snap, len(refs))
	if len(refs) == 0 {
		r.log.Info(nothingToWatch)
		return fp, nil
	}
	if len(early) == 0 {
		if err := r.c.checkCredentials(ctx); err != nil {
			return nil, err
		}
	}
	rest := make([]event.Ref, 0, max(len(refs)-len(early), 0))
	for _, ref := range refs {
		if p, done := early[ref.String()]; done {
			fp.add(p)
		} else {
			rest = append(rest, ref)
		}
	}
	if err := r.checkRest(ctx, pollCtx, fp, rest); err != nil {
		return nil, err
	}
	if fp.size == 0 {
		inWatchOrder(fp.got, refs, func(p poll) string { return p.ref.String() })
	}
	return fp, nil
}

// inWatchOrder sorts items, each an export's under key, in the order of
// refs, the cycle's watch list, as a cycle that asked about each in turn
// would have them; those not in it go last.
func inWatchOrder[T any](items []T, refs []event.Ref, key func(T) string) {
	pos := make(map[string]int, len(refs))
	for i, ref := range refs {
		pos[ref.String()] = i
	}
	at := func(item T) int {
		if i, ok := pos[key(item)]; ok {
			return i
		}
		return len(refs)
	}
	slices.SortStableFunc(items, func(a, b T) int { return at(a) - at(b) })
}

// slowLoad is how long a warm load may take before the named exports are
// asked about without it.
const slowLoad = 10 * time.Millisecond

// firstCheckHold is how long the first check of a cold start may hold
// back the load: about one call's round trip, so that the load's decoding
// does not slow the first request down; a check that takes longer (a slow
// Security Center, its retries) lets the load begin meanwhile.
const firstCheckHold = 200 * time.Millisecond

// pollWhileLoading lets the load begin (closes begin), at once or, on a
// cold start, once the first named export was asked about; then asks
// about the named exports until loaded is closed, and returns what it
// learnt by export.
func (r *run) pollWhileLoading(ctx context.Context, limiter *rate.Limiter, begin chan<- struct{}, loaded <-chan struct{}, cold bool) map[string]poll {
	early := map[string]poll{}
	named := namedRefs(r.c.Config, r.opts.Refs)
	if len(named) == 0 || r.c.checkCredentials(ctx) != nil {
		close(begin)
		return early // a refusal is reported once the state says there is work
	}
	var polls []poll
	if cold {
		polls, named = r.c.checkUntil(ctx, named[:1], limiter, nil), named[1:]
		close(begin)
	} else {
		close(begin)
		wait := time.NewTimer(slowLoad)
		defer wait.Stop()
		select {
		case <-loaded:
			return early
		case <-wait.C:
		}
	}
	var mu sync.Mutex
	keep := func(_ int, p poll) {
		if !p.skipped {
			mu.Lock()
			early[p.ref.String()] = p
			mu.Unlock()
		}
	}
	for i, p := range polls {
		keep(i, p)
	}
	// Each answer as it comes: most of a long list is still unasked when
	// the state is loaded, and needs no room.
	r.c.checkEach(ctx, named, limiter, loaded, keep)
	return early
}

// namedRefs are the configured exports and the invocation's, each once.
func namedRefs(cfg Config, extra []event.Ref) []event.Ref {
	seen := make(map[string]bool, len(cfg.ExportIDs)+len(extra))
	var out []event.Ref
	for _, r := range append(cfg.ExportIDs[:len(cfg.ExportIDs):len(cfg.ExportIDs)], extra...) {
		if key := r.String(); !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	return out
}
