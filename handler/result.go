package handler

import (
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// Result is what a cycle did, printed as JSON by `poll` and returned by the
// function. It holds no links and no secrets.
type Result struct {
	Cycle        string `json:"cycle"`
	DryRun       bool   `json:"dryRun,omitempty"`
	StateVersion int64  `json:"stateVersion"`
	Watched      int    `json:"watched"`
	Checked      int    `json:"checked"`
	CheckFailed  int    `json:"checkFailed"`
	// Skipped counts the exports left for the next cycle: this one ran out
	// of time before checking them. The next cycle checks them first.
	Skipped int            `json:"skipped"`
	Starts  []StartResult  `json:"starts,omitempty"`
	Exports []ExportResult `json:"exports"`
	Events  []EventResult  `json:"events"`
	// Messages are the posts and updates of self-updating messages.
	Messages []MessageResult `json:"messages,omitempty"`
	// Pending counts, per sink, the events not yet delivered to it.
	Pending map[string]int `json:"pending"`
}

// ExportResult is one export's check in this cycle.
type ExportResult struct {
	Export       string `json:"export"`
	Status       string `json:"status,omitempty"`
	Progress     int    `json:"progress"`
	CurrentCount int64  `json:"currentCount"`
	TotalCount   int64  `json:"totalCount"`
	FileName     string `json:"fileName,omitempty"`
	Error        string `json:"error,omitempty"`
	Skipped      bool   `json:"skipped,omitempty"`
}

// EventResult is one event's delivery to one sink in this cycle.
type EventResult struct {
	ID       string     `json:"id"`
	Type     event.Type `json:"type"`
	Export   string     `json:"export"`
	Sink     string     `json:"sink"`
	Outcome  string     `json:"outcome"` // sent, already sent (found at the sink), failed, would send
	Attempts int        `json:"attempts,omitempty"`
	Error    string     `json:"error,omitempty"`
}

func (r *Result) record(polls []poll, snap *state.Snapshot, sinks []string) {
	r.Exports = make([]ExportResult, 0, len(polls))
	r.Events = []EventResult{}
	for _, p := range polls {
		e := ExportResult{Export: p.ref.String(), Skipped: p.skipped}
		switch {
		case p.skipped:
			r.Skipped++
		case p.err != nil:
			r.Checked++
			r.CheckFailed++
			e.Error = p.failure().Code
		default:
			r.Checked++
			e.Status, e.Progress, e.CurrentCount, e.TotalCount, e.FileName = string(p.status.State), p.status.Progress, p.status.CurrentCount, p.status.TotalCount, p.status.FileName
		}
		r.Exports = append(r.Exports, e)
	}
	r.Pending = make(map[string]int, len(sinks))
	for _, sink := range sinks {
		r.Pending[sink] = 0
	}
	for _, ex := range snap.Exports {
		for _, rec := range ex.Events {
			for sink, d := range rec.Deliveries {
				if _, configured := r.Pending[sink]; configured && d.DeliveredAt.IsZero() {
					r.Pending[sink]++
				}
			}
		}
	}
}
