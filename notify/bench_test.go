package notify

import (
	"encoding/json"
	"testing"

	"github.com/export-notifier/export-notifier/event"
)

func BenchmarkRenderSlack(b *testing.B) {
	grouped := make([]event.Event, 100)
	for i := range grouped {
		grouped[i] = SampleEvent(event.Failed)
		grouped[i].Status.Ref.ID = int64(i + 1)
	}
	for name, events := range map[string][]event.Event{
		"completed":        {SampleEvent(event.Completed)},
		"failed":           {SampleEvent(event.Failed)},
		"grouped_failures": grouped,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(RenderSlack(events, true)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCloudEventBody(b *testing.B) {
	ev := SampleEvent(event.Completed)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CloudEventBody(ev, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTemplateBody(b *testing.B) {
	tmpl, err := ParseTemplate("bench", `{"summary": {{json .Summary}}, "id": {{json .ID}}, "file": "{{jsonEscape .Data.FileName}}"}`)
	if err != nil {
		b.Fatal(err)
	}
	w := &webhook{tmpl: tmpl, includeLink: true}
	ev := SampleEvent(event.Completed)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := w.render(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	key, _ := decodeSigningSecret(testSecret)
	body, _ := CloudEventBody(SampleEvent(event.Completed), true)
	b.ReportAllocs()
	for b.Loop() {
		sign(key, "evt_1", "1700000000", body)
	}
}
