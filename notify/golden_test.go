package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/export-notifier/export-notifier/event"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenCases are the message kinds users see; a change to any of them
// shows up as a diff of testdata/*.golden in review.
func goldenCases() map[string][]event.Event {
	grouped := make([]event.Event, 3)
	for i := range grouped {
		ev := SampleEvent(event.Failed)
		ev.Status.Ref.ID = int64(131232 + i)
		ev.ID = event.NewID(ev.Status.Ref, ev.Key())
		grouped[i] = ev
	}
	grouped[2].Status.FileName = "vul_export_20171123"
	return map[string][]event.Event{
		"completed":      {SampleEvent(event.Completed)},
		"failed":         {SampleEvent(event.Failed)},
		"failed_grouped": grouped,
		"stalled":        {SampleEvent(event.Stalled)},
		"started":        {SampleEvent(event.Started)},
	}
}

// slackGoldenCases adds the messages only Slack sends: the running state
// of a message that updates itself, early (nothing counted yet) and half
// way.
func slackGoldenCases() map[string][]event.Event {
	cases := goldenCases()
	early := SampleEvent(event.Running)
	early.Status.State, early.Status.Progress, early.Status.CurrentCount, early.Status.TotalCount = event.Init, 0, 0, 0
	cases["running"] = []event.Event{SampleEvent(event.Running)}
	cases["running_init"] = []event.Event{early}
	return cases
}

func TestGoldenSlack(t *testing.T) {
	for name, events := range slackGoldenCases() {
		t.Run(name, func(t *testing.T) {
			m := RenderSlack(events, true)
			checkSlackLimits(t, m)
			b, err := MarshalJSON(m, "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "slack_"+name, b)
		})
	}
}

func TestGoldenWebhook(t *testing.T) {
	for name, events := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			for _, ev := range events {
				b, err := CloudEventBody(ev, true)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Indent(&out, b, "", "  "); err != nil {
					t.Fatal(err)
				}
				out.WriteByte('\n')
			}
			golden(t, "webhook_"+name, out.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./notify -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed; if that is intended, run go test ./notify -run Golden -update and review the diff.\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
