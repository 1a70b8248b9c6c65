package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

const (
	dingTalkToken  = "0123456789abcdefTOKENdingtalk"
	dingTalkSecret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	dingTalkOK     = `{"errcode":0,"errmsg":"ok"}`
)

// dingTalkBot is a DingTalk custom bot on loopback: it checks the token
// and, when it has a secret, the timestamp and signature the way DingTalk
// does (computed here, independently of the sink), then answers with its
// script.
type dingTalkBot struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	script []reply
	got    []dingTalkRequest
}

type dingTalkRequest struct {
	at     time.Time
	query  url.Values
	header http.Header
	msg    Message
	signed bool // the signature matched
}

func newDingTalkBot(t *testing.T, secret string, script ...reply) *dingTalkBot {
	t.Helper()
	if len(script) == 0 {
		script = []reply{{status: 200, body: dingTalkOK}}
	}
	b := &dingTalkBot{secret: secret, script: script}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

// url is the webhook URL users copy from the bot's settings.
func (b *dingTalkBot) url() string { return b.URL + "/robot/send?access_token=" + dingTalkToken }

func (b *dingTalkBot) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := dingTalkRequest{at: time.Now(), query: r.URL.Query(), header: r.Header.Clone()}
	answer := func(status int, s string) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, s)
	}
	if err := json.Unmarshal(body, &req.msg); err != nil || r.Method != http.MethodPost || r.URL.Path != "/robot/send" {
		answer(200, `{"errcode":40035,"errmsg":"缺少参数 json"}`)
		return
	}
	if req.query.Get("access_token") != dingTalkToken {
		answer(200, `{"errcode":300001,"errmsg":"token is not exist"}`)
		return
	}
	if b.secret != "" {
		ts, sign := req.query.Get("timestamp"), req.query.Get("sign")
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.UnixMilli(ms)).Abs() > time.Hour {
			answer(200, `{"errcode":310000,"errmsg":"invalid timestamp"}`)
			return
		}
		mac := hmac.New(sha256.New, []byte(b.secret))
		mac.Write([]byte(ts + "\n" + b.secret))
		if !hmac.Equal([]byte(sign), []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))) {
			answer(200, `{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}`)
			return
		}
		req.signed = true
	}
	b.mu.Lock()
	n := len(b.got)
	b.got = append(b.got, req)
	rep := b.script[min(n, len(b.script)-1)]
	b.mu.Unlock()
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	answer(rep.status, rep.body)
}

// seen is what the bot accepted past its token and signature checks.
func (b *dingTalkBot) seen() []dingTalkRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]dingTalkRequest(nil), b.got...)
}

func newDingTalkSink(t *testing.T, env map[string]string) *sink {
	t.Helper()
	cfg, err := Kind().FromEnv(notifytest.MapEnv(env))
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	sinks := cfg.Notifiers(env["INCLUDE_LINK"] != "false")
	if len(sinks) != 1 || sinks[0].Name() != "dingtalk" {
		t.Fatalf("sinks %v, want the DingTalk bot alone", sinks)
	}
	return sinks[0].(*sink)
}

func TestDingTalkSignedMarkdown(t *testing.T) {
	bot := newDingTalkBot(t, dingTalkSecret)
	sink := newDingTalkSink(t, map[string]string{"DINGTALK_WEBHOOK_URL": bot.url(), "DINGTALK_SECRET": dingTalkSecret})
	a, b := notify.SampleEvent(event.Failed), notify.SampleEvent(event.Failed)
	b.Status.Ref.ID = 131299
	events := []event.Event{notify.SampleEvent(event.Completed), a, notify.SampleEvent(event.Stalled), b}

	out := fastRetrier().Deliver(context.Background(), sink, events)

	if len(out) != 3 {
		t.Fatalf("%d messages, want 3 (the two NoPermission failures in one)", len(out))
	}
	for _, o := range out {
		if o.Err != nil || o.Attempts != 1 {
			t.Fatalf("message about %d events: %d attempts, err %v", len(o.Events), o.Attempts, o.Err)
		}
	}
	got := bot.seen()
	if len(got) != 3 {
		t.Fatalf("the bot accepted %d messages, want 3", len(got))
	}
	for i, req := range got {
		if !req.signed {
			t.Errorf("message %d: not signed", i)
		}
		ms, _ := strconv.ParseInt(req.query.Get("timestamp"), 10, 64)
		if d := req.at.Sub(time.UnixMilli(ms)).Abs(); d > 5*time.Second {
			t.Errorf("message %d: timestamp %v off the arrival time", i, d)
		}
		if req.msg.MsgType != "markdown" || req.msg.Markdown.Title == "" {
			t.Errorf("message %d: msgtype %q, title %q", i, req.msg.MsgType, req.msg.Markdown.Title)
		}
		if ct := req.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("message %d: Content-Type %q", i, ct)
		}
		if !strings.Contains(req.msg.Markdown.Text, "export-notifier") {
			t.Errorf("message %d lacks the word a keyword check can require: %s", i, req.msg.Markdown.Text)
		}
	}
	wantIn := func(i int, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(got[i].msg.Markdown.Text, p) {
				t.Errorf("message %d lacks %q:\n%s", i, p, got[i].msg.Markdown.Text)
			}
		}
	}
	wantIn(0, "health_check_export_20171123", "1,234", "131231", "hc", "cn-shanghai", "[Download](https://sas-export-cn-shanghai.oss-cn-shanghai.aliyuncs.com/health_check_export_20171123.zip?Expires=1795596540&OSSAccessKeyId=LTAI-sample&Signature=sample%3D)")
	wantIn(1, "2 export checks failed: NoPermission", "asset:131232@16670360956", "asset:131299@16670360956", "HTTP 403", "You are not authorized", "yundun-sas:DescribeExportInfo")
	wantIn(2, "Export stalled", "exporting at 40% (400 of 1,234 rows)")
	if got[0].msg.Markdown.Title != "Export ready: health_check_export_20171123" {
		t.Errorf("title %q", got[0].msg.Markdown.Title)
	}
}

func TestDingTalkAnswers(t *testing.T) {
	cases := []struct {
		name         string
		secret       string // the bot's; the sink always has dingTalkSecret
		script       []reply
		wantAttempts int
		wantText     string // "" for success
		wantStatus   int
		wantRetry    bool
		minGap       time.Duration
	}{
		{name: "ok", secret: dingTalkSecret, wantAttempts: 1},
		{name: "wrong secret", secret: "SECsomethingelse", wantAttempts: 1, wantStatus: 200,
			wantText: "errcode 310000: sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"},
		{name: "keyword missing", secret: dingTalkSecret, script: []reply{{status: 200, body: `{"errcode":310000,"errmsg":"keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}`}},
			wantAttempts: 1, wantStatus: 200, wantText: "errcode 310000: keywords not in content"},
		{name: "bot removed", secret: dingTalkSecret, script: []reply{{status: 200, body: `{"errcode":400102,"errmsg":"机器人已停用"}`}},
			wantAttempts: 1, wantStatus: 200, wantText: "errcode 400102: 机器人已停用"},
		{name: "send too fast then ok", secret: dingTalkSecret,
			script:       []reply{{status: 200, body: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`}, {status: 200, body: dingTalkOK}},
			wantAttempts: 2, minGap: 300 * time.Millisecond},
		{name: "send too fast forever", secret: dingTalkSecret,
			script:       []reply{{status: 200, body: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`}},
			wantAttempts: 4, wantStatus: 200, wantText: "errcode 130101: send too fast, exceed 20 times per minute", wantRetry: true},
		{name: "system busy then ok", secret: dingTalkSecret,
			script: []reply{{status: 200, body: `{"errcode":-1,"errmsg":"系统繁忙"}`}, {status: 200, body: dingTalkOK}}, wantAttempts: 2},
		{name: "502 then ok", secret: dingTalkSecret,
			script: []reply{{status: 502, body: "<html>Bad Gateway</html>"}, {status: 200, body: dingTalkOK}}, wantAttempts: 2},
		{name: "400 with errcode", secret: dingTalkSecret, script: []reply{{status: 400, body: `{"errcode":43004,"errmsg":"无效的HTTP HEADER Content-Type"}`}},
			wantAttempts: 1, wantStatus: 400, wantText: "errcode 43004: 无效的HTTP HEADER Content-Type"},
		{name: "200 that is not DingTalk's", secret: dingTalkSecret, script: []reply{{status: 200, body: "<html>captive portal</html>"}},
			wantAttempts: 1, wantStatus: 200, wantText: "unexpected answer: <html>captive portal</html>"},
		{name: "200 without errcode", secret: dingTalkSecret, script: []reply{{status: 200, body: `{"ok":true}`}},
			wantAttempts: 1, wantStatus: 200, wantText: `unexpected answer: {"ok":true}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bot := newDingTalkBot(t, c.secret, c.script...)
			sink := newDingTalkSink(t, map[string]string{"DINGTALK_WEBHOOK_URL": bot.url(), "DINGTALK_SECRET": dingTalkSecret})
			sink.rateLimitWait = c.minGap
			if c.minGap == 0 {
				sink.rateLimitWait = time.Millisecond
			}
			var attempts []time.Time
			r := fastRetrier()

			out := r.Deliver(context.Background(), &recordingSink{Notifier: sink, at: &attempts}, []event.Event{notify.SampleEvent(event.Completed)})

			if len(out) != 1 || out[0].Attempts != c.wantAttempts {
				t.Fatalf("outcomes %+v, want %d attempts", out, c.wantAttempts)
			}
			if c.minGap > 0 {
				if gap := attempts[1].Sub(attempts[0]); gap < c.minGap {
					t.Errorf("retried after %v, want at least %v", gap, c.minGap)
				}
			}
			if c.wantText == "" {
				if out[0].Err != nil {
					t.Fatalf("err = %v, want success", out[0].Err)
				}
				if n := len(bot.seen()); n != c.wantAttempts {
					t.Errorf("the bot accepted %d requests, want %d", n, c.wantAttempts)
				}
				return
			}
			var e *notify.Error
			if !errors.As(out[0].Err, &e) {
				t.Fatalf("err = %#v, want *Error", out[0].Err)
			}
			if !strings.HasPrefix(e.Text, c.wantText) || e.StatusCode != c.wantStatus || e.Retryable != c.wantRetry || e.Sink != "dingtalk" {
				t.Errorf("err = %+v, want text %q, status %d, retryable %v", e, c.wantText, c.wantStatus, c.wantRetry)
			}
			if !strings.Contains(e.Error(), c.wantText) {
				t.Errorf("Error() = %q lacks DingTalk's text", e.Error())
			}
		})
	}
}

// recordingSink notes when each attempt starts.
type recordingSink struct {
	notify.Notifier
	at *[]time.Time
}

func (r *recordingSink) Notify(ctx context.Context, events []event.Event) error {
	*r.at = append(*r.at, time.Now())
	return r.Notifier.Notify(ctx, events)
}

func TestDingTalkUnsigned(t *testing.T) {
	bot := newDingTalkBot(t, "")
	sink := newDingTalkSink(t, map[string]string{"DINGTALK_WEBHOOK_URL": bot.url(), "INCLUDE_LINK": "false"})

	out := fastRetrier().Deliver(context.Background(), sink, []event.Event{notify.SampleEvent(event.Completed)})

	if out[0].Err != nil {
		t.Fatal(out[0].Err)
	}
	req := bot.seen()[0]
	if req.query.Has("timestamp") || req.query.Has("sign") {
		t.Errorf("a sink without DINGTALK_SECRET signed: %v", req.query)
	}
	if strings.Contains(req.msg.Markdown.Text, "Download") || strings.Contains(req.msg.Markdown.Text, "OSSAccessKeyId") {
		t.Errorf("INCLUDE_LINK=false, yet the message has the link:\n%s", req.msg.Markdown.Text)
	}
	if !strings.Contains(req.msg.Markdown.Text, "1,234") {
		t.Errorf("the message lost the row count:\n%s", req.msg.Markdown.Text)
	}
}

func TestDingTalkPacesItself(t *testing.T) {
	bot := newDingTalkBot(t, dingTalkSecret)
	sink := newDingTalkSink(t, map[string]string{"DINGTALK_WEBHOOK_URL": bot.url(), "DINGTALK_SECRET": dingTalkSecret})
	sink.Limiter = rate.NewLimiter(10, 2) // one every 100ms after a burst of 2
	events := make([]event.Event, 4)
	for i := range events {
		events[i] = notify.SampleEvent(event.Completed)
		events[i].Status.Ref.ID += int64(i)
	}

	out := fastRetrier().Deliver(context.Background(), sink, events)

	for _, o := range out {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
	}
	got := bot.seen()
	if len(got) != 4 {
		t.Fatalf("the bot got %d messages, want 4", len(got))
	}
	// Two at once, then one per 100ms: the fourth comes at least ~200ms
	// after the first.
	if d := got[3].at.Sub(got[0].at); d < 150*time.Millisecond {
		t.Errorf("four messages within %v: the sink does not pace itself", d)
	}
}

func TestDingTalkLongGroupFits(t *testing.T) {
	var many []event.Event
	for i := range 400 {
		ev := notify.SampleEvent(event.Failed)
		ev.Status.Ref.ID = int64(1000000 + i)
		ev.Status.FileName = strings.Repeat("导出文件😀", 60)
		ev.Error.Message = strings.Repeat("消息<&>😀\x01", 500)
		many = append(many, ev)
	}
	long := notify.SampleEvent(event.Completed)
	long.Status.FileName = strings.Repeat("😀", 5000)
	long.Region = strings.Repeat("r", 5000)

	for name, events := range map[string][]event.Event{"grouped": many, "single": many[:1], "long": {long}} {
		t.Run(name, func(t *testing.T) {
			m := Render(events, true)
			if n := len(m.Markdown.Text); n > maxText {
				t.Errorf("text of %d bytes, over DingTalk's %d", n, maxText)
			}
			if strings.ContainsAny(m.Markdown.Text, "\x01<") {
				t.Errorf("control characters or raw HTML reached the message")
			}
			if !strings.Contains(m.Markdown.Text, "export-notifier") {
				t.Errorf("the footer was cut off")
			}
		})
	}
	m := Render(many, true)
	if !strings.Contains(m.Markdown.Text, "more") || !strings.HasPrefix(m.Markdown.Title, "400 export checks failed") {
		t.Errorf("400 failures: title %q, and the text does not say how many were left out", m.Markdown.Title)
	}
}

func TestGoldenDingTalk(t *testing.T) {
	for name, events := range notifytest.GoldenCases() {
		t.Run(name, func(t *testing.T) {
			m := Render(events, true)
			if m.MsgType != "markdown" {
				t.Errorf("msgtype %q", m.MsgType)
			}
			// The markdown as people write it, so that a review reads it.
			notifytest.Golden(t, "dingtalk_"+name, []byte("title: "+m.Markdown.Title+"\n\n"+m.Markdown.Text+"\n"), *update)
		})
	}
}

func TestDingTalkSettings(t *testing.T) {
	bad := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no token", map[string]string{"DINGTALK_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send"}, "DINGTALK_WEBHOOK_URL: https://oapi.dingtalk.com/… has no access_token"},
		{"plain http", map[string]string{"DINGTALK_WEBHOOK_URL": "http://oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken}, "DINGTALK_WEBHOOK_URL: http://oapi.dingtalk.com/…: plain http"},
		{"secret alone", map[string]string{"DINGTALK_SECRET": dingTalkSecret}, "DINGTALK_SECRET: set without DINGTALK_WEBHOOK_URL"},
		{"secret with a space", map[string]string{"DINGTALK_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken, "DINGTALK_SECRET": "SEC12 34"}, "DINGTALK_SECRET: holds white space"},
		{"url as secret", map[string]string{"DINGTALK_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken, "DINGTALK_SECRET": "https://oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken}, "DINGTALK_SECRET: holds a URL"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := Kind().FromEnv(notifytest.MapEnv(c.env))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), dingTalkToken) || strings.Contains(err.Error(), "34") {
				t.Errorf("err %q shows a secret", err)
			}
		})
	}
}

func BenchmarkRenderDingTalk(b *testing.B) {
	for name, events := range notifytest.GoldenCases() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := notify.MarshalJSON(Render(events, true), ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
