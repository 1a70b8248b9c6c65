package lark

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
)

// Kind is the Lark sink for the list of sinks.
func Kind() notify.Kind {
	return chatbot.Spec{
		Name: "lark", URLVar: "LARK_WEBHOOK_URL", SecretVar: "LARK_SECRET",
		URLMeaning:    "a Lark/Feishu custom bot's webhook URL, .../open-apis/bot/v2/hook/...",
		SecretMeaning: "the bot's signing secret; unset if the bot checks a keyword or IPs instead",
		Credential:    hookID, Every: every, Burst: burst,
		Missing:      "hook ID in its path; copy the whole webhook URL (…/open-apis/bot/v2/hook/…) from the bot's settings",
		New:          func(b *chatbot.Bot) notify.Notifier { b.Answer = Answer(); return &sink{b} },
		Render:       func(events []event.Event, includeLink bool) any { return Render(events, includeLink) },
		PreviewTitle: "Lark/Feishu message (interactive card; timestamp and sign added when LARK_SECRET is set)",
	}.Kind()
}

// sink posts card messages to a Lark/Feishu custom bot, whose URL's last
// path segment is the hook ID, its credential.
type sink struct{ *chatbot.Bot }

// hookID is the hook ID in a bot URL's path, its credential, "" when
// target has none.
func hookID(target string) string {
	u, err := url.Parse(target)
	if err != nil || strings.Trim(u.Path, "/") == "" {
		return ""
	}
	return path.Base(u.Path)
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

// Notify posts one card about events. Lark reports errors in a 200
// answer's code, which become *notify.Error with Lark's msg.
func (l *sink) Notify(ctx context.Context, events []event.Event) error {
	return l.Send(ctx, func() (string, []byte, []string, error) {
		msg := Render(events, l.IncludeLink)
		var secrets []string
		if l.Secret != "" {
			// Signed anew on every attempt: Lark refuses timestamps more
			// than an hour from its clock.
			msg.Timestamp = strconv.FormatInt(l.Now().Unix(), 10)
			msg.Sign = sign(l.Secret, msg.Timestamp)
			secrets = []string{msg.Sign}
		}
		body, err := notify.MarshalJSON(msg, "")
		return l.URL, body, secrets, err
	})
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
