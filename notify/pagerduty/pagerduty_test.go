package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

const (
	routingKey = "R0UTINGKEYSECRET0123456789abcdef"
	testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// eventsAPI is a local Events API v2 endpoint that answers with a script
// (the last answer repeats) and records every event it was sent.
type eventsAPI struct {
	*httptest.Server
	mu     sync.Mutex
	script []answer
	got    [][]byte
	header []http.Header
}

type answer struct {
	status int
	body   string
}

func newEventsAPI(t *testing.T, script ...answer) *eventsAPI {
	if len(script) == 0 {
		script = []answer{{202, `{"status":"success","message":"Event processed","dedup_key":"x"}`}}
	}
	a := &eventsAPI{script: script}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		n := len(a.got)
		a.got, a.header = append(a.got, body), append(a.header, r.Header.Clone())
		ans := a.script[min(n, len(a.script)-1)]
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ans.status)
		_, _ = io.WriteString(w, ans.body)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *eventsAPI) events(t *testing.T) []Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Event
	for _, b := range a.got {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var e Event
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("not an Events API v2 event: %v: %s", err, b)
		}
		out = append(out, e)
	}
	return out
}

func newSink(t *testing.T, env map[string]string) notify.Notifier {
	t.Helper()
	s, err := FromEnv(notifytest.MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	sinks := s.Notifiers(true)
	if len(sinks) != 1 {
		t.Fatalf("%d sinks", len(sinks))
	}
	return sinks[0]
}

func fastRetrier() notify.Retrier {
	return notify.Retrier{MaxAttempts: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 5 * time.Second}
}

func TestTriggerThenResolveWithOneDedupKey(t *testing.T) {
	api := newEventsAPI(t)
	sink := newSink(t, map[string]string{"PAGERDUTY_ROUTING_KEY": routingKey, "PAGERDUTY_EVENTS_URL": api.URL + "/v2/enqueue", "WEBHOOK_SECRET": testSecret})
	failed, stalled, completed := notifytest.IncidentEvents()
	neverFailed := notify.SampleEvent(event.Completed)
	if notify.Takes(sink, neverFailed) || notify.Takes(sink, notify.SampleEvent(event.Started)) {
		t.Error("PagerDuty takes an event that neither opens nor resolves an incident")
	}

	for _, o := range fastRetrier().Deliver(context.Background(), sink, []event.Event{failed, stalled, neverFailed, completed}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
	}

	got := api.events(t)
	if len(got) != 3 {
		t.Fatalf("%d events, want trigger, trigger, resolve (none for the export that never failed)", len(got))
	}
	for i, want := range []string{"trigger", "trigger", "resolve"} {
		if got[i].EventAction != want || got[i].DedupKey != "asset:131232@16670360956" || got[i].RoutingKey != routingKey {
			t.Errorf("event %d: %s %q, want %s with the export's key", i, got[i].EventAction, got[i].DedupKey, want)
		}
	}
	trig := got[0].Payload
	if trig == nil || trig.Severity != "error" || trig.CustomDetails.Error == nil || trig.CustomDetails.Error.Code != "NoPermission" ||
		!strings.Contains(trig.CustomDetails.Hint, "DescribeExportInfo") || trig.Summary == "" || trig.Source == "" {
		t.Errorf("trigger payload %+v", trig)
	}
	if got[1].Payload == nil || got[1].Payload.Severity != "warning" {
		t.Errorf("stall payload %+v, want severity warning", got[1].Payload)
	}
	if got[2].Payload != nil {
		t.Errorf("resolve carries a payload: %+v", got[2].Payload)
	}
	verifier, _ := standardwebhooks.NewWebhook(testSecret)
	for i, b := range api.got {
		if err := verifier.Verify(b, api.header[i]); err != nil {
			t.Errorf("event %d: signature: %v", i, err)
		}
	}
}

func TestPagerDutyAnswers(t *testing.T) {
	failed, _, _ := notifytest.IncidentEvents()
	invalid := `{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}`
	tests := []struct {
		name      string
		script    []answer
		attempts  int
		wantText  string
		retryable bool
	}{
		{"invalid event", []answer{{400, invalid}}, 1, "invalid event: Event object is invalid (Length of 'routing_key' is incorrect (should be 32 characters))", false},
		{"throttled then accepted", []answer{{429, `{"status":"throttle event","message":"Requests for this service are arriving too quickly."}`}, {202, `{"status":"success"}`}}, 2, "", false},
		{"server errors", []answer{{503, "unavailable"}}, 3, "unavailable", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newEventsAPI(t, tt.script...)
			sink := newSink(t, map[string]string{"PAGERDUTY_ROUTING_KEY": routingKey, "PAGERDUTY_EVENTS_URL": api.URL})
			o := fastRetrier().Deliver(context.Background(), sink, []event.Event{failed})[0]
			if o.Attempts != tt.attempts {
				t.Errorf("attempts %d, want %d", o.Attempts, tt.attempts)
			}
			if tt.wantText == "" {
				if o.Err != nil {
					t.Errorf("err %v", o.Err)
				}
				return
			}
			var e *notify.Error
			if !errors.As(o.Err, &e) || e.Text != tt.wantText || e.Retryable != tt.retryable {
				t.Errorf("err %#v, want text %q", o.Err, tt.wantText)
			}
		})
	}
}

func TestSettings(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PAGERDUTY_ROUTING_KEY": "https://events.pagerduty.com/x"}, "PAGERDUTY_ROUTING_KEY: holds a URL"},
		{map[string]string{"PAGERDUTY_ROUTING_KEY": "a b"}, "PAGERDUTY_ROUTING_KEY: holds white space"},
		{map[string]string{"PAGERDUTY_EVENTS_URL": "http://events.example.com/v2/enqueue"}, "PAGERDUTY_EVENTS_URL: http://events.example.com/…: plain http"},
		{map[string]string{"PAGERDUTY_ROUTING_KEY": routingKey, "WEBHOOK_SECRET": "whsec_!!"}, "WEBHOOK_SECRET: not base64"},
	} {
		_, err := FromEnv(notifytest.MapEnv(tt.env))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.env, err, tt.want)
		}
	}
	s, err := FromEnv(notifytest.MapEnv(nil))
	if err != nil || s.URL != EventsURL || s.Notifiers(true) != nil {
		t.Errorf("unset: %+v, %v", s, err)
	}
}

func TestGoldenPagerDuty(t *testing.T) {
	failed, stalled, completed := notifytest.IncidentEvents()
	s := Settings{URL: EventsURL}
	for name, ev := range map[string]event.Event{"trigger_failed": failed, "trigger_stalled": stalled, "resolve": completed} {
		t.Run(name, func(t *testing.T) {
			r, err := s.Preview([]event.Event{ev}, true)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(r[0].Body), routingKey) {
				t.Error("the preview shows the routing key")
			}
			var out bytes.Buffer
			if err := json.Indent(&out, r[0].Body, "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteByte('\n')
			notifytest.Golden(t, "pagerduty_"+name, out.Bytes(), *update)
		})
	}
}
