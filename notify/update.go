package notify

import (
	"context"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// Updater is a sink whose messages can be edited after they are sent: the
// Slack bot with SLACK_UPDATE_MESSAGES=true. A cycle posts one message per
// export the first time it sees it running (a ProgressEvent), updates it
// as the progress changes, and at the end turns it into the completion,
// failure or stall message, instead of posting that anew with Notify.
type Updater interface {
	Notifier
	// Post sends a message about ev and returns a handle to edit it by
	// (for Slack: the channel ID and the message ts, encoded in one
	// string). The handle holds no secret, so it may be stored. A failure
	// is an *Error, classified as Notify's are.
	Post(ctx context.Context, ev event.Event) (handle string, err error)
	// Update replaces the message handle names with one about ev: the
	// same message Notify would send about ev alone. A failure is an
	// *Error, classified as Notify's are; a handle that names no message
	// any more is a permanent one.
	Update(ctx context.Context, handle string, ev event.Event) error
}

// Updaters are the sinks among sinks that can edit their messages, in
// order.
func Updaters(sinks []Notifier) []Updater {
	var out []Updater
	for _, n := range sinks {
		if u, ok := n.(Updater); ok {
			out = append(out, u)
		}
	}
	return out
}

// ProgressEvent is the transient event (Type event.Running) that an
// Updater's message shows while the export described by st is in
// progress: "Export running: 40% (12,000 of 30,000)". It has no ID and is
// never stored or sent through Notify; region is the Security Center
// region, now the time of the check.
func ProgressEvent(st event.Status, region string, now time.Time) event.Event {
	st.Link, st.Raw = "", nil // a running export has no file yet
	return event.Event{Type: event.Running, Time: now, Region: region, Status: st}
}

// Post posts ev through u with r's policy (see Do) and returns the
// message's handle. A retried Post may, rarely, leave a duplicate
// message: one whose answer was lost after Slack accepted it.
func (r Retrier) Post(ctx context.Context, u Updater, ev event.Event) (handle string, attempts int, err error) {
	attempts, err = r.Do(ctx, u.Name(), func(ctx context.Context) error {
		h, err := u.Post(ctx, ev)
		if err == nil {
			handle = h
		}
		return err
	})
	return handle, attempts, err
}

// Update updates the message handle names through u with r's policy (see
// Do).
func (r Retrier) Update(ctx context.Context, u Updater, handle string, ev event.Event) (attempts int, err error) {
	return r.Do(ctx, u.Name(), func(ctx context.Context) error { return u.Update(ctx, handle, ev) })
}
