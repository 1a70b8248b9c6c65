// Package backoff is the retry policy every loop that calls a remote
// service shares: exponential backoff with full jitter, a floor set by the
// server's own wait (Retry-After), a bound on attempts, and no sleep that
// would end past the context's deadline.
package backoff

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Policy says how often and how patiently to try. The zero value tries
// once.
type Policy struct {
	// MaxAttempts bounds the attempts, the first included; below 1 means 1.
	MaxAttempts int
	// Base bounds the wait after the first failure; each further failure
	// doubles the bound, up to Max. The wait is a random part of the bound
	// (full jitter), so that many callers do not come back at once.
	Base, Max time.Duration
	// MaxServerWait cuts a wait the server asked for; zero keeps it whole.
	MaxServerWait time.Duration
	// Logger receives one warning per failed attempt; nil logs nothing.
	Logger *slog.Logger
}

// Verdict is what the caller makes of one failed attempt.
type Verdict struct {
	// Retry says another attempt may succeed.
	Retry bool
	// ServerWait is how long the server asked to be left alone; the next
	// attempt waits at least that long.
	ServerWait time.Duration
}

// Delay is the wait after failed attempt number attempt (from 1): a random
// duration in (0, min(Base·2^(attempt-1), Max)], but no less than
// serverWait (cut to MaxServerWait when that is set).
func (p Policy) Delay(attempt int, serverWait time.Duration) time.Duration {
	ceiling := max(p.Max, p.Base)
	if shift := attempt - 1; shift >= 0 && shift < 62 {
		if d := p.Base << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	var wait time.Duration
	if ceiling > 0 {
		wait = rand.N(ceiling) + 1
	}
	if p.MaxServerWait > 0 {
		serverWait = min(serverWait, p.MaxServerWait)
	}
	return max(wait, serverWait)
}

// Do calls op, the attempt number from 1, until it returns nil, a verdict
// that says retrying cannot help, MaxAttempts is reached, ctx ends, or the
// next wait would end at or after ctx's deadline. Each failed attempt is
// logged once at warn level with msg, what attrs returns (such as the API
// or sink; called only when a line is logged, and may be nil), the attempt
// number, the wait before the next one (0 when none follows) and the
// error. Do returns how many attempts were made and op's last error.
func (p Policy) Do(ctx context.Context, msg string, attrs func() []slog.Attr, op func(attempt int) (Verdict, error)) (int, error) {
	for attempt := 1; ; attempt++ {
		verdict, err := op(attempt)
		if err == nil {
			return attempt, nil
		}
		retry := verdict.Retry && attempt < p.MaxAttempts
		var wait time.Duration
		if retry {
			wait = p.Delay(attempt, verdict.ServerWait)
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
				retry, wait = false, 0 // no time left to wait and try again
			}
		}
		p.log(ctx, msg, attrs, attempt, wait, err)
		if !retry || !Sleep(ctx, wait) {
			return attempt, err
		}
	}
}

func (p Policy) log(ctx context.Context, msg string, attrs func() []slog.Attr, attempt int, wait time.Duration, err error) {
	if p.Logger == nil {
		return
	}
	var all []slog.Attr
	if attrs != nil {
		all = attrs()
	}
	all = append(all, slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", err.Error()))
	p.Logger.LogAttrs(ctx, slog.LevelWarn, msg, all...)
}

// Sleep waits d and reports true, or reports false as soon as ctx ends.
func Sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
