package webhook

import (
	"context"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

func BenchmarkCloudEventBody(b *testing.B) {
	ev := notify.SampleEvent(event.Completed)
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
	ev := notify.SampleEvent(event.Completed)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := w.render(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	key, _ := decodeSigningSecret(testSecret)
	body, _ := CloudEventBody(notify.SampleEvent(event.Completed), true)
	b.ReportAllocs()
	for b.Loop() {
		sign(key, "evt_1", "1700000000", body)
	}
}
