// Package follow decides when a cycle asks again about the exports still
// running after its first pass. It keeps, per export, the progress seen
// and when it was last asked, and from the pace of that progress expects
// a finish: an export is asked shortly after its expected finish, then at
// growing intervals while it is late, and never more often than
// Policy.MinGap. An export whose pace is not known yet (no progress seen
// over time) is asked at Policy.SlowPace until it is.
//
// The package holds no clock: every method takes the time it is asked at,
// so that tests and benchmarks may run it on a clock of their own.
package follow

import (
	"slices"
	"time"
)

// Policy is how eagerly exports are followed.
type Policy struct {
	// MinGap is the least time between two asks about one export.
	MinGap time.Duration
	// SlowPace is the time between asks about an export whose pace is not
	// known yet.
	SlowPace time.Duration
	// Margin is how long after its expected finish an export is asked.
	Margin time.Duration
	// MaxLateGap bounds the growing intervals between asks about an
	// export that is later than expected.
	MaxLateGap time.Duration
}

// DefaultPolicy asks at most every 3 s, every 15 s while the pace is not
// known, half a second after the expected finish, and at intervals that
// double from 3 s to 30 s while an export is late.
func DefaultPolicy() Policy {
	return Policy{MinGap: 3 * time.Second, SlowPace: 15 * time.Second, Margin: 500 * time.Millisecond, MaxLateGap: 30 * time.Second}
}

// Sample is an export's progress at one time, as a fraction from 0 to 1.
type Sample struct {
	At       time.Time
	Fraction float64
}

// tracked is what is known of one export.
type tracked struct {
	// moving is the first sample with progress above zero: the pace is
	// measured from it, so that a slow start does not count as slowness.
	moving Sample
	// started is when the export was started, when known (Started): until
	// a second answer with progress, the pace is measured from it.
	started time.Time
	last    Sample
	asked   time.Time
	// late counts the asks made at or after the expected finish that
	// found the export still running.
	late int
}

// Schedule follows a set of running exports, by key.
type Schedule struct {
	policy  Policy
	exports map[string]*tracked
}

// New returns an empty schedule under p.
func New(p Policy) *Schedule {
	return &Schedule{policy: p, exports: map[string]*tracked{}}
}

// Seed records what was known of an export before this cycle asked (the
// progress the state last saw change, and when), so that its pace may be
// known from the first ask. It does not count as an ask.
func (s *Schedule) Seed(key string, prior Sample) {
	t := s.of(key)
	if prior.Fraction > 0 && (t.moving.At.IsZero() || prior.At.Before(t.moving.At)) {
		t.moving = prior
	}
	if t.last.At.IsZero() || prior.At.After(t.last.At) {
		t.last = prior
	}
}

// Started records when an export was started (the state saw it start),
// so that its first answer with progress gives a pace: until a second
// one, the export is taken to have progressed steadily since its start.
// Progress cannot have begun earlier, so that pace is never too fast: it
// may only put the finish later than it comes. The export is then asked
// at the slow pace at the latest, or, when that finish is beyond the
// window, left to the next cycle.
func (s *Schedule) Started(key string, at time.Time) { s.of(key).started = at }

// Observe records an ask about a still running export and its answer.
func (s *Schedule) Observe(key string, got Sample) {
	t := s.of(key)
	// Once late, an export stays late for the cycle: its pace, measured
	// again at each ask, would otherwise promise a finish ever sooner.
	if eta, ok := t.eta(); t.late > 0 || ok && !got.At.Before(eta) {
		t.late++
	}
	if got.Fraction > 0 && t.moving.At.IsZero() {
		t.moving = got
	}
	t.last, t.asked = got, got.At
}

// Forget stops following an export (it finished, or failed to answer).
func (s *Schedule) Forget(key string) { delete(s.exports, key) }

// Len is how many exports are followed.
func (s *Schedule) Len() int { return len(s.exports) }

func (s *Schedule) of(key string) *tracked {
	t := s.exports[key]
	if t == nil {
		t = &tracked{}
		s.exports[key] = t
	}
	return t
}

// ETA is when the export is expected to finish; false when its pace is
// not known yet.
func (s *Schedule) ETA(key string) (time.Time, bool) {
	t := s.exports[key]
	if t == nil {
		return time.Time{}, false
	}
	return t.eta()
}

func (t *tracked) eta() (time.Time, bool) {
	from := t.moving
	if t.fromStart() {
		from = Sample{At: t.started}
	}
	span := t.last.At.Sub(from.At)
	gain := t.last.Fraction - from.Fraction
	if from.At.IsZero() || span <= 0 || gain <= 0 {
		return time.Time{}, false
	}
	left := time.Duration(float64(span) * (1 - t.last.Fraction) / gain).Round(time.Millisecond)
	return t.last.At.Add(left), true
}

// fromStart says the pace is measured from the export's start: it is
// known, and one answer only has shown progress.
func (t *tracked) fromStart() bool {
	return !t.started.IsZero() && !t.moving.At.IsZero() && !t.last.At.After(t.moving.At)
}

// next is when t is to be asked again, following until end: one
// expected to finish by end is asked by end, even if its margin would
// take it past end.
func (s *Schedule) next(t *tracked, end time.Time) time.Time {
	p := s.policy
	eta, ok := t.eta()
	switch {
	case ok && t.late == 0 && !eta.After(end) && eta.Add(p.Margin).After(end):
		return later(t.asked.Add(p.MinGap), end)
	case !ok:
		return t.asked.Add(max(p.SlowPace, p.MinGap))
	case t.late > 0:
		gap := min(p.MinGap<<min(t.late-1, 16), p.MaxLateGap)
		return t.asked.Add(max(gap, p.MinGap))
	case t.fromStart():
		return later(t.asked.Add(p.MinGap), earlier(eta.Add(p.Margin), t.asked.Add(p.SlowPace)))
	default:
		return later(t.asked.Add(p.MinGap), eta.Add(p.Margin))
	}
}

// worth says whether t may finish by end: its pace is not known yet, or
// it is expected to.
func (s *Schedule) worth(t *tracked, end time.Time) bool {
	eta, ok := t.eta()
	return !ok || !eta.After(end)
}

// Next is the earliest time one of the exports worth following until end
// is to be asked, when that is no later than end; false means none is, and
// the cycle may stop following.
func (s *Schedule) Next(end time.Time) (time.Time, bool) {
	var first time.Time
	for _, t := range s.exports {
		if !s.worth(t, end) {
			continue
		}
		if n := s.next(t, end); !n.After(end) && (first.IsZero() || n.Before(first)) {
			first = n
		}
	}
	return first, !first.IsZero()
}

// Due lists the exports worth following until end that are to be asked by
// now, least recently asked first (ties by key), so that none waits
// behind the others.
func (s *Schedule) Due(now, end time.Time) []string {
	var keys []string
	for key, t := range s.exports {
		if s.worth(t, end) && !s.next(t, end).After(now) {
			keys = append(keys, key)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := s.exports[a].asked.Compare(s.exports[b].asked); c != 0 {
			return c
		}
		if a < b {
			return -1
		}
		return 1
	})
	return keys
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
