package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

func TestConsoleLeavesOutTheLink(t *testing.T) {
	var out bytes.Buffer
	notify.Deliver(context.Background(), New(&out, false), []event.Event{notify.SampleEvent(event.Completed)})
	if strings.Contains(out.String(), "https://") || !strings.Contains(out.String(), "1,234 rows") {
		t.Errorf("INCLUDE_LINK=false line: %q", out.String())
	}
}

func TestConsoleStartedAndRunning(t *testing.T) {
	started := notify.SampleEvent(event.Started)
	bare := started
	bare.Start = nil
	vul := started
	vul.Status.Ref = event.Ref{Kind: event.Vul, ID: 52}
	vul.Start = &event.StartSpec{Kind: event.Vul, Type: "cve"}
	early := notify.SampleEvent(event.Running)
	early.Status.Progress, early.Status.CurrentCount, early.Status.TotalCount = 0, 0, 0
	cases := map[string]struct {
		ev   event.Event
		want string
	}{
		"started":              {started, "Export started: asset:131240 (assetInstance)"},
		"started, no spec":     {bare, "Export started: asset:131240"},
		"started vul":          {vul, "Export started: vul:52 (cve)"},
		"running":              {notify.SampleEvent(event.Running), "Export running: 40% (12,000 of 30,000) for asset:131240"},
		"running, not counted": {early, "Export running: 0% for asset:131240"},
	}
	for name, c := range cases {
		var out bytes.Buffer
		if err := New(&out, true).Notify(context.Background(), []event.Event{c.ev}); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSuffix(out.String(), "\n"); got != c.want {
			t.Errorf("%s: line %q, want %q", name, got, c.want)
		}
	}
}

func TestConsoleWriteError(t *testing.T) {
	sink := New(failingWriter{}, true)
	err := sink.Notify(context.Background(), []event.Event{notify.SampleEvent(event.Completed)})
	var e *notify.Error
	if !errors.As(err, &e) || e.Sink != "console" || !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("err = %#v, want a console *Error wrapping the write error", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
