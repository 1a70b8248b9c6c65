package state

import (
	"errors"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

func TestStartRecordsAreKeptOnceAndSurviveEncoding(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	spec := event.StartSpec{Kind: event.Asset, ExportType: "assetInstance", Lang: "en"}
	failing := event.StartSpec{Kind: event.Vul, Type: "cve"}
	s := NewSnapshot()
	if !s.Intend("weekly@t|0|a", spec, "cycle-1", now) || !s.Intend("weekly@t|1|b", failing, "cycle-1", now) {
		t.Fatal("a first intent was refused")
	}
	if s.Intend("weekly@t|0|a", spec, "cycle-2", now) {
		t.Fatal("a retried invocation may start the same export again")
	}
	if ex := s.SettleStart("weekly@t|0|a", "cycle-2", event.Ref{Kind: event.Asset, ID: 9}, "r", nil, false, now); ex != nil {
		t.Fatal("a cycle settled a start it did not make")
	}
	started := event.Ref{Kind: event.Asset, ID: 500001}
	ex := s.SettleStart("weekly@t|0|a", "cycle-1", started, "req-1", nil, false, now)
	if ex == nil || ex.Ref != started || !ex.Finished.IsZero() {
		t.Fatalf("the started export does not join the watched set: %+v", ex)
	}
	if s.SettleStart("weekly@t|1|b", "cycle-1", event.Ref{}, "req-2", errors.New("ServerError"), true, now) != nil {
		t.Fatal("a failed start returned an export")
	}

	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	ok, bad := back.Starts["weekly@t|0|a"], back.Starts["weekly@t|1|b"]
	if ok == nil || ok.Ref != started || ok.Spec != spec || ok.RequestID != "req-1" || ok.Settled.IsZero() {
		t.Fatalf("start record after a round trip: %+v", ok)
	}
	if bad == nil || bad.Error != "ServerError" || !bad.MayHaveStarted || bad.Spec != failing {
		t.Fatalf("failed start record after a round trip: %+v", bad)
	}
	if back.Export(started) == nil {
		t.Fatal("the started export was lost in the round trip")
	}

	back.Prune(now.Add(DefaultRetention+time.Hour), DefaultRetention)
	if len(back.Starts) != 0 {
		t.Fatalf("start records outlive the retention: %v", back.Starts)
	}
}

func TestSchemaOneSnapshotsStillRead(t *testing.T) {
	old := `{"schema":1,"version":3,"updated":"2026-11-25T00:00:00Z","exports":[{"kind":"asset","id":7,"status":{"state":"exporting","progress":50},"firstSeen":"2026-11-25T00:00:00Z","lastChange":"2026-11-25T00:00:00Z"}]}`
	s, err := Decode([]byte(old))
	if err != nil {
		t.Fatalf("a snapshot an earlier release wrote cannot be read: %v", err)
	}
	if s.Version != 3 || s.Export(event.Ref{Kind: event.Asset, ID: 7}) == nil {
		t.Fatalf("snapshot = %+v", s)
	}
}

func TestUpdateFromReloadsWhenItsBaseIsStale(t *testing.T) {
	ctx := t.Context()
	st := NewMemory()
	base, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	// Another cycle commits after base was loaded.
	if _, err := Update(ctx, st, func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Asset, ID: 1}, now); return nil }); err != nil {
		t.Fatal(err)
	}
	tries := 0
	got, err := UpdateFrom(ctx, st, base, func(s *Snapshot) error {
		tries++
		s.Watch(event.Ref{Kind: event.Asset, ID: 2}, now)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tries != 2 || got.Export(event.Ref{Kind: event.Asset, ID: 1}) == nil || got.Export(event.Ref{Kind: event.Asset, ID: 2}) == nil {
		t.Fatalf("after %d tries the state holds %v; want the other cycle's export kept and ours added", tries, got.Exports)
	}
	// The committed snapshot is a good base for the next commit.
	if _, err := UpdateFrom(ctx, st, got, func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Asset, ID: 3}, now); return nil }); err != nil {
		t.Fatal(err)
	}
	final, err := st.Load(ctx)
	if err != nil || len(final.Exports) != 3 {
		t.Fatalf("final state: %v, %v", final.Exports, err)
	}
}
