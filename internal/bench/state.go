package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/state"
)

// stateFigures is what committing one state costs.
type stateFigures struct {
	Exports  int
	Commit   time.Duration // median
	Load     time.Duration // median
	Snapshot int64         // bytes of the newest snapshot file
}

// measureState loads the state the binary left in dir and commits it again
// commits times through the file store, as a cycle does, and times both.
func measureState(ctx context.Context, dir string, commits int) (stateFigures, error) {
	store, err := state.Open(ctx, "file://"+dir, state.Options{})
	if err != nil {
		return stateFigures{}, err
	}
	var loads, saves []time.Duration
	var exports int
	for range commits {
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

// newestSnapshotSize is the size of the last snapshot file in dir; the file
// store names them so that they sort by version.
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

func median(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return s[len(s)/2]
}
