package handler

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/state"
)

// delivery is the outcome of sending one claimed event to one sink.
type delivery struct {
	due      state.Due
	attempts int
	err      error
}

func (d delivery) result() EventResult {
	r := EventResult{ID: d.due.Event.ID, Type: d.due.Event.Type, Export: d.due.ExportKey, Sink: d.due.Sink, Attempts: d.attempts, Outcome: "sent"}
	if d.err != nil {
		r.Outcome, r.Error = "failed", d.err.Error()
	}
	return r
}

// deliver sends the claimed events and the running messages, each sink on
// its own so a slow or dead sink does not hold the others, and stops
// sending at stopBy so the results can still be committed.
func (r *run) deliver(ctx context.Context, p plan, snap *state.Snapshot) sent {
	if len(p.claimed) == 0 && len(p.messages) == 0 {
		return sent{}
	}
	ctx, cancel := context.WithDeadline(ctx, r.stopBy)
	defer cancel()
	bySink := map[string][]state.Due{}
	for _, d := range p.claimed {
		bySink[d.Sink] = append(bySink[d.Sink], d)
	}
	messagesBySink := map[string][]messageWork{}
	for _, m := range p.messages {
		messagesBySink[m.sink] = append(messagesBySink[m.sink], m)
	}
	var (
		mu  sync.Mutex
		out sent
		wg  sync.WaitGroup
	)
	record := func(d delivery) {
		logDelivery(r.log, d)
		mu.Lock()
		out.deliveries = append(out.deliveries, d)
		mu.Unlock()
	}
	recordMessages := func(o []messageOutcome) {
		mu.Lock()
		out.messages = append(out.messages, o...)
		mu.Unlock()
	}
	for _, sink := range r.c.Sinks {
		dues, work := bySink[sink.Name()], messagesBySink[sink.Name()]
		if len(dues) == 0 && len(work) == 0 {
			continue
		}
		wg.Go(func() { r.deliverTo(ctx, sink, dues, work, snap, record, recordMessages) })
	}
	wg.Wait()
	return out
}

// deliverTo sends one sink its share of the plan. A sink that edits its
// messages turns an export's message into the event's message rather
// than posting a new one.
func (r *run) deliverTo(ctx context.Context, sink notify.Notifier, dues []state.Due, work []messageWork, snap *state.Snapshot,
	record func(delivery), recordMessages func([]messageOutcome)) {
	defer func() {
		// A panic in a sink must not take the process down: what this
		// sink had claimed goes out once the claims expire.
		if p := recover(); p != nil {
			r.log.Error("sink panicked", "sink", sink.Name(), "panic", fmt.Sprint(p))
		}
	}()
	if u, ok := sink.(notify.Updater); ok {
		recordMessages(r.sendMessages(ctx, u, work))
		dues = r.updateMessages(ctx, u, dues, snap, record)
	}
	byID := make(map[string]state.Due, len(dues))
	events := make([]event.Event, len(dues))
	for i, d := range dues {
		events[i] = d.Event
		byID[d.Event.ID] = d
	}
	for _, o := range safeDeliver(ctx, r.retrier, sink, events) {
		for _, ev := range o.Events {
			record(delivery{due: byID[ev.ID], attempts: o.Attempts, err: o.Err})
		}
	}
}

// updateMessages delivers the events about exports that already have a
// message at u by updating that message, and returns the rest, to be sent
// as new messages.
func (r *run) updateMessages(ctx context.Context, u notify.Updater, dues []state.Due, snap *state.Snapshot, record func(delivery)) []state.Due {
	rest := dues[:0:0]
	for _, d := range dues {
		m := snap.Message(d.ExportKey, d.Sink)
		if m == nil || m.Handle == "" {
			rest = append(rest, d)
			continue
		}
		attempts, err := r.retrier.Update(ctx, u, m.Handle, d.Event)
		var sinkErr *notify.Error
		if errors.As(err, &sinkErr) && !sinkErr.Retryable {
			// The message is gone (deleted, say): tell it in a new one.
			rest = append(rest, d)
			continue
		}
		record(delivery{due: d, attempts: attempts, err: err})
	}
	return rest
}

// safeDeliver turns a panic in a sink into a failed delivery of its events,
// so the claims are settled and the cycle still commits.
func safeDeliver(ctx context.Context, retrier notify.Retrier, sink notify.Notifier, events []event.Event) (out []notify.Outcome) {
	defer func() {
		if p := recover(); p != nil {
			out = []notify.Outcome{{Events: events, Attempts: 1, Err: fmt.Errorf("sink %s panicked: %v", sink.Name(), p)}}
		}
	}()
	return retrier.Deliver(ctx, sink, events)
}
