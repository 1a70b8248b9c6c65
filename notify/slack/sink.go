package slack

import (
	slackgo "github.com/slack-go/slack"

	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// slackWebhook posts to a Slack incoming webhook with its own client, so
// that Slack's error text ("invalid_payload", "no_service", ...) is kept.
type slackWebhook struct {
	url         string
	client      *http.Client
	includeLink bool
}

func newSlackWebhook(target string, includeLink bool) *slackWebhook {
	return &slackWebhook{url: target, client: notify.NewHTTPClient(), includeLink: includeLink}
}

func (s *slackWebhook) Name() string { return "slack" }

func (s *slackWebhook) Group(events []event.Event) [][]event.Event {
	return notify.GroupFailures(events)
}

func (s *slackWebhook) Notify(ctx context.Context, events []event.Event) error {
	body, err := notify.MarshalJSON(Render(events, s.includeLink), "")
	if err != nil {
		return &notify.Error{Sink: s.Name(), Err: err}
	}
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	if e := notify.Post(ctx, s.client, s.Name(), s.url, header, body, notify.URLSecrets(s.url)); e != nil {
		return e
	}
	return nil
}

// slackBot posts with a bot token through chat.postMessage.
type slackBot struct {
	name        string
	api         string
	token       string
	channel     string
	web         webAPI
	includeLink bool
	// attachFile posts each completion's file in its message's thread
	// (SLACK_ATTACH_FILE).
	attachFile bool
}

func newSlackBot(api, token, channel string, includeLink bool) *slackBot {
	return &slackBot{
		name:        "slack:" + channel,
		api:         api,
		token:       token,
		channel:     channel,
		web:         webAPI{base: api, token: token, client: notify.NewHTTPClient()},
		includeLink: includeLink,
	}
}

func (s *slackBot) Name() string { return s.name }

func (s *slackBot) Group(events []event.Event) [][]event.Event { return notify.GroupFailures(events) }

func (s *slackBot) Notify(ctx context.Context, events []event.Event) error {
	m := Render(events, s.includeLink)
	channel, ts, err := s.web.postMessage(ctx, s.channel, m, eventMetadata(events))
	if err != nil {
		return s.classify(err)
	}
	s.attachFiles(ctx, channel, ts, events)
	return nil
}

// slackUpdater is the Slack bot with SLACK_UPDATE_MESSAGES=true: it also
// posts messages it can edit later (chat.postMessage, then chat.update).
type slackUpdater struct{ *slackBot }

// Post sends the message about ev and returns its handle,
// "<channel ID>/<ts>".
func (s slackUpdater) Post(ctx context.Context, ev event.Event) (string, error) {
	m := Render([]event.Event{ev}, s.includeLink)
	channel, ts, err := s.web.postMessage(ctx, s.channel, m, nil)
	if err != nil {
		return "", s.classify(err)
	}
	if channel == "" {
		channel = s.channel
	}
	s.attachFiles(ctx, channel, ts, []event.Event{ev})
	if ts == "" || !validHandlePart(channel) || !isSlackTS(ts) {
		// The message was probably posted: sending it again would make a
		// second one.
		return "", &notify.Error{Sink: s.name, StatusCode: http.StatusOK,
			Text: "chat.postMessage answered without a usable channel and ts: " + notify.ErrorText([]byte(channel+" "+ts), []string{s.token})}
	}
	return channel + "/" + ts, nil
}

// Update replaces the message handle names (as Post returned it) with the
// message about ev, the one Notify would Post.
func (s slackUpdater) Update(ctx context.Context, handle string, ev event.Event) error {
	channel, ts, ok := parseSlackHandle(handle)
	if !ok {
		return &notify.Error{Sink: s.name, Text: "not a Slack message handle (want <channel ID>/<ts>): " + strconv.Quote(notify.Cut(handle, 60, notify.Chars))}
	}
	m := Render([]event.Event{ev}, s.includeLink)
	if err := s.web.updateMessage(ctx, channel, ts, m); err != nil {
		return s.classify(err)
	}
	s.attachFiles(ctx, channel, ts, []event.Event{ev})
	return nil
}

// parseSlackHandle splits a handle Post made into the channel and the ts.
func parseSlackHandle(handle string) (channel, ts string, ok bool) {
	channel, ts, ok = strings.Cut(handle, "/")
	if !ok || !validHandlePart(channel) || !isSlackTS(ts) {
		return "", "", false
	}
	return channel, ts, true
}

// validHandlePart reports whether s can be a channel ID in a handle.
func validHandlePart(s string) bool {
	return s != "" && len(s) <= 100 && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '/' || r == 0x7f || r > unicode.MaxASCII
	})
}

// isSlackTS reports whether s looks like a message ts, "1700000000.000100".
func isSlackTS(s string) bool {
	if s == "" || len(s) > 40 || strings.Count(s, ".") > 1 || s[0] == '.' {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
}

// classify turns slack-go's errors into an *Error with Slack's own text.
func (s *slackBot) classify(err error) *notify.Error {
	var (
		rate   *slackgo.RateLimitedError
		status slackgo.StatusCodeError
		resp   slackgo.SlackErrorResponse
	)
	switch {
	case errors.As(err, &rate):
		return &notify.Error{Sink: s.name, StatusCode: http.StatusTooManyRequests, Text: "rate_limited", Retryable: true, RetryAfter: rate.RetryAfter}
	case errors.As(err, &status):
		return &notify.Error{Sink: s.name, StatusCode: status.Code, Text: notify.ErrorText([]byte(status.Status), []string{s.token}), Retryable: notify.RetryableStatus(status.Code)}
	case errors.As(err, &resp):
		text := notify.ErrorText([]byte(resp.Err), []string{s.token})
		return &notify.Error{Sink: s.name, StatusCode: http.StatusOK, Text: text, Retryable: retrySlackError(resp.Err)}
	}
	return notify.TransportError(s.name, err, s.api, []string{s.token})
}

// retrySlackError reports whether a Web API error string is worth another
// try.
func retrySlackError(code string) bool {
	switch code {
	case "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout":
		return true
	}
	return false
}
