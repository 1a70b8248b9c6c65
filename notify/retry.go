package notify

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"slices"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/backoff"
)

// Retrier is the delivery policy shared by every sink. The zero value is
// not useful; start from DefaultRetrier.
type Retrier struct {
	// MaxAttempts bounds the attempts per message, the first included.
	MaxAttempts int
	// Backoff bounds the wait after the first failure; the bound doubles
	// after each further one, up to MaxBackoff, and the wait is a random
	// part of it (full jitter). A sink's Retry-After is a minimum.
	Backoff, MaxBackoff time.Duration
	// AttemptTimeout bounds one attempt.
	AttemptTimeout time.Duration
	// Logger, when set, receives one warning per failed attempt.
	Logger *slog.Logger
}

// DefaultRetrier is the policy Deliver uses: 5 attempts, backoff from
// 500ms to 8s, 10s per attempt.
func DefaultRetrier() Retrier {
	return Retrier{MaxAttempts: 5, Backoff: 500 * time.Millisecond, MaxBackoff: 8 * time.Second, AttemptTimeout: 10 * time.Second}
}

// Deliver sends events through n with DefaultRetrier; see Retrier.Deliver.
func Deliver(ctx context.Context, n Notifier, events []event.Event) []Outcome {
	return DefaultRetrier().Deliver(ctx, n, events)
}

// Deliver groups events with n.Group and sends each message in turn,
// retrying transport errors, 5xx and 429 answers (waiting at least as long
// as the sink's Retry-After) until the message is accepted, MaxAttempts is
// reached, or the next attempt could not start before ctx's deadline. Other
// failures are permanent. It returns one Outcome per message, in order.
func (r Retrier) Deliver(ctx context.Context, n Notifier, events []event.Event) []Outcome {
	return slices.Collect(r.Each(ctx, n, events))
}

// Each is Deliver yielding each message's Outcome as soon as it is known,
// so that a caller can record what a sink accepted while the rest is still
// being sent. Stopping the iteration sends nothing more.
func (r Retrier) Each(ctx context.Context, n Notifier, events []event.Event) iter.Seq[Outcome] {
	return func(yield func(Outcome) bool) {
		if len(events) == 0 {
			return
		}
		for _, g := range n.Group(events) {
			attempts, err := r.do(ctx, n.Name(), sendOnce(n, g), slog.Int("events", len(g)))
			if !yield(Outcome{Events: g, Attempts: attempts, Err: err}) {
				return
			}
		}
	}
}

// Do runs send, one attempt of some operation on the named sink, with
// Deliver's policy: it retries transport errors, 5xx and 429 answers
// (waiting at least as long as the sink's Retry-After) until send
// succeeds, MaxAttempts is reached, or the next attempt could not start
// before ctx's deadline. Each attempt gets its own AttemptTimeout. send
// should fail with an *Error; any other error counts as retryable. Do
// returns how many attempts were made and, if none succeeded, the last
// *Error. It is how a cycle posts and updates an Updater's messages.
func (r Retrier) Do(ctx context.Context, sink string, send func(ctx context.Context) error) (attempts int, err error) {
	return r.do(ctx, sink, send)
}

// do is Do, with extra attributes for the log of each failed attempt.
func (r Retrier) do(ctx context.Context, sink string, send func(ctx context.Context) error, logAttrs ...slog.Attr) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, &Error{Sink: sink, Retryable: true, Err: err}
	}
	policy := backoff.Policy{MaxAttempts: max(r.MaxAttempts, 1), Base: r.Backoff, Max: r.MaxBackoff, Logger: r.Logger}
	describe := func() []slog.Attr { return append([]slog.Attr{slog.String("sink", sink)}, logAttrs...) }
	var last *Error
	attempts, _ := policy.Do(ctx, "notification not accepted", describe, func(int) (backoff.Verdict, error) {
		if last = r.attempt(ctx, sink, send); last == nil {
			return backoff.Verdict{}, nil
		}
		return backoff.Verdict{Retry: last.Retryable, ServerWait: last.RetryAfter}, last
	})
	if last == nil {
		return attempts, nil
	}
	return attempts, last
}

// attempt runs send once under the per-attempt timeout and normalises its
// error to *Error.
func (r Retrier) attempt(ctx context.Context, sink string, send func(ctx context.Context) error) *Error {
	actx := ctx
	if r.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, r.AttemptTimeout)
		defer cancel()
	}
	err := send(actx)
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	// A sink that broke the contract: keep the text, count it as transient.
	return &Error{Sink: sink, Retryable: true, Err: err}
}

// sendOnce sends message g through n. When n can tell what it already has
// (a Deduper), an attempt after a failed one first asks: a failure may
// have come after the sink took the message (a lost answer, a timeout), and
// sending again would show it twice. When the sink cannot tell, it sends.
func sendOnce(n Notifier, g []event.Event) func(ctx context.Context) error {
	dd, ok := n.(Deduper)
	tried := false
	return func(ctx context.Context) error {
		if ok && tried {
			if found, err := dd.Delivered(ctx, g); err == nil && hasAll(found, g) {
				return nil
			}
		}
		tried = true
		return n.Notify(ctx, g)
	}
}

func hasAll(found map[string]bool, events []event.Event) bool {
	for _, ev := range events {
		if !found[ev.ID] {
			return false
		}
	}
	return true
}
