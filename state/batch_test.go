package state

import (
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

func TestABatchIsRecordedOnceAndSurvivesTheStore(t *testing.T) {
	ctx := t.Context()
	st := NewMemory()
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	spec := func(account int64) event.StartSpec {
		return event.StartSpec{Kind: event.Asset, ExportType: "assetInstance", Account: account}
	}
	keys := []string{"t|0|x|1002", "t|0|x|1001"}
	specs := []event.StartSpec{spec(1002), spec(1001)}
	var mine []int
	if _, err := Update(ctx, st, func(s *Snapshot) error {
		mine = s.IntendBatch("t|0|x", keys, specs, "cycle-1", now)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 {
		t.Fatalf("first intent of a batch recorded %v, want both starts", mine)
	}
	// A retried invocation that lists one more member starts nothing: the
	// batch's members were fixed by the first run.
	snap, err := Update(ctx, st, func(s *Snapshot) error {
		mine = s.IntendBatch("t|0|x", append(keys, "t|0|x|1003"), append(specs, spec(1003)), "cycle-2", now.Add(time.Minute))
		if len(mine) == 0 {
			return ErrNoChange
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 0 {
		t.Fatalf("a retried invocation may start %v again", mine)
	}
	reloaded, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Snapshot{snap, reloaded} {
		batches := s.Batches()
		if len(batches) != 1 || batches[0].Key != "t|0|x" || len(batches[0].Starts) != 2 || !batches[0].Requested.Equal(now) {
			t.Fatalf("Batches() = %+v, want the one batch of two starts", batches)
		}
		if a := batches[0].Starts[0].Spec.Account; a != 1001 {
			t.Errorf("first start of the batch is for %d, want the accounts in order", a)
		}
	}
}
