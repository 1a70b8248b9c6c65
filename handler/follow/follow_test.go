package follow

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func TestNextAsk(t *testing.T) {
	end := at(50)
	for _, tc := range []struct {
		name    string
		seed    *Sample
		started time.Time // zero: not known
		samples []Sample
		want    time.Time // zero: not worth following before end
	}{
		{"pace unknown: the slow pace", nil, time.Time{}, []Sample{{at(0), 0}}, at(15)},
		{"no progress twice: still the slow pace", nil, time.Time{}, []Sample{{at(0), 0}, {at(15), 0}}, at(30)},
		{"pace known: just after the expected finish", nil, time.Time{}, []Sample{{at(0), 0.2}, {at(10), 0.6}}, at(20.5)},
		{"pace from the state's sample", &Sample{at(-30), 0.1}, time.Time{}, []Sample{{at(0), 0.4}}, at(60.5)},
		{"finishing beyond the window: not followed", &Sample{at(-30), 0.1}, time.Time{}, []Sample{{at(0), 0.2}}, time.Time{}},
		{"never more often than the least gap", nil, time.Time{}, []Sample{{at(0), 0.5}, {at(1), 0.99}}, at(4)},
		{"slow start: pace from the first progress", nil, time.Time{}, []Sample{{at(0), 0}, {at(15), 0}, {at(30), 0.5}, {at(35), 0.75}}, at(40.5)},
		{"late once: three seconds on", nil, time.Time{}, []Sample{{at(0), 0.5}, {at(10), 0.9}, {at(13), 0.9}}, at(16)},
		{"late twice: six seconds on", nil, time.Time{}, []Sample{{at(0), 0.5}, {at(10), 0.9}, {at(13), 0.9}, {at(16), 0.9}}, at(22)},
		{"started at a known time: pace from the start", nil, at(-10), []Sample{{at(0), 0.5}}, at(10.5)},
		{"paced from the start but far: the slow pace at the latest", nil, at(-10), []Sample{{at(0), 0.25}}, at(15)},
		{"paced from the start beyond the window: not followed", nil, at(-90), []Sample{{at(0), 0.5}}, time.Time{}},
		{"a second answer with progress: pace from the first", nil, at(-100), []Sample{{at(0), 0.5}, {at(10), 0.75}}, at(20.5)},
		{"expected just before the window's end: asked at the end", nil, time.Time{}, []Sample{{at(0), 0.5}, {at(40), 0.9}}, at(50)},
		{"late and the window ends: not followed", nil, time.Time{}, []Sample{{at(0), 0.5}, {at(10), 0.9}, {at(13), 0.9}, {at(16), 0.9}, {at(22), 0.9}, {at(34), 0.9}, {at(58), 0.9}}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(DefaultPolicy())
			if tc.seed != nil {
				s.Seed("a", *tc.seed)
			}
			if !tc.started.IsZero() {
				s.Started("a", tc.started)
			}
			for _, smp := range tc.samples {
				s.Observe("a", smp)
			}
			if tc.name == "pace from the state's sample" {
				end = at(80)
			} else {
				end = at(50)
			}
			got, ok := s.Next(end)
			if tc.want.IsZero() {
				if ok {
					t.Fatalf("Next = %v; want nothing worth following", got.Sub(t0))
				}
				return
			}
			if !ok || !got.Equal(tc.want) {
				t.Fatalf("Next = %v, %v; want %v", got.Sub(t0), ok, tc.want.Sub(t0))
			}
		})
	}
}

func TestDueLeastRecentlyAskedFirst(t *testing.T) {
	s := New(DefaultPolicy())
	s.Observe("b", Sample{at(2), 0})
	s.Observe("a", Sample{at(1), 0})
	s.Observe("c", Sample{at(3), 0})
	if got := s.Due(at(17), at(60)); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("Due = %v; want [a b]", got)
	}
	s.Forget("a")
	if got := s.Due(at(20), at(60)); len(got) != 2 || got[0] != "b" || got[1] != "c" {
		t.Fatalf("Due after Forget(a) = %v; want [b c]", got)
	}
}

func TestNothingToFollow(t *testing.T) {
	if _, ok := New(DefaultPolicy()).Next(at(60)); ok {
		t.Fatal("an empty schedule has something to ask")
	}
}
