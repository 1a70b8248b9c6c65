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
	// The two runs have their own simulator, state, receiver and clock, and
	// spend most of their time waiting for the rate cap: run them at once.
	progress("following workload, with FOLLOW_FOR=deadline and 0 side by side")
	var runs [2]followRun
	var errs [2]error
	var wg sync.WaitGroup
	for i, followFor := range []time.Duration{handler.FollowToDeadline, 0} {
		sub, err := os.MkdirTemp(dir, "state-")
		if err != nil {
			return err
		}
		wg.Go(func() { runs[i], errs[i] = runFollowWorkload(ctx, sub, followFor, seed) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	fmt.Fprintf(w, "Following: %d exports starting at random over %s, each %s to %s; a tick every %s with a %s deadline; POLL_QPS=%d, enforced by the simulator; seed %d.\n\n",
		followExports, followStarts, followShortest, followLongest, followTick, followTimeout, followQPS, seed)
	printGrid(w, []string{"figure", "following (FOLLOW_FOR=deadline)", "one pass a tick (FOLLOW_FOR=0)", "goal", "met"}, followGrid(runs[0], runs[1]))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Latency: from the export's end (when Security Center would first answer success) to the webhook receiver having the message.")
	fmt.Fprintln(w, "Time runs on a clock that keeps the wall clock's pace but skips every wait (cycles sleeping while following, the minute between ticks);")
	fmt.Fprintln(w, "the simulator and the cycles share it, so calls, the rate cap and commits take their real time. Invocation time includes the skipped waits, as FC bills them.")
	return nil
}

// followGrid is the table's rows: following, without, goal, met.
func followGrid(on, off followRun) [][]string {
	p := func(r followRun, q float64) time.Duration { return percentile(r.latencies, q) }
	perExport := func(r followRun) float64 { return float64(r.calls) / followExports }
	invoke := func(r followRun) time.Duration { return r.invocations / time.Duration(max(len(r.latencies), 1)) }
	once, repeats := exactlyOnce(on), exactlyOnce(off)
	callRatio := perExport(on) / perExport(off)
	return [][]string{
		{"latency p50", seconds(p(on, 0.5)), seconds(p(off, 0.5)), "≤ " + seconds(goalFollowP50), met(p(on, 0.5) <= goalFollowP50)},
		{"latency p95", seconds(p(on, 0.95)), seconds(p(off, 0.95)), "≤ " + seconds(goalFollowP95), met(p(on, 0.95) <= goalFollowP95)},
		{"latency max", seconds(p(on, 1)), seconds(p(off, 1)), "≤ " + seconds(goalFollowMax), met(p(on, 1) <= goalFollowMax)},
		{"API calls per export", fmt.Sprintf("%.2f (%.2fx)", perExport(on), callRatio), fmt.Sprintf("%.2f", perExport(off)),
			fmt.Sprintf("≤ %.1fx one pass", goalFollowCalls), met(callRatio <= goalFollowCalls)},
		{"invocation time per export announced", seconds(invoke(on)), seconds(invoke(off)), "≤ " + seconds(goalFollowInvokeSum), met(invoke(on) <= goalFollowInvokeSum)},
		{"invocation time, all ticks", seconds(on.invocations), seconds(off.invocations), "", ""},
		{"slowest idle tick", millis(on.idle), millis(off.idle), "< " + millis(goalIdleTick), met(on.idle < goalIdleTick)},
		{"throttled calls", fmt.Sprint(on.throttled), fmt.Sprint(off.throttled), "0", met(on.throttled == 0)},
		{"announced exactly once", once, repeats, fmt.Sprintf("%d of %d", followExports, followExports), met(once == fmt.Sprintf("%d of %d", followExports, followExports))},
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
