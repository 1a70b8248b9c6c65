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
	// Status is the last status seen (see LastStatus for it as an
	// event.Status).
	Status    Status
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
	// Events holds the events decided about the export, sorted by their
	// Key (event.Event.Key()), each once; nil until the first (AddEvent
	// adds it). Look one up with Event. A slice, not a map: a large state
	// holds thousands of exports with one or two events each, where a map
	// costs several times what it holds.
	Events []*Record
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
	// Deliveries holds one delivery per sink configured when the event was
	// added, sorted by Sink; look one up with Delivery. None is added
	// later, so a pointer to one stays valid.
	Deliveries []Delivery
	// key is Event.Key(), kept since a failure's is built anew each call.
	key string
}

// Key is the key of the record's event among its export's events.
func (r *Record) Key() string { return r.key }

// Delivery returns the delivery to sink, or nil if the record has none.
func (r *Record) Delivery(sink string) *Delivery {
	if i, ok := slices.BinarySearchFunc(r.Deliveries, sink, func(d Delivery, sink string) int {
		return strings.Compare(d.Sink, sink)
	}); ok {
		return &r.Deliveries[i]
	}
	return nil
}

// newRecord returns the record of ev, shared, with an undelivered
// delivery to each of sinks.
func newRecord(ev *event.Event, sinks []string) *Record {
	r := &Record{Event: ev, key: ev.Key(), Deliveries: make([]Delivery, 0, len(sinks))}
	for _, sink := range sinks {
		if r.Delivery(sink) == nil {
			r.insertDelivery(Delivery{Sink: sink})
		}
	}
	return r
}

// insertDelivery adds d in its place by sink.
func (r *Record) insertDelivery(d Delivery) {
	i, _ := slices.BinarySearchFunc(r.Deliveries, d.Sink, func(d Delivery, sink string) int {
		return strings.Compare(d.Sink, sink)
	})
	r.Deliveries = slices.Insert(r.Deliveries, i, d)
}

// Delivery is one event's delivery to one sink.
type Delivery struct {
	// Sink names the sink.
	Sink string
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
	changed := e.Status.State == "" || st.State != e.Status.State ||
		st.Progress != e.Status.Progress || st.CurrentCount != e.Status.CurrentCount
	e.change()
	e.Status = statusOf(st)
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
func (e *Export) Has(eventKey string) bool { return e.Event(eventKey) != nil }

// Event returns the record of the event with the given key, or nil.
func (e *Export) Event(eventKey string) *Record {
	if i, ok := e.eventIndex(eventKey); ok {
		return e.Events[i]
	}
	return nil
}

// eventIndex is where the event with the given key is, or would be, in
// Events.
func (e *Export) eventIndex(eventKey string) (int, bool) {
	return slices.BinarySearchFunc(e.Events, eventKey, func(r *Record, key string) int {
		return strings.Compare(r.key, key)
	})
}

// addRecord files r in its place, unless an event with its key is
// recorded, and reports whether it did.
func (e *Export) addRecord(r *Record) bool {
	i, dup := e.eventIndex(r.key)
	if dup {
		return false
	}
	e.Events = slices.Insert(e.Events, i, r)
	return true
}

// AddEvent records ev about the export ref names (watching it first if
// needed, as of ev.Time), with an undelivered record for each of sinks
// (with none, the event is recorded as decided but goes nowhere). It
// returns false, changing nothing, if an event with the same Key is already
// recorded for the export: an event is never announced twice.
func (s *Snapshot) AddEvent(ref event.Ref, ev event.Event, sinks []string) bool {
	e := s.Watch(ref, ev.Time)
	if e.Has(ev.Key()) {
		return false
	}
	ev.Status.Raw = nil
	ev.Status.Ref = ref
	e.addRecord(newRecord(&ev, sinks))
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
		for _, r := range s.Exports[ek].Events {
			for _, sink := range sinks {
				if d := r.Delivery(sink); d != nil && !d.Delivered() && !d.ClaimedAt(now) {
					out = append(out, Due{ExportKey: ek, EventKey: r.key, Sink: sink, Event: r.Event})
				}
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
			if d := r.Delivery(sink); d != nil && !d.Delivered() && !d.ClaimedAt(now) {
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
		for _, r := range s.Exports[ek].Events {
			for _, d := range r.Deliveries {
				if !d.Delivered() {
					out = append(out, Due{ExportKey: ek, EventKey: r.key, Sink: d.Sink, Event: r.Event})
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
		if r := e.Event(d.EventKey); r != nil {
			return r.Delivery(d.Sink)
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
	return e, e.Event(d.EventKey).Delivery(d.Sink)
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
