package webhook

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// FuzzParseHeaders checks that every accepted header can be sent: a valid
// name and a value without line breaks.
func FuzzParseHeaders(f *testing.F) {
	f.Add("Authorization=Bearer x;X-Team=sec")
	f.Add("a=b=c; ;=;\x00=1")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseHeaders(in)
		if err != nil {
			return
		}
		for name, values := range h {
			if !isToken(name) {
				t.Errorf("accepted header name %q", name)
			}
			for _, v := range values {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Errorf("accepted header value %q", v)
				}
			}
		}
	})
}

// FuzzParseTemplate checks that any template is refused or accepted
// promptly, and that an accepted one renders a sample event well within
// a delivery's deadline: no template loops without bound.
func FuzzParseTemplate(f *testing.F) {
	f.Add(`{"summary": {{json .Summary}}, "id": {{json .ID}}}`)
	f.Add(`{{range 1000000}}{{range 1000000}}{{end}}{{end}}`)
	f.Add(`{{if gt .Data.ExportID 200000}}{{range 100000000000}}{{end}}{{end}}`)
	f.Add(`{{define "a"}}{{template "a" .}}{{end}}{{template "a" .}}`)
	f.Add(`{{$x := .Event.Status.Raw}}{{range $i, $e := $x}}{{$i}}{{end}}`)
	f.Fuzz(func(t *testing.T, text string) {
		start := time.Now()
		tmpl, err := ParseTemplate("fuzz", text)
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("ParseTemplate took %s", d)
		}
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ev := notify.SampleEvent(event.Completed)
		ev.Status.Raw = []byte(strings.Repeat("x", 1000))
		if _, err := execute(ctx, tmpl, NewTemplateData(ev, true)); err != nil && ctx.Err() != nil {
			t.Fatalf("accepted a template that did not render in 5s: %q", text)
		}
	})
}
