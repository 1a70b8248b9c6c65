// Package dingtalk is the DingTalk sink: markdown messages to a DingTalk
// custom bot, signed when the bot has a secret and paced under its rate
// limit.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
	"github.com/export-notifier/export-notifier/setting"
)

// DingTalk custom bot limits: the markdown text, and the rate (about 20
// messages a minute per bot; more are refused with errcode 130101).
const (
	maxText = 20000 // bytes
	// A token bucket of 10 refilled every 6s never sends more than 20 in
	// any minute.
	burst = 10
	every = 6 * time.Second
	// After "send too fast", wait for the minute's window to pass.
	rateLimitWait = time.Minute
)

// Kind is the DingTalk sink for the list of sinks.
func Kind() notify.Kind { return spec().Kind() }

func spec() chatbot.Spec {
	return chatbot.Spec{
		Name: "dingtalk", URLVar: "DINGTALK_WEBHOOK_URL", SecretVar: "DINGTALK_SECRET",
		Variables: []setting.Var{
			{Name: "DINGTALK_WEBHOOK_URL", Meaning: "a DingTalk custom bot's webhook URL, .../robot/send?access_token=...", Secret: true},
			{Name: "DINGTALK_SECRET", Meaning: "the bot's signing secret (SEC...); unset if the bot checks a keyword or IPs instead", Secret: true},
		},
		CheckURL: checkDingTalkURL,
		New:      func(s chatbot.Settings, includeLink bool) notify.Notifier { return newSink(s, includeLink) },
		Preview: func(events []event.Event, includeLink bool) (notify.Rendering, error) {
			body, err := notify.MarshalJSON(Render(events, includeLink), "")
			title := "DingTalk message (markdown; signed in the URL when DINGTALK_SECRET is set)"
			return notify.Rendering{Title: title, Body: body}, err
		},
	}
}

// sink posts markdown messages to a DingTalk custom bot.
type sink struct {
	bot           chatbot.Bot
	url           string // with access_token, the bot's credential
	secret        string // "SEC...", or "" for a bot that checks keywords or IPs instead
	includeLink   bool
	now           func() time.Time
	rateLimitWait time.Duration // how long to wait after "send too fast"
}

func newSink(s chatbot.Settings, includeLink bool) *sink {
	d := &sink{url: s.URL, secret: s.Secret, includeLink: includeLink, now: time.Now, rateLimitWait: rateLimitWait}
	d.bot = chatbot.Bot{
		Sink:    "dingtalk",
		Client:  notify.NewHTTPClient(),
		Limiter: rate.NewLimiter(rate.Every(every), burst),
		Secrets: append(notify.URLSecrets(s.URL), s.Secret, accessToken(s.URL)),
		Answer:  answer(d.retry),
	}
	return d
}

// Answer is how DingTalk states its verdict: errcode and errmsg, retried
// after wait when DingTalk says it is sent to too fast.
func Answer(wait time.Duration) chatbot.Answer {
	return answer((&sink{rateLimitWait: wait}).retry)
}

func answer(retry func(int64, string) (bool, time.Duration)) chatbot.Answer {
	return chatbot.Answer{Label: "errcode", Retry: retry, Decode: func(answer []byte) (*int64, string) {
		var a struct {
			Code *int64 `json:"errcode"`
			Msg  string `json:"errmsg"`
		}
		if json.Unmarshal(answer, &a) != nil {
			return nil, ""
		}
		return a.Code, a.Msg
	}}
}

func (d *sink) Name() string                               { return "dingtalk" }
func (d *sink) Group(events []event.Event) [][]event.Event { return notify.GroupFailures(events) }

// Notify posts one markdown message about events. DingTalk reports errors
// in a 200 answer's errcode, which become *notify.Error with DingTalk's
// errmsg.
func (d *sink) Notify(ctx context.Context, events []event.Event) error {
	if e := d.bot.Send(ctx, func() (string, []byte, []string, error) {
		body, err := notify.MarshalJSON(Render(events, d.includeLink), "")
		if err != nil || d.secret == "" {
			return d.url, body, nil, err
		}
		// The signature is new on every attempt: DingTalk refuses
		// timestamps more than an hour old.
		ts := strconv.FormatInt(d.now().UnixMilli(), 10)
		sig := sign(d.secret, ts)
		target := withQuery(d.url, url.Values{"timestamp": {ts}, "sign": {sig}})
		return target, body, []string{sig, url.QueryEscape(sig), target}, nil
	}); e != nil {
		return e
	}
	return nil
}

// checkDingTalkURL accepts a DingTalk bot URL: https (plain http only to
// loopback hosts) with the access_token query parameter.
func checkDingTalkURL(raw string) (string, error) {
	target, err := notify.CheckURL("DINGTALK_WEBHOOK_URL", raw)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(target) // CheckURL parsed it
	if u.Query().Get("access_token") == "" {
		return "", fmt.Errorf("DINGTALK_WEBHOOK_URL: %s has no access_token query parameter; copy the whole webhook URL from the bot's settings", notify.RedactURL(target))
	}
	return target, nil
}

// accessToken is the bot's access token, its credential.
func accessToken(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return u.Query().Get("access_token")
}

// retry says whether a DingTalk errcode may clear by itself, and how long
// to wait first. 130101 and 410100 are the per-minute rate limit, -1 is
// "system busy". The rest (310000: sign not match, keywords not in
// content, IP not in the allowlist; 300001 and 4001xx: a bad or removed
// token or bot; 430xxx: content refused) need a person.
func (d *sink) retry(code int64, msg string) (bool, time.Duration) {
	switch {
	case code == 130101 || code == 410100 || strings.Contains(strings.ToLower(msg), "too fast"):
		return true, d.rateLimitWait
	case code == -1:
		return true, 0
	}
	return false, 0
}

// sign is DingTalk's signature for a timestamp in milliseconds:
// base64 HMAC-SHA256, keyed with the secret, of timestamp + "\n" + secret.
func sign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// withQuery is target with params set in its query (URL-encoded).
func withQuery(target string, params url.Values) string {
	u, err := url.Parse(target)
	if err != nil {
		return target // checked when the sink was made
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}
