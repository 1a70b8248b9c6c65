package handler

import (
	"slices"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// watchList merges the configured exports, the invocation's, and those the
// state still holds as pending, each once. Finished exports (tombstones)
// are not polled again even when still configured, and a pending export
// that nobody names any more is given up once it is older than the
// retention.
func watchList(cfg Config, extra []event.Ref, snap *state.Snapshot, now time.Time) []event.Ref {
	n := len(cfg.ExportIDs) + len(extra) + len(snap.Exports)
	seen := make(map[string]bool, n)
	refs := make([]event.Ref, 0, n)
	add := func(r event.Ref) {
		key := r.String()
		if seen[key] {
			return
		}
		seen[key] = true
		if ex := snap.Exports[key]; ex != nil && !ex.Finished.IsZero() {
			return
		}
		refs = append(refs, r)
	}
	for _, r := range cfg.ExportIDs {
		add(r)
	}
	for _, r := range extra {
		add(r)
	}
	pending := make([]string, 0, len(snap.Exports))
	for key, ex := range snap.Exports {
		if !seen[key] && ex.Finished.IsZero() && !abandoned(cfg, ex, now) {
			pending = append(pending, key)
		}
	}
	slices.Sort(pending) // a stable order makes logs and results comparable
	for _, key := range pending {
		add(snap.Exports[key].Ref)
	}
	if cap(refs) > 2*len(refs) {
		// The list lives as long as the cycle: not at the size of the
		// named and recorded exports together, which often overlap.
		refs = slices.Clone(refs)
	}
	leastRecentlyCheckedFirst(refs, snap)
	return refs
}

// leastRecentlyCheckedFirst orders refs for a cycle that may run out of
// time before checking them all: those never checked first, then the
// least recently checked, so that every export is checked at least once
// every ceil(N/k) cycles of k checks. Among equals the order stays as given.
func leastRecentlyCheckedFirst(refs []event.Ref, snap *state.Snapshot) {
	// Each export's time looked up once: a key built per comparison
	// would cost a string for each of n log n of them.
	type checkedRef struct {
		ref event.Ref
		at  time.Time
	}
	byTime := make([]checkedRef, len(refs))
	for i, r := range refs {
		byTime[i].ref = r
		if ex := snap.Exports[r.String()]; ex != nil {
			byTime[i].at = ex.LastChecked
		}
	}
	slices.SortStableFunc(byTime, func(a, b checkedRef) int { return a.at.Compare(b.at) })
	for i, c := range byTime {
		refs[i] = c.ref
	}
}

// abandoned reports whether a pending export has been watched for longer
// than the retention without finishing.
func abandoned(cfg Config, ex *state.Export, now time.Time) bool {
	return !ex.FirstSeen.IsZero() && now.Sub(ex.FirstSeen) > cfg.Retention
}

// decideEvents records in s what the polls mean: the new status of each
// export, and the events people must be told, each once. It is re-run on a
// freshly loaded snapshot when another cycle committed first, so it decides
// from s alone. It reports whether anything worth committing changed: a
// new export, progress, a finish, an event, or a check when others were
// left for the next cycle (a new request ID alone is not worth rewriting
// the state for).
//
// takers names the sinks that take an event; an event none takes is
// recorded (so it is decided once) and passed to unrouted.
func decideEvents(cfg Config, s *state.Snapshot, polls []poll, takers func(event.Event) []string, unrouted func(event.Event), now time.Time) (changed bool) {
	add := eventAdder{s, takers, unrouted}.add
	var checked, skipped bool
	for _, p := range polls {
		if s.Exports[p.ref.String()] == nil {
			changed = true
		}
		ex := s.Watch(p.ref, now)
		if p.skipped {
			skipped = true
		}
		if !ex.Finished.IsZero() || p.skipped {
			continue
		}
		seen := p.seenAt(now)
		ex.MarkChecked(seen)
		checked = true
		changed = noteError(ex, p) || changed
		if p.err != nil {
			if cfg.NotifyOn[event.Failed] {
				f := p.failure()
				last := ex.Status.Of(p.ref)
				changed = add(p.ref, newEvent(cfg, p.ref, event.Failed, last, f, now)) || changed
			}
			continue
		}
		changed = ex.Observe(p.status, seen) || changed
		st := ex.LastStatus()
		switch {
		case st.State == event.Success && p.archivePending:
			changed = ex.SetLastError(archivePendingCode) || changed
		case st.State == event.Success:
			ex.Finish(now)
			changed = true
			if cfg.NotifyOn[event.Completed] {
				ev := newEvent(cfg, p.ref, event.Completed, withLiveLink(st, now), nil, now)
				ev.Resolves = openIncidents(ex)
				ev.Archive = p.archived
				add(p.ref, ev)
			}
		case now.Sub(ex.LastChange) >= cfg.StallAfter && cfg.NotifyOn[event.Stalled]:
			changed = add(p.ref, newEvent(cfg, p.ref, event.Stalled, st, nil, now)) || changed
		}
	}
	// When some were left unchecked, the next cycle's order rests on when
	// each was last checked, so that is worth a write; when all were
	// checked, the order no longer matters.
	return changed || (checked && skipped)
}

// finishAbandoned gives up the pending exports of s that are not in
// watched, the cycle's watch list, and that are older than the retention,
// and reports whether there were any. Those in it that old are named by
// the configuration or the invocation, and stay watched.
func finishAbandoned(cfg Config, s *state.Snapshot, watched []event.Ref, now time.Time) bool {
	var old []*state.Export
	for _, ex := range s.Exports {
		if ex.Finished.IsZero() && abandoned(cfg, ex, now) {
			old = append(old, ex)
		}
	}
	if len(old) == 0 {
		return false // the usual case: no set of the watched keys to build
	}
	named := make(map[event.Ref]bool, len(watched))
	for _, ref := range watched {
		named[ref] = true
	}
	changed := false
	for _, ex := range old {
		if !named[ex.Ref] {
			s.Watch(ex.Ref, now).Finish(now) // s's own copy: ex may be shared
			changed = true
		}
	}
	return changed
}

// eventAdder records events in a snapshot for the sinks that take them.
type eventAdder struct {
	s        *state.Snapshot
	takers   func(event.Event) []string
	unrouted func(event.Event) // told of each event recorded that no sink takes
}

// add records ev about ref, unless its export already has it, and reports
// whether it did.
func (a eventAdder) add(ref event.Ref, ev event.Event) bool {
	sinks := a.takers(ev)
	added := a.s.AddEvent(ref, ev, sinks)
	if added && len(sinks) == 0 {
		a.unrouted(ev)
	}
	return added
}

// openIncidents are the incidents the export's failed and stalled events
// opened, which its completion resolves: for each type, since its first
// event and with the last failure's code.
func openIncidents(ex *state.Export) []event.Incident {
	var out []event.Incident
	for _, typ := range []event.Type{event.Failed, event.Stalled} {
		var in *event.Incident
		var lastAt time.Time // of the failure whose code in holds
		for _, r := range ex.Events {
			ev := r.Event
			if ev.Type != typ {
				continue
			}
			if in == nil {
				in = &event.Incident{Type: typ, Since: ev.Time}
			}
			if !ev.Time.After(in.Since) {
				in.Since = ev.Time
			}
			if ev.Error != nil && (in.Code == "" || !ev.Time.Before(lastAt)) {
				in.Code, lastAt = ev.Error.Code, ev.Time
			}
		}
		if in != nil {
			out = append(out, *in)
		}
	}
	return out
}

// noteError records the code of p's failure in ex, or clears it when p
// succeeded, and reports whether that changed.
func noteError(ex *state.Export, p poll) bool {
	var code string
	if p.err != nil {
		code = p.failure().Code
	}
	return ex.SetLastError(code)
}

func newEvent(cfg Config, ref event.Ref, typ event.Type, st event.Status, f *event.Failure, now time.Time) event.Event {
	key := event.Key(typ, f)
	return event.Event{ID: event.NewID(ref, key), Type: typ, Time: now.UTC(), Region: cfg.Region, Status: st, Error: f}
}
