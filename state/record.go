package state

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// logRecord is what one commit changed: the exports and start records it
// added or changed, in full, and the keys of those it dropped. Applied in
// order to the checkpoint before it, the records give the newest state.
type logRecord struct {
	version       int64
	updated       time.Time
	id, parent    string
	exports       []*Export
	removed       []string
	starts        map[string]*StartRecord
	removedStarts []string
}

// wireRecord is a record's encoding: a snapshot's fields, with only the
// exports and starts that changed, and the keys removed.
type wireRecord struct {
	wireSnapshot
	Removed       []string `json:"removed,omitempty"`
	RemovedStarts []string `json:"removedStarts,omitempty"`
}

// encodeRecord returns the encoding of r, written with CurrentSchema.
func encodeRecord(r *logRecord) ([]byte, error) {
	var buf chunkedBuffer
	if err := encodeRecordTo(&buf, r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeRecordTo writes the encoding of r to out, export by export.
func encodeRecordTo(out io.Writer, r *logRecord) error {
	err := encodeState(out, stateHeader{r.version, r.updated, r.id, r.parent}, r.exports, r.starts,
		wireField{"removed", r.removed}, wireField{"removedStarts", r.removedStarts})
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	return nil
}

// decodeRecord parses an encoded record, with the checks Decode makes of
// a snapshot; an export or start both changed and removed is refused too.
func decodeRecord(data []byte) (*logRecord, error) {
	var w wireRecord
	var exports []*Export
	seen := map[string]bool{}
	err := decodeStream(data, "record", &w, true, func(i int, we *wireExport) error {
		e, err := decodeExport(i, we)
		if err != nil {
			return err
		}
		if key := e.Ref.String(); seen[key] {
			return fmt.Errorf("export %s is recorded twice", key)
		} else {
			seen[key] = true
		}
		exports = append(exports, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if w.Version <= 0 || w.Commit == "" {
		return nil, fmt.Errorf("not a record: version %d, commit %q", w.Version, w.Commit)
	}
	r := &logRecord{version: w.Version, updated: w.Updated, id: w.Commit, parent: w.Parent, exports: exports}
	for _, key := range w.Removed {
		if key == "" || seen[key] {
			return nil, fmt.Errorf("the removed export %q is empty or recorded twice", key)
		}
		seen[key] = true
	}
	r.removed = w.Removed
	if r.starts, err = decodeStarts(w.Starts); err != nil {
		return nil, err
	}
	for _, key := range w.RemovedStarts {
		if _, dup := r.starts[key]; dup || key == "" {
			return nil, fmt.Errorf("the removed start %q is empty or recorded twice", key)
		}
	}
	r.removedStarts = w.RemovedStarts
	return r, nil
}

// apply makes s the state r's commit left, given the state it was built on.
func (r *logRecord) apply(s *Snapshot) {
	for _, e := range r.exports {
		s.Exports[e.Ref.String()] = e
	}
	for _, key := range r.removed {
		delete(s.Exports, key)
	}
	for key, st := range r.starts {
		if s.Starts == nil {
			s.Starts = map[string]*StartRecord{}
		}
		s.Starts[key] = st
	}
	for _, key := range r.removedStarts {
		delete(s.Starts, key)
	}
	s.Schema, s.Version, s.Updated, s.id, s.parent = CurrentSchema, r.version, r.updated, r.id, r.parent
}

// changes returns what s changed since base, the state it was loaded as
// (the exports and starts that are not clean, and the keys base holds and
// s does not), as the record of version next.
func changes(base, s *Snapshot, next int64, id string, now time.Time) (*logRecord, error) {
	r := &logRecord{version: next, updated: now, id: id, parent: s.id}
	added, err := r.collect(base, s, s.shared)
	if err != nil {
		return nil, err
	}
	if s.shared && len(s.Exports) != len(base.Exports)+added {
		// Exports put into the map or dropped other than through the
		// snapshot's methods: look at them all.
		r.exports = nil
		if added, err = r.collect(base, s, false); err != nil {
			return nil, err
		}
	}
	// Keys are dropped only by Prune; look for them only when the counts
	// say some were.
	if len(s.Exports) != len(base.Exports)+added {
		for _, k := range sortedKeys(base.Exports) {
			if s.Exports[k] == nil {
				r.removed = append(r.removed, k)
			}
		}
	}
	for _, k := range sortedKeys(s.Starts) {
		if st := s.Starts[k]; !st.clean {
			if r.starts == nil {
				r.starts = map[string]*StartRecord{}
			}
			r.starts[k] = st
		}
	}
	for _, k := range sortedKeys(base.Starts) {
		if s.Starts[k] == nil {
			r.removedStarts = append(r.removedStarts, k)
		}
	}
	return r, nil
}

// collect puts in r the exports of s that are not clean, sorted, and
// returns how many of them base does not hold. With owned it looks only at
// those s thawed or added (every other export of a loaded snapshot is the
// store's own and unchanged), otherwise at all: a state of 50,000 takes
// milliseconds to walk.
func (r *logRecord) collect(base, s *Snapshot, owned bool) (added int, err error) {
	look := func(k string, e *Export) error {
		if e == nil || e.clean {
			return nil
		}
		if k != e.Ref.String() {
			return fmt.Errorf("export %s is filed under the key %q", e.Ref, k)
		}
		r.exports = append(r.exports, e)
		if base.Exports[k] == nil {
			added++
		}
		return nil
	}
	if owned {
		for k := range s.owned {
			if err := look(k, s.Exports[k]); err != nil {
				return 0, err
			}
		}
	} else {
		for k, e := range s.Exports {
			if err := look(k, e); err != nil {
				return 0, err
			}
		}
	}
	slices.SortFunc(r.exports, func(a, b *Export) int { return strings.Compare(a.Ref.String(), b.Ref.String()) })
	return added, nil
}

// decodeStarts checks and converts the start records of a snapshot or a
// record.
func decodeStarts(ws []wireStart) (map[string]*StartRecord, error) {
	var out map[string]*StartRecord
	for i, w := range ws {
		if _, dup := out[w.Key]; dup || w.Key == "" {
			return nil, fmt.Errorf("starts[%d]: the key %q is empty or recorded twice", i, w.Key)
		}
		r, err := decodeStart(w)
		if err != nil {
			return nil, fmt.Errorf("starts[%d]: %w", i, err)
		}
		if out == nil {
			out = make(map[string]*StartRecord, len(ws))
		}
		out[w.Key] = r
	}
	return out, nil
}
