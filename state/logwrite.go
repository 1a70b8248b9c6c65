package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

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
			buffered := st.writeBuffer(counted)
			defer buffered.Reset(nil) // let go of the file
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

// writeBuffer returns the store's write buffer, writing to w. One buffer
// serves every commit, since they are made one at a time (under sem): a
// delivery commits every message it sends, and a new buffer for each
// would be most of a small commit's garbage.
func (st *logStore) writeBuffer(w io.Writer) *bufio.Writer {
	if st.buf == nil {
		st.buf = bufio.NewWriterSize(w, chunkSize)
	}
	st.buf.Reset(w)
	return st.buf
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
