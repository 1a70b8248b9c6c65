package handler

import (
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// A pending export nobody names any more is given up once it is older
// than the retention; one still named, or younger, is kept watching.
func TestDecideGivesUpOnlyUnnamedExportsPastTheRetention(t *testing.T) {
	cfg := testConfig("")
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	old, recent := now.Add(-cfg.Retention-time.Hour), now.Add(-time.Hour)
	named := event.Ref{Kind: event.Vul, ID: 1}
	unnamedOld := event.Ref{Kind: event.Vul, ID: 2}
	unnamedRecent := event.Ref{Kind: event.Vul, ID: 3}
	s := state.NewSnapshot()
	s.Watch(named, old)
	s.Watch(unnamedOld, old)
	s.Watch(unnamedRecent, recent)
	polls := []poll{{ref: named, status: event.Status{Ref: named, State: event.Exporting, Progress: 5}, at: now}}
	none := func(event.Event) []string { return nil }

	if !decideEvents(cfg, s, polls, none, func(event.Event) {}, now) {
		t.Error("decideEvents reported no change")
	}
	if !finishAbandoned(cfg, s, []event.Ref{named}, now) {
		t.Error("finishAbandoned gave up nothing")
	}
	for ref, wantFinished := range map[event.Ref]bool{named: false, unnamedOld: true, unnamedRecent: false} {
		if got := !s.Export(ref).Finished.IsZero(); got != wantFinished {
			t.Errorf("%s finished: %v, want %v", ref, got, wantFinished)
		}
	}
}
