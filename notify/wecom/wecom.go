// Package wecom is the WeCom (企业微信) sink: markdown messages to a WeCom
// group bot, whose webhook URL holds its key, the credential, and paced
// under its rate limit of 20 messages a minute.
package wecom

import (
	"context"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
)

// WeCom group bot limits: the markdown content, and the rate (20 messages
// a minute per bot; more are refused with errcode 45009).
const (
	maxContent = 4096 // bytes
	burst      = chatbot.TwentyAMinuteBurst
	every      = chatbot.TwentyAMinuteEvery
	// After "api freq out of limit", wait for the minute's window to pass.
	rateLimitWait = time.Minute
)

// Kind is the WeCom sink for the list of sinks.
func Kind() notify.Kind {
	return chatbot.Spec{
		Name: "wecom", URLVar: "WECOM_WEBHOOK_URL",
		New: func(b *chatbot.Bot) notify.Notifier {
			b.Answer = Answer(rateLimitWait)
			return &sink{Bot: b}
		},
		Render: func(events []event.Event, includeLink bool) any { return Render(events, includeLink) },
		Every:  every, Burst: burst, Credential: chatbot.QueryCredential("key"),
		Missing:      "key query parameter; copy the whole webhook URL from the group bot's settings",
		URLMeaning:   "a WeCom group bot's webhook URL, .../cgi-bin/webhook/send?key=...",
		PreviewTitle: "WeCom message (markdown, at most 4096 bytes)",
	}.Kind()
}

// Message is the body of a WeCom group bot's markdown message.
type Message struct {
	MsgType  string   `json:"msgtype"` // "markdown"
	Markdown Markdown `json:"markdown"`
}

// Markdown is the content of a markdown message.
type Markdown struct {
	Content string `json:"content"`
}

// Render is the WeCom message about events: one event, or several
// failures sharing an error code.
func Render(events []event.Event, includeLink bool) Message {
	_, text := chatbot.Markdown(events, includeLink, maxContent)
	return Message{MsgType: "markdown", Markdown: Markdown{Content: text}}
}

// sink posts markdown messages to a WeCom group bot.
type sink struct{ *chatbot.Bot }

// Notify posts one markdown message about events. WeCom reports errors
// in a 200 answer's errcode, which become *notify.Error with WeCom's
// errmsg.
func (s *sink) Notify(ctx context.Context, events []event.Event) error {
	return s.Send(ctx, func() (string, []byte, []string, error) {
		body, err := notify.MarshalJSON(Render(events, s.IncludeLink), "")
		return s.URL, body, nil, err
	})
}

// Answer is how WeCom states its verdict: errcode and errmsg, retried
// after wait when WeCom says the bot is sent to too often.
func Answer(wait time.Duration) chatbot.Answer {
	return chatbot.Answer{Label: "errcode", Retry: func(code int64, msg string) (bool, time.Duration) {
		return retry(code, msg, wait)
	}, Decode: chatbot.DecodeErrcode}
}

// retry says whether a WeCom errcode may clear by itself, and how long to
// wait first: 45009 is the per-minute rate limit, -1 "system busy". The
// rest (93000: invalid webhook URL, the bot removed; 40058: content too
// long; 40008: a bad message type) need a person.
func retry(code int64, msg string, wait time.Duration) (bool, time.Duration) {
	switch {
	case code == 45009 || strings.Contains(strings.ToLower(msg), "freq out of limit"):
		return true, wait
	case code == -1:
		return true, 0
	}
	return false, 0
}
