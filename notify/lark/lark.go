package lark

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
	"github.com/export-notifier/export-notifier/setting"
)

// checkLarkURL accepts a Lark bot URL: https (plain http only to loopback
// hosts) with the hook ID in its path.
func checkLarkURL(raw string) (string, error) {
	target, err := notify.CheckURL("LARK_WEBHOOK_URL", raw)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(target) // CheckURL parsed it
	if strings.Trim(u.Path, "/") == "" {
		return "", fmt.Errorf("LARK_WEBHOOK_URL: %s has no hook ID in its path; copy the whole webhook URL (…/open-apis/bot/v2/hook/…) from the bot's settings", notify.RedactURL(target))
	}
	return target, nil
}

// Kind is the Lark sink for the list of sinks.
func Kind() notify.Kind { return spec().Kind() }

func spec() chatbot.Spec {
	return chatbot.Spec{
		Name: "lark", URLVar: "LARK_WEBHOOK_URL", SecretVar: "LARK_SECRET",
		Variables: []setting.Var{
			{Name: "LARK_WEBHOOK_URL", Meaning: "a Lark/Feishu custom bot's webhook URL, .../open-apis/bot/v2/hook/...", Secret: true},
			{Name: "LARK_SECRET", Meaning: "the bot's signing secret; unset if the bot checks a keyword or IPs instead", Secret: true},
		},
		CheckURL: checkLarkURL,
		New:      func(s chatbot.Settings, includeLink bool) notify.Notifier { return newSink(s, includeLink) },
		Preview: func(events []event.Event, includeLink bool) (notify.Rendering, error) {
			body, err := notify.MarshalJSON(Render(events, includeLink), "")
			title := "Lark/Feishu message (interactive card; timestamp and sign added when LARK_SECRET is set)"
			return notify.Rendering{Title: title, Body: body}, err
		},
	}
}

// sink posts card messages to a Lark/Feishu custom bot.
type sink struct {
	bot         chatbot.Bot
	url         string // its last path segment is the hook ID, the bot's credential
	secret      string // "" for a bot that checks keywords or IPs instead
	includeLink bool
	now         func() time.Time
}

func newSink(s chatbot.Settings, includeLink bool) *sink {
	hookID := ""
	if u, err := url.Parse(s.URL); err == nil {
		hookID = path.Base(u.Path)
	}
	return &sink{url: s.URL, secret: s.Secret, includeLink: includeLink, now: time.Now, bot: chatbot.Bot{
		Sink:    "lark",
		Client:  notify.NewHTTPClient(),
		Limiter: rate.NewLimiter(rate.Every(every), burst),
		Secrets: append(notify.URLSecrets(s.URL), s.Secret, hookID),
		Answer:  Answer(),
	}}
}

// Answer is how Lark states its verdict: code and msg (or the older
// StatusCode and StatusMessage), retried for Lark's rate limit.
func Answer() chatbot.Answer {
	return chatbot.Answer{Label: "code", Retry: retry, Decode: func(answer []byte) (*int64, string) {
		var a struct {
			Code          *int64 `json:"code"`
			Msg           string `json:"msg"`
			StatusCode    *int64 `json:"StatusCode"`
			StatusMessage string `json:"StatusMessage"`
		}
		if json.Unmarshal(answer, &a) != nil {
			return nil, ""
		}
		if a.Code == nil {
			return a.StatusCode, a.StatusMessage
		}
		return a.Code, a.Msg
	}}
}

func (l *sink) Name() string                               { return "lark" }
func (l *sink) Group(events []event.Event) [][]event.Event { return notify.GroupFailures(events) }

// Notify posts one card about events. Lark reports errors in a 200
// answer's code, which become *notify.Error with Lark's msg.
func (l *sink) Notify(ctx context.Context, events []event.Event) error {
	if e := l.bot.Send(ctx, func() (string, []byte, []string, error) {
		msg := Render(events, l.includeLink)
		var secrets []string
		if l.secret != "" {
			// Signed anew on every attempt: Lark refuses timestamps more
			// than an hour from its clock.
			msg.Timestamp = strconv.FormatInt(l.now().Unix(), 10)
			msg.Sign = sign(l.secret, msg.Timestamp)
			secrets = []string{msg.Sign}
		}
		body, err := notify.MarshalJSON(msg, "")
		return l.url, body, secrets, err
	}); e != nil {
		return e
	}
	return nil
}

// retry says whether a Lark code may clear by itself: 11232 is the
// rate limit. The rest (19021: sign match fail or a timestamp more than an
// hour off; 19022: IP not allowed; 19024: keywords not found; 9499: bad
// request) need a person.
func retry(code int64, _ string) (bool, time.Duration) { return code == 11232, 0 }

// sign is Lark's signature for a timestamp in seconds: base64
// HMAC-SHA256, keyed with timestamp + "\n" + secret, of an empty message.
func sign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
