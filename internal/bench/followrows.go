package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/handler"
)

// Goals of following, on the workload (docs/performance.md).
const (
	goalFollowP50       = 3 * time.Second
	goalFollowP95       = 8 * time.Second
	goalFollowMax       = followTick
	goalFollowCalls     = 1.5 // of the calls of one pass a minute
	goalFollowInvokeSum = 90 * time.Second
	goalIdleTick        = 100 * time.Millisecond
)

// runFollow runs the workload with following and without it, and prints
// the two side by side.
func runFollow(ctx context.Context, w io.Writer, seed uint64) error {
	dir, err := os.MkdirTemp("", "export-notifier-follow-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The runs have their own simulator, state, receiver and clock, and
	// spend most of their time waiting for the rate cap: run them at once.
	progress("following workload: FOLLOW_FOR=deadline with exports recorded at their start and named at ticks, and FOLLOW_FOR=0, side by side")
	setups := []struct {
		followFor time.Duration
		known     knownBy
	}{{handler.FollowToDeadline, recordedAtStart}, {handler.FollowToDeadline, namedAtTicks}, {0, recordedAtStart}}
	runs := make([]followRun, len(setups))
	errs := make([]error, len(setups))
	var wg sync.WaitGroup
	for i, setup := range setups {
		sub, err := os.MkdirTemp(dir, "state-")
		if err != nil {
			return err
		}
		wg.Go(func() { runs[i], errs[i] = runFollowWorkload(ctx, sub, setup.followFor, setup.known, seed) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	fmt.Fprintf(w, "Following: %d exports starting at random over %s, each %s to %s; a tick every %s with a %s deadline; POLL_QPS=%d, enforced by the simulator; seed %d.\n\n",
		followExports, followStarts, followShortest, followLongest, followTick, followTimeout, followQPS, seed)
	printGrid(w, []string{"figure", "following, starts recorded (FOLLOW_FOR=deadline)", "following, named at ticks", "one pass a tick (FOLLOW_FOR=0)", "goal", "met"},
		followGrid(runs[0], runs[1], runs[2]))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "How the exports are made known: \"starts recorded\" and one pass a tick: whoever starts an export records it in the state then, as")
	fmt.Fprintln(w, "export-notifier start and a payload's start do, and a following cycle reads the state every 5 s for new ones. \"Named at ticks\":")
	fmt.Fprintln(w, "each tick's payload names the exports started by then, and nothing else makes them known (an export that starts and ends")
	fmt.Fprintln(w, "between two ticks waits for the next). The goals apply to the first column.")
	fmt.Fprintln(w, "Latency: from the export's end (when Security Center would first answer success) to the webhook receiver having the message.")
	fmt.Fprintln(w, "Time runs on a clock that keeps the wall clock's pace but skips every wait (cycles sleeping while following, the minute between ticks);")
	fmt.Fprintln(w, "the simulator and the cycles share it, so calls, the rate cap and commits take their real time. Invocation time includes the skipped waits, as FC bills them.")
	return nil
}

// followGrid is the table's rows: following with the exports recorded
// in the state as they start, following with them named at each tick,
// one pass a tick; then the goal, and whether the first meets it.
func followGrid(on, named, off followRun) [][]string {
	p := func(r followRun, q float64) time.Duration { return percentile(r.latencies, q) }
	perExport := func(r followRun) float64 { return float64(r.calls) / followExports }
	invoke := func(r followRun) time.Duration { return r.invocations / time.Duration(max(len(r.latencies), 1)) }
	calls := func(r followRun) string {
		return fmt.Sprintf("%.2f (%.2fx)", perExport(r), perExport(r)/perExport(off))
	}
	all := fmt.Sprintf("%d of %d", followExports, followExports)
	latency := func(name string, q float64, goal time.Duration) []string {
		return []string{name, seconds(p(on, q)), seconds(p(named, q)), seconds(p(off, q)), "≤ " + seconds(goal), met(p(on, q) <= goal)}
	}
	return [][]string{
		latency("latency p50", 0.5, goalFollowP50),
		latency("latency p95", 0.95, goalFollowP95),
		latency("latency max", 1, goalFollowMax),
		{"API calls per export", calls(on), calls(named), fmt.Sprintf("%.2f", perExport(off)),
			fmt.Sprintf("≤ %.1fx one pass", goalFollowCalls), met(perExport(on)/perExport(off) <= goalFollowCalls)},
		{"invocation time per export announced", seconds(invoke(on)), seconds(invoke(named)), seconds(invoke(off)), "≤ " + seconds(goalFollowInvokeSum), met(invoke(on) <= goalFollowInvokeSum)},
		{"invocation time, all ticks", seconds(on.invocations), seconds(named.invocations), seconds(off.invocations), "", ""},
		{"slowest idle tick", millis(on.idle), millis(named.idle), millis(off.idle), "< " + millis(goalIdleTick), met(on.idle < goalIdleTick)},
		{"throttled calls", fmt.Sprint(on.throttled), fmt.Sprint(named.throttled), fmt.Sprint(off.throttled), "0", met(on.throttled == 0)},
		{"announced exactly once", exactlyOnce(on), exactlyOnce(named), exactlyOnce(off), all, met(exactlyOnce(on) == all)},
	}
}

// exactlyOnce says how many exports were announced exactly once, and how
// many were missed or repeated.
func exactlyOnce(r followRun) string {
	once, other := 0, 0
	for _, n := range r.announced {
		if n == 1 {
			once++
		} else {
			other++
		}
	}
	s := fmt.Sprintf("%d of %d", once, len(r.announced))
	if other > 0 {
		s += fmt.Sprintf(" (%d missed or repeated)", other)
	}
	return s
}

// percentile is the q-th of ds (0 < q <= 1), nearest rank; 0 when empty.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
