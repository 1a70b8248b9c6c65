package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
)

// poll is what one export's check gave.
type poll struct {
	ref    event.Ref
	status event.Status
	err    error
	// skipped means the cycle ran out of time before asking; the export
	// stays pending for the next cycle.
	skipped bool
	// archived is what archiving the completed export's file gave (see
	// archive.go); archivePending holds its completion for the next cycle.
	archived       *event.Archive
	archivePending bool
	// at is when the answer came, on the cycle's clock.
	at time.Time
}

// failure describes a failed check for the people being told.
func (p poll) failure() *event.Failure {
	var described describedFailure
	if errors.As(p.err, &described) {
		f := described.Failure()
		return &f
	}
	return &event.Failure{Code: "CheckFailed", Message: p.err.Error()}
}

// checkUntil asks about every ref with Concurrency workers under limiter,
// the cycle's QPS cap. Once ctx is done, or stop is closed (nil never is),
// no new call starts and the rest come back skipped; calls under way
// finish.
func (c *Cycle) checkUntil(ctx context.Context, refs []event.Ref, limiter *rate.Limiter, stop <-chan struct{}) []poll {
	out := make([]poll, len(refs))
	c.checkEach(ctx, refs, limiter, stop, func(i int, p poll) { out[i] = p })
	return out
}

// checkEach is checkUntil that hands each answer, with its ref's index,
// to got as it comes, from the worker that asked: got must be safe to
// call concurrently.
func (c *Cycle) checkEach(ctx context.Context, refs []event.Ref, limiter *rate.Limiter, stop <-chan struct{}, got func(int, poll)) {
	workers := min(max(c.Config.Concurrency, 1), len(refs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				got(i, c.checkOne(ctx, refs[i], limiter, stop))
			}
		})
	}
	for i := range refs {
		next <- i
	}
	close(next)
	wg.Wait()
}

// checkOne asks about ref under limiter, unless ctx is done or stop is
// closed: the answer is then skipped.
func (c *Cycle) checkOne(ctx context.Context, ref event.Ref, limiter *rate.Limiter, stop <-chan struct{}) poll {
	p := poll{ref: ref}
	if stopped(stop) || ctx.Err() != nil || limiter.Wait(ctx) != nil || stopped(stop) {
		p.skipped = true
		return p
	}
	p.status, p.err = safeGet(ctx, c.Checker, ref)
	p.at = c.now()
	// The raw response is for debugging a single check; held for every
	// export until the cycle ends it would cost more than the rest of
	// the poll.
	p.status.Raw = nil
	if p.err != nil && ctx.Err() != nil {
		// The call was cut short by the cycle's own deadline, not by
		// Security Center: try again next cycle, tell no one.
		return poll{ref: ref, skipped: true}
	}
	return p
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// safeGet turns a panic in one check into that check's failure: outside the
// invocation's own goroutine nothing else would recover it, and the whole
// cycle would be lost.
func safeGet(ctx context.Context, c Checker, ref event.Ref) (st event.Status, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("checking %s panicked: %v", ref, p)
		}
	}()
	return c.Get(ctx, ref)
}

func logPoll(log *slog.Logger, p poll) {
	switch {
	case p.skipped:
		log.Warn("export not checked: the cycle ran out of time", "export", p.ref.String())
	case p.err != nil:
		f := p.failure()
		log.Warn("export check failed", "export", p.ref.String(), "code", f.Code, "httpStatus", f.HTTPStatus, "error", f.Message)
	default:
		log.Info("export checked", "export", p.ref.String(), "status", string(p.status.State), "progress", p.status.Progress,
			"currentCount", p.status.CurrentCount, "totalCount", p.status.TotalCount, "requestId", p.status.RequestID)
	}
}

func logDelivery(log *slog.Logger, d delivery) {
	attrs := []any{"event", d.due.Event.ID, "type", string(d.due.Event.Type), "export", d.due.ExportKey, "sink", d.due.Sink, "attempts", d.attempts}
	switch {
	case d.found:
		log.Info("already delivered by a cycle whose claim expired; not sent again", attrs...)
	case d.err != nil:
		log.Warn("delivery failed", append(attrs, "error", d.err.Error())...)
	default:
		log.Info("delivered", attrs...)
	}
}
