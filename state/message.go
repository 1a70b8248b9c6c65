package state

import "time"

// Message is an editable message a sink keeps about one export (Slack with
// SLACK_UPDATE_MESSAGES): posted once, then updated as the export moves on.
type Message struct {
	// Handle names the posted message to its sink; empty until posted.
	Handle string
	// ClaimedBy and ClaimUntil hold the post: one cycle posts, so
	// overlapping cycles do not post two messages about one export.
	ClaimedBy  string
	ClaimUntil time.Time
	// Shown identifies what the message last showed, so it is updated only
	// when that changes.
	Shown string
}

// ClaimMessage lets cycle post the first message about the export key
// names to sink, until now+lease. It returns false when the export is
// unknown, a message was posted already, or another cycle holds a live
// claim on posting it.
func (s *Snapshot) ClaimMessage(exportKey, sink, cycle string, now time.Time, lease time.Duration) bool {
	e := s.thaw(exportKey)
	if e == nil {
		return false
	}
	m := e.Messages[sink]
	if m != nil && (m.Handle != "" || (m.ClaimedBy != cycle && now.Before(m.ClaimUntil))) {
		return false
	}
	if e.Messages == nil {
		e.Messages = map[string]*Message{}
	}
	e.Messages[sink] = &Message{ClaimedBy: cycle, ClaimUntil: now.Add(lease)}
	e.change()
	return true
}

// Message returns the message kept about the export key names for sink,
// or nil, to read: it is changed through ClaimMessage and SettleMessage.
func (s *Snapshot) Message(exportKey, sink string) *Message {
	if e := s.Exports[exportKey]; e != nil {
		return e.Messages[sink]
	}
	return nil
}

// SettleMessage records what cycle's post or update of the export's
// message to sink left: the handle (empty when the post failed, which
// releases the claim for a later cycle) and what it shows.
func (s *Snapshot) SettleMessage(exportKey, sink, cycle, handle, shown string) {
	e := s.thaw(exportKey)
	if e == nil {
		return
	}
	m := e.Messages[sink]
	switch {
	case m == nil && handle == "":
		return
	case m == nil:
		m = &Message{}
		if e.Messages == nil {
			e.Messages = map[string]*Message{}
		}
		e.Messages[sink] = m
	case m.Handle == "" && m.ClaimedBy != cycle && handle == "":
		return // another cycle's claim: leave it
	}
	e.change()
	if handle != "" {
		m.Handle = handle
	}
	if m.ClaimedBy == cycle || handle != "" {
		m.ClaimedBy, m.ClaimUntil = "", time.Time{}
	}
	if handle != "" || m.Handle != "" {
		m.Shown = shown
	}
}

// ForgetMessage drops the message kept about the export key names for
// sink, for a message its sink says is gone: the next cycle posts anew.
func (s *Snapshot) ForgetMessage(exportKey, sink string) {
	if e := s.thaw(exportKey); e != nil && e.Messages[sink] != nil {
		delete(e.Messages, sink)
		e.change()
	}
}
