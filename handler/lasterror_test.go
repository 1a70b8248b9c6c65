package handler

import (
	"context"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

func TestExportKeepsItsLastErrorCodeUntilACheckSucceeds(t *testing.T) {
	h := newHarness(t)
	ref := event.Ref{Kind: event.Vul, ID: 52}
	h.sim.Add(sassim.Export{Ref: ref, Stuck: true, Fault: sassim.Fault{Code: "NoPermission", HTTPStatus: 403, Times: 2}})
	c := &Cycle{Config: testConfig("vul:52"), Checker: h.checker, Store: h.store}
	for _, want := range []string{"NoPermission", "NoPermission", ""} {
		h.run(t, c, Options{})
		snap, err := h.store.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := snap.Export(ref).LastError; got != want {
			t.Fatalf("last error %q, want %q", got, want)
		}
	}
}
