package state

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

func TestALostCommitRaceIsLoggedOnce(t *testing.T) {
	ctx := t.Context()
	var buf bytes.Buffer
	st, err := Open(ctx, "file://"+t.TempDir(), Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	base, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	// Another cycle commits after base was loaded.
	if _, err := Update(ctx, st, func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Asset, ID: 1}, now); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := UpdateFrom(ctx, st, base, func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Asset, ID: 2}, now); return nil }); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("logged %d lines, want one for the lost race:\n%s", len(lines), buf.String())
	}
	for _, want := range []string{"level=WARN", "state commit failed", "attempt=1", "wait=", "error="} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line %q, want %q in it", lines[0], want)
		}
	}
}
