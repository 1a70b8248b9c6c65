package handler

import (
	"fmt"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// FollowToDeadline is the FollowFor that follows running exports until
// the cycle's deadline, less the time its last round needs to ask, send
// and commit: FOLLOW_FOR's default on Function Compute.
const FollowToDeadline time.Duration = -1

// MaxFollowFor bounds FOLLOW_FOR: a cycle following longer would hold
// its claims for longer than anyone waits for a message.
const MaxFollowFor = time.Hour

// lastRound is the time a following cycle's last round may take to ask
// and to commit its claims, before sending stops: a few calls and one
// commit, which take well under a second each. Following ends this long
// before sending stops, and sending stops in time for the last commit
// (see budget): with FC's 60 s timeout, 8 s before the deadline.
const lastRound = 2 * time.Second

// ParseFollowFor reads FOLLOW_FOR (or poll --follow-for): a duration of
// 0 (one pass) up to MaxFollowFor, or "deadline" for FollowToDeadline.
func ParseFollowFor(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "deadline" {
		return FollowToDeadline, nil
	}
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil || d < 0:
		return 0, fmt.Errorf("%s is not a duration such as 50s, 0 (one pass) or deadline", event.Quote(v))
	case d > MaxFollowFor:
		return 0, fmt.Errorf("%s is more than the maximum, %s", event.Quote(v), ShortDuration(MaxFollowFor))
	}
	return d, nil
}

// followFromEnv reads FOLLOW_FOR; unset means FollowToDeadline.
func followFromEnv(getenv func(string) string) (time.Duration, error) {
	v := getenv("FOLLOW_FOR")
	if v == "" {
		return FollowToDeadline, nil
	}
	d, err := ParseFollowFor(v)
	if err != nil {
		return 0, &InputError{Source: "FOLLOW_FOR", Err: err}
	}
	return d, nil
}
