package handler

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// digestFromEnv reads DIGEST: empty for a message per export, "batch" for
// one per batch.
func digestFromEnv(getenv func(string) string) (bool, error) {
	switch v := getenv("DIGEST"); v {
	case "":
		return false, nil
	case "batch":
		return true, nil
	default:
		return false, &InputError{Source: "DIGEST", Err: fmt.Errorf("%s: want batch, or nothing for a message per export", event.Quote(v))}
	}
}

// decideDigests records in s the digest of each batch that has settled,
// or a partial one when the batch's deadline (STALL_AFTER after its
// start) passed first, each once; it is added like any event, so the
// cycles' claims send it once to each sink. Until then a member's own
// events go to no sink: the digest stands for them. After a partial
// digest, the members still running are told on their own as they
// finish. It reports whether s changed.
func decideDigests(cfg Config, s *state.Snapshot, takers func(event.Event) []string, now time.Time) bool {
	changed := false
	for _, b := range s.Batches() {
		members := s.Members(b)
		anchor, ok := anchorOf(members)
		if !ok {
			continue // nothing started: the start results tell the failures
		}
		ex := s.Exports[anchor.String()]
		if ex == nil || ex.Has(digestKey(false)) || ex.Has(digestKey(true)) {
			continue
		}
		for _, m := range members {
			if m.Export != nil && s.MuteEvents(m.Export.Ref, event.Digest) {
				changed = true
			}
		}
		settled := state.Settled(members)
		if !settled && now.Sub(b.Requested) < cfg.StallAfter {
			continue
		}
		d := newDigest(b, members, !settled, now)
		st := ex.LastStatus()
		ev := event.Event{ID: event.NewID(anchor, digestKey(d.Partial)), Type: event.Digest, Time: now, Region: cfg.Region, Status: st, Digest: d}
		if s.AddEvent(anchor, ev, takers(ev)) {
			changed = true
		}
	}
	return changed
}

func digestKey(partial bool) string {
	return event.Event{Type: event.Digest, Digest: &event.BatchDigest{Partial: partial}}.Key()
}

// anchorOf is the export a batch's digest is kept with: its first
// started one.
func anchorOf(members []state.Member) (event.Ref, bool) {
	for _, m := range members {
		if m.Start.Ref.ID != 0 && m.Export != nil {
			return m.Start.Ref, true
		}
	}
	return event.Ref{}, false
}

// newDigest summarises a batch's members.
func newDigest(b state.Batch, members []state.Member, partial bool, now time.Time) *event.BatchDigest {
	d := &event.BatchDigest{Batch: b.Key, Accounts: len(members), Partial: partial, Rows: []event.DigestRow{}}
	if len(b.Starts) > 0 {
		spec := b.Starts[0].Spec
		spec.Account = 0
		d.Title = spec.String()
	}
	byCode := map[string]*event.DigestFailure{}
	for _, m := range members {
		switch m.State {
		case state.MemberReady:
			d.Ready++
			d.Rows = append(d.Rows, digestRow(m, now))
		case state.MemberFailed:
			d.Failed++
			f := byCode[m.Code]
			if f == nil {
				f = &event.DigestFailure{Code: m.Code, Message: m.Start.Error}
				byCode[m.Code] = f
			}
			f.Accounts = append(f.Accounts, m.Account)
		default:
			d.Pending++
		}
	}
	for _, f := range byCode {
		d.Failures = append(d.Failures, *f)
	}
	slices.SortFunc(d.Failures, func(a, b event.DigestFailure) int { // most accounts first
		if n := len(b.Accounts) - len(a.Accounts); n != 0 {
			return n
		}
		return strings.Compare(a.Code, b.Code)
	})
	return d
}

// digestRow is a ready member's row: its file, with the link its
// completion was decided with (the archived copy's, with ARCHIVE_URL)
// unless that link has expired since, and where the copy is kept.
func digestRow(m state.Member, now time.Time) event.DigestRow {
	st := withLiveLink(m.Export.LastStatus(), now)
	row := event.DigestRow{Account: m.Account, Export: m.Start.Ref.String(), FileName: st.FileName, TotalCount: st.TotalCount, Link: st.Link}
	if r := m.Export.Event(event.Key(event.Completed, nil)); r != nil && r.Event.Archive != nil {
		a := *r.Event.Archive
		row.Archive = &a
	}
	return row
}

// ownMessages are the polls whose exports get a message of their own
// that updates itself: with DIGEST=batch, not a batch's members, which
// its digest stands for.
func (c *Cycle) ownMessages(s *state.Snapshot, polls []poll) []poll {
	if !c.Config.Digest || len(s.Starts) == 0 {
		return polls
	}
	members := map[string]bool{}
	for _, r := range s.Starts {
		if r.Batch != "" && r.Ref.ID != 0 {
			members[r.Ref.String()] = true
		}
	}
	out := make([]poll, 0, len(polls))
	for _, p := range polls {
		if !members[p.ref.String()] {
			out = append(out, p)
		}
	}
	return out
}
