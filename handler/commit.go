package handler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/state"
)

// recordWait bounds how long a sink waits for the state to record what it
// last accepted before it sends on. Each sink then has at most one
// accepted message not yet recorded, so a cycle killed while sending
// repeats at most one per sink once its claims expire; a slow or failing
// store slows the sending to about one message per recordWait instead of
// stopping it. Failed commits are tried again every recordWait too.
const recordWait = time.Second

// settlement is an outcome to record in the state: a delivery, or the
// post or update of a running message. Applying one twice to the same
// snapshot, or to a snapshot that already holds it, changes nothing more.
type settlement interface {
	settleIn(s *state.Snapshot, cycle string, now time.Time)
	// accepted reports whether the sink took it: losing its record would
	// send it again.
	accepted() bool
}

// queued is a settlement waiting for its commit; done is closed once it
// is committed.
type queued struct {
	settlement
	done chan struct{}
}

// committer records settlements in the state as they come while the sinks
// go on sending: whatever was settled while one commit was under way goes
// into the next, so the batches stay small and no sink waits for another.
type committer struct {
	r    *run
	kick chan struct{}
	mu   sync.Mutex
	// pending are settled but not yet committed, oldest first.
	pending []queued
	// snap is the snapshot the last commit left, or nil when the next
	// commit must load one; only the committing goroutine touches it.
	snap *state.Snapshot
}

func (r *run) newCommitter(snap *state.Snapshot) *committer {
	return &committer{r: r, kick: make(chan struct{}, 1), snap: snap}
}

// add queues ss for the next commit and, when the sink accepted any of
// them, waits until they are committed, recordWait has passed or ctx ends.
func (c *committer) add(ctx context.Context, ss ...settlement) {
	var last chan struct{}
	c.mu.Lock()
	for _, s := range ss {
		q := queued{settlement: s, done: make(chan struct{})}
		c.pending = append(c.pending, q)
		if s.accepted() {
			last = q.done
		}
	}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	if last == nil {
		return
	}
	// Batches are taken in order, so the last one's commit is everyone's.
	wait := time.NewTimer(recordWait)
	defer wait.Stop()
	select {
	case <-last:
	case <-wait.C:
	case <-ctx.Done():
	}
}

// loop commits what is pending as soon as something is, one commit at a
// time, until stop is closed. A failed commit is kept and tried again.
func (c *committer) loop(ctx context.Context, stop <-chan struct{}) {
	retry := time.NewTicker(recordWait)
	defer retry.Stop()
	for {
		select {
		case <-stop:
			return
		case <-c.kick:
		case <-retry.C:
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
		for _, q := range batch {
			q.settleIn(s, c.r.id, t)
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
	for _, q := range batch {
		close(q.done)
	}
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
