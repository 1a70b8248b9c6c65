package handler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/state"
)

// slowStore is a state whose Load waits for asked to close (or gives up),
// and records whether it had to give up.
type slowStore struct {
	state.Store
	asked  <-chan struct{}
	waited bool
}

func (s *slowStore) Load(ctx context.Context) (*state.Snapshot, error) {
	select {
	case <-s.asked:
	case <-time.After(5 * time.Second):
		s.waited = true
	}
	return s.Store.Load(ctx)
}

// TestPollingStartsBeforeTheStateIsRead: the configured and payload
// exports are asked about while the state loads, and the state still
// decides: an export it holds as finished is not reported, one it holds
// as pending is checked too.
func TestPollingStartsBeforeTheStateIsRead(t *testing.T) {
	var once sync.Once
	asked := make(chan struct{})
	sim := sassim.New(sassim.Options{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret, Steps: 3,
		OnCall: func(sassim.Call) { once.Do(func() { close(asked) }) }})
	for _, r := range []event.Ref{{Kind: event.Asset, ID: 131231}, {Kind: event.Vul, ID: 52}, {Kind: event.HC, ID: 9}, {Kind: event.Warning, ID: 3}} {
		sim.Add(sassim.Export{Ref: r, Steps: 1000})
	}
	files := fileState(t)
	ctx := context.Background()
	now := time.Now()
	s, err := files.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Watch(event.Ref{Kind: event.HC, ID: 9}, now).Finish(now)
	s.Watch(event.Ref{Kind: event.Warning, ID: 3}, now)
	if err := files.Commit(ctx, s); err != nil {
		t.Fatal(err)
	}
	store := &slowStore{Store: files, asked: asked}
	c := &Cycle{Config: testConfig("131231, hc:9"), Checker: demoClient(t, sim), Store: store}
	res := (&harness{sim: sim, store: store}).run(t, c, Options{Refs: []event.Ref{{Kind: event.Vul, ID: 52}}})
	if store.waited {
		t.Error("the state was read before any export was asked about")
	}
	if res.Watched != 3 || res.Checked != 3 || len(res.Exports) != 3 {
		t.Fatalf("watched %d, checked %d, %d exports reported; want 3 each (131231, vul:52, warning:3; not the finished hc:9): %+v",
			res.Watched, res.Checked, len(res.Exports), res.Exports)
	}
	for _, e := range res.Exports {
		if e.Export == "hc:9" {
			t.Errorf("the finished hc:9 is reported: %+v", e)
		}
	}
}
