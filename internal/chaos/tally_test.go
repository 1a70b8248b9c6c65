package chaos

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestTallyReport(t *testing.T) {
	type delivery struct{ sink, event string }
	cases := []struct {
		name       string
		expect     []string
		deliveries []delivery
		kills      int
		want       []SinkReport
		perKill    []float64
	}{
		{
			name:       "each event once",
			expect:     []string{"completed asset:1", "failed vul:2"},
			deliveries: []delivery{{"slack", "completed asset:1"}, {"slack", "failed vul:2"}, {"webhook", "failed vul:2"}, {"webhook", "completed asset:1"}},
			kills:      3,
			want: []SinkReport{
				{Sink: "slack", Expected: 2, Delivered: 2, MaxCopies: 1, Kills: 3},
				{Sink: "webhook", Expected: 2, Delivered: 2, MaxCopies: 1, Kills: 3},
			},
			perKill: []float64{0, 0},
		},
		{
			name:   "repeats and a missing event",
			expect: []string{"completed asset:1", "completed asset:2", "failed vul:3"},
			deliveries: []delivery{
				{"slack", "completed asset:1"}, {"slack", "completed asset:1"}, {"slack", "completed asset:1"},
				{"slack", "completed asset:2"}, {"slack", "failed vul:3"}, {"slack", "failed vul:3"},
				{"webhook", "completed asset:2"},
			},
			kills: 2,
			want: []SinkReport{
				{Sink: "slack", Expected: 3, Delivered: 3, Repeats: 3, MaxCopies: 3, Kills: 2},
				{Sink: "webhook", Expected: 3, Delivered: 1, Missing: []string{"completed asset:1", "failed vul:3"}, MaxCopies: 1, Kills: 2},
			},
			perKill: []float64{1.5, 0},
		},
		{
			name:       "an event nobody expected, repeats without kills",
			expect:     []string{"completed asset:1"},
			deliveries: []delivery{{"slack", "completed asset:1"}, {"slack", "completed asset:1"}, {"slack", "stalled hc:9"}},
			want: []SinkReport{
				{Sink: "slack", Expected: 1, Delivered: 1, Repeats: 1, MaxCopies: 2, Unexpected: []string{"stalled hc:9"}},
				{Sink: "webhook", Expected: 1, Missing: []string{"completed asset:1"}},
			},
			perKill: []float64{math.Inf(1), 0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tally := NewTally("slack", "webhook")
			for _, ev := range tc.expect {
				tally.Expect(ev)
			}
			for _, d := range tc.deliveries {
				tally.Delivered(d.sink, d.event)
			}
			tally.Killed(tc.kills)
			got := tally.Report()
			if len(got) != len(tc.want) {
				t.Fatalf("%d reports, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, want := range tc.want {
				g := got[i]
				if g.Sink != want.Sink || g.Expected != want.Expected || g.Delivered != want.Delivered || g.Repeats != want.Repeats ||
					g.MaxCopies != want.MaxCopies || g.Kills != want.Kills ||
					!slices.Equal(g.Missing, want.Missing) || !slices.Equal(g.Unexpected, want.Unexpected) {
					t.Errorf("report %d = %+v, want %+v", i, g, want)
				}
				if pk := g.RepeatsPerKill(); pk != tc.perKill[i] {
					t.Errorf("%s: %v repeats per kill, want %v", g.Sink, pk, tc.perKill[i])
				}
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	tally := NewTally("slack", "webhook")
	tally.Expect("completed asset:1")
	tally.Delivered("slack", "completed asset:1")
	tally.Delivered("slack", "completed asset:1")
	tally.Killed(4)
	var b strings.Builder
	if err := WriteTable(&b, tally.Report()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want a header and one row a sink:\n%s", len(lines), b.String())
	}
	for i, want := range [][]string{
		{"sink", "expected", "delivered", "missing", "unexpected", "repeats", "max copies", "kills", "repeats/kill"},
		{"slack", "1", "1", "0", "0", "1", "2", "4", "0.25"},
		{"webhook", "1", "0", "1", "0", "0", "0", "4", "0.00"},
	} {
		var fields []string
		for f := range strings.SplitSeq(lines[i], "  ") {
			if f = strings.TrimSpace(f); f != "" {
				fields = append(fields, f)
			}
		}
		if !slices.Equal(fields, want) {
			t.Errorf("line %d = %q, want columns %q", i+1, lines[i], want)
		}
	}
}
