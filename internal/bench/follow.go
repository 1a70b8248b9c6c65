package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify/sinks"
	"github.com/export-notifier/export-notifier/state"
)

// The following workload: exports starting at random over a few minutes,
// each lasting from a few seconds to a few minutes, a timer tick every
// minute with FC's 60 s timeout, and the default POLL_QPS, which the
// simulator enforces as Security Center's flow control.
const (
	followExports  = 50
	followStarts   = 5 * time.Minute
	followShortest = 20 * time.Second
	followLongest  = 4 * time.Minute
	followTick     = time.Minute
	followTimeout  = 60 * time.Second
	followQPS      = 10
	idleTicks      = 5
)

// skipClock runs at the wall clock's pace, so that calls, rate limits and
// commits take the time they take, but skips every wait: Sleep moves it
// on at once. The simulator and the cycles share it, so a workload of ten
// minutes runs in seconds with the timings of ten minutes.
type skipClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *skipClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *skipClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += max(d, 0)
	return nil
}

// advanceTo moves the clock on to t, unless it is past t already.
func (c *skipClock) advanceTo(t time.Time) { _ = c.Sleep(context.Background(), t.Sub(c.Now())) }

// timedExport is one export of the workload.
type timedExport struct {
	ref      event.Ref
	start    time.Time
	duration time.Duration
}

func (e timedExport) end() time.Time { return e.start.Add(e.duration) }

// followWorkload draws the exports, starting from t0, with seed.
func followWorkload(t0 time.Time, seed uint64) []timedExport {
	rng := rand.New(rand.NewPCG(seed, seed))
	out := make([]timedExport, followExports)
	for i := range out {
		out[i] = timedExport{
			ref:      event.Ref{Kind: event.Asset, ID: int64(5001 + i)},
			start:    t0.Add(time.Duration(rng.Int64N(int64(followStarts)))),
			duration: followShortest + time.Duration(rng.Int64N(int64(followLongest-followShortest))),
		}
	}
	return out
}

// followRun is what one run of the workload measured.
type followRun struct {
	latencies   []time.Duration // end of the export to the message, per export announced
	calls       int             // describe calls served
	throttled   int
	invocations time.Duration // all ticks' invocation time, waits included
	idle        time.Duration // the slowest idle tick
	announced   map[string]int
}

// receipts is a webhook receiver noting, on clock, when each export's
// completion arrives.
type receipts struct {
	mu    sync.Mutex
	clock *skipClock
	at    map[string][]time.Time
}

func (r *receipts) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var ev struct {
		Type    string `json:"type"`
		Subject string `json:"subject"`
	}
	body, _ := io.ReadAll(req.Body)
	if json.Unmarshal(body, &ev) == nil && ev.Type == event.Completed.CloudEventType() {
		r.mu.Lock()
		r.at[ev.Subject] = append(r.at[ev.Subject], r.clock.Now())
		r.mu.Unlock()
	}
}

// knownBy is how the cycles learn of the workload's exports.
type knownBy int

const (
	// recordedAtStart: whoever starts an export records it in the state
	// then, as export-notifier start and a payload's start do; a
	// following cycle picks it up from the state.
	recordedAtStart knownBy = iota
	// namedAtTicks: each tick's payload names the exports started by
	// then, and nothing else makes them known.
	namedAtTicks
)

// runFollowWorkload runs the workload's ticks, following for followFor,
// in its own simulator, state and receiver, each tick a cycle in this
// process with FC's deadline, until every export is announced and a few
// idle ticks after.
func runFollowWorkload(ctx context.Context, dir string, followFor time.Duration, known knownBy, seed uint64) (followRun, error) {
	clock := &skipClock{offset: -followStarts} // within the simulator's allowed clock skew throughout
	t0 := clock.Now().Truncate(time.Second).Add(time.Second)
	work := followWorkload(t0.Add(time.Second), seed)
	sim := sassim.New(sassim.Options{Now: clock.Now, MaxQPS: followQPS})
	for _, e := range work {
		sim.Add(sassim.Export{Ref: e.ref, StartAt: e.start, Duration: e.duration})
	}
	got := &receipts{clock: clock, at: map[string][]time.Time{}}
	cycle, closeAll, err := followCycle(ctx, dir, sim, got, followFor)
	if err != nil {
		return followRun{}, err
	}
	defer closeAll()
	starter, err := newStartRecorder(ctx, dir, clock, work, known == recordedAtStart)
	if err != nil {
		return followRun{}, err
	}
	cycle.Now, cycle.Sleep = clock.Now, starter.sleep
	var run followRun
	last := work[0].end()
	for _, e := range work {
		last = later(last, e.end())
	}
	idle := 0
	for tick := t0; idle < idleTicks; tick = tick.Add(followTick) {
		starter.advanceTo(ctx, tick)
		var named []timedExport
		if known == namedAtTicks {
			named = work
		}
		took, err := runTick(ctx, cycle, named, clock)
		if err != nil {
			return followRun{}, err
		}
		run.invocations += took
		if tick.After(last.Add(followTick)) {
			run.idle, idle = max(run.idle, took), idle+1
		}
	}
	if starter.err != nil {
		return followRun{}, starter.err
	}
	return run.measured(sim, work, got), nil
}

// runTick runs one tick's cycle, naming those of work started by then
// (as the payload of whoever started them would), and returns the
// invocation's time.
func runTick(ctx context.Context, cycle *handler.Cycle, work []timedExport, clock *skipClock) (time.Duration, error) {
	began := clock.Now()
	var named []event.Ref
	for _, e := range work {
		if !e.start.After(began) {
			named = append(named, e.ref)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, followTimeout)
	defer cancel()
	if _, err := cycle.Run(cctx, handler.Options{Refs: named}); err != nil {
		return 0, fmt.Errorf("tick at %s: %w", began.Format(time.TimeOnly), err)
	}
	return clock.Now().Sub(began), nil
}

// followCycle builds a cycle against sim with a file state in a new
// directory under dir and a webhook sink posting to got.
func followCycle(ctx context.Context, dir string, sim *sassim.Simulator, got *receipts, followFor time.Duration) (*handler.Cycle, func(), error) {
	simSrv, hookSrv := httptest.NewServer(sim), httptest.NewServer(got)
	closeAll := func() { simSrv.Close(); hookSrv.Close() }
	client, err := exports.New(exports.Config{Endpoint: simSrv.URL, Credentials: demoCredentials})
	if err == nil {
		var store state.Store
		if store, err = state.Open(ctx, "file://"+dir, state.Options{}); err == nil {
			notifiers, serr := sinks.FromEnv(func(name string) string {
				if name == "WEBHOOK_URL" {
					return hookSrv.URL
				}
				return ""
			}, io.Discard)
			cfg := cycleConfig(nil, handler.DefaultConcurrency, followQPS)
			cfg.FollowFor = followFor
			return &handler.Cycle{Config: cfg, Checker: client, Store: store, Sinks: notifiers}, closeAll, serr
		}
	}
	closeAll()
	return nil, nil, err
}

// measured gathers the run's figures from the simulator and the receiver.
func (run followRun) measured(sim *sassim.Simulator, work []timedExport, got *receipts) followRun {
	run.calls, run.throttled = len(sim.Calls()), sim.Throttled()
	run.announced = map[string]int{}
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, e := range work {
		subject := fmt.Sprint(e.ref.ID)
		at := got.at[subject]
		run.announced[subject] = len(at)
		if len(at) > 0 {
			run.latencies = append(run.latencies, max(at[0].Sub(e.end()), 0))
		}
	}
	return run
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
