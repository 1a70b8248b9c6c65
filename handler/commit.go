package handler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/state"
)

// How soon a sink's acceptance is recorded in the state: a kill repeats at
// most what was accepted in the last commitEvery, and a cycle writes the
// state at most about once a second however many events it sends.
const (
	commitEvery = time.Second
	commitBatch = 32
)

// settlement is an outcome to record in the state: a delivery, or the
// post or update of a running message. Applying one twice to the same
// snapshot, or to a snapshot that already holds it, changes nothing more.
type settlement interface {
	settleIn(s *state.Snapshot, cycle string, now time.Time)
}

// committer records settlements in the state as they come, a small batch
// at a time, while the sinks go on sending.
type committer struct {
	r    *run
	kick chan struct{}
	mu   sync.Mutex
	// pending are settled but not yet committed, oldest first.
	pending []settlement
	// snap is the snapshot the last commit left, or nil when the next
	// commit must load one; only the committing goroutine touches it.
	snap *state.Snapshot
}

func (r *run) newCommitter(snap *state.Snapshot) *committer {
	return &committer{r: r, kick: make(chan struct{}, 1), snap: snap}
}

// add queues s for the next commit, and asks for it now when a batch is
// full.
func (c *committer) add(s settlement) {
	c.mu.Lock()
	c.pending = append(c.pending, s)
	full := len(c.pending) >= commitBatch
	c.mu.Unlock()
	if full {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// loop commits what is pending every commitEvery, or when a batch is
// full, until stop is closed. A failed commit is kept for the next one.
func (c *committer) loop(ctx context.Context, stop <-chan struct{}) {
	tick := time.NewTicker(commitEvery)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		case <-c.kick:
		}
		if err := c.flush(ctx); err != nil {
			c.r.log.Warn("delivery results not committed yet; trying again", "state", c.r.c.Store.Location(), "error", err.Error())
		}
	}
}

// flush commits the pending settlements, through state.UpdateFrom so that
// a commit of an overlapping cycle is loaded and the batch applied again
// on top of it.
func (c *committer) flush(ctx context.Context) error {
	c.mu.Lock()
	batch := c.pending
	c.pending = nil
	c.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	snap, err := state.UpdateFrom(ctx, c.r.c.Store, c.snap, func(s *state.Snapshot) error {
		t := c.r.c.now()
		for _, o := range batch {
			o.settleIn(s, c.r.id, t)
		}
		return nil
	})
	if err != nil {
		// The base may have been changed by the failed try: load anew.
		c.snap = nil
		c.mu.Lock()
		c.pending = append(batch, c.pending...)
		c.mu.Unlock()
		return fmt.Errorf("commit delivery results to %s: %w", c.r.c.Store.Location(), err)
	}
	c.snap = snap
	return nil
}

// last returns the snapshot the last commit left, loading it when the
// last commit failed.
func (c *committer) last(ctx context.Context) (*state.Snapshot, error) {
	if c.snap != nil {
		return c.snap, nil
	}
	return c.r.c.Store.Load(ctx)
}
