package notify

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
)

func TestConsoleIsTheDefaultSink(t *testing.T) {
	var out bytes.Buffer
	sinks, err := New(Settings{IncludeLink: true}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(sinks) != 1 || sinks[0].Name() != "console" {
		t.Fatalf("sinks %v, want the console alone", sinks)
	}
	failed := SampleEvent(event.Failed)
	failed.Error.Message = "line one\nline two"
	events := []event.Event{SampleEvent(event.Completed), failed, SampleEvent(event.Stalled)}

	outcomes := Deliver(context.Background(), sinks[0], events)

	if len(outcomes) != 3 {
		t.Fatalf("%d outcomes, want 3", len(outcomes))
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("wrote %d lines, want one per event:\n%s", len(lines), out.String())
	}
	wants := [][]string{
		{"Export ready", "hc:131231", "health_check_export_20171123", "1,234 rows", "https://sas-export-cn-shanghai"},
		{"Export check failed", "asset:131232@16670360956", "NoPermission", "HTTP 403", "line one line two", "yundun-sas:DescribeExportInfo"},
		{"Export stalled", "hc:131231", "exporting at 40% (400 of 1,234 rows)"},
	}
	for i, want := range wants {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
}

func TestConsoleLeavesOutTheLink(t *testing.T) {
	var out bytes.Buffer
	sinks, _ := New(Settings{IncludeLink: false}, &out)
	Deliver(context.Background(), sinks[0], []event.Event{SampleEvent(event.Completed)})
	if strings.Contains(out.String(), "https://") || !strings.Contains(out.String(), "1,234 rows") {
		t.Errorf("INCLUDE_LINK=false line: %q", out.String())
	}
}

func TestHintNamesTheKindsAction(t *testing.T) {
	cases := []struct {
		kind event.Kind
		code string
		want string
	}{
		{event.Asset, "NoPermission", "yundun-sas:DescribeExportInfo"},
		{event.Vul, "NoPermission", "yundun-sas:DescribeVulExportInfo"},
		{event.SuspEvent, "Forbidden.RAM", "yundun-sas:DescribeSuspEventExportInfo"},
		{event.Asset, "RdCheckNoPermission", "resource directory member"},
		{event.Asset, "Throttling.User", "POLL_QPS"},
		{event.HC, "ServerError", "next cycle"},
		{event.HC, "InternalError", "next cycle"},
		{event.Asset, "Timeout", "network"},
		{event.Asset, "ConnectionRefused", "network"},
	}
	for _, c := range cases {
		if got := Hint(c.kind, c.code); !strings.Contains(got, c.want) {
			t.Errorf("Hint(%s, %s) = %q, want it to mention %q", c.kind, c.code, got, c.want)
		}
	}
	if got := Hint(event.Asset, "SomethingNew"); got != "" {
		t.Errorf("Hint for an unknown code = %q, want none", got)
	}
}

func TestConsoleStartedAndRunning(t *testing.T) {
	started := SampleEvent(event.Started)
	bare := started
	bare.Start = nil
	vul := started
	vul.Status.Ref = event.Ref{Kind: event.Vul, ID: 52}
	vul.Start = &event.StartSpec{Kind: event.Vul, Type: "cve"}
	early := SampleEvent(event.Running)
	early.Status.Progress, early.Status.CurrentCount, early.Status.TotalCount = 0, 0, 0
	cases := map[string]struct {
		ev   event.Event
		want string
	}{
		"started":              {started, "Export started: asset:131240 (assetInstance)"},
		"started, no spec":     {bare, "Export started: asset:131240"},
		"started vul":          {vul, "Export started: vul:52 (cve)"},
		"running":              {SampleEvent(event.Running), "Export running: 40% (12,000 of 30,000) for asset:131240"},
		"running, not counted": {early, "Export running: 0% for asset:131240"},
	}
	for name, c := range cases {
		var out bytes.Buffer
		if err := NewConsole(&out, true).Notify(context.Background(), []event.Event{c.ev}); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSuffix(out.String(), "\n"); got != c.want {
			t.Errorf("%s: line %q, want %q", name, got, c.want)
		}
	}
}

// TestFailureOfAnExportNeverRead: a failure message about an export whose
// status was never received says so, rather than inventing a pending state.
func TestFailureOfAnExportNeverRead(t *testing.T) {
	ev := SampleEvent(event.Failed)
	ev.Status = event.Status{Ref: ev.Status.Ref}
	got := ProgressText(ev.Status)
	if !strings.Contains(got, "never read") || strings.Contains(got, "pending") || strings.Contains(got, "0 of 0") {
		t.Errorf("progress of an export never read = %q", got)
	}
}
