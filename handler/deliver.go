package handler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/state"
)

// delivery is the outcome of sending one claimed event to one sink.
type delivery struct {
	due      state.Due
	attempts int
	err      error
	// found: the sink already had the event (sent by a cycle whose claim
	// this one took over), so it was not sent again.
	found bool
}

func (d delivery) result() EventResult {
	r := EventResult{ID: d.due.Event.ID, Type: d.due.Event.Type, Export: d.due.ExportKey, Sink: d.due.Sink, Attempts: d.attempts, Outcome: "sent"}
	switch {
	case d.found:
		r.Outcome = "already sent"
	case d.err != nil:
		r.Outcome, r.Error = "failed", d.err.Error()
	}
	return r
}

func (d delivery) accepted() bool { return d.err == nil && !d.found }

// settleIn records the delivery in s, unless s already holds it: a batch
// applied again after a conflict, or after a commit whose answer was lost,
// must not count its attempts twice.
func (d delivery) settleIn(s *state.Snapshot, cycle string, now time.Time) {
	del := s.Delivery(d.due)
	if del == nil || del.Delivered() && del.ClaimedBy != cycle {
		return
	}
	s.Settle(cycle, d.due, d.err, now)
}

// sinkWork is one sink's share of a plan.
type sinkWork struct {
	dues     []state.Due
	messages []messageWork
	// handles are the sink's editable messages about the exports of dues,
	// by export key, taken from the snapshot before sending starts.
	handles map[string]string
	// takeovers are the IDs of the events among dues that a cycle whose
	// claim has expired may have sent already.
	takeovers map[string]bool
}

// share splits p by sink.
func (r *run) share(p plan, snap *state.Snapshot) map[string]*sinkWork {
	work := map[string]*sinkWork{}
	of := func(sink string) *sinkWork {
		if work[sink] == nil {
			work[sink] = &sinkWork{handles: map[string]string{}, takeovers: map[string]bool{}}
		}
		return work[sink]
	}
	for _, d := range p.claimed {
		w := of(d.Sink)
		w.dues = append(w.dues, d)
		if m := snap.Message(d.ExportKey, d.Sink); m != nil && m.Handle != "" {
			w.handles[d.ExportKey] = m.Handle
		}
		if p.takeovers[dueKey(d)] {
			w.takeovers[d.Event.ID] = true
		}
	}
	for _, m := range p.messages {
		of(m.sink).messages = append(of(m.sink).messages, m)
	}
	return work
}

// deliver sends the claimed events and the running messages, each sink on
// its own so a slow or dead sink does not hold the others, and stops
// sending at stopBy so the results can still be committed. What the sinks
// accept is committed as it comes (see recordWait), so that a cycle killed
// while sending repeats little once its claims expire.
func (r *run) deliver(ctx context.Context, p plan, snap *state.Snapshot) sent {
	if len(p.claimed) == 0 && len(p.messages) == 0 {
		return sent{}
	}
	work := r.share(p, snap)
	out := sent{commits: r.newCommitter(snap)}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		out.commits.loop(ctx, stop)
	}()
	var mu sync.Mutex
	sendCtx, cancel := context.WithDeadline(ctx, r.stopBy)
	defer cancel()
	record := func(ss ...settlement) {
		mu.Lock()
		for _, s := range ss {
			switch o := s.(type) {
			case delivery:
				logDelivery(r.log, o)
				out.deliveries = append(out.deliveries, o)
			case messageOutcome:
				out.messages = append(out.messages, o)
			}
		}
		mu.Unlock()
		out.commits.add(sendCtx, ss...)
	}
	var wg sync.WaitGroup
	for _, sink := range r.c.Sinks {
		if w := work[sink.Name()]; w != nil {
			wg.Go(func() { r.deliverTo(sendCtx, sink, w, record) })
		}
	}
	wg.Wait()
	close(stop)
	<-stopped
	return out
}

// deliverTo sends one sink its share of the plan. A sink that edits its
// messages turns an export's message into the event's message rather
// than posting a new one.
func (r *run) deliverTo(ctx context.Context, sink notify.Notifier, w *sinkWork, record func(...settlement)) {
	defer func() {
		// A panic in a sink must not take the process down: what this
		// sink had claimed goes out once the claims expire.
		if p := recover(); p != nil {
			r.log.Error("sink panicked", "sink", sink.Name(), "panic", fmt.Sprint(p))
		}
	}()
	dues := w.dues
	if u, ok := sink.(notify.Updater); ok {
		r.sendMessages(ctx, u, w.messages, record)
		dues = r.updateMessages(ctx, u, dues, w.handles, record)
	}
	dues = r.skipFound(ctx, sink, dues, w.takeovers, record)
	r.sendEach(ctx, sink, dues, record)
}

// updateMessages delivers the events about exports that already have a
// message at u by updating that message, and returns the rest, to be sent
// as new messages.
func (r *run) updateMessages(ctx context.Context, u notify.Updater, dues []state.Due, handles map[string]string, record func(...settlement)) []state.Due {
	rest := dues[:0:0]
	for _, d := range dues {
		handle := handles[d.ExportKey]
		if handle == "" {
			rest = append(rest, d)
			continue
		}
		attempts, err := r.retrier.Update(ctx, u, handle, *d.Event)
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

// sendEach sends dues to sink, recording each message's outcome as soon
// as it is known. A panic in the sink fails the deliveries not yet
// recorded, so their claims are settled and the cycle still commits.
func (r *run) sendEach(ctx context.Context, sink notify.Notifier, dues []state.Due, record func(...settlement)) {
	byID := make(map[string]state.Due, len(dues))
	events := make([]event.Event, len(dues))
	for i, d := range dues {
		events[i] = *d.Event
		byID[d.Event.ID] = d
	}
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("sink %s panicked: %v", sink.Name(), p)
			var failed []settlement
			for _, d := range byID {
				failed = append(failed, delivery{due: d, attempts: 1, err: err})
			}
			record(failed...)
		}
	}()
	for o := range r.retrier.Each(ctx, sink, events) {
		var settled []settlement
		for _, ev := range o.Events {
			if d, ok := byID[ev.ID]; ok {
				delete(byID, ev.ID)
				settled = append(settled, delivery{due: d, attempts: o.Attempts, err: o.Err})
			}
		}
		record(settled...)
	}
}
