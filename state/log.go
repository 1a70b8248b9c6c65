package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync/atomic"
)

// DefaultCheckpointEvery is how many records a store writes at most
// between two checkpoints when Options.CheckpointEvery is not set.
const DefaultCheckpointEvery = 64

// backend stores the encoded records and checkpoints, by name.
type backend interface {
	// list returns the store's names (records and checkpoints) that sort
	// after after, in ascending order; after "" lists them all.
	list(ctx context.Context, after string) ([]string, error)
	// read returns a name's bytes; an error that errors.Is
	// fs.ErrNotExist when it is gone.
	read(ctx context.Context, name string) ([]byte, error)
	// create stores data under name only if the name is free, in such a
	// way that no reader ever sees it partly written; ErrConflict if it
	// is taken.
	create(ctx context.Context, name string, data []byte) error
	// remove deletes a name; a missing one is no error.
	remove(ctx context.Context, name string) error
	// name is the file or object of a name, for messages.
	name(n string) string
	location() string
}

// logStore is the Store over any backend. Each commit writes a record of
// what it changed under the next version's name, create-if-absent; now and
// then a commit also writes a checkpoint, the whole state at its version.
// The newest state is the newest checkpoint with the records after it
// applied in order.
//
// The store keeps the state it last read or wrote (warm), so that the next
// Load or Commit reads only the records written since. Each Load returns
// a snapshot that shares the store's exports until it changes them (copy
// on write): the cycles of one process never share what they change.
type logStore struct {
	b     backend
	keep  int // checkpoints kept
	every int // records at most between checkpoints
	log   *slog.Logger
	// sem lets one Load or Commit at a time use warm; a channel rather
	// than a mutex, so that waiting for it ends with the context.
	sem  chan struct{}
	warm *warmState
	// isWarm says warm is set, for those who must not wait for sem.
	isWarm atomic.Bool
	// buf buffers what a commit writes (see writeBuffer); held under sem.
	buf *bufio.Writer
}

// warmState is the newest state the store knows, never handed out.
type warmState struct {
	s              *Snapshot
	checkpoint     int64 // the version of the checkpoint s was read from; 0 for none
	checkpointSize int   // its bytes
	sinceSize      int   // bytes of the records applied to it since
}

func newLogStore(b backend, opts Options) *logStore {
	every := opts.CheckpointEvery
	if every <= 0 {
		every = DefaultCheckpointEvery
	}
	return &logStore{b: b, keep: opts.Keep, every: every, log: opts.Logger, sem: make(chan struct{}, 1)}
}

func (st *logStore) logger() *slog.Logger { return st.log }

// warmed reports whether the store holds a state it read or wrote before.
func (st *logStore) warmed() bool { return st.isWarm.Load() }

func (st *logStore) Location() string { return st.b.location() }

func (st *logStore) acquire(ctx context.Context) error {
	select {
	case st.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (st *logStore) release() { <-st.sem }

func (st *logStore) Load(ctx context.Context) (*Snapshot, error) {
	if err := st.acquire(ctx); err != nil {
		return nil, err
	}
	defer st.release()
	if err := st.refresh(ctx); err != nil {
		return nil, err
	}
	return st.warm.s.share(), nil
}

// listing is what one list of the backend found.
type listing struct {
	records      map[int64]bool
	newestRecord int64
	checkpoints  []int64 // ascending
}

func (l listing) newestCheckpoint() int64 {
	if len(l.checkpoints) == 0 {
		return 0
	}
	return l.checkpoints[len(l.checkpoints)-1]
}

// list lists the records after version after (all with 0) and every
// checkpoint.
func (st *logStore) list(ctx context.Context, after int64) (listing, error) {
	from := ""
	if after > 0 {
		from = recordName(after)
	}
	names, err := st.b.list(ctx, from)
	if err != nil {
		return listing{}, fmt.Errorf("state %s: list: %w", st.Location(), err)
	}
	l := listing{records: map[int64]bool{}}
	for _, n := range names {
		v, record, ok := parseName(n)
		switch {
		case !ok:
		case record:
			l.records[v] = true
			l.newestRecord = max(l.newestRecord, v)
		default:
			l.checkpoints = append(l.checkpoints, v)
		}
	}
	slices.Sort(l.checkpoints)
	return l, nil
}

// refresh brings warm up to the newest version. A read that lost a race
// with pruning is tried again from a new listing.
func (st *logStore) refresh(ctx context.Context) error {
	for try := 0; ; try++ {
		retry, err := st.refreshOnce(ctx)
		if !retry || try >= 4 || ctx.Err() != nil {
			return err
		}
	}
}

// refreshOnce reads the records written since warm's version; or, when
// warm is empty or those records are pruned already, the newest checkpoint
// and the records after it. It reports whether an error may be a race.
func (st *logStore) refreshOnce(ctx context.Context) (retry bool, err error) {
	var after int64
	if st.warm != nil {
		after = st.warm.s.Version
	}
	l, err := st.list(ctx, after)
	if err != nil {
		return false, err
	}
	if st.warm == nil || !l.records[after+1] && l.newestCheckpoint() > after {
		w, retry, err := st.readCheckpoint(ctx, l.newestCheckpoint())
		if err != nil {
			return retry, err
		}
		st.warm = w
		st.isWarm.Store(true)
	}
	w := st.warm
	for v := w.s.Version + 1; l.records[v]; v++ {
		r, size, retry, err := st.readRecord(ctx, v, w.s.id)
		if err != nil {
			return retry, err
		}
		for _, e := range r.exports {
			e.freeze()
		}
		r.apply(w.s)
		w.sinceSize += size
	}
	if l.newestRecord > w.s.Version {
		// A record after the newest version we could read: the one in
		// between is missing.
		next := w.s.Version + 1
		for !l.records[next] {
			next++
		}
		err := fmt.Errorf("it follows version %d, but the record of version %d is missing", next-1, w.s.Version+1)
		return true, st.damaged(recordName(next), err)
	}
	return false, nil
}

// readCheckpoint reads the checkpoint of version v, or returns an empty
// state when v is 0.
func (st *logStore) readCheckpoint(ctx context.Context, v int64) (w *warmState, retry bool, err error) {
	if v == 0 {
		return &warmState{s: NewSnapshot()}, false, nil
	}
	name := checkpointName(v)
	data, err := st.b.read(ctx, name)
	if err != nil {
		return nil, errors.Is(err, fs.ErrNotExist), fmt.Errorf("state %s: read %s: %w", st.Location(), st.b.name(name), err)
	}
	s, err := Decode(data)
	if err != nil {
		return nil, false, st.damaged(name, err)
	}
	if s.Version != v {
		return nil, false, st.damaged(name, fmt.Errorf("it holds version %d, not the %d its name says", s.Version, v))
	}
	for _, e := range s.Exports {
		e.freeze()
	}
	return &warmState{s: s, checkpoint: v, checkpointSize: len(data)}, false, nil
}

// readRecord reads the record of version v, which must have been built on
// the commit parent.
func (st *logStore) readRecord(ctx context.Context, v int64, parent string) (r *logRecord, size int, retry bool, err error) {
	name := recordName(v)
	data, err := st.b.read(ctx, name)
	if err != nil {
		return nil, 0, errors.Is(err, fs.ErrNotExist), fmt.Errorf("state %s: read %s: %w", st.Location(), st.b.name(name), err)
	}
	r, err = decodeRecord(data)
	if err != nil {
		return nil, 0, false, st.damaged(name, err)
	}
	if r.version != v {
		return nil, 0, false, st.damaged(name, fmt.Errorf("it holds version %d, not the %d its name says", r.version, v))
	}
	if r.parent != parent {
		// A stale write into a pruned name, read between a listing and
		// its pruning, looks like this too: try again before saying so.
		err := fmt.Errorf("it was built on commit %q, not on version %d (commit %q)", r.parent, v-1, parent)
		return nil, 0, true, st.damaged(name, err)
	}
	return r, len(data), false, nil
}

func (st *logStore) damaged(name string, err error) error {
	return &DamagedError{Location: st.b.name(name), Reason: err.Error(), Err: err}
}
