package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/notify/sinks"
	"github.com/export-notifier/export-notifier/state"
)

// The state's goals measured on realistic scenarios.
const (
	goalStartupAtState  = 10000 // exports in the state at the second start-up figure
	goalWarmCycleAt     = 10000
	goalWarmCycle       = 20 * time.Millisecond
	goalAllFinishAt     = 10000
	goalPendingAt       = 50000
	goalPendingRSSBytes = 96_000_000
)

// goalRows measures the state's goals: peak RSS when every export
// finishes in one cycle and with many pending, the commit and warm load
// of the state's layout, start-up to first request with 1 and
// goalStartupAtState exports in the state, and a warm cycle with nothing
// to poll. Peak RSS comes first, while this process is small.
func goalRows(ctx context.Context, binary, dir string, runs, memoryRuns int) ([]row, error) {
	rows, err := goalMemoryRows(ctx, binary, dir, memoryRuns)
	if err != nil {
		return nil, err
	}
	layout, err := layoutRows(ctx, dir)
	if err != nil {
		return nil, err
	}
	more, err := goalStartupRows(ctx, binary, dir, runs)
	if err != nil {
		return nil, err
	}
	return append(append(rows, layout...), more...), nil
}

// goalStartupRows measures start-up to the first request with an empty
// state and with goalStartupAtState exports in it, and a warm cycle with
// nothing to poll.
func goalStartupRows(ctx context.Context, binary, dir string, runs int) ([]row, error) {
	var rows []row
	for _, inState := range []int{0, goalStartupAtState} {
		progress("start-up: %d runs of %s poll, %d exports in the state", runs, binary, inState)
		samples, err := startup(ctx, binary, dir, runs, inState)
		if err != nil {
			return nil, err
		}
		mid := median(samples)
		r := row{Figure: fmt.Sprintf("start-up to first API request, %s settled in the state", thousands(inState)), Measured: millis(mid),
			Goal: "< 30 ms", Met: met(mid < goalStartup),
			Notes: fmt.Sprintf("median of %d runs of `poll` of 1 export (min %s, max %s)", len(samples), millis(samples[0]), millis(samples[len(samples)-1]))}
		if inState > 0 {
			load, err := coldLoad(ctx, dir, inState)
			if err != nil {
				return nil, err
			}
			r.Ideal = millis(load) + " (load)"
			r.Notes += "; ideal: a cold load of that state, median of " + fmt.Sprint(layoutRuns) + ", which the whole-snapshot layout did before its first request"
		}
		rows = append(rows, r)
	}
	progress("warm cycle: nothing to poll over %d settled exports", goalWarmCycleAt)
	warm, err := warmCycleRow(ctx, dir, layoutRuns)
	if err != nil {
		return nil, err
	}
	return append(rows, warm), nil
}

// goalMemoryRows measures, runs times each, peak RSS when every export
// finishes in one cycle and with many pending, and prints the median of
// each. The two scenarios take turns, so that whatever else loads the
// machine weighs on both alike.
func goalMemoryRows(ctx context.Context, binary, dir string, runs int) ([]row, error) {
	runs = max(runs, 1)
	var all, pending memoryRuns
	for i := range runs {
		progress("peak RSS: %d exports all finishing in one cycle, run %d of %d", goalAllFinishAt, i+1, runs)
		if err := all.measure(ctx, binary, dir, goalAllFinishAt, simulatorScript{First: memoryFirstID, Fast: goalAllFinishAt, Every: 1}); err != nil {
			return nil, err
		}
		progress("peak RSS: %d exports pending, run %d of %d", goalPendingAt, i+1, runs)
		if err := pending.measure(ctx, binary, dir, goalPendingAt, simulatorScript{First: memoryFirstID}); err != nil {
			return nil, err
		}
	}
	// The children run with neither GOGC nor GOMEMLIMIT set: the
	// command line's own collection target, as users get it. This
	// process's high-water mark only grows, so it is now the highest any
	// child inherited.
	floor := selfPeakRSS()
	floorNote := fmt.Sprintf("; the binary's default GOGC=50, no GOMEMLIMIT; figures under %s would be the measuring process's", megabytes(floor))
	return []row{
		{Figure: fmt.Sprintf("peak RSS, %s exports all finishing in one cycle", thousands(goalAllFinishAt)), Measured: megabytes(all.median()),
			Goal: "< 64 MB", Met: met(all.median() < goalRSSBytes),
			Notes: all.notes(fmt.Sprintf("the second cycle of `poll`, all %s announced on the console", thousands(goalAllFinishAt))) + floorNote},
		{Figure: fmt.Sprintf("peak RSS, %s exports pending", thousands(goalPendingAt)), Measured: megabytes(pending.median()),
			Goal: "< 96 MB", Met: met(pending.median() < goalPendingRSSBytes),
			Notes: pending.notes("the second cycle of `poll` over EXPORT_IDS=@file, all still exporting") + floorNote},
	}, nil
}

// memoryRuns are the figures of repeated runs of one peak-RSS scenario.
type memoryRuns struct {
	next      []int64 // the second cycle's peak RSS, run by run
	firstPeak int64   // the highest peak RSS of a first cycle
	elapsed   []time.Duration
}

// measure runs the scenario once more and keeps its figures. The state
// the run leaves is removed: it is as large as the scenario.
func (m *memoryRuns) measure(ctx context.Context, binary, dir string, n int, script simulatorScript) error {
	r, err := memoryWith(ctx, binary, dir, n, script)
	if err != nil {
		return err
	}
	m.next = append(m.next, r.Next.MaxRSS)
	m.firstPeak = max(m.firstPeak, r.First.MaxRSS)
	m.elapsed = append(m.elapsed, r.Next.Elapsed)
	return os.RemoveAll(r.StateDir)
}

func (m *memoryRuns) median() int64 { return median(m.next) }

// notes say what was measured, every run's figure in the order run, and
// how long the measured cycles took.
func (m *memoryRuns) notes(what string) string {
	figures := make([]string, len(m.next))
	for i, b := range m.next {
		figures[i] = fmt.Sprintf("%.1f", float64(b)/1e6)
	}
	runs := fmt.Sprintf("median of %d runs", len(m.next))
	if len(m.next) == 1 {
		runs = "1 run"
	}
	return fmt.Sprintf("%s of %s: %s MB, in %.1f-%.1f s; the first cycle, every export new, %s at most",
		runs, what, strings.Join(figures, ", "), slices.Min(m.elapsed).Seconds(), slices.Max(m.elapsed).Seconds(), megabytes(m.firstPeak))
}

// memoryFirstID is the first export ID the peak-RSS runs watch.
const memoryFirstID = 100001

// fillState commits n settled exports to a file state in stateDir.
func fillState(ctx context.Context, stateDir string, n int) error {
	store, err := state.Open(ctx, "file://"+stateDir, state.Options{})
	if err != nil {
		return err
	}
	return store.Commit(ctx, settledState(n, time.Now()))
}

// warmCycleRow times, runs times, a cycle of one instance over a state of
// goalWarmCycleAt settled exports with nothing to poll, after a first
// cycle made it warm, and checks that none writes to the state.
func warmCycleRow(ctx context.Context, dir string, runs int) (row, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute) // a cycle needs a deadline
	defer cancel()
	stateDir, err := os.MkdirTemp(dir, "warm-")
	if err != nil {
		return row{}, err
	}
	if err := fillState(ctx, stateDir, goalWarmCycleAt); err != nil {
		return row{}, err
	}
	store, err := state.Open(ctx, "file://"+stateDir, state.Options{})
	if err != nil {
		return row{}, err
	}
	notifiers, err := sinks.FromEnv(func(string) string { return "" }, io.Discard)
	if err != nil {
		return row{}, err
	}
	cycle := &handler.Cycle{Config: cycleConfig(nil, 16, noBindingQPS), Checker: unusedChecker{}, Store: store, Sinks: notifiers,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if _, err := cycle.Run(ctx, handler.Options{}); err != nil {
		return row{}, err
	}
	before, err := filesIn(stateDir)
	if err != nil {
		return row{}, err
	}
	var samples, cold []time.Duration
	for range runs {
		start := time.Now()
		if _, err := cycle.Run(ctx, handler.Options{}); err != nil {
			return row{}, err
		}
		samples = append(samples, time.Since(start))
	}
	after, err := filesIn(stateDir)
	if err != nil {
		return row{}, err
	}
	for range runs {
		fresh := *cycle
		if fresh.Store, err = state.Open(ctx, "file://"+stateDir, state.Options{}); err != nil {
			return row{}, err
		}
		start := time.Now()
		if _, err := fresh.Run(ctx, handler.Options{}); err != nil {
			return row{}, err
		}
		cold = append(cold, time.Since(start))
	}
	mid := median(samples)
	return row{Figure: fmt.Sprintf("warm cycle, nothing to poll, %s settled", thousands(goalWarmCycleAt)), Measured: millis(mid),
		Ideal: millis(median(cold)) + " (cold)", Goal: "< 20 ms, no write", Met: met(mid < goalWarmCycle && after == before),
		Notes: fmt.Sprintf("median of %d Cycle.Run of one instance after a first; file state; %d files written; ideal: the same cycle of a new instance, which reads the whole state as every cycle of the whole-snapshot layout did", runs, after-before)}, nil
}

// coldLoad is the median time a new store takes to load a state of n
// settled exports.
func coldLoad(ctx context.Context, dir string, n int) (time.Duration, error) {
	stateDir, err := os.MkdirTemp(dir, "cold-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(stateDir)
	if err := fillState(ctx, stateDir, n); err != nil {
		return 0, err
	}
	var samples []time.Duration
	for range layoutRuns {
		store, err := state.Open(ctx, "file://"+stateDir, state.Options{})
		if err != nil {
			return 0, err
		}
		start := time.Now()
		if _, err := store.Load(ctx); err != nil {
			return 0, err
		}
		samples = append(samples, time.Since(start))
	}
	return median(samples), nil
}

// filesIn counts the files under dir.
func filesIn(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	return n, err
}

// unusedChecker is a Security Center nobody should call: the warm cycle
// has nothing to poll.
type unusedChecker struct{}

func (unusedChecker) Get(_ context.Context, ref event.Ref) (event.Status, error) {
	return event.Status{}, fmt.Errorf("%s: unexpected call", ref)
}
