package handler

import (
	"io"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify/sinks"
)

// TestBadTemplateFailsOneDeliveryAndTheCycleCommits: a webhook template
// whose body for one event is not JSON fails that delivery, with the
// reason, and the cycle still commits the others, so the next cycle does
// not send them again.
func TestBadTemplateFailsOneDeliveryAndTheCycleCommits(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 7}, Steps: 1, FileName: `a"b`, TotalCount: 3})
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 8}, Steps: 1, FileName: "ok", TotalCount: 3})
	hook := newReceiver(t)
	env := map[string]string{
		"WEBHOOK_URL":      hook.server.URL,
		"WEBHOOK_TEMPLATE": `{"id": {{json .ID}}, "type": {{json .Type}}, "subject": {{json .Subject}}, "file": "{{.Data.FileName}}"}`,
	}
	notifiers, err := sinks.FromEnv(func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := &Cycle{Config: testConfig("7, 8"), Checker: h.checker, Store: h.store, Sinks: notifiers}

	first := h.run(t, c, Options{})

	if hook.count(event.Completed, "8") != 1 || hook.count(event.Completed, "7") != 0 {
		t.Fatalf("receiver got %+v, want export 8's completion alone", hook.events())
	}
	var failed []EventResult
	for _, r := range first.Events {
		if r.Outcome == "failed" {
			failed = append(failed, r)
		}
	}
	if len(failed) != 1 || failed[0].Attempts != 1 || !strings.Contains(failed[0].Error, "WEBHOOK_TEMPLATE produced invalid JSON") {
		t.Fatalf("failed deliveries %+v, want export 7's, once, saying the body is not JSON", failed)
	}

	h.run(t, c, Options{})
	if n := hook.count(event.Completed, "8"); n != 1 {
		t.Errorf("export 8's completion arrived %d times, want once: the first cycle committed it", n)
	}
}
