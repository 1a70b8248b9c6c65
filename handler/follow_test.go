package handler

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/state"
)

// followRig is a simulator and the cycles it serves on one fake clock,
// which following moves on instead of waiting, and a webhook receiver
// that notes the clock at each message.
type followRig struct {
	t        *testing.T
	clock    *sassim.Clock
	sim      *sassim.Simulator
	hook     *receiver
	mu       sync.Mutex
	received []time.Time
	// stateURL names the cycles' state, for a store of one's own (another
	// process, such as export-notifier start).
	stateURL string
	cycle    func(ids string, followFor time.Duration) *Cycle
}

func newFollowRig(t *testing.T) *followRig {
	rig := &followRig{t: t, clock: sassim.NewClock(time.Now().Truncate(time.Second))}
	rig.sim = sassim.New(sassim.Options{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret, Now: rig.clock.Now})
	rig.hook = newReceiver(t)
	rig.hook.status = func(int) int {
		rig.mu.Lock()
		rig.received = append(rig.received, rig.clock.Now())
		rig.mu.Unlock()
		return http.StatusOK
	}
	rig.stateURL = "file://" + t.TempDir()
	store, err := state.Open(context.Background(), rig.stateURL, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	client := demoClient(t, rig.sim)
	sinks := webhookSinks(t, rig.hook)
	rig.cycle = func(ids string, followFor time.Duration) *Cycle {
		cfg := testConfig(ids)
		cfg.FollowFor = followFor
		return &Cycle{Config: cfg, Checker: client, Store: store, Sinks: sinks, Now: rig.clock.Now, Sleep: rig.clock.Sleep}
	}
	return rig
}

// run runs c with a deadline of budget (on the wall clock, which the
// fake clock reads as the same span).
func (rig *followRig) run(c *Cycle, budget time.Duration) Result {
	rig.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	res, err := c.Run(ctx, Options{})
	if err != nil {
		rig.t.Fatal(err)
	}
	return res
}

// runTogether runs cycles at once, as overlapping invocations do, each
// with a minute's deadline. Errors are reported, not fatal: they come
// from other goroutines than the test's.
func (rig *followRig) runTogether(cycles ...*Cycle) {
	var wg sync.WaitGroup
	for _, c := range cycles {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := c.Run(ctx, Options{}); err != nil {
				rig.t.Error(err)
			}
		})
	}
	wg.Wait()
}

// asks are the times the simulator answered about ref, and the first
// time it answered success (zero if never).
func (rig *followRig) asks(ref string) (at []time.Time, success time.Time) {
	for _, call := range rig.sim.Calls() {
		if call.Ref.String() != ref {
			continue
		}
		at = append(at, call.Time)
		if call.Status == string(event.Success) && success.IsZero() {
			success = call.Time
		}
	}
	return at, success
}

// deliveredInWindow checks that the completion of ref was delivered once,
// by end and within 3 s of Security Center first reporting success, and
// returns the times ref was asked about and that first success.
func (rig *followRig) deliveredInWindow(ref string, end time.Time) (asks []time.Time, success time.Time) {
	rig.t.Helper()
	id := ref[strings.Index(ref, ":")+1:]
	if n := rig.hook.count(event.Completed, id); n != 1 {
		rig.t.Fatalf("the completion of %s was sent %d times, want once within the cycle", ref, n)
	}
	asks, success = rig.asks(ref)
	rig.mu.Lock()
	got := rig.received[0]
	rig.mu.Unlock()
	if got.After(end) || got.Sub(success) > 3*time.Second {
		rig.t.Errorf("%s delivered %s after the window's end and %s after Security Center reported success; want within the window and 3 s",
			ref, got.Sub(end), got.Sub(success))
	}
	return asks, success
}

func TestFollowingDeliversAnExportFinishingMidWindow(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	// A quarter done at the first ask; done 30 s later.
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 7}, StartAt: t0.Add(-10 * time.Second), Duration: 40 * time.Second})
	rig.run(rig.cycle("vul:7", 50*time.Second), time.Minute)

	asks, success := rig.deliveredInWindow("vul:7", t0.Add(50*time.Second))
	if len(asks) > 4 {
		t.Errorf("asked %d times over a 30 s export, want at most 4 (first pass, pace, finish, one late)", len(asks))
	}
	for i := 1; i < len(asks); i++ {
		if gap := asks[i].Sub(asks[i-1]); gap < 3*time.Second {
			t.Errorf("asked twice %s apart, want at least 3 s", gap)
		}
	}
	if now := rig.clock.Now(); now.Sub(success) > 3*time.Second {
		t.Errorf("the cycle stayed %s after its last export finished; want it to end then", now.Sub(success))
	}
}

func TestFollowingWaitsOnlyForWhatMayFinishInTheWindow(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 8}, StartAt: t0.Add(-time.Minute), Duration: 10 * time.Minute})
	c := rig.cycle("8", 50*time.Second)

	rig.run(c, time.Minute)
	first := rig.clock.Now().Sub(t0)
	if first > 16*time.Second {
		t.Errorf("first cycle followed a 10-minute export for %s; want only until its pace is known (15 s)", first)
	}
	rig.clock.Advance(time.Minute)
	before, calls := rig.clock.Now(), len(rig.sim.Calls())
	rig.run(c, time.Minute)
	if waited := rig.clock.Now().Sub(before); waited != 0 {
		t.Errorf("a cycle whose export finishes long after its window waited %s; want it to return at once", waited)
	}
	if n := len(rig.sim.Calls()) - calls; n != 1 {
		t.Errorf("that cycle asked %d times, want once", n)
	}

	rig.clock.Advance(-time.Minute) // no effect: the clock never goes back
	idle := newFollowRig(t)
	idleStart := idle.clock.Now()
	idle.run(idle.cycle("", 50*time.Second), time.Minute)
	if waited := idle.clock.Now().Sub(idleStart); waited != 0 {
		t.Errorf("a cycle with nothing running waited %s", waited)
	}
}

func TestFollowingAsksAnExportThatNeverProgressesAtTheSlowPace(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.SuspEvent, ID: 9}, StartAt: t0.Add(-time.Minute), Duration: time.Hour, Shape: sassim.Jump})
	rig.run(rig.cycle("suspEvent:9", 50*time.Second), time.Minute)

	asks, _ := rig.asks("suspEvent:9")
	if len(asks) < 2 || len(asks) > 4 {
		t.Errorf("asked %d times in a 50 s window, want the first pass and every 15 s after (2 to 4)", len(asks))
	}
	for i := 1; i < len(asks); i++ {
		if gap := asks[i].Sub(asks[i-1]); gap < 15*time.Second {
			t.Errorf("an export with no progress asked twice %s apart, want at least 15 s", gap)
		}
	}
}

func TestTwoCyclesFollowingOneExportDeliverItOnce(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 10}, StartAt: t0.Add(-20 * time.Second), Duration: 40 * time.Second})
	rig.runTogether(rig.cycle("10", 50*time.Second), rig.cycle("10", 50*time.Second))
	if n := rig.hook.count(event.Completed, "10"); n != 1 {
		t.Fatalf("two cycles following one export sent its completion %d times, want once", n)
	}
}

func TestDeadlineWhileFollowingCommitsWhatWasDecided(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 11}, StartAt: t0.Add(-10 * time.Second), Duration: 30 * time.Second})
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 12}, StartAt: t0.Add(-10 * time.Second), Duration: time.Hour, Shape: sassim.Jump})
	c := rig.cycle("11,12", FollowToDeadline)
	res := rig.run(c, 40*time.Second)

	if rig.clock.Now().After(t0.Add(40 * time.Second)) {
		t.Errorf("following went on %s, past the cycle's 40 s deadline", rig.clock.Now().Sub(t0))
	}
	if n := rig.hook.count(event.Completed, "11"); n != 1 {
		t.Errorf("the export that finished while following was sent %d times, want once", n)
	}
	snap, err := c.Store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done, left := snap.Exports["asset:11"], snap.Exports["asset:12"]
	if done == nil || done.Finished.IsZero() {
		t.Errorf("the state does not hold asset:11 as finished: %+v", done)
	}
	if left == nil || !left.Finished.IsZero() {
		t.Errorf("asset:12 in the state: %+v; want it pending, for the next cycle", left)
	}
	if got := resultStatuses(res); got != "asset:11=success asset:12=exporting" {
		t.Errorf("the result shows %s; want the last status of each export", got)
	}
}

// resultStatuses lists the exports a result reports with their status.
func resultStatuses(res Result) string {
	var out []string
	for _, e := range res.Exports {
		out = append(out, e.Export+"="+e.Status)
	}
	return strings.Join(out, " ")
}

func TestFollowingNeverTakesTheTimeOfExportsNotCheckedYet(t *testing.T) {
	const watched, perCycle = 6, 4
	clock := sassim.NewClock(time.Now().Truncate(time.Second))
	sim := sassim.New(sassim.Options{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret, Now: clock.Now})
	var ids []string
	for i := range watched {
		ref := event.Ref{Kind: event.Asset, ID: int64(2001 + i)}
		sim.Add(sassim.Export{Ref: ref, StartAt: clock.Now(), Duration: time.Hour, Shape: sassim.Jump})
		ids = append(ids, ref.String())
	}
	capped := &cappedSecurityCenter{sim: sim, perCycle: perCycle}
	cfg := testConfig(strings.Join(ids, ","))
	cfg.Concurrency, cfg.FollowFor = 1, 50*time.Second
	c := &Cycle{Config: cfg, Checker: demoClient(t, capped), Store: fileState(t), Now: clock.Now, Sleep: clock.Sleep}
	run := func() Result {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		res, err := c.Run(ctx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	start := clock.Now()
	if res := run(); res.Skipped != watched-perCycle {
		t.Fatalf("first cycle skipped %d, want %d", res.Skipped, watched-perCycle)
	}
	if clock.Now() != start || len(sim.Calls()) != perCycle {
		t.Errorf("a cycle that left exports unchecked followed the others (%d calls, %s)", len(sim.Calls()), clock.Now().Sub(start))
	}
	capped.nextCycle()
	clock.Advance(time.Minute)
	run()
	calls := sim.Calls()[perCycle:]
	for i, want := range ids[perCycle:] {
		if got := calls[i].Ref.String(); got != want {
			t.Errorf("second cycle's call %d was about %s, want %s (left out by the first)", i, got, want)
		}
	}
}

func TestFollowingTellsProgressAsItLearnsIt(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.HC, ID: 13}, StartAt: t0.Add(-10 * time.Second), Duration: 40 * time.Second})
	var got []string
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := rig.cycle("hc:13", 50*time.Second).Run(ctx, Options{OnFollow: func(u FollowUpdate) {
		eta := "unknown"
		if !u.ETA.IsZero() {
			eta = u.ETA.Sub(t0).Round(5 * time.Second).String()
		}
		got = append(got, fmt.Sprintf("%s %d%% eta=%s done=%t", u.Status.State, u.Status.Progress, eta, u.Done))
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := "exporting 25% eta=unknown done=false|exporting 62% eta=30s done=false|success 100% eta=30s done=true"
	if strings.Join(got, "|") != want {
		t.Errorf("OnFollow was told:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}

func TestFollowingLetsAStalledExportGo(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	// A quarter done when first seen, it stops half way, 10 s on.
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Warning, ID: 14}, StartAt: t0.Add(-10 * time.Second), Duration: 40 * time.Second, Shape: sassim.Stall})
	rig.run(rig.cycle("warning:14", 100*time.Second), 2*time.Minute)

	// The first pass; 15 s on, its pace; 45 s on, just after its expected
	// end, still half way: its pace over the cycle now puts its end
	// beyond the window, and the cycle stops waiting for it.
	asks, _ := rig.asks("warning:14")
	var at []time.Duration
	for _, a := range asks {
		at = append(at, a.Sub(t0))
	}
	if len(at) != 3 || at[1] != 15*time.Second || at[2] < 44*time.Second || at[2] > 47*time.Second {
		t.Errorf("asked at %v; want at 0, 15 s, and just after 45 s", at)
	}
	if stayed := rig.clock.Now().Sub(t0); stayed > 50*time.Second {
		t.Errorf("the cycle stayed %s for an export that stalled; want it to end after the late ask", stayed)
	}
}
