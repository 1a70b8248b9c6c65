package state

import "github.com/export-notifier/export-notifier/event"

// Status is what an export keeps of the last status seen: event.Status
// without its reference, which the export holds already, and without the
// raw response, which is not stored. A large state holds one per export,
// and those two fields were a fifth of each.
type Status struct {
	State        event.State
	Progress     int
	CurrentCount int64
	TotalCount   int64
	FileName     string
	Link         string
	Message      string
	RequestID    string
}

// statusOf is what an export keeps of st.
func statusOf(st event.Status) Status {
	return Status{
		State: st.State, Progress: st.Progress, CurrentCount: st.CurrentCount, TotalCount: st.TotalCount,
		FileName: st.FileName, Link: st.Link, Message: st.Message, RequestID: st.RequestID,
	}
}

// Of returns the status as event.Status about ref, without a raw response.
func (s Status) Of(ref event.Ref) event.Status {
	return event.Status{
		Ref: ref, State: s.State, Progress: s.Progress, CurrentCount: s.CurrentCount, TotalCount: s.TotalCount,
		FileName: s.FileName, Link: s.Link, Message: s.Message, RequestID: s.RequestID,
	}
}

// LastStatus returns the last status seen of the export, about its Ref.
func (e *Export) LastStatus() event.Status { return e.Status.Of(e.Ref) }
