package handler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
)

func TestMissingCredentialsAreAConfigurationError(t *testing.T) {
	spec := event.StartSpec{Kind: event.Vul}
	tests := []struct {
		name string
		ids  string
		opts Options
	}{
		{"configured exports", "131231, vul:52", Options{}},
		{"exports of the invocation", "", Options{Refs: []event.Ref{{Kind: event.Vul, ID: 52}}}},
		{"exports to start", "", Options{Starts: []event.StartSpec{spec}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			srv := httptest.NewServer(h.sim)
			t.Cleanup(srv.Close)
			noCredentials, err := exports.New(exports.Config{Endpoint: srv.URL, Credentials: credential.Static{}})
			if err != nil {
				t.Fatal(err)
			}
			hook := newReceiver(t)
			c := &Cycle{Config: testConfig(tt.ids), Checker: noCredentials, Starter: noCredentials, Store: h.store, Sinks: webhookSinks(t, hook)}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			_, err = c.Run(ctx, tt.opts)

			var inputErr *InputError
			if !errors.As(err, &inputErr) || !strings.Contains(err.Error(), "ALIBABA_CLOUD_ACCESS_KEY_ID") {
				t.Fatalf("Run error %v, want a configuration error naming the credentials looked for", err)
			}
			snap, err := h.store.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Version != 0 || len(snap.Exports) != 0 || len(snap.Starts) != 0 {
				t.Errorf("the state recorded version %d with %d exports and %d starts, want nothing", snap.Version, len(snap.Exports), len(snap.Starts))
			}
			if calls := len(h.sim.Calls()); calls != 0 || len(hook.events()) != 0 {
				t.Errorf("%d calls to Security Center and %d events sent, want none", calls, len(hook.events()))
			}
		})
	}
}

func TestNothingToWatchSaysWhatWouldGiveTheCycleSomething(t *testing.T) {
	h := newHarness(t)
	var logs bytes.Buffer
	c := &Cycle{Config: testConfig(""), Checker: h.checker, Store: h.store, Log: slog.New(slog.NewTextHandler(&logs, nil))}

	res := h.run(t, c, Options{})

	if res.Watched != 0 {
		t.Fatalf("watched %d exports, want none", res.Watched)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=INFO") {
		t.Fatalf("logs %q, want one info line", logs.String())
	}
	for _, setting := range []string{"EXPORT_IDS", "payload", "poll --ids", "export-notifier start"} {
		if !strings.Contains(lines[0], setting) {
			t.Errorf("%q does not mention %s", lines[0], setting)
		}
	}
}
