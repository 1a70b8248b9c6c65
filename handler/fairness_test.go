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
)

// cappedSecurityCenter answers the first perCycle calls of each cycle and
// holds the rest until the caller gives up, as a rate cap does for a
// cycle that has only so much time.
type cappedSecurityCenter struct {
	sim      *sassim.Simulator
	perCycle int
	mu       sync.Mutex
	answered int
}

func (c *cappedSecurityCenter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	allowed := c.answered < c.perCycle
	if allowed {
		c.answered++
	}
	c.mu.Unlock()
	if !allowed {
		<-r.Context().Done()
		return
	}
	c.sim.ServeHTTP(w, r)
}

func (c *cappedSecurityCenter) nextCycle() {
	c.mu.Lock()
	c.answered = 0
	c.mu.Unlock()
}

func TestEveryExportIsCheckedWhenCyclesCannotCheckThemAll(t *testing.T) {
	const exportsWatched, perCycle = 30, 6
	sim := sassim.New(sassim.Options{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret})
	var ids []string
	for i := range exportsWatched {
		ref := event.Ref{Kind: event.Asset, ID: int64(1001 + i)}
		sim.Add(sassim.Export{Ref: ref, Stuck: true})
		ids = append(ids, ref.String())
	}
	capped := &cappedSecurityCenter{sim: sim, perCycle: perCycle}
	client, store := demoClient(t, capped), fileState(t)
	cfg := testConfig(strings.Join(ids, ","))
	cfg.Concurrency = 1 // one call at a time: the cap answers the first six asked
	clock := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	c := &Cycle{Config: cfg, Checker: client, Store: store, Now: func() time.Time { return clock }}

	cycles := (exportsWatched + perCycle - 1) / perCycle
	for cycle := 1; cycle <= cycles; cycle++ {
		capped.nextCycle()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		res, err := c.Run(ctx, Options{})
		cancel()
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		if res.Checked != perCycle || res.Skipped != exportsWatched-perCycle {
			t.Errorf("cycle %d checked %d and left %d for the next, want %d and %d", cycle, res.Checked, res.Skipped, perCycle, exportsWatched-perCycle)
		}
		clock = clock.Add(5 * time.Minute)
	}

	checked := map[string]int{}
	for _, call := range sim.Calls() {
		if call.HTTPStatus == http.StatusOK {
			checked[call.Ref.String()]++
		}
	}
	for _, id := range ids {
		if checked[id] != 1 {
			t.Errorf("%s checked %d times in %d cycles, want once", id, checked[id], cycles)
		}
	}
	if t.Failed() {
		t.Log(fmt.Sprint(checked))
	}
}
