package state

import (
	"slices"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// DefaultRetention is how long a finished export's tombstone is kept, so that
// an ID still listed in EXPORT_IDS is not announced again.
const DefaultRetention = 30 * 24 * time.Hour

// Snapshot is everything the state holds at one version.
type Snapshot struct {
	// Schema is the schema version of the encoding the snapshot was read
	// from; Commit always writes CurrentSchema.
	Schema int
	// Version is the version this snapshot was loaded as or committed as;
	// 0 means no snapshot exists yet.
	Version int64
	// Updated is when the snapshot was committed (wall clock of the
	// committing process).
	Updated time.Time
	// Exports holds the watched exports and the tombstones of finished
	// ones, keyed by event.Ref.String().
	Exports map[string]*Export
	// Starts records the exports payloads asked to start, keyed by the
	// invocation and the start's own key (see Intend).
	Starts map[string]*StartRecord

	// id names the commit this snapshot was loaded or committed as, and
	// parent the commit it was built on; a record names its parent, so
	// that a reader can check the chain.
	id, parent string
	// shared says the snapshot came from a store's Load, its exports
	// frozen until thawed; owned then holds the keys of the exports it
	// thawed or added, the only ones a commit need look at.
	shared bool
	owned  map[string]struct{}
}

// Export is what the state remembers about one watched export.
type Export struct {
	Ref event.Ref
	// Status is the last status seen; its Raw is not stored.
	Status    event.Status
	FirstSeen time.Time
	// LastChange is when Status.State, Progress or CurrentCount last
	// changed; a stall is measured from it.
	LastChange time.Time
	// Finished, when non-zero, makes the export a tombstone: it is no
	// longer polled, and Prune drops it after the retention.
	Finished time.Time
	// LastChecked is when Security Center last answered about the export
	// (a status or an error); zero means never. A cycle that cannot check
	// every export checks the least recently checked first.
	LastChecked time.Time
	// LastError is the error code the last check failed with; empty when
	// it succeeded.
	LastError string
	// Events holds the events decided about the export, keyed by
	// event.Event.Key(); nil until the first (AddEvent adds it).
	Events map[string]*Record
	// Messages holds, per sink that edits its messages, the message kept
	// about the export.
	Messages map[string]*Message

	// clean says the export is as the store last read or wrote it; every
	// method that changes it clears this, and a commit writes only the
	// exports that are not clean. An Export built outside the store is
	// never clean, so it is written.
	clean bool
	// frozen says the export is the store's own, shared by the snapshots
	// it handed out: a snapshot copies it before changing it (see thaw).
	frozen bool
}

// Touch marks the export changed, so that the next commit writes it: for a
// caller that set its fields directly rather than through its methods.
func (e *Export) Touch() { e.change() }

// change marks the export changed. A frozen export is shared with other
// cycles: changing it would change their snapshots and the store's, so
// it is a programming error, reported at once.
func (e *Export) change() {
	if e.frozen {
		panic("state: an export shared by loaded snapshots was changed; get it through Snapshot.Watch or Snapshot.Export before changing it")
	}
	e.clean = false
}

// MarkChecked records that Security Center answered about the export at now.
func (e *Export) MarkChecked(now time.Time) {
	e.change()
	e.LastChecked = now
}

// SetLastError records the error code of the export's last check (empty
// when it succeeded) and reports whether that changed.
func (e *Export) SetLastError(code string) bool {
	if e.LastError == code {
		return false
	}
	e.change()
	e.LastError = code
	return true
}

// Record is one event and its delivery to each sink.
type Record struct {
	// Event is the full event, so that a later cycle resends it with the
	// same ID and content. It never changes once recorded, so copies of
	// the record (see clone) and the deliveries due share it. Do not
	// change it.
	Event *event.Event
	// Deliveries is keyed by sink name; it holds the sinks configured when
	// the event was added.
	Deliveries map[string]*Delivery
}

// Delivery is one event's delivery to one sink.
type Delivery struct {
	// ClaimedBy names the cycle that claimed the delivery; the claim holds
	// until ClaimUntil.
	ClaimedBy  string
	ClaimUntil time.Time
	// DeliveredAt is when the sink accepted the event; zero while it has not.
	DeliveredAt time.Time
	Attempts    int
	LastError   string
}

// Delivered reports whether the sink accepted the event.
func (d *Delivery) Delivered() bool { return !d.DeliveredAt.IsZero() }

// ClaimedAt reports whether a claim holds at now.
func (d *Delivery) ClaimedAt(now time.Time) bool {
	return d.ClaimedBy != "" && now.Before(d.ClaimUntil)
}

// Due names one delivery that a cycle may claim and send.
type Due struct {
	ExportKey string // event.Ref.String() of the export
	EventKey  string // event.Event.Key() of the event
	Sink      string
	// Event is the recorded event, shared with the state: a cycle lists
	// and hands on thousands of these, and an event never changes once
	// recorded. Do not change it.
	Event *event.Event
}

// NewSnapshot returns an empty snapshot, as Load returns when the store
// holds none.
func NewSnapshot() *Snapshot {
	return &Snapshot{Schema: CurrentSchema, Exports: map[string]*Export{}}
}

// Watch returns the export ref names, adding it (first seen now) if the
// snapshot does not hold it. A tombstone is returned as it is: callers
// check Finished. Change the export through its methods, or Touch it after
// setting its fields, so that the next commit writes it.
func (s *Snapshot) Watch(ref event.Ref, now time.Time) *Export {
	if s.Exports == nil {
		s.Exports = map[string]*Export{}
	}
	key := ref.String()
	if e := s.thaw(key); e != nil {
		return e
	}
	s.own(key)
	e := &Export{
		Ref:        ref,
		Status:     event.Status{Ref: ref},
		FirstSeen:  now,
		LastChange: now,
	}
	s.Exports[key] = e
	return e
}

// Export returns the export ref names, or nil.
func (s *Snapshot) Export(ref event.Ref) *Export { return s.thaw(ref.String()) }

// Pending returns the exports that are not finished, sorted by key.
func (s *Snapshot) Pending() []*Export {
	var out []*Export
	for _, k := range sortedKeys(s.Exports) {
		if e := s.Exports[k]; e.Finished.IsZero() {
			out = append(out, e)
		}
	}
	return out
}

// Observe records st as the export's last status. LastChange moves to now
// when the state, progress or current count differ from the last status
// (or when none was seen yet); it reports whether they did.
func (e *Export) Observe(st event.Status, now time.Time) bool {
	st.Raw = nil
	st.Ref = e.Ref
	changed := e.Status.State == "" || st.State != e.Status.State ||
		st.Progress != e.Status.Progress || st.CurrentCount != e.Status.CurrentCount
	e.change()
	e.Status = st
	if changed {
		e.LastChange = now
	}
	return changed
}

// Finish makes the export a tombstone as of now, unless it already is one.
func (e *Export) Finish(now time.Time) {
	if e.Finished.IsZero() {
		e.change()
		e.Finished = now
	}
}

// Has reports whether an event with the given key is recorded.
func (e *Export) Has(eventKey string) bool {
	_, ok := e.Events[eventKey]
	return ok
}

// AddEvent records ev about the export ref names (watching it first if
// needed, as of ev.Time), with an undelivered record for each of sinks
// (with none, the event is recorded as decided but goes nowhere). It
// returns false, changing nothing, if an event with the same Key is already
// recorded for the export: an event is never announced twice.
func (s *Snapshot) AddEvent(ref event.Ref, ev event.Event, sinks []string) bool {
	e := s.Watch(ref, ev.Time)
	key := ev.Key()
	if e.Has(key) {
		return false
	}
	if e.Events == nil {
		e.Events = map[string]*Record{}
	}
	ev.Status.Raw = nil
	ev.Status.Ref = ref
	r := &Record{Event: &ev, Deliveries: make(map[string]*Delivery, len(sinks))}
	for _, sink := range sinks {
		r.Deliveries[sink] = &Delivery{}
	}
	e.Events[key] = r
	e.change()
	return true
}

// Due lists the deliveries to sinks that are neither delivered nor under a
// live claim at now, in a stable order (export, event, then the order of
// sinks). Records for sinks not in the list are left alone. A cycle's own
// live claims are not due either: it sends what it claimed, not what Due
// lists after the claim was committed.
func (s *Snapshot) Due(sinks []string, now time.Time) []Due {
	// Most exports of a large state are long delivered: sort only the keys
	// of those with something due, so that a cycle with nothing to send
	// costs one pass over the state.
	var keys []string
	for ek, e := range s.Exports {
		if hasDue(e, sinks, now) {
			keys = append(keys, ek)
		}
	}
	slices.Sort(keys)
	var out []Due
	for _, ek := range keys {
		e := s.Exports[ek]
		for _, vk := range sortedKeys(e.Events) {
			r := e.Events[vk]
			for _, sink := range sinks {
				d, ok := r.Deliveries[sink]
				if !ok || d.Delivered() || d.ClaimedAt(now) {
					continue
				}
				out = append(out, Due{ExportKey: ek, EventKey: vk, Sink: sink, Event: r.Event})
			}
		}
	}
	return out
}

// hasDue reports whether e has a delivery to one of sinks that is due at
// now (see Due).
func hasDue(e *Export, sinks []string, now time.Time) bool {
	for _, r := range e.Events {
		for _, sink := range sinks {
			if d, ok := r.Deliveries[sink]; ok && !d.Delivered() && !d.ClaimedAt(now) {
				return true
			}
		}
	}
	return false
}

// Undelivered lists every delivery not yet accepted by its sink, claimed
// or not, in the same order as Due.
func (s *Snapshot) Undelivered() []Due {
	var out []Due
	for _, ek := range sortedKeys(s.Exports) {
		e := s.Exports[ek]
		for _, vk := range sortedKeys(e.Events) {
			r := e.Events[vk]
			for _, sink := range sortedKeys(r.Deliveries) {
				if !r.Deliveries[sink].Delivered() {
					out = append(out, Due{ExportKey: ek, EventKey: vk, Sink: sink, Event: r.Event})
				}
			}
		}
	}
	return out
}

// Delivery returns the delivery record d names, or nil, to read: it is
// changed through Claim and Settle.
func (s *Snapshot) Delivery(d Due) *Delivery {
	if e := s.Exports[d.ExportKey]; e != nil {
		if r := e.Events[d.EventKey]; r != nil {
			return r.Deliveries[d.Sink]
		}
	}
	return nil
}

// delivery returns the delivery record d names and its export, this
// snapshot's own, or nils.
func (s *Snapshot) delivery(d Due) (*Export, *Delivery) {
	if s.Delivery(d) == nil {
		return nil, nil
	}
	e := s.thaw(d.ExportKey)
	return e, e.Events[d.EventKey].Deliveries[d.Sink]
}

// Claim takes the delivery d names for cycle until now+lease. It returns
// false if the delivery is gone or already delivered, or another cycle
// holds a live claim on it; a cycle may renew its own claim.
func (s *Snapshot) Claim(cycle string, d Due, now time.Time, lease time.Duration) bool {
	e, del := s.delivery(d)
	if del == nil || del.Delivered() {
		return false
	}
	if del.ClaimedAt(now) && del.ClaimedBy != cycle {
		return false
	}
	e.change()
	del.ClaimedBy = cycle
	del.ClaimUntil = now.Add(lease)
	return true
}

// Settle records the outcome of cycle's send of d: delivered at now when
// sendErr is nil, otherwise the error's text. It counts the attempt and
// releases cycle's claim. If another cycle has taken the claim over in the
// meantime (cycle's lease ran out), a failure leaves that claim alone; a
// success is recorded all the same, since the sink did accept the event,
// and ends the claim, since nothing is left to send.
func (s *Snapshot) Settle(cycle string, d Due, sendErr error, now time.Time) {
	e, del := s.delivery(d)
	if del == nil {
		return
	}
	e.change()
	del.Attempts++
	if sendErr == nil {
		if !del.Delivered() {
			del.DeliveredAt = now
		}
		del.LastError = ""
	} else if !del.Delivered() {
		del.LastError = sendErr.Error()
	}
	if del.ClaimedBy == cycle || del.Delivered() {
		del.ClaimedBy = ""
		del.ClaimUntil = time.Time{}
	}
}

// Prune drops the tombstones that finished more than retention before now
// (DefaultRetention when retention is not positive), undelivered events
// and all: by then the sinks have been retried for that long. It returns
// the references it dropped.
func (s *Snapshot) Prune(now time.Time, retention time.Duration) []event.Ref {
	if retention <= 0 {
		retention = DefaultRetention
	}
	s.pruneStarts(now, retention)
	// Few exports expire at a time: sort only their keys.
	var expired []string
	for k, e := range s.Exports {
		if !e.Finished.IsZero() && now.Sub(e.Finished) > retention {
			expired = append(expired, k)
		}
	}
	slices.Sort(expired)
	var dropped []event.Ref
	for _, k := range expired {
		dropped = append(dropped, s.Exports[k].Ref)
		delete(s.Exports, k)
	}
	return dropped
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	return keys
}
