package handler

import (
	"time"

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
	Skipped int           `json:"skipped"`
	Starts  []StartResult `json:"starts,omitempty"`
	// Exports are this cycle's checks, one per watched export; above
	// SummariseAbove watched, only those that changed (Summarised).
	Exports []ExportResult `json:"exports"`
	// Summarised says Exports lists only the exports that changed, and
	// Statuses counts every watched export by status ("exporting",
	// "success", "error", "skipped", ...).
	Summarised bool           `json:"summarised,omitempty"`
	Statuses   map[string]int `json:"statuses,omitempty"`
	Events     []EventResult  `json:"events"`
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

// recordChecks adds checks to the cycle's result.
func (r *Result) recordChecks(polls []poll) {
	if r.Exports == nil {
		r.Exports = make([]ExportResult, 0, len(polls))
	}
	if r.Events == nil {
		r.Events = []EventResult{}
	}
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
			if p.archivePending {
				e.Error = archivePendingCode // announced once the copy is made
			}
		}
		r.Exports = append(r.Exports, e)
	}
}

// recordPending counts, per sink, the deliveries snap has not made.
func (r *Result) recordPending(snap *state.Snapshot, sinks []string) {
	r.Pending = make(map[string]int, len(sinks))
	for _, sink := range sinks {
		r.Pending[sink] = 0
	}
	for _, ex := range snap.Exports {
		for _, rec := range ex.Events {
			for _, d := range rec.Deliveries {
				if _, configured := r.Pending[d.Sink]; configured && d.DeliveredAt.IsZero() {
					r.Pending[d.Sink]++
				}
			}
		}
	}
}

// SummariseAbove is how many watched exports a cycle's result lists one by
// one. Above it the result lists only the exports that changed this cycle
// (new, moved, finished or failed) and counts the rest by status, so that
// its size follows what moved rather than what is watched.
const SummariseAbove = 1000

// summarised is r as a large cycle reports it: see SummariseAbove. The
// exports that changed are those snap saw change since the cycle began.
func (r Result) summarised(snap *state.Snapshot, since time.Time) Result {
	if r.Watched <= SummariseAbove {
		return r
	}
	r.summarise(snap, since, 0)
	return r
}

// summarise folds the checks of r.Exports[from:] into the summary: each
// counted by status, and kept only if its export changed, as snap says.
// A large cycle folds its checks as they are decided, so that its result
// does not hold one entry per watched export until it ends.
func (r *Result) summarise(snap *state.Snapshot, since time.Time, from int) {
	r.Summarised = true
	if r.Statuses == nil {
		r.Statuses = map[string]int{}
	}
	kept := r.Exports[:from]
	for _, e := range r.Exports[from:] {
		r.Statuses[e.summaryStatus()]++
		ex := snap.Exports[e.Export]
		if !e.Skipped && (e.Error != "" || ex == nil || !ex.LastChange.Before(since)) {
			kept = append(kept, e)
		}
	}
	r.Exports = kept
}

// summaryStatus is the status a summary counts e under.
func (e ExportResult) summaryStatus() string {
	switch {
	case e.Skipped:
		return "skipped"
	case e.Error != "":
		return "error"
	default:
		return e.Status
	}
}
