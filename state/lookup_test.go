package state

import (
	"slices"
	"testing"

	"github.com/export-notifier/export-notifier/event"
)

// The events and deliveries of an export are found by key and sink
// whatever order they were added or decoded in, and are listed in that
// order: Due and Undelivered go by event key, then sink.
func TestEventsAndDeliveriesLookUp(t *testing.T) {
	ref := event.Ref{Kind: event.Vul, ID: 7}
	s := NewSnapshot()
	for _, ev := range []event.Event{failed(ref, "Forbidden", t0), completed(ref, t0), failed(ref, "Abc", t0)} {
		if !s.AddEvent(ref, ev, []string{"webhook", "slack", "lark"}) {
			t.Fatalf("event %s not added", ev.Key())
		}
	}
	decoded, err := Decode(mustEncode(t, s))
	if err != nil {
		t.Fatal(err)
	}
	for name, snap := range map[string]*Snapshot{"added": s, "decoded": decoded} {
		e := snap.Export(ref)
		var keys []string
		for _, r := range e.Events {
			keys = append(keys, r.Key())
		}
		if want := []string{"completed", "failed:Abc", "failed:Forbidden"}; !slices.Equal(keys, want) {
			t.Errorf("%s: events %v, want %v", name, keys, want)
		}
		r := e.Event("failed:Forbidden")
		if r == nil || r.Event.Error.Code != "Forbidden" {
			t.Fatalf("%s: Event(failed:Forbidden) = %+v", name, r)
		}
		if e.Event("failed:Other") != nil || e.Has("stalled") {
			t.Errorf("%s: an event never recorded was found", name)
		}
		if d := r.Delivery("slack"); d == nil || d.Sink != "slack" {
			t.Errorf("%s: Delivery(slack) = %+v", name, d)
		}
		if r.Delivery("dingtalk") != nil {
			t.Errorf("%s: a delivery to a sink never configured was found", name)
		}
		var order []string
		for _, d := range snap.Undelivered() {
			order = append(order, d.EventKey+"/"+d.Sink)
		}
		if order[0] != "completed/lark" || order[2] != "completed/webhook" || order[3] != "failed:Abc/lark" || len(order) != 9 {
			t.Errorf("%s: undelivered in the order %v", name, order)
		}
	}
}

func mustEncode(t *testing.T, s *Snapshot) []byte {
	t.Helper()
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
