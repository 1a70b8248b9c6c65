package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

const (
	botKey = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
	ok     = `{"errcode":0,"errmsg":"ok"}`
)

// groupBot is a WeCom group bot on loopback: it checks the key and the
// message the way WeCom does, then answers with its script (the last
// answer repeats).
type groupBot struct {
	*httptest.Server
	mu     sync.Mutex
	script []string
	got    []received
}

type received struct {
	at  time.Time
	msg Message
}

func newGroupBot(t *testing.T, script ...string) *groupBot {
	if len(script) == 0 {
		script = []string{ok}
	}
	b := &groupBot{script: script}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m Message
		switch {
		case r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != botKey:
			_, _ = io.WriteString(w, `{"errcode":93000,"errmsg":"invalid webhook url, hint: [1700000000_1_abc]"}`)
			return
		case json.Unmarshal(body, &m) != nil || m.MsgType != "markdown":
			_, _ = io.WriteString(w, `{"errcode":40008,"errmsg":"invalid message type"}`)
			return
		case len(m.Markdown.Content) > maxContent:
			_, _ = io.WriteString(w, `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}`)
			return
		}
		b.mu.Lock()
		n := len(b.got)
		b.got = append(b.got, received{at: time.Now(), msg: m})
		answer := b.script[min(n, len(b.script)-1)]
		b.mu.Unlock()
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *groupBot) url() string { return b.URL + "/cgi-bin/webhook/send?key=" + botKey }

func (b *groupBot) seen() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.got...)
}

func newSink(t *testing.T, target string) *sink {
	t.Helper()
	cfg, err := Kind().FromEnv(notifytest.MapEnv(map[string]string{"WECOM_WEBHOOK_URL": target}))
	if err != nil {
		t.Fatal(err)
	}
	sinks := cfg.Notifiers(true)
	if len(sinks) != 1 || sinks[0].Name() != "wecom" {
		t.Fatalf("sinks %v", sinks)
	}
	s := sinks[0].(*sink)
	s.Answer = Answer(time.Millisecond)
	return s
}

func fastRetrier() notify.Retrier {
	return notify.Retrier{MaxAttempts: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 5 * time.Second}
}

func TestWeComMarkdown(t *testing.T) {
	bot := newGroupBot(t)
	sink := newSink(t, bot.url())
	a, b := notify.SampleEvent(event.Failed), notify.SampleEvent(event.Failed)
	b.Status.Ref.ID = 131299

	out := fastRetrier().Deliver(context.Background(), sink, []event.Event{notify.SampleEvent(event.Completed), a, b})

	if len(out) != 2 {
		t.Fatalf("%d messages, want 2 (the two NoPermission failures in one)", len(out))
	}
	for _, o := range out {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
	}
	got := bot.seen()
	if c := got[0].msg.Markdown.Content; !strings.HasPrefix(c, "### Export ready") || !strings.Contains(c, "[Download](https://") || !strings.Contains(c, "1,234") {
		t.Errorf("completion message:\n%s", c)
	}
	if c := got[1].msg.Markdown.Content; !strings.Contains(c, "2 export checks failed: NoPermission") || !strings.Contains(c, "131299") {
		t.Errorf("grouped failure message:\n%s", c)
	}
}

func TestWeComAnswers(t *testing.T) {
	tests := []struct {
		name      string
		script    []string
		key       string
		attempts  int
		wantText  string
		retryable bool
	}{
		{name: "ok", attempts: 1},
		{name: "wrong key", key: "other", attempts: 1, wantText: "errcode 93000: invalid webhook url"},
		{name: "rate limited then ok", script: []string{`{"errcode":45009,"errmsg":"api freq out of limit"}`, ok}, attempts: 2},
		{name: "rate limited", script: []string{`{"errcode":45009,"errmsg":"api freq out of limit"}`}, attempts: 3, wantText: "errcode 45009: api freq out of limit", retryable: true},
		{name: "system busy then ok", script: []string{`{"errcode":-1,"errmsg":"system busy"}`, ok}, attempts: 2},
		{name: "not WeCom's answer", script: []string{"<html>captive portal</html>"}, attempts: 1, wantText: "unexpected answer: <html>captive portal</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := newGroupBot(t, tt.script...)
			target := bot.url()
			if tt.key != "" {
				target = strings.Replace(target, botKey, tt.key, 1)
			}
			o := fastRetrier().Deliver(context.Background(), newSink(t, target), []event.Event{notify.SampleEvent(event.Completed)})[0]
			if o.Attempts != tt.attempts {
				t.Errorf("attempts %d, want %d", o.Attempts, tt.attempts)
			}
			if tt.wantText == "" {
				if o.Err != nil {
					t.Errorf("err %v", o.Err)
				}
				return
			}
			var e *notify.Error
			if !errors.As(o.Err, &e) || !strings.HasPrefix(e.Text, tt.wantText) || e.Retryable != tt.retryable || e.StatusCode != 200 {
				t.Errorf("err %#v, want HTTP 200 with %q", o.Err, tt.wantText)
			}
		})
	}
}

func TestWeComPacesItself(t *testing.T) {
	bot := newGroupBot(t)
	sink := newSink(t, bot.url())
	sink.Limiter = rate.NewLimiter(10, 2) // one every 100ms after a burst of 2
	events := make([]event.Event, 4)
	for i := range events {
		events[i] = notify.SampleEvent(event.Completed)
		events[i].Status.Ref.ID += int64(i)
	}
	fastRetrier().Deliver(context.Background(), sink, events)
	got := bot.seen()
	if len(got) != 4 || got[3].at.Sub(got[0].at) < 150*time.Millisecond {
		t.Errorf("%d messages, the last %v after the first: the sink does not pace itself", len(got), got[len(got)-1].at.Sub(got[0].at))
	}
	if s := newSink(t, bot.url()); s.Limiter.Burst() != burst || s.Limiter.Limit() != rate.Every(every) {
		t.Errorf("the limiter allows %v a second after %d, want WeCom's 20 a minute", s.Limiter.Limit(), s.Limiter.Burst())
	}
}

func TestWeComLongGroupFits(t *testing.T) {
	var many []event.Event
	for i := range 400 {
		ev := notify.SampleEvent(event.Failed)
		ev.Status.Ref.ID = int64(1000000 + i)
		ev.Status.FileName = strings.Repeat("导出文件😀", 60)
		ev.Error.Message = strings.Repeat("消息<&>😀\x01", 500)
		many = append(many, ev)
	}
	for name, events := range map[string][]event.Event{"grouped": many, "single": many[:1]} {
		c := Render(events, true).Markdown.Content
		if len(c) > maxContent || strings.ContainsAny(c, "\x01<") || !strings.Contains(c, "export-notifier ·") {
			t.Errorf("%s: %d bytes (at most %d), raw HTML or control characters, or the footer cut off", name, len(c), maxContent)
		}
	}
}

func TestWeComSettings(t *testing.T) {
	for env, want := range map[string]string{
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send":      "WECOM_WEBHOOK_URL: https://qyapi.weixin.qq.com/… has no key query parameter",
		"http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x": "WECOM_WEBHOOK_URL: http://qyapi.weixin.qq.com/…: plain http",
	} {
		_, err := Kind().FromEnv(notifytest.MapEnv(map[string]string{"WECOM_WEBHOOK_URL": env}))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", env, err, want)
		}
	}
	for attach, want := range map[string]string{
		"maybe": `WECOM_ATTACH_FILE: want true or false, got "maybe"`,
		"true":  "WECOM_ATTACH_FILE: set without WECOM_WEBHOOK_URL",
	} {
		_, err := Kind().FromEnv(notifytest.MapEnv(map[string]string{"WECOM_ATTACH_FILE": attach}))
		if err == nil || err.Error() != want {
			t.Errorf("WECOM_ATTACH_FILE=%s: err %v, want %q", attach, err, want)
		}
	}
	if vars := Kind().Variables; len(vars) != 2 || vars[0].Name != "WECOM_WEBHOOK_URL" || !vars[0].Secret || vars[1].Name != "WECOM_ATTACH_FILE" || vars[1].Secret {
		t.Errorf("variables %+v, want WECOM_WEBHOOK_URL, secret, and WECOM_ATTACH_FILE", vars)
	}
}

func TestGoldenWeCom(t *testing.T) {
	for name, events := range notifytest.GoldenCases() {
		t.Run(name, func(t *testing.T) {
			notifytest.Golden(t, "wecom_"+name, []byte(Render(events, true).Markdown.Content+"\n"), *update)
		})
	}
}
