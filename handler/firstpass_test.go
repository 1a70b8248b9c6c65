package handler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/state"
)

// batchScenario watches 20 exports: 12 that finish at their first check,
// 6 still running and 2 whose check is refused.
func batchScenario(h *harness) Config {
	var ids []string
	for id := int64(1); id <= 20; id++ {
		ex := sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: id}, Steps: 1, FileName: fmt.Sprintf("f%d", id), TotalCount: id}
		switch {
		case id > 18:
			ex.Fault = sassim.Fault{Code: "NoPermission", HTTPStatus: 403}
		case id > 12:
			ex.Steps, ex.Stuck = 0, true
		}
		h.sim.Add(ex)
		ids = append(ids, fmt.Sprint(id))
	}
	return testConfig(strings.Join(ids, " "))
}

// A first pass over more exports than its batch size decides, claims and
// commits batch by batch, and its result and state are what one batch
// gives.
func TestLargeFirstPassDecidesInBatches(t *testing.T) {
	cases := []struct {
		name        string
		every       int // the pass's batch size; 0: the default, above the 20 watched
		manyCommits bool
	}{
		{name: "one batch", every: 0},
		{name: "batches of 4", every: 4, manyCommits: true},
		{name: "batches of 7", every: 7, manyCommits: true},
	}
	var oneBatch Result
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			// No sinks: each commit is a batch's decisions.
			c := &Cycle{Config: batchScenario(h), Checker: h.checker, Store: h.store, decideEvery: tc.every}
			res := h.run(t, c, Options{})

			if commits := res.StateVersion; tc.manyCommits != (commits > 1) || commits < 1 {
				t.Errorf("the pass made %d commits; want more than one: %v", commits, tc.manyCommits)
			}
			if res.Watched != 20 || res.Checked != 20 || res.CheckFailed != 2 || res.Skipped != 0 || len(res.Exports) != 20 {
				t.Errorf("result: watched %d, checked %d, failed %d, skipped %d, %d exports; want 20, 20, 2, 0, 20",
					res.Watched, res.Checked, res.CheckFailed, res.Skipped, len(res.Exports))
			}
			if tc.every == 0 {
				oneBatch = res
			} else if !reflect.DeepEqual(res.Exports, oneBatch.Exports) {
				t.Errorf("checks differ from one batch's:\n got %+v\nwant %+v", res.Exports, oneBatch.Exports)
			}
			snap, err := h.store.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for id := int64(1); id <= 20; id++ {
				ex := snap.Exports[event.Ref{Kind: event.Asset, ID: id}.String()]
				switch {
				case ex == nil || ex.LastChecked.IsZero():
					t.Errorf("export %d: check not recorded: %+v", id, ex)
				case id <= 12 && (ex.Finished.IsZero() || len(ex.Events) != 1):
					t.Errorf("export %d: finished %v with %d events; want finished with its completion", id, ex.Finished, len(ex.Events))
				case id > 12 && id <= 18 && ex.Status.State != event.Init:
					t.Errorf("export %d: recorded as %q, want init", id, ex.Status.State)
				}
			}
		})
	}
}

// cutInChecker runs cutIn once, before answering about the export at,
// as if another cycle committed while this one was asking.
type cutInChecker struct {
	Checker
	at    event.Ref
	once  sync.Once
	cutIn func(context.Context)
}

func (c *cutInChecker) Get(ctx context.Context, ref event.Ref) (event.Status, error) {
	if ref == c.at {
		c.once.Do(func() { c.cutIn(ctx) })
	}
	return c.Checker.Get(ctx, ref)
}

// A cycle that commits while a batched pass is under way makes the
// pass's next commit conflict; the pass decides again on what that cycle
// committed, and every export is announced once.
func TestBatchedPassAnnouncesOnceWhenAnotherCycleCommitsMidPass(t *testing.T) {
	h := newHarness(t)
	cfg := batchScenario(h)
	cfg.Concurrency = 1 // the cut-in comes after the first batches
	hook := newReceiver(t)
	sinks := webhookSinks(t, hook)
	other := &Cycle{Config: cfg, Checker: h.checker, Store: h.store, Sinks: sinks}
	checker := &cutInChecker{Checker: h.checker, at: event.Ref{Kind: event.Asset, ID: 10}, cutIn: func(ctx context.Context) {
		if _, err := other.Run(ctx, Options{ID: "cut-in"}); err != nil {
			t.Errorf("the other cycle: %v", err)
		}
	}}
	c := &Cycle{Config: cfg, Checker: checker, Store: h.store, Sinks: sinks, decideEvery: 3}
	res := h.run(t, c, Options{ID: "batched"})

	for id := 1; id <= 12; id++ {
		if n := hook.count(event.Completed, fmt.Sprint(id)); n != 1 {
			t.Errorf("export %d announced %d times, want once", id, n)
		}
	}
	for id := 19; id <= 20; id++ {
		if n := hook.count(event.Failed, fmt.Sprint(id)); n != 1 {
			t.Errorf("failure of export %d announced %d times, want once", id, n)
		}
	}
	sent := 0
	for _, e := range res.Events {
		if e.Outcome == "sent" {
			sent++
		}
	}
	if sent > 9 {
		t.Errorf("the batched cycle sent %d events; want at most those of exports 1-9, asked about before the other cycle committed", sent)
	}
}

// A batched pass gives up the pending exports nobody names any more once
// they are older than the retention, and keeps a named one as old.
func TestBatchedPassGivesUpOnlyUnnamedExportsPastTheRetention(t *testing.T) {
	h := newHarness(t)
	cfg := batchScenario(h)
	named := event.Ref{Kind: event.Asset, ID: 15} // running, named, old
	unnamed := event.Ref{Kind: event.Asset, ID: 99}
	old := time.Now().Add(-cfg.Retention - time.Hour)
	if _, err := state.Update(context.Background(), h.store, func(s *state.Snapshot) error {
		s.Watch(named, old)
		s.Watch(unnamed, old)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c := &Cycle{Config: cfg, Checker: h.checker, Store: h.store, decideEvery: 4}
	res := h.run(t, c, Options{})

	snap, err := h.store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ex := snap.Exports[unnamed.String()]; ex == nil || ex.Finished.IsZero() {
		t.Errorf("the unnamed export past the retention was not given up: %+v", ex)
	}
	if ex := snap.Exports[named.String()]; ex == nil || !ex.Finished.IsZero() || ex.LastChecked.IsZero() {
		t.Errorf("the named export past the retention was given up or not checked: %+v", ex)
	}
	if res.Watched != 20 || res.Checked != 20 {
		t.Errorf("watched %d, checked %d; want 20 each (the unnamed one is not asked about)", res.Watched, res.Checked)
	}
}

// answerCounter closes all once n checks were answered.
type answerCounter struct {
	Checker
	mu  sync.Mutex
	n   int
	all chan struct{}
}

func (c *answerCounter) Get(ctx context.Context, ref event.Ref) (event.Status, error) {
	st, err := c.Checker.Get(ctx, ref)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n == 0 {
		close(c.all)
	}
	return st, err
}

// The workers ask faster than a batch is delivered: the answers that pile
// up meanwhile are still decided and claimed a batch at a time, so the
// cycle never holds more than a batch of claimed events.
func TestBatchedPassClaimsABatchAtATimeWhenAnswersPileUp(t *testing.T) {
	h := newHarness(t)
	cfg := batchScenario(h)
	checker := &answerCounter{Checker: h.checker, n: 20, all: make(chan struct{})}
	var (
		mu          sync.Mutex
		received    int
		mostClaimed int
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		<-checker.all // the first delivery waits for every answer
		snap, err := h.store.Load(req.Context())
		if err != nil {
			t.Errorf("load: %v", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		received++
		mostClaimed = max(mostClaimed, claimedNotDelivered(snap))
	}))
	t.Cleanup(hook.Close)
	c := &Cycle{Config: cfg, Checker: checker, Store: h.store, Sinks: webhookSinksAt(t, hook.URL), decideEvery: 4}
	h.run(t, c, Options{})

	mu.Lock()
	defer mu.Unlock()
	if received != 14 {
		t.Errorf("the sink received %d events, want the 12 completions and 2 failures once each", received)
	}
	if mostClaimed > 4 {
		t.Errorf("%d events were claimed and not delivered at once; want at most a batch of 4", mostClaimed)
	}
}

// claimedNotDelivered counts the deliveries of s claimed and not made.
func claimedNotDelivered(s *state.Snapshot) int {
	n := 0
	for _, e := range s.Exports {
		for _, r := range e.Events {
			for _, d := range r.Deliveries {
				if d.ClaimedBy != "" && !d.Delivered() {
					n++
				}
			}
		}
	}
	return n
}
