package handler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/state"
)

// startWhileFollowing scripts, on rig, an export that keeps a cycle
// following for its whole window (no progress, ever) and a short one
// started 12 s into the window and recorded in the state then, as
// export-notifier start records it, from a store of its own. It returns
// the cycles' Sleep, which records that start once the clock has passed it.
func startWhileFollowing(t *testing.T, rig *followRig, t0 time.Time) func(context.Context, time.Duration) error {
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 20}, StartAt: t0.Add(-time.Minute), Duration: time.Hour, Shape: sassim.Jump})
	started := t0.Add(12 * time.Second)
	short := event.Ref{Kind: event.Asset, ID: 21}
	rig.sim.Add(sassim.Export{Ref: short, StartAt: started, Duration: 20 * time.Second})
	starter, err := state.Open(context.Background(), rig.stateURL, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	return func(ctx context.Context, d time.Duration) error {
		if err := rig.clock.Sleep(ctx, d); err != nil {
			return err
		}
		if !rig.clock.Now().Before(started) {
			once.Do(func() {
				if err := state.RecordStarted(ctx, starter, short, started); err != nil {
					t.Error(err)
				}
			})
		}
		return nil
	}
}

func TestFollowingPicksUpAnExportStartedWhileItFollows(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	c := rig.cycle("20", 50*time.Second)
	c.Sleep = startWhileFollowing(t, rig, t0)
	res := rig.run(c, time.Minute)

	asks, _ := rig.deliveredInWindow("asset:21", t0.Add(50*time.Second))
	if len(asks) > 3 {
		t.Errorf("asked %d times about a 20 s export first seen running, want at most 3 (on pick-up, pace, finish)", len(asks))
	}
	if res.Watched != 2 {
		t.Errorf("the result counts %d exports watched, want 2 (the one named and the one picked up)", res.Watched)
	}
}

func TestTwoCyclesPickingUpOneStartedExportAnnounceItOnce(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	sleep := startWhileFollowing(t, rig, t0)
	a, b := rig.cycle("20", 50*time.Second), rig.cycle("20", 50*time.Second)
	a.Sleep, b.Sleep = sleep, sleep
	rig.runTogether(a, b)
	if n := rig.hook.count(event.Completed, "21"); n != 1 {
		t.Fatalf("two cycles picking up one started export announced it %d times, want once", n)
	}
}

func TestFollowingCycleAnnouncesWhatTheStateExpectsDoneBeforeAskingTheRest(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	done := event.Ref{Kind: event.Asset, ID: 30}
	rig.sim.Add(sassim.Export{Ref: done, StartAt: t0, Duration: time.Minute})
	ids := []string{done.String()}
	for i := range 5 {
		ref := event.Ref{Kind: event.Asset, ID: int64(31 + i)}
		rig.sim.Add(sassim.Export{Ref: ref, StartAt: t0, Duration: time.Hour, Shape: sassim.Jump})
		ids = append(ids, ref.String())
	}
	c := rig.cycle(strings.Join(ids, ","), 0)
	if err := state.RecordStarted(context.Background(), c.Store, done, t0); err != nil {
		t.Fatal(err)
	}
	rig.clock.Advance(30 * time.Second)
	rig.run(c, time.Minute) // one pass: half way, at the pace of a minute
	rig.clock.Advance(31 * time.Second)

	before := len(rig.sim.Calls())
	callsAtReceipt := -1
	rig.hook.status = func(int) int {
		callsAtReceipt = len(rig.sim.Calls()) - before
		return http.StatusOK
	}
	rig.run(rig.cycle("", 50*time.Second), time.Minute)
	if n := rig.hook.count(event.Completed, "30"); n != 1 {
		t.Fatalf("the export expected done was announced %d times, want once", n)
	}
	if callsAtReceipt != 1 {
		t.Errorf("it was announced after %d calls of the first pass; want after the one about it, before the %d others", callsAtReceipt, len(ids)-1)
	}
}

// unreadableStore is a state whose Load fails once failing is set.
type unreadableStore struct {
	state.Store
	failing atomic.Bool
}

func (s *unreadableStore) Load(ctx context.Context) (*state.Snapshot, error) {
	if s.failing.Load() {
		return nil, errors.New("listing refused")
	}
	return s.Store.Load(ctx)
}

func TestFollowingGoesOnWhenTheStateCannotBeRead(t *testing.T) {
	rig := newFollowRig(t)
	t0 := rig.clock.Now()
	rig.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 7}, StartAt: t0.Add(-10 * time.Second), Duration: 40 * time.Second})
	c := rig.cycle("vul:7", 50*time.Second)
	store := &unreadableStore{Store: c.Store}
	var logs bytes.Buffer
	c.Store, c.Log = store, slog.New(slog.NewTextHandler(&logs, nil))
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		store.failing.Store(true) // from the first wait on: the first pass has read it
		return rig.clock.Sleep(ctx, d)
	}
	rig.run(c, time.Minute)

	rig.deliveredInWindow("vul:7", t0.Add(50*time.Second))
	if !strings.Contains(logs.String(), "reading the state for exports started since the cycle began failed") {
		t.Errorf("no warning about the state that could not be read; logs:\n%s", logs.String())
	}
}
