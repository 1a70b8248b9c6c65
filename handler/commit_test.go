package handler

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/state"
)

// gate is a webhook receiver whose first request waits until the test
// opens the gate or the request's context ends; later requests pass.
type gate struct {
	*receiver
	arrived chan struct{} // closed when the first request is waiting
	open    chan struct{}
	once    sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{receiver: newReceiver(t), arrived: make(chan struct{}), open: make(chan struct{})}
	accept := g.server.Config.Handler
	g.server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := false
		g.once.Do(func() { first = true })
		if first {
			// Reading the body lets the server see the client hang up.
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			close(g.arrived)
			select {
			case <-g.open:
			case <-r.Context().Done():
				return
			}
		}
		accept.ServeHTTP(w, r)
	})
	t.Cleanup(g.release)
	return g
}

func (g *gate) release() {
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

// deliveredTo reports whether the state holds sink's acceptance of the
// event of type typ about export.
func deliveredTo(t *testing.T, store state.Store, export event.Ref, typ event.Type, sink string) bool {
	t.Helper()
	snap, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ex := snap.Export(export)
	if ex == nil || ex.Event(string(typ)) == nil {
		return false
	}
	d := ex.Event(string(typ)).Delivery(sink)
	return d != nil && d.Delivered()
}

// runAsync runs c in the background; the channel yields its result.
func runAsync(t *testing.T, c *Cycle, timeout time.Duration) <-chan Result {
	done := make(chan Result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		res, err := c.Run(ctx, Options{})
		if err != nil {
			t.Errorf("cycle: %v", err)
		}
		done <- res
	}()
	return done
}

// waitFor waits until arrived is closed, failing t if the cycle ends first.
func waitFor(t *testing.T, arrived <-chan struct{}, done <-chan Result) {
	t.Helper()
	select {
	case <-arrived:
	case res := <-done:
		t.Fatalf("the cycle ended before a sink was sent anything: %+v", res)
	}
}

func TestHangingSinkDoesNotHoldBackOthersRecords(t *testing.T) {
	cases := []struct {
		name string
		// answers: the hanging sink answers once the test has seen the
		// other sink's record; otherwise it never does.
		answers     bool
		wantPending int
	}{
		{name: "hangs, then answers", answers: true, wantPending: 0},
		{name: "hangs until the cycle gives up", answers: false, wantPending: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			ref := event.Ref{Kind: event.Asset, ID: 7}
			h.sim.Add(sassim.Export{Ref: ref, Steps: 1, FileName: "f", TotalCount: 3})
			fast, hang := newReceiver(t), newGate(t)
			sinks := webhookSinks(t, fast, hang.receiver)
			cycle := &Cycle{Config: testConfig("7"), Checker: h.checker, Store: h.store, Sinks: sinks}

			done := runAsync(t, cycle, 5*time.Second)
			waitFor(t, hang.arrived, done)
			for !deliveredTo(t, h.store, ref, event.Completed, sinks[0].Name()) {
				select {
				case <-done:
					t.Fatal("the cycle ended before the fast sink's acceptance was in the state")
				case <-time.After(10 * time.Millisecond):
				}
			}
			if deliveredTo(t, h.store, ref, event.Completed, sinks[1].Name()) {
				t.Fatal("the hanging sink's delivery is recorded before it answered")
			}
			if c.answers {
				hang.release()
			}
			res := <-done

			if res.Pending[sinks[1].Name()] != c.wantPending || res.Pending[sinks[0].Name()] != 0 {
				t.Errorf("pending %v, want %d for the hanging sink and 0 for the other", res.Pending, c.wantPending)
			}
			if n := fast.count(event.Completed, "7"); n != 1 {
				t.Errorf("the fast sink got the completion %d times, want once", n)
			}
		})
	}
}

// conflictCounter is a store that counts the commits that lost to
// another writer.
type conflictCounter struct {
	state.Store
	mu        sync.Mutex
	conflicts int
}

func (s *conflictCounter) Commit(ctx context.Context, snap *state.Snapshot) error {
	err := s.Store.Commit(ctx, snap)
	if errors.Is(err, state.ErrConflict) {
		s.mu.Lock()
		s.conflicts++
		s.mu.Unlock()
	}
	return err
}

func TestCommitConflictWhileSendingLosesNothing(t *testing.T) {
	other := event.Ref{Kind: event.Asset, ID: 8}
	cases := []struct {
		name string
		// meanwhile commits to the store while the first cycle is sending.
		meanwhile func(t *testing.T, h *harness, sink *gate)
		// kept checks that what meanwhile committed is still there.
		kept func(t *testing.T, h *harness, snap *state.Snapshot)
	}{
		{
			name: "an overlapping cycle",
			meanwhile: func(t *testing.T, h *harness, sink *gate) {
				c := &Cycle{Config: testConfig("8"), Checker: h.checker, Store: h.store, Sinks: webhookSinks(t, sink.receiver)}
				h.run(t, c, Options{})
			},
			kept: func(t *testing.T, h *harness, snap *state.Snapshot) {
				if ex := snap.Export(other); ex == nil || len(snap.Undelivered()) != 0 {
					t.Errorf("the overlapping cycle's export is gone or undelivered: %v", snap.Undelivered())
				}
			},
		},
		{
			name: "another writer",
			meanwhile: func(t *testing.T, h *harness, _ *gate) {
				if _, err := state.Update(context.Background(), h.store, func(s *state.Snapshot) error {
					s.Watch(other, time.Now())
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			},
			kept: func(t *testing.T, h *harness, snap *state.Snapshot) {
				if snap.Export(other) == nil {
					t.Error("the other writer's export is gone")
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			ref := event.Ref{Kind: event.Asset, ID: 7}
			h.sim.Add(sassim.Export{Ref: ref, Steps: 1, FileName: "f", TotalCount: 3})
			h.sim.Add(sassim.Export{Ref: other, Steps: 1, FileName: "g", TotalCount: 4})
			sink := newGate(t)
			store := &conflictCounter{Store: h.store}
			first := &Cycle{Config: testConfig("7"), Checker: h.checker, Store: store, Sinks: webhookSinks(t, sink.receiver)}

			done := runAsync(t, first, 20*time.Second)
			waitFor(t, sink.arrived, done)
			c.meanwhile(t, h, sink)
			sink.release()
			<-done

			snap, err := h.store.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if store.conflicts == 0 {
				t.Fatal("the first cycle's results commit met no conflict; the test proves nothing")
			}
			if !deliveredTo(t, h.store, ref, event.Completed, first.Sinks[0].Name()) {
				t.Error("the first cycle's delivery is not recorded")
			}
			c.kept(t, h, snap)
			// Later cycles find nothing left to send.
			h.run(t, first, Options{})
			for _, export := range []string{"7", "8"} {
				if n := sink.count(event.Completed, export); n > 1 {
					t.Errorf("export %s announced %d times, want at most once", export, n)
				}
			}
			if n := sink.count(event.Completed, "7"); n != 1 {
				t.Errorf("export 7 announced %d times, want once", n)
			}
		})
	}
}

func TestKillRepeatsAtMostOneEventPerSink(t *testing.T) {
	h := newHarness(t)
	ids := "1 2 3 4 5 6"
	for id := int64(1); id <= 6; id++ {
		h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: id}, Steps: 1, FileName: "f", TotalCount: id})
	}
	a, b := newReceiver(t), newReceiver(t)
	sinks := webhookSinks(t, a, b)
	// Were the cycle killed when a request arrives, every event its sink
	// accepted before would have to be in the state already, or it would
	// be sent again: at most the one arriving may be repeated.
	unrecorded := func(sink string, seen int) int {
		snap, err := h.store.Load(context.Background())
		if err != nil {
			t.Error(err)
			return 0
		}
		recorded := 0
		for _, ex := range snap.Exports {
			for _, rec := range ex.Events {
				if d := rec.Delivery(sink); d != nil && d.Delivered() {
					recorded++
				}
			}
		}
		return seen - recorded
	}
	for i, r := range []*receiver{a, b} {
		r.status = func(n int) int {
			if lost := unrecorded(sinks[i].Name(), n-1); lost > 0 {
				t.Errorf("sink %d: request %d arrived with %d accepted events not recorded", i, n, lost)
			}
			return http.StatusOK
		}
	}
	c := &Cycle{Config: testConfig(ids), Checker: h.checker, Store: h.store, Sinks: sinks}

	h.run(t, c, Options{})

	if len(a.events()) != 6 || len(b.events()) != 6 {
		t.Fatalf("sinks got %d and %d events, want 6 each", len(a.events()), len(b.events()))
	}
}
