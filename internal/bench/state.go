package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// stateFigures is what committing one state costs.
type stateFigures struct {
	Exports  int
	Commit   time.Duration // median
	Load     time.Duration // median
	Snapshot int64         // bytes of the newest snapshot file
}

// measureState loads the state the binary left in dir as a new process
// does (cold) and commits it again unchanged, commits times through the
// file store, and times both.
func measureState(ctx context.Context, dir string, commits int) (stateFigures, error) {
	var loads, saves []time.Duration
	var exports int
	for range commits {
		store, err := state.Open(ctx, "file://"+dir, state.Options{})
		if err != nil {
			return stateFigures{}, err
		}
		start := time.Now()
		snap, err := store.Load(ctx)
		if err != nil {
			return stateFigures{}, err
		}
		loads = append(loads, time.Since(start))
		exports = len(snap.Exports)
		start = time.Now()
		if err := store.Commit(ctx, snap); err != nil {
			return stateFigures{}, err
		}
		saves = append(saves, time.Since(start))
	}
	size, err := newestSnapshotSize(dir)
	if err != nil {
		return stateFigures{}, err
	}
	return stateFigures{Exports: exports, Commit: median(saves), Load: median(loads), Snapshot: size}, nil
}

// newestSnapshotSize is the size of the newest checkpoint in dir, the
// whole state; the file store names checkpoints so that they sort by
// version, after the records.
func newestSnapshotSize(dir string) (int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var newest string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && e.Name() > newest {
			newest = e.Name()
		}
	}
	if newest == "" {
		return 0, fmt.Errorf("no snapshot in %s", dir)
	}
	info, err := os.Stat(filepath.Join(dir, newest))
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

func median[T cmp.Ordered](samples []T) T {
	if len(samples) == 0 {
		var none T
		return none
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return s[len(s)/2]
}

// Goals of the state's layout of records and checkpoints
// (docs/performance.md).
const (
	goalCommitBytes = 4000 // one changed export, 50,000 in the state
	goalCommitTime  = 10 * time.Millisecond
	goalWarmLoad    = 20 * time.Millisecond // nothing new, 10,000 in the state
	layoutCommitAt  = 50000
	layoutLoadAt    = 10000
	layoutRuns      = 5
)

// settledState is the state after a cycle in which each of n exports
// finished, its completed event delivered to two sinks.
func settledState(n int, now time.Time) *state.Snapshot {
	s := state.NewSnapshot()
	sinks := []string{"slack", "webhook"}
	for i := range n {
		ref := event.Ref{Kind: event.Kinds()[i%len(event.Kinds())], ID: int64(100000 + i)}
		st := event.Status{Ref: ref, State: event.Success, Progress: 100, CurrentCount: int64(i), TotalCount: int64(i),
			FileName: fmt.Sprintf("export-%d.zip", i), Link: "https://bucket.oss-cn-hangzhou.aliyuncs.com/export.zip?Expires=1&Signature=s",
			RequestID: "7E3F9A2C-4B1D-4E6F-8A0B-1C2D3E4F5A6B"}
		e := s.Watch(ref, now)
		e.Observe(st, now)
		e.Finish(now)
		s.AddEvent(ref, event.Event{ID: event.NewID(ref, "completed"), Type: event.Completed, Time: now, Region: "cn-hangzhou", Status: st}, sinks)
	}
	for _, d := range s.Due(sinks, now) {
		s.Settle("bench", d, nil, now)
	}
	return s
}

// layoutRows measures the two figures of the state's layout on the file
// store, each beside what the whole-snapshot layout costs in the same run.
func layoutRows(ctx context.Context, dir string) ([]row, error) {
	progress("state: commits of one changed export with %d in the state", layoutCommitAt)
	c, err := commitFigures(ctx, dir, layoutCommitAt)
	if err != nil {
		return nil, err
	}
	progress("state: warm loads with nothing new over %d exports", layoutLoadAt)
	l, err := loadFigures(ctx, dir, layoutLoadAt)
	if err != nil {
		return nil, err
	}
	scenario := func(n int) string {
		return fmt.Sprintf("file store, median of %d; %s exports all finished in one cycle, each event delivered to 2 sinks", layoutRuns, thousands(n))
	}
	return []row{
		{Figure: "state commit, 1 changed export of 50,000: bytes", Measured: fmt.Sprintf("%.1f kB", float64(c.bytes)/1e3),
			Ideal: megabytes(c.wholeBytes) + " (snapshot)", Goal: "< 4 KB", Met: met(c.bytes < goalCommitBytes),
			Notes: scenario(layoutCommitAt) + "; each commit watches one new export; ideal: the whole-snapshot layout rewrites the state"},
		{Figure: "state commit, 1 changed export of 50,000: time", Measured: millis(c.time),
			Ideal: millis(c.wholeTime) + " (snapshot)", Goal: "< 10 ms", Met: met(c.time < goalCommitTime),
			Notes: scenario(layoutCommitAt) + fmt.Sprintf("; one commit in %d also writes a checkpoint, which costs what the ideal column's whole snapshot does", state.DefaultCheckpointEvery)},
		{Figure: "warm state load, nothing new, 10,000 exports", Measured: millis(l.warm),
			Ideal: millis(l.cold) + " (cold)", Goal: "< 20 ms, no write", Met: met(l.warm < goalWarmLoad && !l.wrote),
			Notes: scenario(layoutLoadAt) + fmt.Sprintf("; one listing and a copy of the state in memory, files unchanged: %v; ideal: a cold load reads and decodes the whole state, as every load of the whole-snapshot layout did", !l.wrote)},
	}, nil
}

type commitFigure struct {
	bytes, wholeBytes int64
	time, wholeTime   time.Duration
}

// commitFigures commits one new export at a time to a state of n, and
// writes the same state whole as the snapshot layout did (encode, write,
// fsync, link) for comparison.
func commitFigures(ctx context.Context, dir string, n int) (commitFigure, error) {
	var f commitFigure
	now := time.Now().UTC()
	st, sdir, err := layoutStore(ctx, dir, n, now)
	defer os.RemoveAll(sdir)
	if err != nil {
		return f, err
	}
	s, err := st.Load(ctx) // as a cycle does
	if err != nil {
		return f, err
	}
	var times, wholeTimes []time.Duration
	var sizes []int64
	for i := range layoutRuns {
		before := dirBytes(sdir)
		s.Watch(event.Ref{Kind: event.Vul, ID: int64(900000 + i)}, now).Observe(event.Status{State: event.Exporting, Progress: 10}, now)
		start := time.Now()
		if err := st.Commit(ctx, s); err != nil {
			return f, err
		}
		times = append(times, time.Since(start))
		sizes = append(sizes, dirBytes(sdir)-before)

		start = time.Now()
		size, err := writeWhole(sdir, s)
		if err != nil {
			return f, err
		}
		wholeTimes = append(wholeTimes, time.Since(start))
		f.wholeBytes = size
	}
	slices.Sort(sizes)
	f.bytes, f.time, f.wholeTime = sizes[len(sizes)/2], median(times), median(wholeTimes)
	return f, nil
}

// writeWhole commits s as the whole-snapshot layout did, to a name
// outside the store's.
func writeWhole(dir string, s *state.Snapshot) (int64, error) {
	data, err := state.Encode(s)
	if err != nil {
		return 0, err
	}
	whole := filepath.Join(dir, "whole")
	if err := os.MkdirAll(whole, 0o700); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(whole, ".snapshot-*.tmp")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	final := filepath.Join(whole, fmt.Sprintf("snapshot-%020d.json", s.Version))
	if err := os.Link(tmp.Name(), final); err != nil {
		return 0, err
	}
	d, err := os.Open(whole)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	return int64(len(data)), d.Sync()
}

type loadFigure struct {
	warm, cold time.Duration
	wrote      bool
}

// loadFigures times loads of a state of n by a store that read it before
// (warm) and by a new store each time (cold).
func loadFigures(ctx context.Context, dir string, n int) (loadFigure, error) {
	var f loadFigure
	st, sdir, err := layoutStore(ctx, dir, n, time.Now().UTC())
	defer os.RemoveAll(sdir)
	if err != nil {
		return f, err
	}
	open := func() (state.Store, error) { return state.Open(ctx, "file://"+sdir, state.Options{}) }
	before := dirBytes(sdir)
	var warm, cold []time.Duration
	for range layoutRuns {
		start := time.Now()
		if _, err := st.Load(ctx); err != nil {
			return f, err
		}
		warm = append(warm, time.Since(start))
		fresh, err := open()
		if err != nil {
			return f, err
		}
		start = time.Now()
		if _, err := fresh.Load(ctx); err != nil {
			return f, err
		}
		cold = append(cold, time.Since(start))
	}
	f.warm, f.cold, f.wrote = median(warm), median(cold), dirBytes(sdir) != before
	return f, nil
}

// layoutStore opens a file store in a new directory under dir and
// commits settledState(n, now) to it.
func layoutStore(ctx context.Context, dir string, n int, now time.Time) (state.Store, string, error) {
	sdir, err := os.MkdirTemp(dir, "layout-")
	if err != nil {
		return nil, "", err
	}
	st, err := state.Open(ctx, "file://"+sdir, state.Options{})
	if err == nil {
		err = st.Commit(ctx, settledState(n, now))
	}
	return st, sdir, err
}

// dirBytes is the total size of the files directly in dir.
func dirBytes(dir string) int64 {
	entries, _ := os.ReadDir(dir)
	var total int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			total += info.Size()
		}
	}
	return total
}
