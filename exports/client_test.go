package exports_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

var demoCreds = credential.Static{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret}

// start serves a simulator and returns a client of it with fast retries.
func start(t testing.TB, opts sassim.Options, cfg exports.Config) (*sassim.Simulator, *exports.Client) {
	t.Helper()
	sim := sassim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg.Endpoint = srv.URL
	if cfg.Credentials == nil {
		cfg.Credentials = demoCreds
	}
	if cfg.BaseBackoff == 0 {
		cfg.BaseBackoff = time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Millisecond
	}
	client, err := exports.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return sim, client
}

func TestGetFollowsAnExportToSuccess(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{})
	sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131231}, Steps: 3, FileName: "assets.xlsx", TotalCount: 40})
	ref := event.Ref{Kind: event.Asset, ID: 131231}
	var states []event.State
	var last event.Status
	for range 3 {
		st, err := client.Get(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st.State)
		last = st
	}
	if want := []event.State{event.Init, event.Exporting, event.Success}; !equal(states, want) {
		t.Fatalf("states %v, want %v", states, want)
	}
	if last.FileName != "assets.xlsx" || last.TotalCount != 40 || last.CurrentCount != 40 || last.Progress != 100 {
		t.Errorf("final status %+v", last)
	}
	if !strings.HasPrefix(last.Link, "https://"+sassim.LinkHost+"/") || !strings.Contains(last.Link, "Signature=") {
		t.Errorf("link %q", last.Link)
	}
	if last.RequestID == "" || !strings.Contains(string(last.Raw), last.RequestID) {
		t.Errorf("request ID %q, raw %s", last.RequestID, last.Raw)
	}
	if last.Ref != ref {
		t.Errorf("ref %v, want %v", last.Ref, ref)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
