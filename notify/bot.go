package notify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
)

// What the chat-bot sinks (DingTalk, Lark) show of text that comes from
// Security Center: bounded so that a grouped message stays far below the
// bots' 20,000-byte limits even when every character takes four bytes.
const (
	botMaxTitle   = 150  // a headline
	botMaxValue   = 200  // one fact: a file name, a request ID
	botMaxMessage = 1000 // an error message
	botMaxList    = 3000 // the list of exports in a grouped message
	botMaxLink    = 3000 // longer links are left out rather than cut
)

// botCode is a chat bot's verdict on one message, read from its JSON
// answer: a code (0 is success) and the bot's own text.
type botCode struct {
	code int64
	msg  string
}

// botError is the *Error for a bot that answered with a non-zero code.
// label names the code as the bot's documentation does ("errcode",
// "code"), so the text can be looked up there.
func botError(sink string, status int, label string, c botCode, secrets []string) *Error {
	text := label + " " + strconv.FormatInt(c.code, 10)
	if m := strings.TrimSpace(c.msg); m != "" {
		text += ": " + m
	}
	return &Error{Sink: sink, StatusCode: status, Text: ErrorText([]byte(text), secrets)}
}

// botVerdict turns a chat bot's answer into the outcome of a send: nil for
// code 0, else an *Error naming the code (under the bot's label for it)
// and the bot's text. code is nil when answer was not the bot's JSON.
// retry says whether a code may clear by itself and how long to wait; a
// non-2xx answer is retryable when its status is or its code is.
func botVerdict(sink, label string, status int, answer []byte, code *int64, msg string, httpErr *Error, secrets []string, retry func(code int64, msg string) (bool, time.Duration)) *Error {
	switch {
	case httpErr != nil && code != nil && *code != 0:
		// A non-2xx with the bot's own text: keep the status's verdict,
		// show the text.
		e := botError(sink, status, label, botCode{*code, msg}, secrets)
		e.Retryable, e.RetryAfter = httpErr.Retryable, httpErr.RetryAfter
		if again, after := retry(*code, msg); again {
			e.Retryable, e.RetryAfter = true, max(e.RetryAfter, after)
		}
		return e
	case httpErr != nil:
		return httpErr
	case code == nil:
		return unexpectedAnswer(sink, status, answer, secrets)
	case *code == 0:
		return nil
	}
	e := botError(sink, status, label, botCode{*code, msg}, secrets)
	e.Retryable, e.RetryAfter = retry(*code, msg)
	return e
}

// unexpectedAnswer is the *Error for a 2xx whose body is not the bot's
// JSON: the message may not have been posted, and sending it again is for
// the next cycle to decide.
func unexpectedAnswer(sink string, status int, answer []byte, secrets []string) *Error {
	text := ErrorText(answer, secrets)
	if text == "" {
		return &Error{Sink: sink, StatusCode: status, Text: "unexpected empty answer"}
	}
	return &Error{Sink: sink, StatusCode: status, Text: "unexpected answer: " + text}
}

// pace waits for the sink's rate limiter, so that one process stays under
// the bot's documented rate; a wait that would outlast ctx is a retryable
// failure.
func pace(ctx context.Context, sink string, limiter *rate.Limiter) *Error {
	if limiter == nil {
		return nil
	}
	if err := limiter.Wait(ctx); err != nil {
		return &Error{Sink: sink, Retryable: true, Err: fmt.Errorf("waiting to stay under the bot's rate limit: %w", err)}
	}
	return nil
}

// botHeadline is a chat message's title: what happened, to which export.
func botHeadline(ev event.Event) string {
	st := ev.Status
	switch ev.Type {
	case event.Completed:
		return "Export ready: " + NameOf(st)
	case event.Failed:
		return fmt.Sprintf("Export check failed: %s (%s)", st.Ref.String(), FailureOf(ev).Code)
	case event.Stalled:
		return "Export stalled: " + NameOf(st)
	case event.Started:
		return StartedHeadline(ev)
	case event.Running:
		return RunningHeadline(st)
	}
	return Summary(ev, false)
}

// botGroupHeadline is the title of one message about several events, and
// whether they are failures that share one error code.
func botGroupHeadline(events []event.Event) (string, bool) {
	code := FailureOf(events[0]).Code
	for _, ev := range events {
		if ev.Type != event.Failed || FailureOf(ev).Code != code {
			return fmt.Sprintf("%d export events", len(events)), false
		}
	}
	return fmt.Sprintf("%d export checks failed: %s", len(events), code), true
}

// botGroupLines are the lines of a grouped message, one per event: the
// export and its file, or for a mixed group the event's summary.
func botGroupLines(events []event.Event, sameCode bool) []string {
	lines := make([]string, len(events))
	for i, ev := range events {
		line := "• " + ev.Status.Ref.String()
		switch {
		case !sameCode:
			line += " " + Cut(OneLine(Summary(ev, false)), botMaxValue, Chars)
		case ev.Status.FileName != "":
			line += " " + Cut(OneLine(ev.Status.FileName), botMaxValue, Chars)
		}
		lines[i] = line
	}
	return lines
}

// fact is one name and value shown about an export.
type fact struct{ name, value string }

// botStartedFacts are the facts of a started message: what was asked
// for, when the event says.
func botStartedFacts(ev event.Event) []fact {
	if as := StartedAs(ev.Start); as != "" {
		return botFacts(ev, fact{"Started as", as})
	}
	return botFacts(ev)
}

// botFacts are what every chat message shows about the export: its ID and
// kind, then extra, then the account and the region.
func botFacts(ev event.Event, extra ...fact) []fact {
	st := ev.Status
	account := "own account"
	if st.Account != 0 {
		account = strconv.FormatInt(st.Account, 10)
	}
	region := ev.Region
	if region == "" {
		region = "unknown"
	}
	facts := []fact{{"Export ID", strconv.FormatInt(st.ID, 10)}, {"Kind", string(st.Kind)}}
	facts = append(facts, extra...)
	return append(facts, fact{"Account", account}, fact{"Region", region})
}

// botFailure is "Code (HTTP n)" and the message, each cleaned.
func botFailure(f event.Failure) (code, message string) {
	code = Cut(OneLine(f.Code), botMaxValue, Chars)
	if code == "" {
		code = "error"
	}
	if f.HTTPStatus != 0 {
		code += " (HTTP " + strconv.Itoa(f.HTTPStatus) + ")"
	}
	return code, Cut(OneLine(f.Message), botMaxMessage, Chars)
}

// botFooter is the small print: the program's name (which a bot's keyword
// check can require), the request ID and the event ID.
func botFooter(ev event.Event) string {
	parts := []string{"export-notifier"}
	if id := ev.Status.RequestID; id != "" {
		parts = append(parts, "Request ID "+Cut(OneLine(id), botMaxValue, Chars))
	}
	if ev.ID != "" {
		parts = append(parts, "Event "+Cut(OneLine(ev.ID), botMaxValue, Chars))
	}
	return strings.Join(parts, " · ")
}

// botGroupFooter is the small print of a grouped message.
func botGroupFooter(first event.Event) string {
	parts := []string{"export-notifier"}
	if first.Region != "" {
		parts = append(parts, "Region "+Cut(OneLine(first.Region), botMaxValue, Chars))
	}
	if id := first.Status.RequestID; id != "" {
		parts = append(parts, "First request ID "+Cut(OneLine(id), botMaxValue, Chars))
	}
	return strings.Join(parts, " · ")
}

// botLink is the download link to show, or "" when it is left out.
func botLink(st event.Status, includeLink bool) string {
	if !includeLink || st.Link == "" || len(st.Link) > botMaxLink || strings.ContainsAny(st.Link, " \t\r\n\x00") {
		return ""
	}
	return st.Link
}
