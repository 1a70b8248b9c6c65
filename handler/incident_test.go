package handler

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify/sinks"
)

// recorder is an endpoint that keeps every body it is sent.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func newRecorder(t *testing.T, status int) (*recorder, string) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.bodies = append(rec.bodies, body)
		rec.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

func (r *recorder) decoded(t *testing.T) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, b := range r.bodies {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("not JSON: %s", b)
		}
		out = append(out, m)
	}
	return out
}

// TestIncidentOpensAndResolves: an export whose check fails and that later
// completes opens an incident in Alertmanager's format and in PagerDuty
// and then resolves it, with the same fingerprint and dedup_key, even
// where their routes take failures only; an export that completes without
// failing sends neither anything.
func TestIncidentOpensAndResolves(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131231}, Steps: 2, Fault: sassim.Fault{Code: "NoPermission", HTTPStatus: 403, Times: 1}})
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 52}, Steps: 1})
	am, amURL := newRecorder(t, http.StatusOK)
	pd, pdURL := newRecorder(t, http.StatusAccepted)
	env := map[string]string{
		"WEBHOOK_URL": amURL, "WEBHOOK_FORMAT": "alertmanager", "WEBHOOK_ROUTE": "type=failed",
		"PAGERDUTY_ROUTING_KEY": "0123456789abcdef0123456789abcdef", "PAGERDUTY_EVENTS_URL": pdURL, "PAGERDUTY_ROUTE": "type=failed,stalled;kind=asset",
	}
	settings, err := sinks.Read(func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	c := &Cycle{Config: testConfig("131231, vul:52"), Checker: h.checker, Store: h.store, Sinks: settings.Notifiers(nil), Takes: settings.Takes}

	for range 4 {
		h.run(t, c, Options{})
	}

	alerts := am.decoded(t)
	if len(alerts) != 2 || alerts[0]["status"] != "firing" || alerts[1]["status"] != "resolved" {
		t.Fatalf("alertmanager got %v, want firing then resolved", alerts)
	}
	fingerprint := func(m map[string]any) any { return m["alerts"].([]any)[0].(map[string]any)["fingerprint"] }
	if fingerprint(alerts[0]) != fingerprint(alerts[1]) || fingerprint(alerts[0]) == "" {
		t.Errorf("fingerprints %v and %v, want the same", fingerprint(alerts[0]), fingerprint(alerts[1]))
	}
	events := pd.decoded(t)
	if len(events) != 2 || events[0]["event_action"] != "trigger" || events[1]["event_action"] != "resolve" ||
		events[0]["dedup_key"] != "asset:131231" || events[1]["dedup_key"] != "asset:131231" {
		t.Errorf("pagerduty got %v, want trigger then resolve of asset:131231", events)
	}
}
