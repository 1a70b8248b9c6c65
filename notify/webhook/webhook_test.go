package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

// testSettings are a webhook's settings as the tests fill them in.
type testSettings struct {
	WebhookURLs    []string
	WebhookSecret  string
	WebhookHeaders http.Header
	IncludeLink    bool
}

// New builds the sinks ts configures, as FromEnv would.
func New(ts testSettings, _ io.Writer) ([]notify.Notifier, error) {
	s := Settings{URLs: ts.WebhookURLs, Secret: ts.WebhookSecret, Headers: ts.WebhookHeaders}
	if s.Secret != "" {
		var err error
		if s.key, err = decodeSigningSecret(s.Secret); err != nil {
			return nil, err
		}
	}
	return s.Notifiers(ts.IncludeLink), nil
}

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // 24 bytes, the Standard Webhooks docs' sample shape

func newWebhookSink(t *testing.T, s testSettings) notify.Notifier {
	t.Helper()
	sinks, err := New(s, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if len(sinks) != 1 {
		t.Fatalf("New gave %d sinks, want 1", len(sinks))
	}
	return sinks[0]
}

func TestWebhookSignedCloudEvents(t *testing.T) {
	r := newReceiver(t)
	sink := newWebhookSink(t, testSettings{WebhookURLs: []string{r.URL + "/hooks/T0KEN?key=s3cret"}, WebhookSecret: testSecret, IncludeLink: true})
	events := []event.Event{notify.SampleEvent(event.Completed), notify.SampleEvent(event.Failed)}

	outcomes := fastRetrier().Deliver(context.Background(), sink, events)

	if len(outcomes) != 2 {
		t.Fatalf("got %d outcomes, want one per event (2)", len(outcomes))
	}
	for _, o := range outcomes {
		if o.Err != nil || o.Attempts != 1 {
			t.Errorf("outcome for %s: attempts %d, err %v; want 1, nil", o.Events[0].ID, o.Attempts, o.Err)
		}
	}
	verifier, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	reqs := r.seen()
	if len(reqs) != 2 {
		t.Fatalf("receiver saw %d requests, want 2", len(reqs))
	}
	for i, req := range reqs {
		ev := events[i]
		if err := verifier.Verify(req.body, req.header); err != nil {
			t.Errorf("request %d: signature rejected by the reference implementation: %v", i, err)
		}
		tampered := []byte(strings.Replace(string(req.body), `"exportId":`, `"exportId":9`, 1))
		if err := verifier.Verify(tampered, req.header); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
			t.Errorf("request %d: tampered body: err %v, want ErrNoMatchingSignature", i, err)
		}
		if got := req.header.Get("webhook-id"); got != ev.ID {
			t.Errorf("request %d: webhook-id %q, want the event id %q", i, got, ev.ID)
		}
		if got := req.header.Get("Content-Type"); got != "application/cloudevents+json" {
			t.Errorf("request %d: Content-Type %q", i, got)
		}
		if req.path != "/hooks/T0KEN?key=s3cret" {
			t.Errorf("request %d went to %q", i, req.path)
		}
		var ce CloudEvent
		if err := json.Unmarshal(req.body, &ce); err != nil {
			t.Fatalf("request %d: body is not JSON: %v", i, err)
		}
		if ce.SpecVersion != "1.0" || ce.ID != ev.ID || ce.Type != ev.Type.CloudEventType() || ce.Subject != "131231" && ce.Subject != "131232" || ce.Source == "" || ce.Time.IsZero() {
			t.Errorf("request %d: CloudEvent attributes %+v", i, ce)
		}
		if ce.Data.ExportID != ev.Status.ID || ce.Data.Kind != ev.Status.Kind || ce.Data.RequestID != ev.Status.RequestID {
			t.Errorf("request %d: data %+v does not describe %+v", i, ce.Data, ev.Status)
		}
	}
	var failed CloudEvent
	_ = json.Unmarshal(reqs[1].body, &failed)
	if failed.Data.Error == nil || failed.Data.Error.Code != "NoPermission" || failed.Data.Error.HTTPStatus != 403 {
		t.Errorf("failed event's data.error = %+v", failed.Data.Error)
	}
	if failed.Data.ResourceDirectoryAccountID != 16670360956 {
		t.Errorf("resourceDirectoryAccountId = %d", failed.Data.ResourceDirectoryAccountID)
	}
}

func TestWebhookRetryKeepsTheEventID(t *testing.T) {
	r := newReceiver(t, reply{status: 503, body: "busy"}, reply{status: 204})
	sink := newWebhookSink(t, testSettings{WebhookURLs: []string{r.URL}, WebhookSecret: testSecret})
	ev := notify.SampleEvent(event.Completed)

	out := fastRetrier().Deliver(context.Background(), sink, []event.Event{ev})

	if out[0].Err != nil || out[0].Attempts != 2 {
		t.Fatalf("attempts %d, err %v; want 2, nil", out[0].Attempts, out[0].Err)
	}
	reqs := r.seen()
	if reqs[0].header.Get("webhook-id") != ev.ID || reqs[1].header.Get("webhook-id") != ev.ID {
		t.Errorf("webhook-id changed across retries: %q, %q", reqs[0].header.Get("webhook-id"), reqs[1].header.Get("webhook-id"))
	}
	if string(reqs[0].body) != string(reqs[1].body) {
		t.Errorf("the retried body differs from the first")
	}
}

func TestWebhookIncludeLink(t *testing.T) {
	for _, include := range []bool{true, false} {
		r := newReceiver(t)
		sink := newWebhookSink(t, testSettings{WebhookURLs: []string{r.URL}, IncludeLink: include})
		ev := notify.SampleEvent(event.Completed)
		if out := fastRetrier().Deliver(context.Background(), sink, []event.Event{ev}); out[0].Err != nil {
			t.Fatal(out[0].Err)
		}
		body := string(r.seen()[0].body)
		if got := strings.Contains(body, `"link":`); got != include {
			t.Errorf("INCLUDE_LINK=%v: body has a link: %v\n%s", include, got, body)
		}
		if r.seen()[0].header.Get("webhook-signature") != "" {
			t.Errorf("unsigned sink sent a signature")
		}
	}
}

func TestWebhookHeaders(t *testing.T) {
	r := newReceiver(t)
	h, err := ParseHeaders("Authorization=Basic dXNlcjpwYXNz; X-Team = sec-ops ")
	if err != nil {
		t.Fatal(err)
	}
	sink := newWebhookSink(t, testSettings{WebhookURLs: []string{r.URL}, WebhookHeaders: h})
	if out := fastRetrier().Deliver(context.Background(), sink, []event.Event{notify.SampleEvent(event.Stalled)}); out[0].Err != nil {
		t.Fatal(out[0].Err)
	}
	got := r.seen()[0].header
	if got.Get("Authorization") != "Basic dXNlcjpwYXNz" || got.Get("X-Team") != "sec-ops" {
		t.Errorf("headers arrived as Authorization=%q X-Team=%q", got.Get("Authorization"), got.Get("X-Team"))
	}
}

func TestWebhookTemplateFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jira.tmpl")
	tmpl := `{"fields": {"project": {"key": "SEC"}, "issuetype": {"name": "Task"},
  "summary": {{json .Summary}},
  "description": "Event {{.ID}}: export {{.Data.ExportID}} ({{.Data.Kind}}) file {{jsonEscape .Data.FileName}}{{with .Data.Error}}, error {{.Code}}{{end}}"}}`
	if err := os.WriteFile(path, []byte(tmpl), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := FromEnv(notifytest.MapEnv(map[string]string{"WEBHOOK_URL": "http://127.0.0.1:1/unused", "WEBHOOK_TEMPLATE": "@" + path}))
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	r := newReceiver(t)
	s.URLs = []string{r.URL}
	sink := s.Notifiers(false)[0]
	ev := notify.SampleEvent(event.Completed)
	ev.Status.FileName = `q"uoted\file`

	if out := fastRetrier().Deliver(context.Background(), sink, []event.Event{ev}); out[0].Err != nil {
		t.Fatal(out[0].Err)
	}

	req := r.seen()[0]
	var body struct {
		Fields struct {
			Summary     string `json:"summary"`
			Description string `json:"description"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(req.body, &body); err != nil {
		t.Fatalf("templated body is not JSON (escaping failed?): %v\n%s", err, req.body)
	}
	if !strings.Contains(body.Fields.Summary, `q"uoted\file`) || !strings.Contains(body.Fields.Description, `file q"uoted\file`) {
		t.Errorf("file name lost in %+v", body.Fields)
	}
	if !strings.Contains(body.Fields.Description, ev.ID) {
		t.Errorf("description %q lacks the event id", body.Fields.Description)
	}
	if ct := req.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
}

func TestWebhookTemplateErrorsAtStart(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.tmpl")
	cases := map[string]string{
		"parse error":   `{"summary": {{.Summary}`,
		"unknown field": `{"summary": {{json .NoSuchField}}}`,
		"missing file":  "@" + missing,
	}
	for name, tmpl := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := FromEnv(notifytest.MapEnv(map[string]string{"WEBHOOK_TEMPLATE": tmpl}))
			if err == nil || !strings.HasPrefix(err.Error(), "WEBHOOK_TEMPLATE: ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want a one-line WEBHOOK_TEMPLATE error", err)
			}
		})
	}
}

func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	r := newReceiver(t, reply{status: http.StatusFound})
	sink := newWebhookSink(t, testSettings{WebhookURLs: []string{r.URL + "/hook"}})

	out := fastRetrier().Deliver(context.Background(), sink, []event.Event{notify.SampleEvent(event.Completed)})

	var e *notify.Error
	if !errors.As(out[0].Err, &e) || e.StatusCode != http.StatusFound || e.Retryable {
		t.Fatalf("err = %#v, want a permanent 302 *Error", out[0].Err)
	}
	if n := len(r.seen()); n != 1 {
		t.Errorf("receiver saw %d requests, want 1 (the redirect not followed)", n)
	}
}

func TestWebhookSinkNames(t *testing.T) {
	sinks, err := New(testSettings{WebhookURLs: []string{
		"https://hooks.example.com/a/SECRET1", "https://hooks.example.com/b/SECRET2", "https://hooks.example.com/a/SECRET1",
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sinks) != 2 {
		t.Fatalf("got %d sinks, want 2 (duplicates merged)", len(sinks))
	}
	a, b := sinks[0].Name(), sinks[1].Name()
	if a == b || !strings.HasPrefix(a, "webhook:hooks.example.com#") || len(a) != len("webhook:hooks.example.com#")+8 {
		t.Errorf("names %q and %q: want distinct webhook:<host>#<8 hex>", a, b)
	}
	again, _ := New(testSettings{WebhookURLs: []string{"https://hooks.example.com/a/SECRET1"}}, nil)
	if again[0].Name() != a {
		t.Errorf("name not stable: %q then %q", a, again[0].Name())
	}
}

func TestDeliverPolicy(t *testing.T) {
	cases := []struct {
		name         string
		script       []reply
		wantAttempts int
		wantStatus   int
		wantText     string
		wantRetry    bool
	}{
		{"ok", []reply{{status: 200}}, 1, 0, "", false},
		{"500 then ok", []reply{{status: 500}, {status: 200}}, 2, 0, "", false},
		{"transient forever", []reply{{status: 502, body: "bad gateway"}}, 4, 502, "bad gateway", true},
		{"400 is permanent", []reply{{status: 400, body: "{\"error\":\n\"bad field\"}"}}, 1, 400, `{"error": "bad field"}`, false},
		{"404 is permanent", []reply{{status: 404, body: "no such hook"}}, 1, 404, "no such hook", false},
		{"429 then ok", []reply{{status: 429, retryAfter: "0"}, {status: 200}}, 2, 0, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReceiver(t, c.script...)
			sink := newWebhookSink(t, testSettings{WebhookURLs: []string{r.URL}})
			out := fastRetrier().Deliver(context.Background(), sink, []event.Event{notify.SampleEvent(event.Completed)})
			if len(out) != 1 || out[0].Attempts != c.wantAttempts {
				t.Fatalf("outcomes %+v, want one with %d attempts", out, c.wantAttempts)
			}
			if n := len(r.seen()); n != c.wantAttempts {
				t.Errorf("receiver saw %d requests, want %d", n, c.wantAttempts)
			}
			if c.wantStatus == 0 {
				if out[0].Err != nil {
					t.Errorf("err = %v, want success", out[0].Err)
				}
				return
			}
			var e *notify.Error
			if !errors.As(out[0].Err, &e) {
				t.Fatalf("err = %#v, want *Error", out[0].Err)
			}
			if e.StatusCode != c.wantStatus || e.Text != c.wantText || e.Retryable != c.wantRetry || e.Sink != sink.Name() {
				t.Errorf("err = %+v, want status %d text %q retryable %v", e, c.wantStatus, c.wantText, c.wantRetry)
			}
		})
	}
}

func TestDeliverStopsBeforeTheDeadline(t *testing.T) {
	r := newReceiver(t, reply{status: 429, retryAfter: "30"})
	sink := newWebhookSink(t, testSettings{WebhookURLs: []string{r.URL}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	out := fastRetrier().Deliver(ctx, sink, []event.Event{notify.SampleEvent(event.Completed)})

	var e *notify.Error
	if !errors.As(out[0].Err, &e) || e.StatusCode != 429 || e.RetryAfter != 30*time.Second || !e.Retryable {
		t.Fatalf("err = %#v, want the 429 with its Retry-After", out[0].Err)
	}
	if out[0].Attempts != 1 || len(r.seen()) != 1 {
		t.Errorf("attempts %d, requests %d: want 1 (a 30s wait does not fit a 2s deadline)", out[0].Attempts, len(r.seen()))
	}
	if ctx.Err() != nil {
		t.Errorf("Deliver used up the deadline instead of giving up at once")
	}
}

func TestDeliverCancelled(t *testing.T) {
	r := newReceiver(t)
	sink := newWebhookSink(t, testSettings{WebhookURLs: []string{r.URL}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	out := fastRetrier().Deliver(ctx, sink, []event.Event{notify.SampleEvent(event.Completed), notify.SampleEvent(event.Stalled)})

	for _, o := range out {
		var e *notify.Error
		if !errors.As(o.Err, &e) || !errors.Is(o.Err, context.Canceled) || o.Attempts != 0 {
			t.Errorf("outcome %+v: want 0 attempts and a *Error wrapping context.Canceled", o)
		}
	}
	if len(r.seen()) != 0 {
		t.Errorf("sent %d requests on a cancelled context", len(r.seen()))
	}
}

// TestRedactionKeepsOrdinaryWords: a path that is a plain word is removed
// from errors as a whole, not wherever the word occurs in the answer.
func TestRedactionKeepsOrdinaryWords(t *testing.T) {
	r := newReceiver(t, reply{status: http.StatusBadRequest, body: "unable to verify payload"})
	sink := newWebhookSink(t, testSettings{WebhookURLs: []string{r.URL + "/verify"}})

	err := sink.Notify(context.Background(), []event.Event{notify.SampleEvent(event.Completed)})

	var e *notify.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest {
		t.Fatalf("err = %v, want an HTTP 400 *Error", err)
	}
	if e.Text != "unable to verify payload" {
		t.Errorf("text = %q, want the receiver's answer unchanged", e.Text)
	}
}
