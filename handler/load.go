package handler

import (
	"context"
	"fmt"
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
func (r *run) poll(ctx context.Context) (*state.Snapshot, []poll, error) {
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
		return nil, nil, fmt.Errorf("load state from %s: %w", r.c.Store.Location(), loadErr)
	}
	refs := watchList(r.c.Config, r.opts.Refs, snap, r.started)
	r.res.Watched = len(refs)
	if len(refs) == 0 {
		r.log.Info(nothingToWatch)
		return snap, nil, nil
	}
	if len(early) == 0 {
		if err := r.c.checkCredentials(ctx); err != nil {
			return nil, nil, err
		}
	}
	var rest []event.Ref
	for _, ref := range refs {
		if _, done := early[ref.String()]; !done {
			rest = append(rest, ref)
		}
	}
	snap, err := r.checkRest(ctx, pollCtx, snap, rest, early)
	if err != nil {
		return nil, nil, err
	}
	polls := make([]poll, 0, len(refs))
	for _, ref := range refs {
		polls = append(polls, early[ref.String()])
	}
	return snap, polls, nil
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
	for _, p := range append(polls, r.c.checkUntil(ctx, named, limiter, loaded)...) {
		if !p.skipped {
			early[p.ref.String()] = p
		}
	}
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
