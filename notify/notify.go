// Package notify is the core of telling people about export events: what
// a sink is (Notifier, Updater), the texts every sink's messages are made
// of, the HTTP posting and redaction they share, and the one retry policy
// (Retrier) they are delivered under. Each sink lives in a package of its
// own below (notify/slack, notify/webhook, notify/dingtalk, notify/lark,
// notify/console) and offers a Kind; notify/sinks is the list of them.
//
// A sink is a Notifier. Deliver groups a batch of events the way the sink
// wants them (Slack puts one cycle's failures that share an error code in
// one message; a webhook gets one request per event), sends each message,
// and retries transport errors, 5xx and 429 answers with backoff and
// jitter, honouring Retry-After, within the caller's deadline.
//
// A sink that can edit its messages is also an Updater (the Slack bot with
// SLACK_UPDATE_MESSAGES=true): one message per export shows its progress
// (ProgressEvent) and ends as the completion or failure message. Retrier.Do
// runs its Post and Update calls under the same policy.
//
// A sink that can read what it holds is also a Deduper (the Slack bot): a
// cycle taking over a dead cycle's claims asks it first which of those
// events it already has, and sends only the rest.
//
// Nothing a sink returns or logs holds a secret: webhook URLs are reduced
// to scheme://host/…, and tokens, signing secrets and header values never
// enter an error.
package notify

import (
	"context"
	"strconv"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// Notifier is one sink.
type Notifier interface {
	// Name is stable across runs, since it keys delivery records in the
	// state, and holds no secret: "console", "slack",
	// "slack:<channel>", "webhook:<host>#<8 hex digits>".
	Name() string
	// Group splits events into the messages this sink sends, in order.
	Group(events []event.Event) [][]event.Event
	// Notify sends one message about events. A failure is an *Error.
	Notify(ctx context.Context, events []event.Event) error
}

// Error is a failed attempt to send one message. Its text never holds a
// secret.
type Error struct {
	Sink       string        // the Notifier's Name
	StatusCode int           // the HTTP status, 0 when none arrived
	Text       string        // the sink's own error text, e.g. Slack's "channel_not_found"
	Retryable  bool          // whether sending again may succeed
	RetryAfter time.Duration // how long the sink asked us to wait, 0 if it did not say
	Err        error         // the cause, already redacted; may be nil
}

func (e *Error) Error() string {
	s := e.Sink + ":"
	if e.StatusCode != 0 {
		s += " HTTP " + strconv.Itoa(e.StatusCode)
	}
	if e.Text != "" {
		s += " " + e.Text
	}
	if e.Err != nil {
		if e.StatusCode != 0 || e.Text != "" {
			s += ":"
		}
		s += " " + e.Err.Error()
	}
	if e.RetryAfter > 0 {
		s += " (retry after " + e.RetryAfter.String() + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Outcome is what became of one message: the events it was about, how many
// times it was sent, and the last error (an *Error) if it was never
// accepted.
type Outcome struct {
	Events   []event.Event
	Attempts int
	Err      error
}
