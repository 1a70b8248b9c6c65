package state

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// Batch is the exports one start item started, one per member account:
// the start records that name the same batch.
type Batch struct {
	// Key names the batch: the invocation and the start item's key.
	Key string
	// Starts are its start records, by account.
	Starts []*StartRecord
	// Requested is when the first of them was recorded.
	Requested time.Time
}

// IntendBatch records that cycle is about to start specs, each under the
// key beside it, as batch. It returns the indexes of the specs recorded,
// all of them; or none, changing nothing, when any start of batch is
// already recorded: an earlier run of the same invocation fixed the
// batch's members (for "all", the members listed then), and made or is
// making those starts.
func (s *Snapshot) IntendBatch(batch string, keys []string, specs []event.StartSpec, cycle string, now time.Time) []int {
	for _, r := range s.Starts {
		if r.Batch == batch {
			return nil
		}
	}
	if s.Starts == nil {
		s.Starts = map[string]*StartRecord{}
	}
	mine := make([]int, 0, len(keys))
	for i, key := range keys {
		if _, ok := s.Starts[key]; ok {
			continue
		}
		s.Starts[key] = &StartRecord{Spec: specs[i], Requested: now, ClaimedBy: cycle, Batch: batch}
		mine = append(mine, i)
	}
	return mine
}

// Batches returns the batches the state records, oldest first, each with
// its start records in account order.
func (s *Snapshot) Batches() []Batch {
	byKey := map[string]*Batch{}
	for _, r := range s.Starts {
		if r.Batch == "" {
			continue
		}
		b := byKey[r.Batch]
		if b == nil {
			b = &Batch{Key: r.Batch, Requested: r.Requested}
			byKey[r.Batch] = b
		}
		b.Starts = append(b.Starts, r)
		if r.Requested.Before(b.Requested) {
			b.Requested = r.Requested
		}
	}
	out := make([]Batch, 0, len(byKey))
	for _, b := range byKey {
		slices.SortFunc(b.Starts, func(x, y *StartRecord) int { return cmp.Compare(x.Spec.Account, y.Spec.Account) })
		out = append(out, *b)
	}
	slices.SortFunc(out, func(x, y Batch) int {
		if c := x.Requested.Compare(y.Requested); c != 0 {
			return c
		}
		return strings.Compare(x.Key, y.Key)
	})
	return out
}

// MemberState is where one member account's export of a batch stands.
type MemberState string

// The states of a batch's member.
const (
	MemberPending MemberState = "pending" // starting or exporting
	MemberReady   MemberState = "ready"   // the export completed
	MemberFailed  MemberState = "failed"  // the start failed
)

// Member is one member account of a batch and where its export stands.
type Member struct {
	Account int64
	State   MemberState
	Start   *StartRecord
	// Export is the started export's record; nil when none started, or
	// when the state no longer holds it.
	Export *Export
	// Code is the error code that failed the start, or the one the last
	// check of a pending export failed with.
	Code string
}

// Members returns where each member of b stands in s, in account order.
func (s *Snapshot) Members(b Batch) []Member {
	out := make([]Member, len(b.Starts))
	for i, r := range b.Starts {
		m := Member{Account: r.Spec.Account, State: MemberPending, Start: r}
		switch {
		case r.Error != "":
			m.State, m.Code = MemberFailed, r.Code
			if m.Code == "" {
				m.Code = "StartFailed"
			}
		case r.Ref.ID != 0:
			m.Export = s.Exports[r.Ref.String()]
			if m.Export != nil && !m.Export.Finished.IsZero() && m.Export.Status.State == event.Success {
				m.State = MemberReady
			}
			if m.Export != nil {
				m.Code = m.Export.LastError
			}
		}
		out[i] = m
	}
	return out
}

// Settled reports whether every member's export completed or failed.
func Settled(members []Member) bool {
	for _, m := range members {
		if m.State == MemberPending {
			return false
		}
	}
	return true
}

// checkEventType refuses an event of an unknown type, and a digest
// without its summary (or a summary on another type).
func checkEventType(wv wireEvent) error {
	if wv.Type == event.Digest {
		if wv.Digest == nil {
			return errors.New("the digest event holds no digest")
		}
		return nil
	}
	if wv.Digest != nil {
		return fmt.Errorf("a %s event holds a digest", wv.Type)
	}
	_, err := event.ParseType(string(wv.Type))
	return err
}

// MuteEvents takes the sinks off the events of the export ref names that
// no sink has accepted, claimed or tried, but those of type keep: a
// batch's digest stands for its members' own messages. It reports
// whether it changed anything.
func (s *Snapshot) MuteEvents(ref event.Ref, keep event.Type) bool {
	e := s.Exports[ref.String()]
	if e == nil || !hasMutable(e, keep) {
		return false
	}
	e = s.thaw(ref.String())
	for _, r := range e.Events {
		if r.Event.Type == keep || !untouched(r) {
			continue
		}
		r.Deliveries = nil
	}
	e.change()
	return true
}

func hasMutable(e *Export, keep event.Type) bool {
	for _, r := range e.Events {
		if r.Event.Type != keep && len(r.Deliveries) > 0 && untouched(r) {
			return true
		}
	}
	return false
}

// untouched: no sink accepted, claimed or tried the event.
func untouched(r *Record) bool {
	for _, d := range r.Deliveries {
		if d.Delivered() || d.ClaimedBy != "" || d.Attempts > 0 {
			return false
		}
	}
	return true
}
