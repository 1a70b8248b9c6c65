package handler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/state"
)

// messageWork is a post or update of the message an Updater sink keeps
// about one running export (SLACK_UPDATE_MESSAGES).
type messageWork struct {
	exportKey string
	sink      string
	handle    string // empty: post the first message
	status    event.Status
	shown     string
}

// MessageResult is one post or update of a self-updating message.
type MessageResult struct {
	Export  string `json:"export"`
	Sink    string `json:"sink"`
	Action  string `json:"action"` // posted, updated
	Error   string `json:"error,omitempty"`
	Attempt int    `json:"attempts,omitempty"`
}

// shown identifies what a running message shows of st, so that it is
// updated only when that changes.
func shown(st event.Status) string {
	return fmt.Sprintf("%s/%d/%d/%d", st.State, st.Progress, st.CurrentCount, st.TotalCount)
}

// planMessages decides, for each sink that edits its messages, which
// running exports checked this cycle get their first message (claimed in
// s, so that overlapping cycles post one) and which an update, because
// what they show changed. Finished exports are left to their completion
// event, which turns the message into the completion message.
//
// A sink keeps a message only about exports whose completion it takes
// (takes names those sinks), since the message ends as the completion.
func planMessages(s *state.Snapshot, polls []poll, updaters []string, takes func(event.Event) []string, cycle string, now time.Time, lease time.Duration) []messageWork {
	var work []messageWork
	for _, sink := range updaters {
		for _, p := range polls {
			if p.skipped || p.err != nil {
				continue
			}
			key := p.ref.String()
			ex := s.Exports[key]
			if ex == nil || !ex.Finished.IsZero() || ex.Status.State == event.Success {
				continue
			}
			st := ex.LastStatus()
			if !slices.Contains(takes(event.Event{Type: event.Completed, Status: st}), sink) {
				continue
			}
			w := messageWork{exportKey: key, sink: sink, status: st, shown: shown(st)}
			m := s.Message(key, sink)
			switch {
			case m == nil || m.Handle == "":
				if s.ClaimMessage(key, sink, cycle, now, lease) {
					work = append(work, w)
				}
			case m.Shown != w.shown:
				w.handle = m.Handle
				work = append(work, w)
			}
		}
	}
	return work
}

// sendMessages posts or updates u's running messages, recording each
// outcome as it is known.
func (r *run) sendMessages(ctx context.Context, u notify.Updater, work []messageWork, record func(...settlement)) {
	for _, w := range work {
		ev := notify.ProgressEvent(w.status, r.c.Config.Region, r.c.now())
		o := messageOutcome{work: w, handle: w.handle}
		if w.handle == "" {
			o.handle, o.attempts, o.err = r.retrier.Post(ctx, u, ev)
		} else {
			o.attempts, o.err = r.retrier.Update(ctx, u, w.handle, ev)
		}
		if o.err != nil {
			r.log.Warn("progress message not sent", "export", w.exportKey, "sink", w.sink, "error", o.err.Error())
		}
		record(o)
	}
}

type messageOutcome struct {
	work     messageWork
	handle   string
	attempts int
	err      error
}

func (o messageOutcome) result() MessageResult {
	r := MessageResult{Export: o.work.exportKey, Sink: o.work.sink, Action: "updated", Attempt: o.attempts}
	if o.work.handle == "" {
		r.Action = "posted"
	}
	if o.err != nil {
		r.Error = o.err.Error()
	}
	return r
}

func (o messageOutcome) accepted() bool { return o.err == nil }

// settleIn records o in s: the new message's handle, and what it shows
// now. A failed update keeps the old record, so the next cycle tries
// again, unless the sink said the message is gone.
func (o messageOutcome) settleIn(s *state.Snapshot, cycle string, _ time.Time) {
	var sinkErr *notify.Error
	if o.work.handle != "" && errors.As(o.err, &sinkErr) && !sinkErr.Retryable {
		// The sink says the message is gone (deleted, say): post anew.
		s.ForgetMessage(o.work.exportKey, o.work.sink)
		return
	}
	if o.err != nil {
		s.SettleMessage(o.work.exportKey, o.work.sink, cycle, "", "")
		return
	}
	s.SettleMessage(o.work.exportKey, o.work.sink, cycle, o.handle, o.work.shown)
}

// updaterNames names the sinks that edit their messages.
func (c *Cycle) updaterNames() []string {
	var names []string
	for _, u := range notify.Updaters(c.Sinks) {
		names = append(names, u.Name())
	}
	return names
}
