package main

import (
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/fcruntime"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// TestE2EFunctionComputeFollows runs the binary as FC does, with
// FOLLOW_FOR at its FC default: a tick that learns an export's pace stays
// until the export ends and announces it then, instead of leaving it to
// the next tick.
func TestE2EFunctionComputeFollows(t *testing.T) {
	t.Parallel()
	ref := event.Ref{Kind: event.Asset, ID: 4242}
	w := newE2EWorld(t, e2eSTSToken)
	rt := fcruntime.New()
	t.Cleanup(rt.Close)
	vars := w.env()
	vars["EXPORT_IDS"] = ref.String()
	fn := startFunction(t, rt, vars)
	w.sim.Add(sassim.Export{Ref: ref, StartAt: time.Now(), Duration: 8 * time.Second, FileName: "asset_export_follow.xlsx", TotalCount: 8000})

	// The first tick sees the export for the first time: its pace is not
	// known, and the next ask at the slow pace would fall beyond the
	// window (the 20 s deadline less 5 s), so the tick ends at once.
	if res := fn.invoke(t, rt, timerEvent(t, "")); res.IsError {
		t.Fatalf("first invocation failed: %s", res.ErrorMessage)
	}
	if n := len(w.sim.Calls()); n != 1 {
		t.Fatalf("the first tick asked %d times, want once", n)
	}
	time.Sleep(2 * time.Second) // progress, for the next tick to measure a pace by
	res := fn.invoke(t, rt, timerEvent(t, ""))
	if res.IsError {
		t.Fatalf("second invocation failed: %s", res.ErrorMessage)
	}
	calls := w.sim.Calls()
	if len(calls) != 3 || calls[1].Status != string(event.Exporting) || calls[2].Status != string(event.Success) {
		t.Errorf("calls %v; want the second tick to see the export running, then follow it to success", statuses(calls))
	}
	if r := decodeResult(t, res.Body); len(r.Exports) != 1 || r.Exports[0].Status != string(event.Success) {
		t.Errorf("the second tick's result shows %+v; want the export's success", r.Exports)
	}
	assertAnnouncedOnce(t, w, []announcement{{typ: "completed", export: ref.String(), fileName: "asset_export_follow.xlsx", totalCount: 8000,
		slackText: `Export ready: asset:4242 "asset_export_follow.xlsx", 8,000 rows`}})
}

func statuses(calls []sassim.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Status
	}
	return out
}
