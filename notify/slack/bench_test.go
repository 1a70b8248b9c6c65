package slack

import (
	"encoding/json"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

func BenchmarkRenderSlack(b *testing.B) {
	grouped := make([]event.Event, 100)
	for i := range grouped {
		grouped[i] = notify.SampleEvent(event.Failed)
		grouped[i].Status.Ref.ID = int64(i + 1)
	}
	for name, events := range map[string][]event.Event{
		"completed":        {notify.SampleEvent(event.Completed)},
		"failed":           {notify.SampleEvent(event.Failed)},
		"grouped_failures": grouped,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(Render(events, true)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
