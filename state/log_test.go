package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// countingBackend counts what a store asks of its backend, and lets a test
// act just before a read.
type countingBackend struct {
	backend
	mu     sync.Mutex
	reads  []string
	lists  int
	writes int
	onRead func(name string)
}

func (c *countingBackend) list(ctx context.Context, after string) ([]string, error) {
	c.mu.Lock()
	c.lists++
	c.mu.Unlock()
	return c.backend.list(ctx, after)
}

func (c *countingBackend) read(ctx context.Context, name string) ([]byte, error) {
	c.mu.Lock()
	c.reads = append(c.reads, name)
	hook := c.onRead
	c.mu.Unlock()
	if hook != nil {
		hook(name)
	}
	return c.backend.read(ctx, name)
}

func (c *countingBackend) create(ctx context.Context, name string, data []byte) error {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.backend.create(ctx, name, data)
}

func (c *countingBackend) reset() (reads []string, lists, writes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reads, lists, writes = c.reads, c.lists, c.writes
	c.reads, c.lists, c.writes = nil, 0, 0
	return reads, lists, writes
}

func watchID(id int64) func(*Snapshot) error {
	return func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Asset, ID: id}, t0); return nil }
}

func TestWarmLoadReadsOnlyNewRecords(t *testing.T) {
	for _, kind := range []string{"file", "memory"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			var b backend = newMemoryBackend()
			if kind == "file" {
				b = &fileBackend{dir: t.TempDir()}
			}
			opts := Options{Keep: DefaultKeep}
			writer := newLogStore(b, opts)
			counted := &countingBackend{backend: b}
			reader := newLogStore(counted, opts)
			for id := range int64(3) {
				if _, err := Update(ctx, writer, watchID(id+1)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := reader.Load(ctx); err != nil {
				t.Fatal(err)
			}
			counted.reset()

			s, err := reader.Load(ctx)
			reads, lists, writes := counted.reset()
			if err != nil || s.Version != 3 || len(reads) != 0 || lists != 1 || writes != 0 {
				t.Fatalf("a warm load with nothing new: version %d, read %v, listed %d times, wrote %d (%v); want one listing and nothing else",
					s.Version, reads, lists, writes, err)
			}
			for id := int64(10); id < 12; id++ {
				if _, err := Update(ctx, writer, watchID(id)); err != nil {
					t.Fatal(err)
				}
			}
			s, err = reader.Load(ctx)
			reads, _, writes = counted.reset()
			if err != nil || s.Version != 5 || len(s.Exports) != 5 || !slices.Equal(reads, []string{recordName(4), recordName(5)}) || writes != 0 {
				t.Fatalf("a warm load after two commits: version %d with %d exports, read %v (%v); want the two new records only",
					s.Version, len(s.Exports), reads, err)
			}
		})
	}
}

func TestOSSWarmLoadListsAfterItsVersion(t *testing.T) {
	ctx := context.Background()
	f, srv := newFakeOSS(t, "b-warm")
	writer := openOSS(t, srv, "oss://b-warm/p")
	reader := openOSS(t, srv, "oss://b-warm/p")
	if _, err := Update(ctx, writer, watchID(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(ctx, writer, watchID(2)); err != nil {
		t.Fatal(err)
	}
	gets := f.count("GetObject")
	f.mu.Lock()
	seen := len(f.queries)
	f.mu.Unlock()
	s, err := reader.Load(ctx)
	if err != nil || len(s.Exports) != 2 || f.count("GetObject") != gets+1 {
		t.Fatalf("warm load: %d exports after %d gets (%v); want the one new record read", len(s.Exports), f.count("GetObject")-gets, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var first string
	for _, q := range f.queries[seen:] {
		if strings.Contains(q, "list-type=2") && first == "" {
			first = q
		}
	}
	if !strings.Contains(first, "start-after=p%2F"+recordName(1)) {
		t.Fatalf("the warm listing asked %q, want it to start after the record of the version it holds", first)
	}
}

// TestReaderRacesACheckpoint lets other commits write checkpoints and
// prune just as a reader is about to read what it listed: the reader lists
// again and finds the newest state, whole.
func TestReaderRacesACheckpoint(t *testing.T) {
	tests := []struct {
		name string
		warm bool // the reader holds version 2 and reads records
	}{
		{"cold reader reading a checkpoint", false},
		{"warm reader reading records", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := &fileBackend{dir: t.TempDir()}
			// Every commit of the others writes a checkpoint and keeps only
			// it: whatever the reader listed is gone.
			others := newLogStore(b, Options{Keep: 1, CheckpointEvery: 1})
			counted := &countingBackend{backend: b}
			reader := newLogStore(counted, Options{Keep: 1, CheckpointEvery: 1000})
			for id := range int64(2) {
				if _, err := Update(ctx, others, watchID(id+1)); err != nil {
					t.Fatal(err)
				}
			}
			if tt.warm {
				if _, err := reader.Load(ctx); err != nil {
					t.Fatal(err)
				}
				for id := int64(3); id < 5; id++ {
					if _, err := Update(ctx, others, watchID(id)); err != nil {
						t.Fatal(err)
					}
				}
			}
			next := int64(100)
			counted.onRead = func(string) {
				if next >= 103 {
					return
				}
				for range 3 {
					if _, err := Update(ctx, others, watchID(next)); err != nil {
						t.Error(err)
					}
					next++
				}
			}
			s, err := reader.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want, err := newLogStore(b, Options{Keep: 1}).Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != want.Version || !slices.Equal(sortedKeys(s.Exports), sortedKeys(want.Exports)) {
				t.Fatalf("the reader found version %d holding %v; the newest is %d holding %v", s.Version, sortedKeys(s.Exports), want.Version, sortedKeys(want.Exports))
			}
			if reads, _, _ := counted.reset(); len(reads) < 2 {
				t.Fatalf("read %v: the race did not happen", reads)
			}
		})
	}
}

func TestDamagedRecordIsReportedAndKept(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (dir string, record []byte) {
		dir = t.TempDir()
		st := newLogStore(&fileBackend{dir: dir}, Options{Keep: DefaultKeep, CheckpointEvery: 1000})
		// A first checkpoint large beside one record, so that none follows.
		if _, err := Update(ctx, st, func(s *Snapshot) error {
			for id := range int64(20) {
				s.Watch(event.Ref{Kind: event.Vul, ID: id + 1}, t0)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for id := int64(100); id < 102; id++ {
			if _, err := Update(ctx, st, watchID(id)); err != nil {
				t.Fatal(err)
			}
		}
		record, err := os.ReadFile(filepath.Join(dir, recordName(3)))
		if err != nil {
			t.Fatal(err)
		}
		return dir, record
	}
	tests := []struct {
		name   string
		damage func([]byte) []byte
		reason string
	}{
		{"truncated", func(d []byte) []byte { return d[:len(d)/2] }, "truncated"},
		{"empty", func([]byte) []byte { return nil }, "empty"},
		{"not JSON", func([]byte) []byte { return []byte("\x00garbage") }, "not JSON"},
		{"wrong version inside", func(d []byte) []byte { return bytes.Replace(d, []byte(`"version":3`), []byte(`"version":4`), 1) }, "holds version 4"},
		{"built on another commit", func(d []byte) []byte {
			return bytes.Replace(d, []byte(`"parent":"`), []byte(`"parent":"x`), 1)
		}, "not on version 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, record := setup(t)
			damaged := filepath.Join(dir, recordName(3))
			data := tt.damage(record)
			if err := os.WriteFile(damaged, data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := listDir(t, dir)
			st := openFile(t, dir)
			_, err := st.Load(ctx)
			var de *DamagedError
			if !errors.As(err, &de) || de.Location != damaged || !strings.Contains(err.Error(), tt.reason) ||
				!strings.Contains(err.Error(), "state record") || !strings.Contains(err.Error(), "with every later record") {
				t.Fatalf("Load: %v; want a *DamagedError naming %s, saying %q and how to recover", err, damaged, tt.reason)
			}
			if _, err := Update(ctx, st, func(*Snapshot) error { t.Fatal("Update ran fn over a damaged record"); return nil }); !errors.As(err, &de) {
				t.Fatalf("Update: %v, want the *DamagedError", err)
			}
			if after := listDir(t, dir); !slices.Equal(before, after) {
				t.Fatalf("the directory changed:\n%v\n%v", before, after)
			}
			if err := os.Rename(damaged, damaged+".damaged"); err != nil {
				t.Fatal(err)
			}
			got, err := st.Load(ctx)
			if err != nil || got.Version != 2 || got.Export(event.Ref{Kind: event.Asset, ID: 100}) == nil || got.Export(event.Ref{Kind: event.Asset, ID: 101}) != nil {
				t.Fatalf("after moving it aside: version %d holding %v, %v", got.Version, sortedKeys(got.Exports), err)
			}
		})
	}
}

// TestOldSnapshotsAreCarriedOver opens a directory of snapshots as an
// earlier release left them: they are read as they are, the first commit
// builds on the newest, and nothing of it is lost.
func TestOldSnapshotsAreCarriedOver(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := bigSnapshot(50)
	old.Intend("weekly@t|0|a", event.StartSpec{Kind: event.Asset, ExportType: "assetInstance"}, "cycle", t0)
	var newest []byte
	for v := int64(3); v <= 5; v++ {
		old.Version, old.id, old.parent = v, fmt.Sprintf("commit-%d", v), fmt.Sprintf("commit-%d", v-1)
		data, err := Encode(old)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("snapshot-%020d.json", v)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		newest = data
	}
	st := openFile(t, dir)
	s, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := Encode(s); err != nil || !bytes.Equal(again, newest) {
		t.Fatalf("the newest snapshot does not come back as it was (%v):\n%s\n%s", err, again, newest)
	}
	ref := s.Pending()[0].Ref
	d := s.Due([]string{"slack"}, t0)
	if len(d) != 0 {
		t.Fatalf("settled deliveries are due again: %v", d)
	}
	s.Export(ref).Observe(event.Status{State: event.Exporting, Progress: 99}, t0.Add(2*time.Hour))
	if err := st.Commit(ctx, s); err != nil || s.Version != 6 {
		t.Fatalf("first commit: version %d, %v", s.Version, err)
	}
	if _, err := os.Stat(filepath.Join(dir, recordName(6))); err != nil {
		t.Fatalf("the first commit wrote no record: %v", err)
	}
	sameState(t, s, openFile(t, dir))
	if got, _ := openFile(t, dir).Load(ctx); got.Starts["weekly@t|0|a"] == nil || len(got.Exports) != 50 {
		t.Fatalf("carried over: %d exports, starts %v", len(got.Exports), got.Starts)
	}
}

// TestFourProcessesCommitAThousandRecords runs four processes that commit
// 250 small changes each to one directory, checkpoints and pruning
// included: every change reported as committed is in the state, and
// nothing else.
func TestFourProcessesCommitAThousandRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	st := openFile(t, dir)
	seedSharedEvent(t, st)
	const procs, commits = 4, 250
	out := runCommitters(t, dir, procs, commits)
	t.Logf("%d commits landed, %d gave up after repeated conflicts", len(out.added), out.conflicts)
	if len(out.added) < procs*commits*9/10 {
		t.Errorf("only %d of %d commits landed", len(out.added), procs*commits)
	}
	checkOutcome(t, st, out.added, out.claimers, out.landed)
	checkOutcome(t, openFile(t, dir), out.added, out.claimers, out.landed)
}

// TestAStoreIsWarmOnceItHasReadTheState: a cycle asks about the named
// exports before a cold store's first Load, which reads the whole state;
// once read, the store is warm and its Loads read only what is new.
func TestAStoreIsWarmOnceItHasReadTheState(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writer, err := Open(ctx, "file://"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Update(ctx, writer, watchID(1)); err != nil {
		t.Fatal(err)
	}
	if !IsWarm(writer) {
		t.Error("a store that committed is not warm")
	}
	reader, err := Open(ctx, "file://"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if IsWarm(reader) {
		t.Fatal("a store that has read nothing says it is warm")
	}
	if _, err := reader.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if !IsWarm(reader) {
		t.Error("a store that loaded the state is not warm")
	}
}
