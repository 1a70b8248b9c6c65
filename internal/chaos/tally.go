// Package chaos counts what a chaos run delivered against what it should
// have: per sink, the events expected, delivered, missing and repeated, and
// the repeats each killed process cost. The run itself (processes, kills,
// receivers) is the root package's chaos test; this is its arithmetic and
// its report.
package chaos

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
)

// Tally collects expected events and deliveries. Events are keys that name
// one event whatever carried it (such as "completed asset:131231"). It is
// not safe for concurrent use.
type Tally struct {
	sinks    []string
	expected map[string]bool
	copies   map[string]map[string]int // sink, event: deliveries
	kills    int
}

// NewTally tallies deliveries to sinks, reported in this order.
func NewTally(sinks ...string) *Tally {
	t := &Tally{sinks: slices.Clone(sinks), expected: map[string]bool{}, copies: map[string]map[string]int{}}
	for _, s := range sinks {
		t.copies[s] = map[string]int{}
	}
	return t
}

// Expect says every sink must get event.
func (t *Tally) Expect(event string) { t.expected[event] = true }

// Delivered records that sink received event once more.
func (t *Tally) Delivered(sink, event string) {
	if t.copies[sink] == nil {
		t.sinks = append(t.sinks, sink)
		t.copies[sink] = map[string]int{}
	}
	t.copies[sink][event]++
}

// Killed records n processes killed during the run.
func (t *Tally) Killed(n int) { t.kills += n }

// SinkReport is one sink's account of the run.
type SinkReport struct {
	Sink       string
	Expected   int
	Delivered  int // expected events that arrived at least once
	Missing    []string
	Repeats    int // deliveries of an expected event after its first
	MaxCopies  int // the most deliveries of one event
	Unexpected []string
	Kills      int
}

// RepeatsPerKill is the repeats divided by the processes killed. Repeats
// without any kill are infinitely many per kill: nothing excuses them.
func (r SinkReport) RepeatsPerKill() float64 {
	if r.Kills == 0 {
		if r.Repeats == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return float64(r.Repeats) / float64(r.Kills)
}

// Report is every sink's account, sinks in the order they were named,
// missing and unexpected events sorted.
func (t *Tally) Report() []SinkReport {
	reports := make([]SinkReport, 0, len(t.sinks))
	for _, sink := range t.sinks {
		r := SinkReport{Sink: sink, Expected: len(t.expected), Kills: t.kills}
		got := t.copies[sink]
		for ev := range t.expected {
			if got[ev] == 0 {
				r.Missing = append(r.Missing, ev)
			}
		}
		for ev, n := range got {
			r.MaxCopies = max(r.MaxCopies, n)
			if !t.expected[ev] {
				r.Unexpected = append(r.Unexpected, ev)
				continue
			}
			r.Delivered++
			r.Repeats += n - 1
		}
		slices.Sort(r.Missing)
		slices.Sort(r.Unexpected)
		reports = append(reports, r)
	}
	return reports
}

// WriteTable writes reports as an aligned table, one sink a row.
func WriteTable(w io.Writer, reports []SinkReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "sink\texpected\tdelivered\tmissing\tunexpected\trepeats\tmax copies\tkills\trepeats/kill\t")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t\n",
			r.Sink, r.Expected, r.Delivered, len(r.Missing), len(r.Unexpected), r.Repeats, r.MaxCopies, r.Kills, r.RepeatsPerKill())
	}
	return tw.Flush()
}
