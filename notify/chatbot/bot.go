// Package chatbot is what the chat-bot sinks (DingTalk, Lark) share: their
// settings' checks, pacing under the bot's rate limit, reading the bot's
// verdict from its answer, and the texts their messages are made of.
package chatbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// Answer is how a bot states its verdict on a message in its JSON answer.
type Answer struct {
	// Label names the code as the bot's documentation does ("errcode",
	// "code"), so the text can be looked up there.
	Label string
	// Decode reads the code (0 is success) and the bot's own text; code is
	// nil when the answer is not the bot's JSON.
	Decode func(answer []byte) (code *int64, msg string)
	// Retry says whether a code may clear by itself, and how long to wait
	// first.
	Retry func(code int64, msg string) (bool, time.Duration)
}

// Reply is what came back from one post to a bot.
type Reply struct {
	Status int           // the HTTP status, 0 when none arrived
	Answer []byte        // the bounded answer
	Err    *notify.Error // the failure of a non-2xx answer, nil for a 2xx
}

// Verdict turns a bot's reply into the outcome of a send: nil for code 0,
// else an *notify.Error naming the code and the bot's text. A non-2xx
// reply is retryable when its status is or its code is; secrets are
// removed from any text.
func (a Answer) Verdict(sink string, r Reply, secrets []string) *notify.Error {
	code, msg := a.Decode(r.Answer)
	switch {
	case r.Err != nil && code != nil && *code != 0:
		// A non-2xx with the bot's own text: keep the status's verdict,
		// show the text.
		e := a.codeError(sink, r.Status, *code, msg, secrets)
		e.Retryable, e.RetryAfter = r.Err.Retryable, r.Err.RetryAfter
		if again, after := a.Retry(*code, msg); again {
			e.Retryable, e.RetryAfter = true, max(e.RetryAfter, after)
		}
		return e
	case r.Err != nil:
		return r.Err
	case code == nil:
		return unexpectedAnswer(sink, r.Status, r.Answer, secrets)
	case *code == 0:
		return nil
	}
	e := a.codeError(sink, r.Status, *code, msg, secrets)
	e.Retryable, e.RetryAfter = a.Retry(*code, msg)
	return e
}

// codeError is the *notify.Error for a bot that answered with a non-zero
// code.
func (a Answer) codeError(sink string, status int, code int64, msg string, secrets []string) *notify.Error {
	text := a.Label + " " + strconv.FormatInt(code, 10)
	if m := strings.TrimSpace(msg); m != "" {
		text += ": " + m
	}
	return &notify.Error{Sink: sink, StatusCode: status, Text: notify.ErrorText([]byte(text), secrets)}
}

// unexpectedAnswer is the *notify.Error for a 2xx whose body is not the
// bot's JSON: the message may not have been posted, and sending it again
// is for the next cycle to decide.
func unexpectedAnswer(sink string, status int, answer []byte, secrets []string) *notify.Error {
	text := notify.ErrorText(answer, secrets)
	if text == "" {
		return &notify.Error{Sink: sink, StatusCode: status, Text: "unexpected empty answer"}
	}
	return &notify.Error{Sink: sink, StatusCode: status, Text: "unexpected answer: " + text}
}

// Bot posts one chat bot's messages. A sink embeds it and adds Notify,
// which renders, signs and calls Send.
type Bot struct {
	Settings           // the bot's URL and signing secret
	Sink        string // the sink's name
	IncludeLink bool   // put download links in messages
	Now         func() time.Time
	Client      *http.Client
	Limiter     *rate.Limiter // keeps one process under the bot's rate; nil: no pacing
	Secrets     []string      // what must never appear in an error
	Answer      Answer
}

// Name is the sink's name, the bot's kind: one bot per kind.
func (b *Bot) Name() string { return b.Sink }

// Group puts failures that share an error code in one message.
func (b *Bot) Group(events []event.Event) [][]event.Event { return notify.GroupFailures(events) }

// Send waits for the bot's rate limiter, then posts the message build
// makes: build runs after the wait, so that a signature's timestamp is
// fresh, and returns where to post, the body and the secrets of this
// attempt (its signature).
func (b *Bot) Send(ctx context.Context, build func() (target string, body []byte, secrets []string, err error)) error {
	if b.Limiter != nil {
		if err := b.Limiter.Wait(ctx); err != nil {
			return &notify.Error{Sink: b.Sink, Retryable: true, Err: fmt.Errorf("waiting to stay under the bot's rate limit: %w", err)}
		}
	}
	target, body, extra, err := build()
	if err != nil {
		return &notify.Error{Sink: b.Sink, Err: err}
	}
	secrets := append(slices.Clip(b.Secrets), extra...)
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "User-Agent": {"export-notifier"}}
	status, answer, e := notify.PostForAnswer(ctx, b.Client, b.Sink, target, header, body, secrets)
	if e := b.Answer.Verdict(b.Sink, Reply{Status: status, Answer: answer, Err: e}, secrets); e != nil {
		return e
	}
	return nil
}

// checkSecret accepts a bot's signing secret: one word, not a URL. The
// error never shows the value.
func checkSecret(variable, secret string) error {
	switch {
	case strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return errors.New(variable + ": holds white space or control characters")
	case strings.Contains(secret, "://"):
		return errors.New(variable + ": holds a URL; want the bot's signing secret")
	}
	return nil
}

// The rate of the bots that take 20 messages a minute (DingTalk, WeCom): a
// token bucket of TwentyAMinuteBurst refilled every TwentyAMinuteEvery
// never sends more than 20 in any minute.
const (
	TwentyAMinuteBurst = 10
	TwentyAMinuteEvery = 6 * time.Second
)

// DecodeErrcode reads the verdict of a bot that answers
// {"errcode": 0, "errmsg": "ok"} (DingTalk, WeCom): see Answer.Decode.
func DecodeErrcode(answer []byte) (code *int64, msg string) {
	var a struct {
		Code *int64 `json:"errcode"`
		Msg  string `json:"errmsg"`
	}
	if json.Unmarshal(answer, &a) != nil {
		return nil, ""
	}
	return a.Code, a.Msg
}
