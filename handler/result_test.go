package handler

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// TestLargeCyclesAreSummarised: above SummariseAbove watched exports the
// result counts them by status and lists only those that changed; at the
// threshold it lists every one, as before.
func TestLargeCyclesAreSummarised(t *testing.T) {
	tests := []struct {
		name           string
		watched        int
		wantSummarised bool
		wantThird      int // exports listed by the third cycle
	}{
		{name: "at the threshold", watched: SummariseAbove, wantThird: SummariseAbove},
		{name: "above it", watched: SummariseAbove + 1, wantSummarised: true, wantThird: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			var ids []string
			for i := range tt.watched {
				ref := event.Ref{Kind: event.Asset, ID: int64(1 + i)}
				// All start (init, then exporting); three finish in the
				// third cycle, the rest stop moving.
				h.sim.Add(sassim.Export{Ref: ref, Stuck: i >= 3, Steps: 3})
				ids = append(ids, strconv.Itoa(1+i))
			}
			cfg := testConfig(strings.Join(ids, ","))
			cfg.Concurrency, cfg.QPS = 16, 1e6
			c := &Cycle{Config: cfg, Checker: h.checker, Store: h.store}

			first := h.run(t, c, Options{})
			if first.Summarised != tt.wantSummarised || len(first.Exports) != tt.watched {
				t.Fatalf("first cycle: summarised %v, %d exports listed; want %v and all %d (all new)", first.Summarised, len(first.Exports), tt.wantSummarised, tt.watched)
			}
			h.run(t, c, Options{})
			third := h.run(t, c, Options{})
			if third.Summarised != tt.wantSummarised || len(third.Exports) != tt.wantThird {
				t.Fatalf("third cycle: summarised %v, %d exports listed; want %v and %d", third.Summarised, len(third.Exports), tt.wantSummarised, tt.wantThird)
			}
			if !tt.wantSummarised {
				if third.Statuses != nil {
					t.Errorf("statuses %v, want none below the threshold", third.Statuses)
				}
				return
			}
			for _, e := range third.Exports {
				if e.Status != string(event.Success) {
					t.Errorf("listed %+v, want only the finished exports", e)
				}
			}
			if third.Statuses["success"] != 3 || third.Statuses["exporting"] != tt.watched-3 {
				t.Errorf("statuses %v, want 3 success and %d exporting", third.Statuses, tt.watched-3)
			}
			out, err := json.Marshal(third)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), `"summarised":true`) || !strings.Contains(string(out), `"statuses":{`) {
				t.Errorf("JSON %.200s lacks the summary", out)
			}
		})
	}
}
