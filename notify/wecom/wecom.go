// Package wecom is the WeCom (企业微信) sink: markdown messages to a WeCom
// group bot, whose webhook URL holds its key, the credential, and paced
// under its rate limit of 20 messages a minute.
package wecom

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
	"github.com/export-notifier/export-notifier/setting"
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
	k := spec(false).Kind()
	k.Variables = append(k.Variables, setting.Var{Name: "WECOM_ATTACH_FILE", Default: "false",
		Meaning: "with ARCHIVE_URL, the bot also posts each completed export's archived file (5 B to 20 MB) after its message"})
	k.FromEnv = func(getenv func(string) string) (notify.Config, error) {
		attach, err := attachFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return spec(attach).Kind().FromEnv(getenv)
	}
	return k
}

// spec is the WeCom group bot, posting archived files when attach is set.
func spec(attach bool) chatbot.Spec {
	return chatbot.Spec{
		Name: "wecom", URLVar: "WECOM_WEBHOOK_URL",
		New: func(b *chatbot.Bot) notify.Notifier {
			b.Answer = Answer(rateLimitWait)
			return &sink{Bot: b, attach: attach}
		},
		Render: func(events []event.Event, includeLink bool) any { return Render(events, includeLink) },
		Every:  every, Burst: burst, Credential: chatbot.QueryCredential("key"),
		Missing:      "key query parameter; copy the whole webhook URL from the group bot's settings",
		URLMeaning:   "a WeCom group bot's webhook URL, .../cgi-bin/webhook/send?key=...",
		PreviewTitle: "WeCom message (markdown, at most 4096 bytes)",
	}
}

// attachFromEnv reads WECOM_ATTACH_FILE, which needs WECOM_WEBHOOK_URL.
func attachFromEnv(getenv func(string) string) (bool, error) {
	v := strings.TrimSpace(getenv("WECOM_ATTACH_FILE"))
	if v == "" {
		return false, nil
	}
	attach, err := notify.ParseBool("WECOM_ATTACH_FILE", v)
	if err == nil && attach && strings.TrimSpace(getenv("WECOM_WEBHOOK_URL")) == "" {
		err = errors.New("WECOM_ATTACH_FILE: set without WECOM_WEBHOOK_URL")
	}
	return attach, err
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
type sink struct {
	*chatbot.Bot
	attach bool // WECOM_ATTACH_FILE
}

// Notify posts one markdown message about events, then, with
// WECOM_ATTACH_FILE, the archived file of each completion among them.
// WeCom reports errors in a 200 answer's errcode, which become
// *notify.Error with WeCom's errmsg.
func (s *sink) Notify(ctx context.Context, events []event.Event) error {
	err := s.Send(ctx, func() (string, []byte, []string, error) {
		body, err := notify.MarshalJSON(Render(events, s.IncludeLink), "")
		return s.URL, body, nil, err
	})
	if err != nil {
		return err
	}
	if s.attach && s.IncludeLink {
		for _, ev := range events {
			if attachable(ev) {
				s.attachFile(ctx, ev)
			}
		}
	}
	return nil
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
