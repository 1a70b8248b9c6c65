package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"
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

func (st *logStore) Commit(ctx context.Context, s *Snapshot) error {
	if err := st.acquire(ctx); err != nil {
		return err
	}
	defer st.release()
	if err := st.refresh(ctx); err != nil {
		var de *DamagedError
		if errors.As(err, &de) {
			// What cannot be read is newer than anything s was loaded as.
			return fmt.Errorf("state %s: snapshot version %d is not the newest: %w (%w)", st.Location(), s.Version, ErrConflict, err)
		}
		return err
	}
	base := st.warm.s
	if base.Version != s.Version || base.id != s.id {
		return fmt.Errorf("state %s: snapshot version %d is not the newest (%d is): %w", st.Location(), s.Version, base.Version, ErrConflict)
	}
	next := s.Version + 1
	r, err := changes(base, s, next, newCommitID(), time.Now().UTC())
	if err != nil {
		return fmt.Errorf("state %s: %w", st.Location(), err)
	}
	name := recordName(next)
	size, err := st.create(ctx, name, func(w io.Writer) error { return encodeRecordTo(w, r) })
	var encErr *encodeError
	switch {
	case errors.As(err, &encErr):
		return fmt.Errorf("state %s: %w", st.Location(), encErr.err)
	case errors.Is(err, ErrConflict):
		return fmt.Errorf("state %s: version %d: %w", st.Location(), next, err)
	case err != nil:
		return fmt.Errorf("state %s: write %s: %w", st.Location(), st.b.name(name), err)
	}
	if err := st.confirm(ctx, next, r.id); err != nil {
		return err
	}
	st.landed(s, r, size)
	st.checkpointIfDue(ctx)
	return nil
}

// streamer is a backend that writes a name's bytes as they are encoded
// rather than from one slice (the file backend).
type streamer interface {
	createFrom(ctx context.Context, name string, write func(io.Writer) error) error
}

// encodeError is an error of encoding a state, as opposed to writing it.
type encodeError struct{ err error }

func (e *encodeError) Error() string { return e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }

// create writes what encode writes under name, create-if-absent, and
// returns its size. A backend that can is given the bytes as they are
// encoded, so that neither a checkpoint nor a large record is held whole
// in memory. An error of encode is an *encodeError.
func (st *logStore) create(ctx context.Context, name string, encode func(io.Writer) error) (int, error) {
	encodeTo := func(w io.Writer) error {
		if err := encode(w); err != nil {
			return &encodeError{err}
		}
		return nil
	}
	if s, ok := st.b.(streamer); ok {
		var size int
		err := s.createFrom(ctx, name, func(w io.Writer) error {
			counted := &countingWriter{w: w}
			buffered := bufio.NewWriterSize(counted, chunkSize)
			if err := encodeTo(buffered); err != nil {
				return err
			}
			err := buffered.Flush()
			size = counted.n
			return err
		})
		return size, err
	}
	var buf chunkedBuffer
	if err := encodeTo(&buf); err != nil {
		return 0, err
	}
	data := buf.Bytes()
	return len(data), st.b.create(ctx, name, data)
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// confirm checks that the record of version next, whose name was free,
// was built on the newest version. A free name alone does not prove it:
// between the listing and the write, other commits may have gone on,
// written a checkpoint and pruned the very record we wrote, leaving its
// name free for a stale write. The write was good if no checkpoint of its
// version or later exists, or if the record after it was built on it.
func (st *logStore) confirm(ctx context.Context, next int64, id string) error {
	l, err := st.list(ctx, next)
	if err != nil {
		return fmt.Errorf("state %s: could not confirm the commit of %s: %w", st.Location(), st.b.name(recordName(next)), err)
	}
	if l.newestCheckpoint() < next {
		return nil
	}
	if data, err := st.b.read(ctx, recordName(next+1)); err == nil {
		if child, err := decodeRecord(data); err == nil && child.parent == id {
			return nil
		}
	}
	// A stale write below the newest checkpoint: no Load reads it, and a
	// later pruning deletes it.
	return fmt.Errorf("state %s: version %d was committed and pruned meanwhile (newest is %d): %w",
		st.Location(), next, max(l.newestRecord, l.newestCheckpoint()), ErrConflict)
}

// landed makes s and warm the state r's commit left. s's changed exports
// become the store's, frozen and shared with warm rather than copied, so
// that a commit does not hold the changed exports twice: s copies one
// again only when it changes it after the commit (see thaw).
func (st *logStore) landed(s *Snapshot, r *logRecord, size int) {
	r.apply(s)
	for _, e := range r.exports {
		e.freeze()
	}
	s.shared, s.owned = true, nil
	w := st.warm
	copied := *r
	copied.starts = make(map[string]*StartRecord, len(r.starts))
	for k, sr := range r.starts {
		sr.clean = true
		c := *sr
		copied.starts[k] = &c
	}
	copied.apply(w.s)
	w.sinceSize += size
}

// checkpointIfDue writes warm as the checkpoint of its version when the
// records since the last checkpoint are many, or weigh more than half of
// it, and then prunes. A checkpoint that fails is only logged: the commit
// landed, and the next commit tries again.
func (st *logStore) checkpointIfDue(ctx context.Context) {
	w := st.warm
	v := w.s.Version
	if w.checkpoint != 0 && v-w.checkpoint < int64(st.every) && 2*w.sinceSize <= w.checkpointSize {
		return
	}
	size, err := st.create(ctx, checkpointName(v), func(out io.Writer) error { return encodeSnapshot(out, w.s) })
	if err != nil && !errors.Is(err, ErrConflict) {
		if st.log != nil {
			st.log.Warn("state checkpoint failed; the next commit tries again", slog.String("state", st.Location()), slog.Int64("version", v), slog.Any("error", err))
		}
		return
	}
	w.checkpoint, w.checkpointSize, w.sinceSize = v, size, 0
	st.prune(ctx)
}

// prune keeps the newest checkpoints and the records after the oldest of
// them, so that a reader that listed a moment ago still finds what it
// listed, and a warm reader a few commits behind reads records rather than
// a checkpoint. Pruning is best effort: what is left now is deleted after
// a later checkpoint, and readers of a deleted name list again.
func (st *logStore) prune(ctx context.Context) {
	l, err := st.list(ctx, 0)
	if err != nil || len(l.checkpoints) <= st.keep {
		return
	}
	oldest := l.checkpoints[len(l.checkpoints)-st.keep]
	for _, c := range l.checkpoints {
		if c < oldest {
			_ = st.b.remove(ctx, checkpointName(c))
		}
	}
	for v := range l.records {
		if v <= oldest {
			_ = st.b.remove(ctx, recordName(v))
		}
	}
	if c, ok := st.b.(interface{ cleanup(context.Context) }); ok {
		c.cleanup(ctx)
	}
}
