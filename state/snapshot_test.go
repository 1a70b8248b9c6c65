package state

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

var t0 = time.Date(2026, 11, 25, 7, 49, 0, 123456789, time.UTC)

func completed(ref event.Ref, at time.Time) event.Event {
	return event.Event{
		ID: event.NewID(ref, string(event.Completed)), Type: event.Completed, Time: at, Region: "cn-shanghai",
		Status: event.Status{Ref: ref, State: event.Success, Progress: 100, CurrentCount: 10, TotalCount: 10,
			FileName: "assets.zip", Link: "https://bucket.oss/x?Signature=s", RequestID: "req-1", Raw: []byte("{}")},
	}
}

func failed(ref event.Ref, code string, at time.Time) event.Event {
	f := &event.Failure{Code: code, Message: "no", HTTPStatus: 403}
	return event.Event{ID: event.NewID(ref, event.Key(event.Failed, f)), Type: event.Failed, Time: at, Status: event.Status{Ref: ref}, Error: f}
}

func TestWatchAndObserve(t *testing.T) {
	s := NewSnapshot()
	ref := event.Ref{Kind: event.Vul, ID: 52}
	e := s.Watch(ref, t0)
	if e.FirstSeen != t0 || e.LastChange != t0 || s.Watch(ref, t0.Add(time.Hour)) != e {
		t.Fatalf("Watch did not create once and return the same export: %+v", e)
	}
	steps := []struct {
		st      event.Status
		at      time.Time
		changed bool
	}{
		{event.Status{State: event.Exporting, Progress: 10}, t0.Add(1 * time.Minute), true},
		{event.Status{State: event.Exporting, Progress: 10, RequestID: "other"}, t0.Add(2 * time.Minute), false},
		{event.Status{State: event.Exporting, Progress: 10, CurrentCount: 5}, t0.Add(3 * time.Minute), true},
		{event.Status{State: event.Success, Progress: 10, CurrentCount: 5}, t0.Add(4 * time.Minute), true},
	}
	for i, step := range steps {
		before := e.LastChange
		if got := e.Observe(step.st, step.at); got != step.changed {
			t.Errorf("step %d: Observe = %v, want %v", i, got, step.changed)
		}
		want := before
		if step.changed {
			want = step.at
		}
		if e.LastChange != want {
			t.Errorf("step %d: LastChange = %v, want %v", i, e.LastChange, want)
		}
		if e.LastStatus().Ref != ref {
			t.Errorf("step %d: status lost its reference: %v", i, e.LastStatus().Ref)
		}
	}
}

func TestAddEventNeverTwice(t *testing.T) {
	s := NewSnapshot()
	ref := event.Ref{Kind: event.Asset, ID: 131231}
	if !s.AddEvent(ref, completed(ref, t0), []string{"slack", "webhook"}) {
		t.Fatal("first completed event refused")
	}
	if s.AddEvent(ref, completed(ref, t0.Add(time.Hour)), []string{"slack"}) {
		t.Fatal("second completed event for the same export accepted")
	}
	if !s.AddEvent(ref, failed(ref, "NoPermission", t0), []string{"slack"}) || !s.AddEvent(ref, failed(ref, "ServerError", t0), []string{"slack"}) {
		t.Fatal("failures with distinct codes must each be recorded")
	}
	if s.AddEvent(ref, failed(ref, "NoPermission", t0.Add(time.Hour)), []string{"slack"}) {
		t.Fatal("a failure with a code already told was accepted again")
	}
	r := s.Export(ref).Event("completed")
	if r.Event.Time != t0 || len(r.Deliveries) != 2 || r.Event.Status.Raw != nil {
		t.Fatalf("the first event must stay as recorded, without Raw: %+v", r)
	}
}

func TestClaimProtocol(t *testing.T) {
	s := NewSnapshot()
	ref := event.Ref{Kind: event.Asset, ID: 1}
	s.AddEvent(ref, completed(ref, t0), []string{"slack", "webhook"})
	lease := 10 * time.Minute

	due := s.Due([]string{"webhook", "slack", "dingtalk"}, t0)
	if len(due) != 2 || due[0].Sink != "webhook" || due[1].Sink != "slack" {
		t.Fatalf("Due = %+v, want webhook then slack (dingtalk has no record)", due)
	}
	if due[0].Event.ID != event.NewID(ref, "completed") {
		t.Fatalf("due event ID %q", due[0].Event.ID)
	}
	if only := s.Due([]string{"slack"}, t0); len(only) != 1 || only[0].Sink != "slack" {
		t.Fatalf("Due(slack) = %+v", only)
	}

	a, b := "cycle-a", "cycle-b"
	if !s.Claim(a, due[0], t0, lease) {
		t.Fatal("claim on a free delivery refused")
	}
	if s.Claim(b, due[0], t0.Add(lease-time.Second), lease) {
		t.Fatal("another cycle took a live claim")
	}
	if !s.Claim(a, due[0], t0.Add(time.Minute), lease) {
		t.Fatal("a cycle could not renew its own claim")
	}
	if got := s.Due([]string{"webhook"}, t0.Add(2*time.Minute)); len(got) != 0 {
		t.Fatalf("a claimed delivery is due: %+v", got)
	}

	// The claim expires: b takes it over, a's late failure leaves b's claim alone.
	expired := t0.Add(time.Minute + lease)
	if got := s.Due([]string{"webhook"}, expired); len(got) != 1 {
		t.Fatalf("an expired claim is not due again: %+v", got)
	}
	if !s.Claim(b, due[0], expired, lease) {
		t.Fatal("an expired claim could not be taken over")
	}
	s.Settle(a, due[0], errors.New("503 from receiver"), expired)
	d := s.Delivery(due[0])
	if d.ClaimedBy != b || d.Attempts != 1 || d.LastError != "503 from receiver" || d.Delivered() {
		t.Fatalf("after a's late failure: %+v", d)
	}
	s.Settle(b, due[0], nil, expired.Add(time.Second))
	if !d.Delivered() || d.ClaimedBy != "" || d.Attempts != 2 || d.LastError != "" {
		t.Fatalf("after b's success: %+v", d)
	}
	if s.Claim(a, due[0], expired.Add(time.Hour), lease) {
		t.Fatal("a delivered event was claimed")
	}
	if got := s.Due([]string{"webhook", "slack"}, expired.Add(time.Hour)); len(got) != 1 || got[0].Sink != "slack" {
		t.Fatalf("after delivery to webhook, Due = %+v; want slack only (sinks are independent)", got)
	}
	if s.Claim(a, Due{ExportKey: "asset:9", EventKey: "completed", Sink: "slack"}, t0, lease) {
		t.Fatal("claimed a delivery that does not exist")
	}
}

func TestPruneDropsOnlyExpiredTombstones(t *testing.T) {
	s := NewSnapshot()
	old := event.Ref{Kind: event.Asset, ID: 1}
	recent := event.Ref{Kind: event.Asset, ID: 2}
	pending := event.Ref{Kind: event.Asset, ID: 3}
	s.Watch(old, t0).Finish(t0)
	s.Watch(recent, t0).Finish(t0.Add(24 * time.Hour))
	s.Watch(pending, t0)

	now := t0.Add(DefaultRetention + time.Hour)
	dropped := s.Prune(now, 0)
	if !reflect.DeepEqual(dropped, []event.Ref{old}) {
		t.Fatalf("dropped %v, want only %v", dropped, old)
	}
	if s.Export(old) != nil || s.Export(recent) == nil || s.Export(pending) == nil {
		t.Fatalf("after Prune: %v", sortedKeys(s.Exports))
	}
	// A tombstone still within the retention is returned by Watch as it is,
	// so the cycle knows not to announce it again.
	if e := s.Watch(recent, now); e.Finished.IsZero() {
		t.Fatal("Watch revived a tombstone")
	}
	if got := s.Pending(); len(got) != 1 || got[0].Ref != pending {
		t.Fatalf("Pending = %v", got)
	}
	if dropped := s.Prune(t0.Add(25*time.Hour+time.Minute), time.Minute); len(dropped) != 1 || dropped[0] != recent {
		t.Fatalf("a custom retention dropped %v", dropped)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	s := NewSnapshot()
	s.Version = 7
	s.Updated = t0
	a := event.Ref{Kind: event.Asset, ID: 131231, Account: 16670360956}
	v := event.Ref{Kind: event.SuspEvent, ID: 5}
	s.Watch(a, t0).Observe(event.Status{State: event.Exporting, Progress: 40, CurrentCount: 4, TotalCount: 10}, t0)
	s.AddEvent(a, failed(a, "NoPermission", t0), []string{"slack"})
	s.Watch(v, t0).Finish(t0.Add(time.Hour))
	s.AddEvent(v, completed(v, t0.In(time.FixedZone("CST", 8*3600))), []string{"webhook", "slack"})
	d := s.Due([]string{"webhook"}, t0)[0]
	s.Claim("c1", d, t0, time.Minute)
	s.Settle("c1", d, errors.New("boom"), t0)

	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, data)
	}
	// Times come back equal as instants; compare them through a second encoding.
	again, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Fatalf("round trip changed the snapshot:\n%s\n%s", data, again)
	}
	ev := got.Export(v).Event("completed").Event
	want := s.Export(v).Event("completed").Event
	if ev.ID != want.ID || !ev.Time.Equal(want.Time) || !reflect.DeepEqual(ev.Status, want.Status) {
		t.Fatalf("event came back as %+v, want %+v", ev, want)
	}
	if got.Export(a).LastStatus().Ref != a || got.Export(v).Finished.IsZero() {
		t.Fatalf("export fields lost: %+v", got.Export(a))
	}
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"blank", " \n", "empty"},
		{"truncated", `{"schema":1,"version":1,"updated":"2026-11-25T07:49:00Z","exports":[{"kind":"asset"`, "truncated"},
		{"not JSON", "version=3\n", "not JSON"},
		{"other JSON", `{"hello":"world"}`, "no schema"},
		{"array", `[1,2]`, "not a snapshot"},
		{"future schema", `{"schema":99,"version":1,"somethingNew":true}`, "schema 99 by a newer export-notifier"},
		{"zero schema", `{"schema":0}`, "unknown schema 0"},
		{"bad kind", `{"schema":1,"version":1,"exports":[{"kind":"nope","id":1}]}`, "unknown export kind"},
		{"duplicate export", `{"schema":1,"version":1,"exports":[{"kind":"vul","id":1},{"kind":"vul","id":1}]}`, "recorded twice"},
		{"unknown field", `{"schema":1,"version":1,"exportz":[]}`, "unknown field"},
		{"unknown export field", `{"schema":1,"version":1,"exports":[{"kind":"vul","id":1,"colour":"red"}]}`, `unknown field "colour"`},
		{"unknown delivery field", `{"schema":1,"version":1,"exports":[{"kind":"vul","id":1,"events":[{"id":"e","type":"completed","sinks":{"slack":{"attempts":1,"mood":"ok"}}}]}]}`, `unknown field "mood"`},
		{"unknown escaped field", `{"schema":1,"version":1,"\u0065xportz":[]}`, `unknown field "exportz"`},
		{"bad event type", `{"schema":1,"version":1,"exports":[{"kind":"vul","id":1,"events":[{"id":"e","type":"exploded"}]}]}`, "unknown event type"},
		{"repeated field", `{"schema":1,"version":1,"exports":[],"Exports":[{"kind":"vul","id":1}]}`, `"exports" appears twice`},
		{"record field in a snapshot", `{"schema":3,"version":1,"removed":["vul:1"]}`, `unknown field "removed"`},
		{"trailing data", `{"schema":1,"version":1,"exports":[]} {}`, "after top-level value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Decode([]byte(tt.data))
			if err == nil {
				t.Fatalf("decoded %+v", s)
			}
			if !contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// TestDecodeMatchesKeysAsEncodingJSONDoes checks that keys encoding/json
// matches to a field without being spelled exactly as its tag (escaped, or
// in another case) are still read, not refused as unknown.
func TestDecodeMatchesKeysAsEncodingJSONDoes(t *testing.T) {
	tests := []struct{ name, data string }{
		{"escaped", `{"schema":1,"v\u0065rsion":7,"exports":[]}`},
		{"other case", `{"schema":1,"VERSION":7,"exports":[]}`},
		{"other case in an export", `{"schema":1,"version":7,"exports":[{"kind":"vul","ID":1}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Decode([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != 7 {
				t.Fatalf("version %d, want 7", s.Version)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	s := NewSnapshot()
	ref := event.Ref{Kind: event.Asset, ID: 3}
	s.AddEvent(ref, completed(ref, t0), []string{"slack"})
	s.Claim("c", s.Due([]string{"slack"}, t0)[0], t0, time.Minute)
	data, err := Encode(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"schema":1,"version":2,"exports":[]}`))
	f.Add([]byte(`{"schema":2}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			if s != nil {
				t.Fatal("Decode returned a snapshot with its error")
			}
			return
		}
		// A snapshot Decode accepts must survive being committed again.
		enc, err := Encode(s)
		if err != nil {
			t.Fatalf("accepted snapshot does not encode: %v", err)
		}
		s2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v\n%s", err, enc)
		}
		enc2, err := Encode(s2)
		if err != nil || string(enc2) != string(enc) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
