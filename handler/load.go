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
// While a slow state loads it already checks the exports the
// configuration and the invocation name, which need no state to be known,
// so that a large state does not delay the first request; what to decide
// still waits for the state. Checking stops starting new calls once the
// state is loaded, and the rest follow in the state's order.
func (r *run) poll(ctx context.Context) (*state.Snapshot, []poll, error) {
	pollCtx, cancel := context.WithDeadline(ctx, r.pollBy)
	defer cancel()
	limiter := r.limiter
	loaded := make(chan struct{})
	var (
		snap    *state.Snapshot
		loadErr error
	)
	go func() {
		defer close(loaded)
		snap, loadErr = r.c.Store.Load(ctx)
	}()
	early := r.pollWhileLoading(pollCtx, limiter, loaded)
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
	later := r.c.checkUntil(pollCtx, rest, limiter, nil)
	polls := make([]poll, 0, len(refs))
	for _, ref := range refs {
		if p, done := early[ref.String()]; done {
			polls = append(polls, p)
			continue
		}
		polls, later = append(polls, later[0]), later[1:]
	}
	return snap, polls, nil
}

// slowLoad is how long a load may take before the cycle asks about the
// named exports without it. A warm or small state loads sooner, and then
// nothing changes: every export is asked about in the state's order, least
// recently checked first. Only a slow (cold and large) state lets the
// named exports go first, in the order they are named.
const slowLoad = 10 * time.Millisecond

// pollWhileLoading asks about the named exports once the load has taken
// slowLoad, until loaded is closed, and returns what it learnt by export.
func (r *run) pollWhileLoading(ctx context.Context, limiter *rate.Limiter, loaded <-chan struct{}) map[string]poll {
	early := map[string]poll{}
	named := namedRefs(r.c.Config, r.opts.Refs)
	if len(named) == 0 {
		return early
	}
	wait := time.NewTimer(slowLoad)
	defer wait.Stop()
	select {
	case <-loaded:
		return early
	case <-wait.C:
	}
	if r.c.checkCredentials(ctx) != nil {
		return early // refused as before, once the state says there is work
	}
	for _, p := range r.c.checkUntil(ctx, named, limiter, loaded) {
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
