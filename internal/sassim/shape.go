package sassim

import (
	"fmt"
	"time"
)

// Shape is how a timed export's progress grows over its Duration.
type Shape string

// The shapes of a timed export's progress.
const (
	// Linear grows steadily from 0 to 100% over the Duration.
	Linear Shape = ""
	// Stall grows steadily to half way, then no further: it never
	// finishes.
	Stall Shape = "stall"
	// Jump stays at 0% for the whole Duration and is then done at once.
	Jump Shape = "jump"
	// SlowStart stays at 0% for the first third of the Duration, then
	// grows steadily to 100%.
	SlowStart Shape = "slow-start"
)

// ParseShape reads a shape's name; "" and "linear" are Linear.
func ParseShape(s string) (Shape, error) {
	switch Shape(s) {
	case Linear, "linear":
		return Linear, nil
	case Stall, Jump, SlowStart:
		return Shape(s), nil
	}
	return "", fmt.Errorf("shape %q: want linear, stall, jump or slow-start", s)
}

// fractionAt is how far an export of shape s lasting d is, elapsed after
// it started; negative elapsed means not started.
func (s Shape) fractionAt(elapsed, d time.Duration) float64 {
	if elapsed < 0 {
		return 0
	}
	f := float64(elapsed) / float64(d)
	switch s {
	case Stall:
		return min(f, 0.5)
	case Jump:
		if f >= 1 {
			return 1
		}
		return 0
	case SlowStart:
		return max(0, min((f-1.0/3)*1.5, 1))
	}
	return min(f, 1)
}
