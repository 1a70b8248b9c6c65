// Package dingtalk is the DingTalk sink: markdown messages to a DingTalk
// custom bot, signed when the bot has a secret and paced under its rate
// limit.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
)

// DingTalk custom bot limits: the markdown text, and the rate (about 20
// messages a minute per bot; more are refused with errcode 130101).
const (
	maxText = 20000 // bytes
	burst   = chatbot.TwentyAMinuteBurst
	every   = chatbot.TwentyAMinuteEvery
	// After "send too fast", wait for the minute's window to pass.
	rateLimitWait = time.Minute
)

// Kind is the DingTalk sink for the list of sinks.
func Kind() notify.Kind {
	return chatbot.Spec{
		Name: "dingtalk", URLVar: "DINGTALK_WEBHOOK_URL", SecretVar: "DINGTALK_SECRET",
		New: func(b *chatbot.Bot) notify.Notifier {
			d := &sink{Bot: b, rateLimitWait: rateLimitWait}
			b.Answer = answer(d.retry)
			return d
		},
		Render: func(events []event.Event, includeLink bool) any { return Render(events, includeLink) },
		Every:  every, Burst: burst, Credential: chatbot.QueryCredential("access_token"),
		Missing:       "access_token query parameter; copy the whole webhook URL from the bot's settings",
		URLMeaning:    "a DingTalk custom bot's webhook URL, .../robot/send?access_token=...",
		SecretMeaning: "the bot's signing secret (SEC...); unset if the bot checks a keyword or IPs instead",
		PreviewTitle:  "DingTalk message (markdown; signed in the URL when DINGTALK_SECRET is set)",
	}.Kind()
}

// sink posts markdown messages to a DingTalk custom bot, whose URL holds
// its access token, its credential.
type sink struct {
	*chatbot.Bot
	rateLimitWait time.Duration // how long to wait after "send too fast"
}

// Answer is how DingTalk states its verdict: errcode and errmsg, retried
// after wait when DingTalk says it is sent to too fast.
func Answer(wait time.Duration) chatbot.Answer {
	return answer((&sink{rateLimitWait: wait}).retry)
}

func answer(retry func(int64, string) (bool, time.Duration)) chatbot.Answer {
	return chatbot.Answer{Label: "errcode", Retry: retry, Decode: chatbot.DecodeErrcode}
}

// Notify posts one markdown message about events. DingTalk reports errors
// in a 200 answer's errcode, which become *notify.Error with DingTalk's
// errmsg.
func (d *sink) Notify(ctx context.Context, events []event.Event) error {
	return d.Send(ctx, func() (string, []byte, []string, error) {
		body, err := notify.MarshalJSON(Render(events, d.IncludeLink), "")
		if err != nil || d.Secret == "" {
			return d.URL, body, nil, err
		}
		// The signature is new on every attempt: DingTalk refuses
		// timestamps more than an hour old.
		ts := strconv.FormatInt(d.Now().UnixMilli(), 10)
		sig := sign(d.Secret, ts)
		target := withQuery(d.URL, url.Values{"timestamp": {ts}, "sign": {sig}})
		return target, body, []string{sig, url.QueryEscape(sig), target}, nil
	})
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
