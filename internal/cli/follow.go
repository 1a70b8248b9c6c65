package cli

import (
	"fmt"
	"log/slog"
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
// board, or, without one (stderr is not a terminal), a log line per
// update.
func progressShower(board *live.Board, log *slog.Logger) func(handler.FollowUpdate) {
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
	return func(u handler.FollowUpdate) {
		board.Set(u.Status.Ref.String(), live.Line(u.Status, u.ETA, time.Now()), u.Done)
	}
}
