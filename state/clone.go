package state

import (
	"maps"
	"slices"
)

// share returns a snapshot of s for one cycle. Its map of exports is its
// own, and holds the store's frozen exports, which every method that
// changes one copies first (see thaw): a Load costs a copy of the map,
// not of the state, and cycles share nothing they change. Start records
// are few and copied.
func (s *Snapshot) share() *Snapshot {
	c := *s
	c.shared, c.owned = true, nil
	c.Exports = maps.Clone(s.Exports)
	if c.Exports == nil {
		c.Exports = map[string]*Export{}
	}
	c.Starts = nil
	if s.Starts != nil {
		c.Starts = make(map[string]*StartRecord, len(s.Starts))
		for k, r := range s.Starts {
			cr := *r
			cr.clean = true
			c.Starts[k] = &cr
		}
	}
	return &c
}

// freeze makes e the store's: unchanged, and shared by the snapshots the
// store hands out.
func (e *Export) freeze() { e.clean, e.frozen = true, true }

// clone returns an unfrozen copy of e that shares nothing changeable with
// it. The events themselves are shared: nothing changes an event once it
// is recorded, only its deliveries.
func (e *Export) clone() *Export {
	c := *e
	c.clean, c.frozen = true, false
	c.Events = nil
	if e.Events != nil {
		c.Events = make([]*Record, len(e.Events))
	}
	for i, r := range e.Events {
		c.Events[i] = &Record{Event: r.Event, key: r.key, Deliveries: slices.Clone(r.Deliveries)}
	}
	if e.Messages != nil {
		c.Messages = make(map[string]*Message, len(e.Messages))
		for sink, m := range e.Messages {
			cm := *m
			c.Messages[sink] = &cm
		}
	}
	return &c
}

// thaw returns the export key names, or nil, as this snapshot's own: a
// frozen export is copied first (copy on write). Every method that
// changes an export, or hands one out to be changed, gets it here.
func (s *Snapshot) thaw(key string) *Export {
	e := s.Exports[key]
	if e == nil || !e.frozen {
		return e
	}
	e = e.clone()
	s.Exports[key] = e
	s.own(key)
	return e
}

func (s *Snapshot) own(key string) {
	if !s.shared {
		return
	}
	if s.owned == nil {
		s.owned = map[string]struct{}{}
	}
	s.owned[key] = struct{}{}
}
