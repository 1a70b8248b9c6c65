package state

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// TestCommitWritesOnlyWhatChanged changes a state of several exports in
// each way a cycle can, commits it, and checks that the record holds
// exactly the exports and starts that changed, and that a store reading
// the records from scratch sees the same state as the committer.
func TestCommitWritesOnlyWhatChanged(t *testing.T) {
	a, b, c := event.Ref{Kind: event.Asset, ID: 1}, event.Ref{Kind: event.Vul, ID: 2}, event.Ref{Kind: event.HC, ID: 3}
	later := t0.Add(time.Hour)
	sinks := []string{"slack"}
	due := func(s *Snapshot, ref event.Ref) Due {
		for _, d := range s.Due(sinks, later) {
			if d.ExportKey == ref.String() {
				return d
			}
		}
		t.Fatalf("nothing due for %s", ref)
		return Due{}
	}
	tests := []struct {
		name    string
		change  func(*Snapshot)
		exports []string // keys written
		removed []string
		starts  []string
		gone    []string // start keys removed
	}{
		{"nothing", func(*Snapshot) {}, nil, nil, nil, nil},
		{"watch a new export", func(s *Snapshot) { s.Watch(event.Ref{Kind: event.Warning, ID: 9}, later) }, []string{"warning:9"}, nil, nil, nil},
		{"watch a known export", func(s *Snapshot) { s.Watch(a, later) }, nil, nil, nil, nil},
		{"observe", func(s *Snapshot) { s.Export(a).Observe(event.Status{State: event.Exporting, Progress: 50}, later) }, []string{"asset:1"}, nil, nil, nil},
		{"finish", func(s *Snapshot) { s.Export(b).Finish(later) }, []string{"vul:2"}, nil, nil, nil},
		{"mark checked", func(s *Snapshot) { s.Export(c).MarkChecked(later) }, []string{"hc:3"}, nil, nil, nil},
		{"set the last error", func(s *Snapshot) { s.Export(c).SetLastError("Throttling") }, []string{"hc:3"}, nil, nil, nil},
		{"set the same last error", func(s *Snapshot) { s.Export(c).SetLastError("") }, nil, nil, nil, nil},
		{"touch after a direct write", func(s *Snapshot) { e := s.Export(a); e.LastChange = later; e.Touch() }, []string{"asset:1"}, nil, nil, nil},
		{"add an event", func(s *Snapshot) { s.AddEvent(b, completed(b, later), sinks) }, []string{"vul:2"}, nil, nil, nil},
		{"claim", func(s *Snapshot) { s.Claim("cycle", due(s, a), later, time.Minute) }, []string{"asset:1"}, nil, nil, nil},
		{"settle", func(s *Snapshot) { s.Settle("cycle", due(s, a), errors.New("503"), later) }, []string{"asset:1"}, nil, nil, nil},
		{"claim a message", func(s *Snapshot) { s.ClaimMessage("vul:2", "slack:C1", "cycle", later, time.Minute) }, []string{"vul:2"}, nil, nil, nil},
		{"settle a message", func(s *Snapshot) { s.SettleMessage("vul:2", "slack:C1", "cycle", "C1/1", "done") }, []string{"vul:2"}, nil, nil, nil},
		{"forget a message", func(s *Snapshot) { s.ForgetMessage("hc:3", "slack:C1") }, []string{"hc:3"}, nil, nil, nil},
		{"prune", func(s *Snapshot) { s.Prune(t0.Add(DefaultRetention+2*time.Hour), 0) }, nil, []string{"hc:3"}, nil, []string{"old"}},
		{"intend a start", func(s *Snapshot) { s.Intend("new", event.StartSpec{Kind: event.Vul, Type: "cve"}, "cycle", later) }, nil, nil, []string{"new"}, nil},
		{"settle a start", func(s *Snapshot) {
			s.SettleStart("old", "cycle", event.Ref{Kind: event.Asset, ID: 77}, "req", nil, false, later)
		}, []string{"asset:77"}, nil, []string{"old"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b0 := newMemoryBackend()
			st := newLogStore(b0, Options{Keep: DefaultKeep, CheckpointEvery: 1000})
			seeded, err := Update(ctx, st, func(s *Snapshot) error {
				s.AddEvent(a, completed(a, t0), sinks)
				s.Watch(b, t0)
				s.Watch(c, t0).Finish(t0)
				s.Export(c).Messages = map[string]*Message{"slack:C1": {Handle: "C1/0"}}
				s.Intend("old", event.StartSpec{Kind: event.Asset, ExportType: "assetInstance"}, "cycle", t0)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			tt.change(seeded)
			if err := st.Commit(ctx, seeded); err != nil {
				t.Fatal(err)
			}
			data, err := b0.read(ctx, recordName(seeded.Version))
			if err != nil {
				t.Fatal(err)
			}
			r, err := decodeRecord(data)
			if err != nil {
				t.Fatal(err)
			}
			var exports []string
			for _, e := range r.exports {
				exports = append(exports, e.Ref.String())
			}
			if !slices.Equal(exports, tt.exports) || !slices.Equal(r.removed, tt.removed) ||
				!slices.Equal(sortedKeys(r.starts), tt.starts) || !slices.Equal(r.removedStarts, tt.gone) {
				t.Fatalf("record holds exports %v, removed %v, starts %v, removed starts %v; want %v, %v, %v, %v\n%s",
					exports, r.removed, sortedKeys(r.starts), r.removedStarts, tt.exports, tt.removed, tt.starts, tt.gone, data)
			}
			sameState(t, seeded, newLogStore(b0, Options{Keep: DefaultKeep}))
		})
	}
}

// sameState checks that a store reading from scratch finds want.
func sameState(t *testing.T, want *Snapshot, st Store) {
	t.Helper()
	got, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantData, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	gotData, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(gotData) != string(wantData) {
		t.Fatalf("a fresh reader sees\n%s\nthe committer holds\n%s", gotData, wantData)
	}
}

// TestLoadedSnapshotsShareNothing checks that what one cycle changes in
// its snapshot, committed or not, is not seen by another cycle's
// snapshot from the same store.
func TestLoadedSnapshotsShareNothing(t *testing.T) {
	ctx := context.Background()
	st := NewMemory()
	ref := event.Ref{Kind: event.Asset, ID: 1}
	if _, err := Update(ctx, st, func(s *Snapshot) error {
		s.AddEvent(ref, completed(ref, t0), []string{"slack"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	one, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	two, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	one.Claim("one", one.Due([]string{"slack"}, t0)[0], t0, time.Minute)
	one.Export(ref).Observe(event.Status{State: event.Exporting}, t0)
	if d := two.Export(ref).Event("completed").Delivery("slack"); d.ClaimedBy != "" || two.Export(ref).Status.State != "" {
		t.Fatalf("a second load sees the first one's changes: %+v", d)
	}
	if err := st.Commit(ctx, one); err != nil {
		t.Fatal(err)
	}
	one.Settle("one", Due{ExportKey: ref.String(), EventKey: "completed", Sink: "slack"}, nil, t0)
	three, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := three.Export(ref).Event("completed").Delivery("slack"); d.ClaimedBy != "one" || d.Delivered() {
		t.Fatalf("after the commit a load sees %+v, want the claim and not the uncommitted delivery", d)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	ref := event.Ref{Kind: event.Asset, ID: 3}
	s := NewSnapshot()
	s.AddEvent(ref, completed(ref, t0), []string{"slack"})
	s.Claim("c", s.Due([]string{"slack"}, t0)[0], t0, time.Minute)
	s.Intend("k", event.StartSpec{Kind: event.Vul, Type: "cve"}, "c", t0)
	r, err := changes(NewSnapshot(), s, 1, "id", t0)
	if err != nil {
		f.Fatal(err)
	}
	r.removed, r.removedStarts = []string{"vul:9"}, []string{"gone"}
	data, err := encodeRecord(r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"schema":3,"version":2,"commit":"a","parent":"b"}`))
	f.Add([]byte(`{"schema":3,"version":2,"commit":"a","exports":[{"kind":"vul","id":1}],"removed":["vul:1"]}`))
	f.Add([]byte(`{"schema":3,"version":2,"commit":"a","starts":[{"key":"k","spec":{"kind":"vul"}}],"removedStarts":["k"]}`))
	f.Add([]byte(`{"schema":3,"version":0,"commit":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRecord(data)
		if err != nil {
			if r != nil {
				t.Fatal("decodeRecord returned a record with its error")
			}
			return
		}
		// A record decodeRecord accepts applies to a state that can be
		// committed, and encodes stably.
		s := NewSnapshot()
		r.apply(s)
		if _, err := Encode(s); err != nil {
			t.Fatalf("the state the record leaves does not encode: %v", err)
		}
		enc, err := encodeRecord(r)
		if err != nil {
			t.Fatalf("accepted record does not encode: %v", err)
		}
		r2, err := decodeRecord(enc)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v\n%s", err, enc)
		}
		enc2, err := encodeRecord(r2)
		if err != nil || string(enc2) != string(enc) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	})
}

// TestSharedExportsAreCopiedBeforeChanging checks the copy on write of a
// loaded snapshot: an export reached through the map directly is the
// store's, and changing it is refused loudly; one reached through Watch is
// the snapshot's own until the commit, which hands it to the store rather
// than keeping a second copy: after it, Watch copies it again.
func TestSharedExportsAreCopiedBeforeChanging(t *testing.T) {
	ctx := context.Background()
	st := NewMemory()
	ref := event.Ref{Kind: event.Asset, ID: 1}
	if _, err := Update(ctx, st, watchID(1)); err != nil {
		t.Fatal(err)
	}
	s, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("changing an export shared with the store did not panic")
			}
		}()
		s.Exports[ref.String()].Finish(t0)
	}()
	own := s.Watch(ref, t0)
	own.MarkChecked(t0)
	if err := st.Commit(ctx, s); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("changing an export the commit handed to the store did not panic")
			}
		}()
		own.SetLastError("Throttling")
	}()
	if !s.Watch(ref, t0).SetLastError("Throttling") {
		t.Fatal("the export Watch copied after the commit did not take the change")
	}
	if own.LastError != "" {
		t.Fatalf("the store's copy changed too: %q", own.LastError)
	}
	if err := st.Commit(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := newLogStore(st.(*logStore).b, Options{Keep: DefaultKeep}).Load(ctx)
	if err != nil || got.Export(ref).LastError != "Throttling" || !got.Export(ref).LastChecked.Equal(t0) || !got.Export(ref).Finished.IsZero() {
		t.Fatalf("a fresh reader sees %+v, %v", got.Export(ref), err)
	}
}
