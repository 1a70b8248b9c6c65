package state

import (
	"context"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// A commit refused while it was being encoded writes nothing, and leaves
// nothing of itself in the commits and checkpoints after it, which are
// written through the same buffer.
func TestRefusedCommitLeavesTheNextWhole(t *testing.T) {
	ctx := context.Background()
	url := "file://" + t.TempDir()
	st, err := Open(ctx, url, Options{CheckpointEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Enough exports before the bad one to fill the buffer more than once.
	for id := int64(100000); id < 102000; id++ {
		ref := event.Ref{Kind: event.Asset, ID: id}
		s.Watch(ref, t0).Observe(event.Status{Ref: ref, State: event.Exporting, Progress: 50, FileName: "assets.zip"}, t0.Add(time.Minute))
	}
	bad := event.Ref{Kind: event.Asset, ID: 999999} // encoded last
	s.Watch(bad, t0)
	s.AddEvent(bad, completed(bad, t0), []string{"slack"})
	s.AddEvent(bad, failed(bad, "NoPermission", t0), []string{"slack"})
	e := s.Exports[bad.String()]
	e.Events[0], e.Events[1] = e.Events[1], e.Events[0]
	if err := st.Commit(ctx, s); err == nil {
		t.Fatal("a commit of events out of order was not refused")
	}

	delete(s.Exports, bad.String())
	if err := st.Commit(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.Watch(event.Ref{Kind: event.Vul, ID: 1}, t0) // the commit that writes a checkpoint
	if err := st.Commit(ctx, s); err != nil {
		t.Fatal(err)
	}
	fresh, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameState(t, s, fresh)
}
