package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

// chatUpdates extends slacktest, which lacks chat.update, with a handler
// that records each call and answers as Slack does: with a script of
// errors first (the last one repeating until the script is used up), then
// ok.
type chatUpdates struct {
	mu     sync.Mutex
	calls  []chatUpdate
	script []http.HandlerFunc
}

// chatUpdate is one chat.update call as the server received it.
type chatUpdate struct {
	at                     time.Time
	channel, ts, text, tok string
	blocks                 string
}

func (c *chatUpdates) bind(s slacktest.Customize) { s.Handle("/chat.update", c.serve) }

func (c *chatUpdates) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v, _ := url.ParseQuery(string(body))
	tok := v.Get("token")
	if tok == "" {
		tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	c.mu.Lock()
	n := len(c.calls)
	c.calls = append(c.calls, chatUpdate{at: time.Now(), channel: v.Get("channel"), ts: v.Get("ts"), text: v.Get("text"), blocks: v.Get("blocks"), tok: tok})
	var scripted http.HandlerFunc
	if n < len(c.script) {
		scripted = c.script[n]
	}
	c.mu.Unlock()
	if scripted != nil {
		scripted(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": v.Get("channel"), "ts": v.Get("ts"), "text": v.Get("text")})
}

func (c *chatUpdates) seen() []chatUpdate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]chatUpdate(nil), c.calls...)
}

// newUpdater is the Slack bot with SLACK_UPDATE_MESSAGES=true, against api.
func newUpdater(t *testing.T, api string) notify.Updater {
	t.Helper()
	s, err := FromEnv(notifytest.MapEnv(map[string]string{
		"SLACK_BOT_TOKEN": secretToken, "SLACK_CHANNEL": "C0EXPORTS", "SLACK_API_URL": api,
		"SLACK_UPDATE_MESSAGES": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	sinks, err := build(s)
	if err != nil {
		t.Fatal(err)
	}
	updaters := notify.Updaters(sinks)
	if len(sinks) != 1 || len(updaters) != 1 || updaters[0].Name() != "slack:C0EXPORTS" {
		t.Fatalf("sinks %v, updaters %v: want the Slack bot as the one Updater", sinks, updaters)
	}
	return updaters[0]
}

func runningStatus(progress int, current int64) event.Status {
	return event.Status{Ref: event.Ref{Kind: event.Asset, ID: 131240}, State: event.Exporting,
		Progress: progress, CurrentCount: current, TotalCount: 30000, RequestID: "REQ-1"}
}

func header0(t *testing.T, blocks string) string {
	t.Helper()
	var b slackgo.Blocks
	if err := json.Unmarshal([]byte(blocks), &b); err != nil || len(b.BlockSet) == 0 {
		t.Fatalf("blocks %q do not decode: %v", blocks, err)
	}
	h, ok := b.BlockSet[0].(*slackgo.HeaderBlock)
	if !ok {
		t.Fatalf("first block is a %T, want the header", b.BlockSet[0])
	}
	return h.Text.Text
}

func TestSlackMessageUpdatesItself(t *testing.T) {
	updates := &chatUpdates{}
	api := newSlackAPI(t, updates.bind)
	u := newUpdater(t, api.url)
	r := fastRetrier()
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 7, 49, 0, 0, time.UTC)

	handle, attempts, err := r.Post(ctx, u, notify.ProgressEvent(runningStatus(40, 12000), "cn-shanghai", now))
	if err != nil || attempts != 1 {
		t.Fatalf("Post: %d attempts, %v", attempts, err)
	}
	posts := api.seen()
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	if got := header0(t, posts[0].Get("blocks")); got != "Export running: 40% (12,000 of 30,000)" {
		t.Errorf("posted header %q", got)
	}
	if got := posts[0].Get("text"); !strings.Contains(got, "Export running: 40% (12,000 of 30,000)") || !strings.Contains(got, "asset:131240") {
		t.Errorf("posted text %q", got)
	}
	channel, ts, ok := strings.Cut(handle, "/")
	if !ok || channel != "C0EXPORTS" || ts == "" {
		t.Fatalf("handle %q, want C0EXPORTS/<ts>", handle)
	}

	if _, err := r.Update(ctx, u, handle, notify.ProgressEvent(runningStatus(80, 24000), "cn-shanghai", now.Add(5*time.Minute))); err != nil {
		t.Fatalf("progress update: %v", err)
	}
	done := notify.SampleEvent(event.Completed)
	done.Status = runningStatus(100, 30000)
	done.Status.State, done.Status.FileName = event.Success, "assetInstance_20261125_131240.xlsx"
	done.Status.Link = "https://sas-export.oss-cn-shanghai.aliyuncs.com/x.xlsx?Expires=1&Signature=s"
	done.ID = event.NewID(done.Status.Ref, done.Key())
	if _, err := r.Update(ctx, u, handle, done); err != nil {
		t.Fatalf("final update: %v", err)
	}

	calls := updates.seen()
	if len(calls) != 2 || len(api.seen()) != 1 {
		t.Fatalf("%d updates and %d posts, want 2 and still 1", len(calls), len(api.seen()))
	}
	for i, c := range calls {
		if c.channel != channel || c.ts != ts || c.tok != secretToken {
			t.Errorf("update %d went to %s/%s (token sent: %v), want the posted message %s", i, c.channel, c.ts, c.tok != "", handle)
		}
	}
	if got := header0(t, calls[0].blocks); got != "Export running: 80% (24,000 of 30,000)" {
		t.Errorf("progress update header %q", got)
	}
	final := calls[1]
	for _, want := range []string{"assetInstance_20261125_131240.xlsx", "30,000"} {
		if !strings.Contains(final.text, want) || !strings.Contains(final.blocks, want) {
			t.Errorf("the completed message lacks %q: text %q", want, final.text)
		}
	}
	if strings.Contains(final.blocks, "running") || strings.Contains(final.text, "running") {
		t.Errorf("the completed message still says running: %s", final.blocks)
	}

	// The final message is exactly the one Notify posts about the event.
	if err := u.Notify(ctx, []event.Event{done}); err != nil {
		t.Fatal(err)
	}
	notified := api.seen()[1]
	if final.blocks != notified.Get("blocks") || final.text != notified.Get("text") {
		t.Errorf("the updated message differs from Notify's:\nupdate: %s\nnotify: %s", final.blocks, notified.Get("blocks"))
	}
}

func TestSlackUpdateErrors(t *testing.T) {
	slackError := func(code string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":false,"error":"`+code+`"}`)
		}
	}
	rateLimited := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	unavailable := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }
	cases := []struct {
		name         string
		script       []http.HandlerFunc
		wantAttempts int
		wantStatus   int // 0: success
		wantText     string
		wantRetry    bool
		wantAfter    time.Duration
		minGap       time.Duration
	}{
		{name: "message_not_found", script: []http.HandlerFunc{slackError("message_not_found")}, wantAttempts: 1, wantStatus: 200, wantText: "message_not_found"},
		{name: "cant_update_message", script: []http.HandlerFunc{slackError("cant_update_message")}, wantAttempts: 1, wantStatus: 200, wantText: "cant_update_message"},
		{name: "ratelimited 429 then ok", script: []http.HandlerFunc{rateLimited}, wantAttempts: 2, minGap: time.Second},
		{name: "ratelimited in the body then ok", script: []http.HandlerFunc{slackError("ratelimited")}, wantAttempts: 2},
		{name: "503 forever", script: []http.HandlerFunc{unavailable, unavailable, unavailable, unavailable}, wantAttempts: 4, wantStatus: 503, wantText: "503 Service Unavailable", wantRetry: true},
		{name: "429 forever", script: []http.HandlerFunc{rateLimited, rateLimited}, wantAttempts: 1, wantStatus: 429, wantText: "rate_limited", wantRetry: true, wantAfter: time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			updates := &chatUpdates{script: c.script}
			api := newSlackAPI(t, updates.bind)
			u := newUpdater(t, api.url)
			r := fastRetrier()
			if c.name == "429 forever" {
				r.MaxAttempts = 1
			}

			attempts, err := r.Update(context.Background(), u, "C0EXPORTS/1700000000.000100", notify.ProgressEvent(runningStatus(50, 15000), "cn-shanghai", time.Now()))

			calls := updates.seen()
			if attempts != c.wantAttempts || len(calls) != c.wantAttempts {
				t.Fatalf("%d attempts, %d calls; want %d", attempts, len(calls), c.wantAttempts)
			}
			if c.minGap > 0 {
				if gap := calls[1].at.Sub(calls[0].at); gap < c.minGap {
					t.Errorf("retried after %v, want at least the Retry-After %v", gap, c.minGap)
				}
			}
			if c.wantStatus == 0 {
				if err != nil {
					t.Errorf("err = %v, want success", err)
				}
				return
			}
			var e *notify.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %#v, want *Error", err)
			}
			if e.Sink != "slack:C0EXPORTS" || e.StatusCode != c.wantStatus || e.Text != c.wantText || e.Retryable != c.wantRetry || e.RetryAfter != c.wantAfter {
				t.Errorf("err = %+v, want status %d text %q retryable %v after %v", e, c.wantStatus, c.wantText, c.wantRetry, c.wantAfter)
			}
			if !strings.Contains(e.Error(), c.wantText) {
				t.Errorf("Error() = %q lacks Slack's text", e.Error())
			}
		})
	}
}

func TestSlackPostErrors(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	calls := 0
	api := newSlackAPI(t, func(s slacktest.Customize) {
		s.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			v, _ := url.ParseQuery(string(body))
			mu.Lock()
			calls++
			n := calls
			times = append(times, time.Now())
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			switch {
			case v.Get("channel") == "C0GONE":
				_, _ = io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
			case n == 1:
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
			default:
				_, _ = io.WriteString(w, `{"ok":true,"channel":"C0EXPORTS","ts":"1700000000.000200"}`)
			}
		})
	})
	u := newUpdater(t, api.url)

	handle, attempts, err := fastRetrier().Post(context.Background(), u, notify.ProgressEvent(runningStatus(10, 3000), "", time.Now()))
	if err != nil || attempts != 2 || handle != "C0EXPORTS/1700000000.000200" {
		t.Fatalf("Post after a 429: handle %q, %d attempts, %v; want the handle after 2 attempts", handle, attempts, err)
	}
	if gap := times[1].Sub(times[0]); gap < time.Second {
		t.Errorf("retried after %v, want the Retry-After of 1s", gap)
	}

	gone := slackUpdater{newSlackBot(api.url, secretToken, "C0GONE", true)}
	handle, attempts, err = fastRetrier().Post(context.Background(), gone, notify.ProgressEvent(runningStatus(10, 3000), "", time.Now()))
	var e *notify.Error
	if !errors.As(err, &e) || e.Text != "channel_not_found" || e.Retryable || attempts != 1 || handle != "" {
		t.Errorf("Post to a missing channel: handle %q, %d attempts, err %#v; want one permanent channel_not_found", handle, attempts, err)
	}
}

func TestSlackPostWithoutTS(t *testing.T) {
	api := newSlackAPI(t, func(s slacktest.Customize) {
		s.Handle("/chat.postMessage", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"ok":true,"channel":"C0EXPORTS"}`)
		})
	})
	u := newUpdater(t, api.url)
	_, attempts, err := fastRetrier().Post(context.Background(), u, notify.ProgressEvent(runningStatus(10, 3000), "", time.Now()))
	var e *notify.Error
	if !errors.As(err, &e) || e.Retryable || attempts != 1 || !strings.Contains(e.Text, "ts") {
		t.Errorf("%d attempts, err %#v: want one permanent failure (posting again would duplicate the message)", attempts, err)
	}
}

func TestSlackUpdateRefusesBadHandles(t *testing.T) {
	updates := &chatUpdates{}
	api := newSlackAPI(t, updates.bind)
	u := newUpdater(t, api.url)
	for _, h := range []string{"", "C0EXPORTS", "/1700000000.1", "C0EXPORTS/", "C0EXPORTS/abc", "C0 X/1.2", "C0EXPORTS/1.2.3", "a/b/1.2"} {
		err := u.Update(context.Background(), h, notify.SampleEvent(event.Completed))
		var e *notify.Error
		if !errors.As(err, &e) || e.Retryable || !strings.Contains(e.Text, "not a Slack message handle") {
			t.Errorf("Update(%q) = %#v, want a permanent error about the handle", h, err)
		}
	}
	if n := len(updates.seen()); n != 0 {
		t.Errorf("%d chat.update calls with bad handles", n)
	}
}

func TestUpdaterNeverLeaksTheToken(t *testing.T) {
	echoing := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		said := strings.ReplaceAll(r.Header.Get("Authorization")+" "+string(body), `"`, `'`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_auth for `+said+`"}`)
	}
	status500 := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, r.Header.Get("Authorization"))
	}
	servers := map[string]string{"refused": closedURL(t) + "/api/"}
	for name, h := range map[string]http.HandlerFunc{"echoes 200": echoing, "echoes 500": status500} {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		servers[name] = srv.URL + "/api/"
	}
	for name, api := range servers {
		t.Run(name, func(t *testing.T) {
			sinks, err := build(Settings{BotToken: secretToken, Channel: "C0EXPORTS", APIURL: api, UpdateMessages: true})
			if err != nil {
				t.Fatal(err)
			}
			u := notify.Updaters(sinks)[0]
			var logs strings.Builder
			r := fastRetrier()
			r.MaxAttempts = 2
			r.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			ev := notify.ProgressEvent(runningStatus(10, 3000), "cn-shanghai", time.Now())

			_, _, postErr := r.Post(context.Background(), u, ev)
			_, updateErr := r.Update(context.Background(), u, "C0EXPORTS/1700000000.000100", ev)

			for op, err := range map[string]error{"Post": postErr, "Update": updateErr} {
				var e *notify.Error
				if !errors.As(err, &e) {
					t.Fatalf("%s: err = %#v, want *Error", op, err)
				}
				if name == "echoes 200" && !strings.HasPrefix(e.Text, "invalid_auth") {
					t.Errorf("%s: Slack's own text is lost: %q", op, e.Text)
				}
				seen := err.Error() + "\n" + e.Text + "\n" + logs.String()
				for _, s := range []string{secretToken, "TOKENSECRET"} {
					if strings.Contains(seen, s) {
						t.Errorf("%s: the token leaked:\n%s", op, seen)
					}
				}
			}
			if logs.Len() == 0 {
				t.Error("nothing was logged")
			}
		})
	}
}

func TestSlackUpdateMessagesSettings(t *testing.T) {
	bot := map[string]string{"SLACK_BOT_TOKEN": secretToken, "SLACK_CHANNEL": "C0EXPORTS"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range bot {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	errCases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"without a bot", map[string]string{"SLACK_UPDATE_MESSAGES": "true"}, "SLACK_UPDATE_MESSAGES: needs SLACK_BOT_TOKEN"},
		{"with an incoming webhook only", map[string]string{"SLACK_UPDATE_MESSAGES": "1", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/" + secretPath}, "SLACK_UPDATE_MESSAGES: needs SLACK_BOT_TOKEN"},
		{"not a boolean", with(map[string]string{"SLACK_UPDATE_MESSAGES": "sometimes"}), `SLACK_UPDATE_MESSAGES: want true or false, got "sometimes"`},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromEnv(notifytest.MapEnv(c.env))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to start %q", err, c.want)
			}
			for _, s := range allSecrets() {
				if strings.Contains(err.Error(), s) {
					t.Errorf("err %q shows %q", err, s)
				}
			}
		})
	}

	for value, wantUpdater := range map[string]bool{"": false, "false": false, "true": true} {
		s, err := FromEnv(notifytest.MapEnv(with(map[string]string{"SLACK_UPDATE_MESSAGES": value, "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/x", "SLACK_API_URL": "https://slack.example.com/api/"})))
		if err != nil {
			t.Fatal(err)
		}
		sinks, err := build(s)
		if err != nil {
			t.Fatal(err)
		}
		updaters := notify.Updaters(sinks)
		if got := len(updaters) == 1 && updaters[0].Name() == "slack:C0EXPORTS"; got != wantUpdater || len(updaters) > 1 {
			t.Errorf("SLACK_UPDATE_MESSAGES=%q: updaters %v, want the bot alone: %v", value, updaters, wantUpdater)
		}
		if len(sinks) != 2 || sinks[1].Name() != "slack:C0EXPORTS" {
			t.Errorf("SLACK_UPDATE_MESSAGES=%q: sinks %v", value, sinks)
		}
	}
}

func TestProgressEvent(t *testing.T) {
	st := runningStatus(40, 12000)
	st.Link, st.Raw = "https://example.com/partial?Signature=x", []byte(`{"Link":"x"}`)
	now := time.Date(2026, 11, 25, 7, 49, 0, 0, time.UTC)

	ev := notify.ProgressEvent(st, "cn-shanghai", now)

	if ev.Type != event.Running || ev.ID != "" || !ev.Time.Equal(now) || ev.Region != "cn-shanghai" || ev.Status.Ref != st.Ref {
		t.Errorf("ProgressEvent = %+v", ev)
	}
	if ev.Status.Link != "" || ev.Status.Raw != nil {
		t.Errorf("a running export's message carries a link: %+v", ev.Status)
	}
	if got := notify.Summary(ev, true); got != "Export running: 40% (12,000 of 30,000) for asset:131240" {
		t.Errorf("Summary = %q", got)
	}
	if _, err := event.ParseType(string(ev.Type)); err == nil {
		t.Error("a progress event's type is accepted by ParseType, so it could be stored")
	}
}

func TestRetrierDo(t *testing.T) {
	transient := &notify.Error{Sink: "s", StatusCode: 503, Retryable: true}
	permanent := &notify.Error{Sink: "s", StatusCode: 400, Text: "bad"}
	cases := []struct {
		name         string
		results      []error
		wantAttempts int
		wantErr      error
	}{
		{"first time", []error{nil}, 1, nil},
		{"after two transient failures", []error{transient, transient, nil}, 3, nil},
		{"permanent", []error{permanent, nil}, 1, permanent},
		{"transient forever", []error{transient, transient, transient, transient, nil}, 4, transient},
		{"a plain error counts as transient", []error{errors.New("boom"), nil}, 2, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			attempts, err := fastRetrier().Do(context.Background(), "s", func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); !ok {
					t.Error("the attempt has no deadline")
				}
				calls++
				return c.results[calls-1]
			})
			if attempts != c.wantAttempts || calls != c.wantAttempts {
				t.Errorf("%d attempts, %d calls; want %d", attempts, calls, c.wantAttempts)
			}
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("err = %v, want %v", err, c.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	attempts, err := fastRetrier().Do(ctx, "s", func(context.Context) error { t.Error("ran on a cancelled context"); return nil })
	var e *notify.Error
	if attempts != 0 || !errors.As(err, &e) || e.Sink != "s" || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %d attempts, %v", attempts, err)
	}
}
