package handler

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

func TestFailedDeliveryAttemptIsLoggedOnce(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 7}, Steps: 1, FileName: "f", TotalCount: 3})
	hook := newReceiver(t)
	hook.status = func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	var logs bytes.Buffer
	c := &Cycle{Config: testConfig("7"), Checker: h.checker, Store: h.store, Sinks: webhookSinks(t, hook),
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))}

	for range 2 {
		h.run(t, c, Options{})
	}

	if n := hook.count(event.Completed, "7"); n != 1 {
		t.Fatalf("completion delivered %d times, want once after the retry", n)
	}
	warnings := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(warnings) != 1 {
		t.Fatalf("warnings %q, want one line for the failed attempt", logs.String())
	}
	for _, want := range []string{"level=WARN", "sink=" + c.Sinks[0].Name(), "attempt=1", "500", "cycle="} {
		if !strings.Contains(warnings[0], want) {
			t.Errorf("warning %q does not contain %q", warnings[0], want)
		}
	}
}
