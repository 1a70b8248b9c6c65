package handler

import (
	"context"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/state"
)

// dueKey names one delivery of a plan.
func dueKey(d state.Due) string { return d.ExportKey + "\x00" + d.EventKey + "\x00" + d.Sink }

// takenOver reports whether d may already be at its sink: claiming it
// takes it over from another cycle, whose claim has expired and which may
// have sent it before it died; or an earlier attempt failed, and may have
// reached the sink all the same (an answer lost to a deadline or a broken
// connection after the sink took the request).
func takenOver(s *state.Snapshot, d state.Due, cycle string) bool {
	del := s.Delivery(d)
	return del != nil && (del.ClaimedBy != "" && del.ClaimedBy != cycle || del.Attempts > 0)
}

// skipFound asks a sink that can tell (a notify.Deduper) whether it
// already has the events taken over from another cycle, records those it
// has as delivered, and returns the rest. When the sink cannot tell, every
// event is sent: a repeat is better than a loss.
func (r *run) skipFound(ctx context.Context, sink notify.Notifier, dues []state.Due, takeovers map[string]bool, record func(...settlement)) []state.Due {
	dd, ok := sink.(notify.Deduper)
	if !ok || len(takeovers) == 0 {
		return dues
	}
	var asked []event.Event
	for _, d := range dues {
		if takeovers[d.Event.ID] {
			asked = append(asked, *d.Event)
		}
	}
	if len(asked) == 0 {
		return dues
	}
	if t := r.retrier.AttemptTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	found, err := dd.Delivered(ctx, asked)
	if err != nil {
		r.log.Warn("could not tell whether the sink already has the events taken over; sending them", "sink", sink.Name(), "events", len(asked), "error", err.Error())
		return dues
	}
	rest := dues[:0:0]
	for _, d := range dues {
		if found[d.Event.ID] {
			record(delivery{due: d, found: true})
			continue
		}
		rest = append(rest, d)
	}
	return rest
}
