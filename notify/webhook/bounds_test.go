package webhook

import (
	"context"
	"errors"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

// TestTemplateLoopsRefusedAtStart: a template that could loop without
// the event's data to bound it is refused when the settings are read,
// naming the line, rather than spinning at the first delivery.
func TestTemplateLoopsRefusedAtStart(t *testing.T) {
	cases := []struct {
		name, tmpl, want string
	}{
		{"nested number ranges", `{{range 1000000}}{{range 1000000}}{{end}}{{end}}`, "line 1: {{range 1000000}}"},
		{"number range behind a condition", "{\"a\": 1}\n{{if gt .Data.ExportID 200000}}{{range 100000000000}}{{end}}{{end}}", "line 2: {{range 100000000000}}"},
		{"a function's result", `{{range len .Summary}}{{end}}`, "{{range len .Summary}}"},
		{"a number field", `{{range .Data.ExportID}}{{end}}`, "{{range .Data.ExportID}}"},
		{"a method's number", `{{range .Time.Year}}{{end}}`, "{{range .Time.Year}}"},
		{"a variable holding a number", `{{$n := 100000000000}}{{range $n}}{{end}}`, "{{range $n}}"},
		{"a variable changed to a number", `{{$n := .Event.Status.Raw}}{{$n = 5}}{{range $n}}{{end}}`, "{{range $n}}"},
		{"inside with", `{{with .Data}}{{range .TotalCount}}{{end}}{{end}}`, "{{range .TotalCount}}"},
		{"a variable declared in an if", `{{if $n := 100000000}}{{range $n}}{{end}}{{end}}`, "{{range $n}}"},
		{"dot of a called template", `{{define "x"}}{{range .}}{{end}}{{end}}{{template "x" 100000000}}`, "{{range .}}"},
		{"a template that runs itself", `{{define "a"}}{{template "a" .}}{{template "a" .}}{{end}}{{template "a" .}}`, `template "a" runs itself`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := FromEnv(notifytest.MapEnv(map[string]string{"WEBHOOK_TEMPLATE": c.tmpl}))
			if err == nil || !strings.HasPrefix(err.Error(), "WEBHOOK_TEMPLATE: ") || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want a one-line WEBHOOK_TEMPLATE error holding %q", err, c.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("refusing took %s", d)
			}
		})
	}
}

// TestTemplateRangesOverData: ranging over the event's own lists and
// maps, and conditions and with blocks, stay allowed.
func TestTemplateRangesOverData(t *testing.T) {
	for _, tmpl := range []string{
		`{"raw": [{{range $i, $b := .Event.Status.Raw}}{{if $i}},{{end}}{{$b}}{{end}}]}`,
		`{{with .Data.Error}}{{json .Code}}{{else}}{{json .Summary}}{{end}}`,
		`{{$r := .Event.Status.Raw}}{{range $r}}{{end}}{}`,
		`{{define "s"}}{{json .}}{{end}}{"s": {{template "s" .Summary}}}`,
	} {
		if _, err := ParseTemplate("t", tmpl); err != nil {
			t.Errorf("%s: %v", tmpl, err)
		}
	}
}

// TestTemplateOverrunsFailThatDeliveryOnly: a body over the size cap, or
// one that is not the JSON its Content-Type says, fails that event's
// delivery at once, permanently and with the reason, and the next event
// in the batch is still sent.
func TestTemplateOverrunsFailThatDeliveryOnly(t *testing.T) {
	cases := []struct {
		name, tmpl, want string
		bad              func(*event.Event)
	}{
		{"over the size cap", `{"file": {{json .Data.FileName}}}`, "exceeds 256 KB",
			func(ev *event.Event) { ev.Status.FileName = strings.Repeat("x", MaxBodySize) }},
		{"not JSON", `{"file": "{{.Data.FileName}}"}`, "WEBHOOK_TEMPLATE produced invalid JSON: ",
			func(ev *event.Event) { ev.Status.FileName = "a\"b" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReceiver(t)
			s, err := FromEnv(notifytest.MapEnv(map[string]string{"WEBHOOK_URL": r.URL, "WEBHOOK_TEMPLATE": c.tmpl}))
			if err != nil {
				t.Fatal(err)
			}
			bad, good := notify.SampleEvent(event.Completed), notify.SampleEvent(event.Failed)
			c.bad(&bad)

			out := fastRetrier().Deliver(context.Background(), s.Notifiers(false)[0], []event.Event{bad, good})

			var e *notify.Error
			if len(out) != 2 || !errors.As(out[0].Err, &e) || e.Retryable || out[0].Attempts != 1 {
				t.Fatalf("outcomes %+v, want the first failed once, permanently", out)
			}
			if msg := e.Error(); !strings.Contains(msg, c.want) || len(msg) > 300 || strings.Contains(msg, "\n") {
				t.Errorf("error %q (%d bytes), want one line of at most 300 bytes holding %q", msg, len(msg), c.want)
			}
			if out[1].Err != nil {
				t.Errorf("the next event failed too: %v", out[1].Err)
			}
			if n := len(r.seen()); n != 1 {
				t.Errorf("receiver saw %d requests, want 1 (the good event)", n)
			}
		})
	}
}

// TestTemplateNonJSONContentType: WEBHOOK_HEADERS may declare another
// Content-Type, and the body is then sent as it is.
func TestTemplateNonJSONContentType(t *testing.T) {
	r := newReceiver(t)
	s, err := FromEnv(notifytest.MapEnv(map[string]string{
		"WEBHOOK_URL": r.URL, "WEBHOOK_TEMPLATE": "{{.Summary}}", "WEBHOOK_HEADERS": "Content-Type=text/plain",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if out := fastRetrier().Deliver(context.Background(), s.Notifiers(false)[0], []event.Event{notify.SampleEvent(event.Completed)}); out[0].Err != nil {
		t.Fatal(out[0].Err)
	}
	if got := r.seen()[0].header.Get("Content-Type"); got != "text/plain" {
		t.Errorf("Content-Type %q", got)
	}
}

// TestRenderStopsAtTheDeadline: rendering gives up when the delivery's
// deadline passes, whether the template is writing or stuck.
func TestRenderStopsAtTheDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stuck := template.Must(template.New("stuck").Funcs(template.FuncMap{
		"wait": func() string { <-release; return "" },
	}).Parse(`{{wait}}`))
	writing := template.Must(template.New("writing").Funcs(template.FuncMap{
		"nap": func() string { time.Sleep(time.Millisecond); return "x" },
	}).Parse(`{{range .}}{{nap}}{{end}}`))
	for name, run := range map[string]func(context.Context) error{
		"stuck":   func(ctx context.Context) error { _, err := execute(ctx, stuck, nil); return err },
		"writing": func(ctx context.Context) error { _, err := execute(ctx, writing, make([]int, 10_000)); return err },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := run(ctx)
			if err == nil || !strings.Contains(err.Error(), "did not finish in time") {
				t.Errorf("err = %v, want a deadline error", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("returned after %s, want about the 100ms deadline", d)
			}
		})
	}
}
