package live

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

func TestLine(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ref := event.Ref{Kind: event.Vul, ID: 52}
	for _, tc := range []struct {
		st   event.Status
		eta  time.Time
		want string
	}{
		{event.Status{Ref: ref, State: event.Init}, time.Time{}, "vul:52                   [--------------------]   0%  ETA unknown"},
		{event.Status{Ref: ref, State: event.Exporting, Progress: 50, CurrentCount: 250, TotalCount: 1000}, now.Add(42 * time.Second),
			"vul:52                   [#####---------------]  25%  250/1000 rows  ETA 42s"},
		{event.Status{Ref: ref, State: event.Exporting, Progress: 90}, now.Add(-time.Second), "vul:52                   [##################--]  90%  due now"},
		{event.Status{Ref: ref, State: event.Success, Progress: 100, CurrentCount: 1000, TotalCount: 1000}, time.Time{},
			"vul:52                   [####################] 100%  1000/1000 rows  done"},
	} {
		if got := Line(tc.st, tc.eta, now); got != tc.want {
			t.Errorf("Line(%+v) =\n%q, want\n%q", tc.st, got, tc.want)
		}
	}
}

func TestBoardKeepsLogsAboveTheLiveLines(t *testing.T) {
	var out bytes.Buffer
	b := New(&out)
	b.Set("a", "a 10%", false)
	b.Set("b", "b 20%", false)
	fmt.Fprintln(b, "a log line")
	b.Set("a", "a done", true)
	// Replay the escapes: each ESC[nA ESC[J erases the last n lines.
	var screen []string
	for _, part := range strings.SplitAfter(out.String(), "\n") {
		for strings.HasPrefix(part, "\x1b[") {
			var n int
			fmt.Sscanf(part, "\x1b[%dA", &n)
			screen = screen[:len(screen)-n]
			part = part[strings.Index(part, "J")+1:]
		}
		if part != "" {
			screen = append(screen, strings.TrimSuffix(part, "\n"))
		}
	}
	if got, want := strings.Join(screen, "|"), "a log line|a done|b 20%"; got != want {
		t.Errorf("screen shows %q, want %q", got, want)
	}
}
