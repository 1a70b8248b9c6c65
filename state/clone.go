package state

import "maps"

// clone returns a copy of s that shares nothing another cycle may change,
// its exports and starts marked clean. The events themselves are shared:
// nothing changes an event once it is recorded, only its deliveries.
func (s *Snapshot) clone() *Snapshot {
	c := *s
	c.Exports = make(map[string]*Export, len(s.Exports))
	for k, e := range s.Exports {
		c.Exports[k] = e.clone()
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

func (e *Export) clone() *Export {
	c := *e
	c.clean = true
	c.Events = make(map[string]*Record, len(e.Events))
	for k, r := range e.Events {
		cr := &Record{Event: r.Event, Deliveries: make(map[string]*Delivery, len(r.Deliveries))}
		for sink, d := range r.Deliveries {
			cd := *d
			cr.Deliveries[sink] = &cd
		}
		c.Events[k] = cr
	}
	if e.Messages != nil {
		c.Messages = maps.Clone(e.Messages)
		for sink, m := range e.Messages {
			cm := *m
			c.Messages[sink] = &cm
		}
	}
	return &c
}
