package lark

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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

const (
	larkHookID = "0a1b2c3d-4e5f-HOOKID-lark"
	larkSecret = "LarkSigningSecretXyZ123"
	larkOK     = `{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`
	larkBadSig = `{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}`
)

// larkBot is a Lark custom bot on loopback: it checks the hook ID and,
// when it has a secret, the body's timestamp and signature the way Lark
// does (computed here, independently of the sink), then answers with its
// script.
type larkBot struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	script []reply
	got    []larkRequest
}

type larkRequest struct {
	at     time.Time
	header http.Header
	raw    map[string]any
	msg    Message
	signed bool
}

func newLarkBot(t *testing.T, secret string, script ...reply) *larkBot {
	t.Helper()
	if len(script) == 0 {
		script = []reply{{status: 200, body: larkOK}}
	}
	b := &larkBot{secret: secret, script: script}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

func (b *larkBot) url() string { return b.URL + "/open-apis/bot/v2/hook/" + larkHookID }

func (b *larkBot) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := larkRequest{at: time.Now(), header: r.Header.Clone()}
	answer := func(status int, s string) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, s)
	}
	if r.URL.Path != "/open-apis/bot/v2/hook/"+larkHookID {
		answer(404, `{"code":19001,"data":{},"msg":"param invalid: incoming webhook access token invalid"}`)
		return
	}
	if json.Unmarshal(body, &req.raw) != nil || json.Unmarshal(body, &req.msg) != nil || req.msg.MsgType != "interactive" {
		answer(400, `{"code":9499,"data":{},"msg":"Bad Request"}`)
		return
	}
	if b.secret != "" {
		secs, err := strconv.ParseInt(req.msg.Timestamp, 10, 64)
		mac := hmac.New(sha256.New, []byte(req.msg.Timestamp+"\n"+b.secret))
		want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if err != nil || time.Since(time.Unix(secs, 0)).Abs() > time.Hour || !hmac.Equal([]byte(req.msg.Sign), []byte(want)) {
			answer(200, larkBadSig)
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

func (b *larkBot) seen() []larkRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]larkRequest(nil), b.got...)
}

func newLarkSink(t *testing.T, env map[string]string) *sink {
	t.Helper()
	cfg, err := Kind().FromEnv(notifytest.MapEnv(env))
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	sinks := cfg.Notifiers(env["INCLUDE_LINK"] != "false")
	if len(sinks) != 1 || sinks[0].Name() != "lark" {
		t.Fatalf("sinks %v, want the Lark bot alone", sinks)
	}
	return sinks[0].(*sink)
}

// cardText is every text of a card, one per line.
func cardText(c Card) string {
	parts := []string{c.Header.Title.Content}
	for _, el := range c.Elements {
		if el.Text != nil {
			parts = append(parts, el.Text.Content)
		}
		for _, f := range el.Fields {
			parts = append(parts, f.Text.Content)
		}
		for _, a := range el.Actions {
			parts = append(parts, a.Text.Content+" "+a.URL)
		}
		for _, n := range el.Elements {
			parts = append(parts, n.Content)
		}
	}
	return strings.Join(parts, "\n")
}

func TestLarkSignedCards(t *testing.T) {
	bot := newLarkBot(t, larkSecret)
	sink := newLarkSink(t, map[string]string{"LARK_WEBHOOK_URL": bot.url(), "LARK_SECRET": larkSecret})
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
			t.Errorf("card %d: not signed", i)
		}
		if _, ok := req.raw["timestamp"].(string); !ok {
			t.Errorf("card %d: timestamp %#v, want a string of seconds", i, req.raw["timestamp"])
		}
		secs, _ := strconv.ParseInt(req.msg.Timestamp, 10, 64)
		if d := req.at.Sub(time.Unix(secs, 0)).Abs(); d > 5*time.Second {
			t.Errorf("card %d: timestamp %v off the arrival time", i, d)
		}
		if ct := req.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("card %d: Content-Type %q", i, ct)
		}
		if !strings.Contains(cardText(req.msg.Card), "export-notifier") {
			t.Errorf("card %d lacks the word a keyword check can require", i)
		}
	}
	wantIn := func(i int, colour string, parts ...string) {
		t.Helper()
		text := cardText(got[i].msg.Card)
		if got[i].msg.Card.Header.Template != colour {
			t.Errorf("card %d is %q, want %q", i, got[i].msg.Card.Header.Template, colour)
		}
		for _, p := range parts {
			if !strings.Contains(text, p) {
				t.Errorf("card %d lacks %q:\n%s", i, p, text)
			}
		}
	}
	wantIn(0, "green", "Export ready: health_check_export_20171123", "1,234", "131231", "hc", "cn-shanghai",
		"Download https://sas-export-cn-shanghai.oss-cn-shanghai.aliyuncs.com/health_check_export_20171123.zip?Expires=1795596540&OSSAccessKeyId=LTAI-sample&Signature=sample%3D")
	wantIn(1, "red", "2 export checks failed: NoPermission", "asset:131232@16670360956", "asset:131299@16670360956", "HTTP 403", "You are not authorized", "yundun-sas:DescribeExportInfo")
	wantIn(2, "orange", "Export stalled", "exporting at 40% (400 of 1,234 rows)")
}

func TestLarkAnswers(t *testing.T) {
	cases := []struct {
		name         string
		secret       string // the bot's; the sink always has larkSecret
		script       []reply
		wantAttempts int
		wantText     string // "" for success
		wantStatus   int
		wantRetry    bool
	}{
		{name: "ok", secret: larkSecret, wantAttempts: 1},
		{name: "older answer", secret: larkSecret, script: []reply{{status: 200, body: `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`}}, wantAttempts: 1},
		{name: "wrong secret", secret: "another secret", wantAttempts: 1, wantStatus: 200,
			wantText: "code 19021: sign match fail or timestamp is not within one hour from current time"},
		{name: "keyword missing", secret: larkSecret, script: []reply{{status: 200, body: `{"code":19024,"msg":"Key Words Not Found"}`}},
			wantAttempts: 1, wantStatus: 200, wantText: "code 19024: Key Words Not Found"},
		{name: "frequency limited then ok", secret: larkSecret,
			script: []reply{{status: 200, body: `{"code":11232,"data":{},"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"}`}, {status: 200, body: larkOK}}, wantAttempts: 2},
		{name: "frequency limited forever", secret: larkSecret,
			script:       []reply{{status: 200, body: `{"code":11232,"data":{},"msg":"frequency limited"}`}},
			wantAttempts: 4, wantStatus: 200, wantText: "code 11232: frequency limited", wantRetry: true},
		{name: "503 then ok", secret: larkSecret, script: []reply{{status: 503, body: "upstream busy"}, {status: 200, body: larkOK}}, wantAttempts: 2},
		{name: "400 bad request", secret: larkSecret, script: []reply{{status: 400, body: `{"code":9499,"data":{},"msg":"Bad Request"}`}},
			wantAttempts: 1, wantStatus: 400, wantText: "code 9499: Bad Request"},
		{name: "429 with 11232 then ok", secret: larkSecret,
			script: []reply{{status: 429, body: `{"code":11232,"msg":"frequency limited"}`, retryAfter: "0"}, {status: 200, body: larkOK}}, wantAttempts: 2},
		{name: "200 that is not Lark's", secret: larkSecret, script: []reply{{status: 200, body: ""}},
			wantAttempts: 1, wantStatus: 200, wantText: "unexpected empty answer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bot := newLarkBot(t, c.secret, c.script...)
			sink := newLarkSink(t, map[string]string{"LARK_WEBHOOK_URL": bot.url(), "LARK_SECRET": larkSecret})

			out := fastRetrier().Deliver(context.Background(), sink, []event.Event{notify.SampleEvent(event.Failed)})

			if len(out) != 1 || out[0].Attempts != c.wantAttempts {
				t.Fatalf("outcomes %+v, want %d attempts", out, c.wantAttempts)
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
			if e.Text != c.wantText || e.StatusCode != c.wantStatus || e.Retryable != c.wantRetry || e.Sink != "lark" {
				t.Errorf("err = %+v, want text %q, status %d, retryable %v", e, c.wantText, c.wantStatus, c.wantRetry)
			}
		})
	}
}

func TestLarkUnsigned(t *testing.T) {
	bot := newLarkBot(t, "")
	sink := newLarkSink(t, map[string]string{"LARK_WEBHOOK_URL": bot.url(), "INCLUDE_LINK": "false"})

	out := fastRetrier().Deliver(context.Background(), sink, []event.Event{notify.SampleEvent(event.Completed)})

	if out[0].Err != nil {
		t.Fatal(out[0].Err)
	}
	req := bot.seen()[0]
	if _, ok := req.raw["timestamp"]; ok {
		t.Errorf("a sink without LARK_SECRET sent a timestamp")
	}
	if _, ok := req.raw["sign"]; ok {
		t.Errorf("a sink without LARK_SECRET sent a signature")
	}
	if text := cardText(req.msg.Card); strings.Contains(text, "Download") || strings.Contains(text, "OSSAccessKeyId") {
		t.Errorf("INCLUDE_LINK=false, yet the card has the link:\n%s", text)
	}
}

// Text from Security Center goes into plain text only, where Lark reads no
// <at>, links or emphasis.
func TestLarkKeepsOutsideTextPlain(t *testing.T) {
	ev := notify.SampleEvent(event.Failed)
	ev.Error.Code = "Forbidden<at id=all></at>"
	ev.Error.Message = `see [here](https://evil.example) <at id=all></at> **now**`
	ev.Status.FileName = "*bold*_file_"
	ev.Region = "[x](https://evil.example)"
	for _, events := range [][]event.Event{{ev}, {ev, ev}} {
		card := Render(events, true).Card
		for _, el := range card.Elements {
			texts := []*Text{el.Text}
			for i := range el.Fields {
				texts = append(texts, &el.Fields[i].Text)
			}
			for _, tx := range texts {
				if tx != nil && tx.Tag == "lark_md" && strings.ContainsAny(strings.ReplaceAll(tx.Content, "**", ""), "<>[]*_") {
					t.Errorf("outside text in lark_md: %q", tx.Content)
				}
			}
		}
	}
}

func TestLarkLongGroupFits(t *testing.T) {
	var many []event.Event
	for i := range 400 {
		ev := notify.SampleEvent(event.Failed)
		ev.Status.Ref.ID = int64(1000000 + i)
		ev.Status.FileName = strings.Repeat("导出文件😀\"", 60)
		ev.Error.Message = strings.Repeat("消息<&>😀\x01\\", 500)
		many = append(many, ev)
	}
	long := notify.SampleEvent(event.Completed)
	long.Status.FileName = strings.Repeat("😀", 5000)
	long.Status.RequestID = strings.Repeat("😀", 5000)

	for name, events := range map[string][]event.Event{"grouped": many, "single": many[:1], "long": {long}} {
		t.Run(name, func(t *testing.T) {
			m := Render(events, true)
			m.Timestamp, m.Sign = "1700000000", strings.Repeat("s", 44)
			b, err := notify.MarshalJSON(m, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > maxBody {
				t.Errorf("body of %d bytes, over Lark's %d", len(b), maxBody)
			}
			if strings.Contains(string(b), `\u0001`) {
				t.Errorf("control characters reached the card")
			}
		})
	}
	m := Render(many, true)
	if text := cardText(m.Card); !strings.Contains(text, "more") || !strings.HasPrefix(text, "400 export checks failed") {
		t.Errorf("400 failures: the card does not say how many were left out:\n%.300s", text)
	}
}

func TestGoldenLark(t *testing.T) {
	for name, events := range notifytest.GoldenCases() {
		t.Run(name, func(t *testing.T) {
			m := Render(events, true)
			if m.MsgType != "interactive" || m.Timestamp != "" || m.Sign != "" {
				t.Errorf("msg_type %q, timestamp %q, sign %q", m.MsgType, m.Timestamp, m.Sign)
			}
			b, err := notify.MarshalJSON(m, "  ")
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, "lark_"+name, append(b, '\n'), *update)
		})
	}
}

func TestLarkSettings(t *testing.T) {
	bad := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no hook ID", map[string]string{"LARK_WEBHOOK_URL": "https://open.feishu.cn/"}, "LARK_WEBHOOK_URL: https://open.feishu.cn has no hook ID"},
		{"plain http", map[string]string{"LARK_WEBHOOK_URL": "http://open.feishu.cn/open-apis/bot/v2/hook/" + larkHookID}, "LARK_WEBHOOK_URL: http://open.feishu.cn/…: plain http"},
		{"secret alone", map[string]string{"LARK_SECRET": larkSecret}, "LARK_SECRET: set without LARK_WEBHOOK_URL"},
		{"secret with a line break", map[string]string{"LARK_WEBHOOK_URL": "https://open.feishu.cn/open-apis/bot/v2/hook/" + larkHookID, "LARK_SECRET": "abc\ndef"}, "LARK_SECRET: holds white space"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := Kind().FromEnv(notifytest.MapEnv(c.env))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), larkHookID) || strings.Contains(err.Error(), larkSecret) || strings.Contains(err.Error(), "def") {
				t.Errorf("err %q shows a secret", err)
			}
		})
	}
}

func BenchmarkRenderLark(b *testing.B) {
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
