package cli

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/live"
)

// followFor is how long poll's cycles follow running exports: --follow-for
// when given, else FOLLOW_FOR when set, else 0 (one pass), the command
// line's default; Function Compute's is to the deadline.
func followFor(flagValue string, getenv func(string) string) (time.Duration, error) {
	v := flagValue
	if v == "" {
		v = getenv("FOLLOW_FOR")
	}
	if v == "" {
		return 0, nil
	}
	d, err := handler.ParseFollowFor(v)
	if err != nil {
		name := "--follow-for"
		if flagValue == "" {
			name = "FOLLOW_FOR"
		}
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// followTimeout is a cycle's deadline when it follows for d after its
// first pass: POLL_TIMEOUT for the first pass, and d on top.
func followTimeout(pollTimeout, d time.Duration) time.Duration {
	if d > 0 {
		return pollTimeout + d
	}
	return pollTimeout
}

// progressShower returns what shows following's progress: live lines on
// board, their times left counting down until ctx ends, or, without a
// board (stderr is not a terminal), a log line per update.
func progressShower(ctx context.Context, board *live.Board, log *slog.Logger) func(handler.FollowUpdate) {
	if board == nil {
		return func(u handler.FollowUpdate) {
			if u.Done && (u.Status.State == event.Init || u.Status.State == event.Exporting) {
				return // the window ended; its last check was logged already
			}
			st := u.Status
			attrs := []any{"export", st.Ref.String(), "status", string(st.State), "progress", st.Progress,
				"currentCount", st.CurrentCount, "totalCount", st.TotalCount}
			if !u.ETA.IsZero() {
				attrs = append(attrs, "eta", u.ETA.UTC().Format(time.RFC3339))
			}
			log.Info("following export", attrs...)
		}
	}
	lines := &liveLines{board: board, shown: map[string]handler.FollowUpdate{}}
	go lines.tick(ctx)
	return lines.show
}

// liveLines keeps the last update of each export on the board, so that
// their times left count down between updates (see tick).
type liveLines struct {
	board *live.Board
	mu    sync.Mutex
	shown map[string]handler.FollowUpdate
}

func (l *liveLines) show(u handler.FollowUpdate) {
	key := u.Status.Ref.String()
	l.mu.Lock()
	if u.Done {
		delete(l.shown, key)
	} else {
		l.shown[key] = u
	}
	l.mu.Unlock()
	l.board.Set(key, live.Line(u.Status, u.ETA, time.Now()), u.Done)
}

// tick redraws the lines every second until ctx ends.
func (l *liveLines) tick(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			l.mu.Lock()
			for key, u := range l.shown {
				l.board.Set(key, live.Line(u.Status, u.ETA, now), false)
			}
			l.mu.Unlock()
		}
	}
}
