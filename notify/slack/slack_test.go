package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

func newSlackWebhookSink(t *testing.T, target string) notify.Notifier {
	t.Helper()
	s, err := FromEnv(notifytest.MapEnv(map[string]string{"SLACK_WEBHOOK_URL": target}))
	if err != nil {
		t.Fatal(err)
	}
	sinks, err := build(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(sinks) != 1 || sinks[0].Name() != "slack" {
		t.Fatalf("sinks %v, want the Slack webhook alone", sinks)
	}
	return sinks[0]
}

func TestSlackIncomingWebhook(t *testing.T) {
	cases := []struct {
		name         string
		script       []reply
		wantAttempts int
		wantStatus   int
		wantText     string
		minGap       time.Duration // between the first two requests
	}{
		{name: "ok", script: []reply{{status: 200, body: "ok"}}, wantAttempts: 1},
		{name: "invalid_payload", script: []reply{{status: 400, body: "invalid_payload"}}, wantAttempts: 1, wantStatus: 400, wantText: "invalid_payload"},
		{name: "no_service", script: []reply{{status: 404, body: "no_service"}}, wantAttempts: 1, wantStatus: 404, wantText: "no_service"},
		{name: "500 then ok", script: []reply{{status: 500, body: "rollup_error"}, {status: 200, body: "ok"}}, wantAttempts: 2},
		{name: "429 then ok", script: []reply{{status: 429, body: "rate_limited", retryAfter: "1"}, {status: 200, body: "ok"}}, wantAttempts: 2, minGap: time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReceiver(t, c.script...)
			sink := newSlackWebhookSink(t, r.URL+"/services/T000/B000/XXXXSECRET")
			ev := notify.SampleEvent(event.Completed)

			out := notify.Deliver(context.Background(), sink, []event.Event{ev})

			reqs := r.seen()
			if len(out) != 1 || out[0].Attempts != c.wantAttempts || len(reqs) != c.wantAttempts {
				t.Fatalf("outcomes %+v, %d requests; want %d attempts", out, len(reqs), c.wantAttempts)
			}
			var msg Message
			if err := json.Unmarshal(reqs[0].body, &msg); err != nil {
				t.Fatalf("body is not a Slack message: %v", err)
			}
			if !strings.Contains(msg.Text, "health_check_export_20171123") || !strings.Contains(msg.Text, "1,234") || len(msg.Blocks.BlockSet) == 0 {
				t.Errorf("message text %q, %d blocks", msg.Text, len(msg.Blocks.BlockSet))
			}
			if c.minGap > 0 {
				if gap := reqs[1].at.Sub(reqs[0].at); gap < c.minGap {
					t.Errorf("retried after %v, want at least the Retry-After %v", gap, c.minGap)
				}
			}
			if c.wantStatus == 0 {
				if out[0].Err != nil {
					t.Errorf("err = %v", out[0].Err)
				}
				return
			}
			var e *notify.Error
			if !errors.As(out[0].Err, &e) || e.StatusCode != c.wantStatus || e.Text != c.wantText || e.Retryable {
				t.Fatalf("err = %#v, want a permanent %d %q", out[0].Err, c.wantStatus, c.wantText)
			}
			if !strings.Contains(e.Error(), c.wantText) {
				t.Errorf("Error() = %q lacks Slack's text %q", e.Error(), c.wantText)
			}
		})
	}
}

// slackAPI is slack-go's slacktest server behind a recording proxy, so the
// test sees exactly what chat.postMessage received.
type slackAPI struct {
	url   string
	mu    sync.Mutex
	posts []url.Values
}

func newSlackAPI(t *testing.T, binders ...slacktest.Binder) *slackAPI {
	t.Helper()
	sts := slacktest.NewTestServer(binders...)
	sts.Start()
	t.Cleanup(sts.Stop)
	target, _ := url.Parse(sts.GetAPIURL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	api := &slackAPI{}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
			v, _ := url.ParseQuery(string(body))
			if v.Get("token") == "" {
				v.Set("token", strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			}
			api.mu.Lock()
			api.posts = append(api.posts, v)
			api.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	api.url = front.URL + "/"
	return api
}

func (a *slackAPI) seen() []url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]url.Values(nil), a.posts...)
}

func newSlackBotSink(t *testing.T, api string) notify.Notifier {
	t.Helper()
	s, err := FromEnv(notifytest.MapEnv(map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-123-456-SECRETTOKEN", "SLACK_CHANNEL": "C0EXPORTS", "SLACK_API_URL": strings.TrimSuffix(api, "/"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	sinks, err := build(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(sinks) != 1 || sinks[0].Name() != "slack:C0EXPORTS" {
		t.Fatalf("sinks %v, want the Slack bot alone", sinks)
	}
	return sinks[0]
}

func TestSlackBotPostsBlocks(t *testing.T) {
	api := newSlackAPI(t)
	sink := newSlackBotSink(t, api.url)
	a, b := notify.SampleEvent(event.Failed), notify.SampleEvent(event.Failed)
	b.Status.Ref.ID = 131299
	events := []event.Event{notify.SampleEvent(event.Completed), a, notify.SampleEvent(event.Stalled), b}

	out := fastRetrier().Deliver(context.Background(), sink, events)

	if len(out) != 3 {
		t.Fatalf("%d messages, want 3 (the two NoPermission failures in one)", len(out))
	}
	for _, o := range out {
		if o.Err != nil {
			t.Fatalf("message about %d events: %v", len(o.Events), o.Err)
		}
	}
	posts := api.seen()
	if len(posts) != 3 {
		t.Fatalf("slacktest saw %d posts, want 3", len(posts))
	}
	for i, p := range posts {
		if p.Get("channel") != "C0EXPORTS" || p.Get("token") != "xoxb-123-456-SECRETTOKEN" {
			t.Errorf("Post %d: channel %q, token sent: %v", i, p.Get("channel"), p.Get("token") != "")
		}
		var blocks slackgo.Blocks
		if err := json.Unmarshal([]byte(p.Get("blocks")), &blocks); err != nil || len(blocks.BlockSet) == 0 {
			t.Errorf("Post %d: blocks %q do not decode: %v", i, p.Get("blocks"), err)
		}
	}
	if got := posts[0].Get("text"); !strings.Contains(got, "health_check_export_20171123") || !strings.Contains(got, "1,234") {
		t.Errorf("fallback text %q lacks the file name or the row count", got)
	}
	if got := posts[1].Get("text"); !strings.Contains(got, "asset:131232@16670360956") || !strings.Contains(got, "asset:131299@16670360956") {
		t.Errorf("grouped failure text %q lacks an export", got)
	}
}

func TestSlackBotErrors(t *testing.T) {
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		wantText  string
		wantCode  int
		wantRetry bool
		wantAfter time.Duration
	}{
		{"channel_not_found", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
		}, "channel_not_found", 200, false, 0},
		{"invalid_auth", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
		}, "invalid_auth", 200, false, 0},
		{"rate limited", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		}, "rate_limited", 429, true, 7 * time.Second},
		{"server error", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, "503 Service Unavailable", 503, true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := newSlackAPI(t, func(s slacktest.Customize) { s.Handle("/chat.postMessage", c.handler) })
			sink := newSlackBotSink(t, api.url)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()

			out := fastRetrier().Deliver(ctx, sink, []event.Event{notify.SampleEvent(event.Completed)})

			var e *notify.Error
			if !errors.As(out[0].Err, &e) {
				t.Fatalf("err = %#v, want *Error", out[0].Err)
			}
			if e.Text != c.wantText || e.StatusCode != c.wantCode || e.Retryable != c.wantRetry || e.RetryAfter != c.wantAfter {
				t.Errorf("err = %+v, want text %q status %d retryable %v after %v", e, c.wantText, c.wantCode, c.wantRetry, c.wantAfter)
			}
			if !c.wantRetry && out[0].Attempts != 1 {
				t.Errorf("a permanent error was tried %d times", out[0].Attempts)
			}
		})
	}
}

func TestSlackRespectsLimits(t *testing.T) {
	var many []event.Event
	for i := range 400 {
		ev := notify.SampleEvent(event.Failed)
		ev.Status.Ref.ID = int64(1000000 + i)
		ev.Status.FileName = strings.Repeat("long_file_name_", 4)
		ev.Error.Message = strings.Repeat("very long message <&> ", 300)
		many = append(many, ev)
	}
	long := notify.SampleEvent(event.Completed)
	long.Status.FileName = strings.Repeat("x", 500)

	for name, m := range map[string]Message{
		"grouped": Render(many, true),
		"single":  Render(many[:1], true),
		"long":    Render([]event.Event{long}, true),
	} {
		t.Run(name, func(t *testing.T) {
			checkSlackLimits(t, m)
		})
	}
	grouped := Render(many, true)
	b, _ := json.Marshal(grouped)
	if !strings.Contains(string(b), "more") || !strings.Contains(grouped.Text, "more") {
		t.Errorf("400 failures in one message do not say how many more were left out")
	}
	if !strings.Contains(grouped.Text, "400 export checks failed: NoPermission") {
		t.Errorf("fallback %q", grouped.Text[:80])
	}
}

// checkSlackLimits fails t if m breaks one of Block Kit's limits.
func checkSlackLimits(t *testing.T, m Message) {
	t.Helper()
	if n := len(m.Blocks.BlockSet); n == 0 || n > slackMaxBlocks {
		t.Errorf("%d blocks", n)
	}
	total := 0
	for _, b := range m.Blocks.BlockSet {
		switch b := b.(type) {
		case *slackgo.HeaderBlock:
			if n := len([]rune(b.Text.Text)); n > slackMaxHeader {
				t.Errorf("header of %d characters", n)
			}
			total += len(b.Text.Text)
		case *slackgo.SectionBlock:
			if b.Text != nil {
				if n := len([]rune(b.Text.Text)); n > slackMaxSectionText {
					t.Errorf("section text of %d characters", n)
				}
				total += len(b.Text.Text)
			}
			if len(b.Fields) > slackMaxFields {
				t.Errorf("%d fields", len(b.Fields))
			}
			for _, f := range b.Fields {
				if n := len([]rune(f.Text)); n > slackMaxField {
					t.Errorf("field of %d characters", n)
				}
				total += len(f.Text)
			}
		}
	}
	if total > 12000 {
		t.Errorf("message of %d characters", total)
	}
}
