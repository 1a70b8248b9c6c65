package handler

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// Config is what one cycle needs besides its parts.
type Config struct {
	// ExportIDs are the exports always watched (EXPORT_IDS).
	ExportIDs []event.Ref
	// NotifyOn holds the event types to announce (NOTIFY_ON).
	NotifyOn map[event.Type]bool
	// StallAfter is how long an export may go without progress before it
	// is announced as stalled (STALL_AFTER).
	StallAfter time.Duration
	// Concurrency and QPS bound the Security Center calls
	// (POLL_CONCURRENCY, POLL_QPS).
	Concurrency int
	QPS         float64
	// Lease is how long a claim on an event holds (CLAIM_LEASE); zero means
	// twice the time the cycle has.
	Lease time.Duration
	// Retention is how long finished exports are remembered, so an ID still
	// listed is not announced again, and how long an export that never
	// succeeds keeps being polled.
	Retention time.Duration
	// Region is shown in messages.
	Region string
	// FollowFor is how long a cycle follows the exports still running
	// after its first pass (FOLLOW_FOR); 0 is one pass, FollowToDeadline
	// follows until the deadline less the time to commit.
	FollowFor time.Duration
	// Digest: a batch's exports are told in one digest when the batch
	// settles, not each on its own (DIGEST=batch).
	Digest bool
}

// Defaults of STALL_AFTER, POLL_CONCURRENCY and POLL_QPS.
const (
	DefaultStallAfter  = 2 * time.Hour
	DefaultConcurrency = 8
	DefaultQPS         = 10
)

// Bounds of the duration settings. A lease beyond a day would outlive
// any cycle by far and overflow into the past when added to a time; a
// stall noticed after a month is no longer news.
const (
	MinStallAfter = time.Minute
	MaxStallAfter = 30 * 24 * time.Hour
	MinLease      = time.Second
	MaxLease      = 24 * time.Hour
	MaxQPS        = 10000
)

// ConfigFromEnv reads the cycle's settings. An error is an *InputError
// naming the variable and its bad value.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		NotifyOn:    map[event.Type]bool{event.Completed: true, event.Failed: true, event.Stalled: true},
		StallAfter:  DefaultStallAfter,
		Concurrency: DefaultConcurrency,
		QPS:         DefaultQPS,
		Retention:   state.DefaultRetention,
	}
	var err error
	if v := getenv("EXPORT_IDS"); v != "" {
		if c.ExportIDs, err = ParseIDs(v); err != nil {
			return Config{}, &InputError{Source: "EXPORT_IDS", Err: err}
		}
	}
	if v := strings.TrimSpace(getenv("NOTIFY_ON")); v != "" {
		c.NotifyOn = map[event.Type]bool{}
		for _, name := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			t, err := event.ParseType(name)
			if err != nil {
				return Config{}, &InputError{Source: "NOTIFY_ON", Err: err}
			}
			c.NotifyOn[t] = true
		}
	}
	if c.StallAfter, err = duration(getenv, "STALL_AFTER", c.StallAfter, MinStallAfter, MaxStallAfter); err != nil {
		return Config{}, err
	}
	if c.Lease, err = duration(getenv, "CLAIM_LEASE", 0, MinLease, MaxLease); err != nil {
		return Config{}, err
	}
	if c.FollowFor, err = followFromEnv(getenv); err != nil {
		return Config{}, err
	}
	if v := getenv("POLL_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			return Config{}, &InputError{Source: "POLL_CONCURRENCY", Err: fmt.Errorf("%s is not a whole number from 1 to 256", event.Quote(v))}
		}
		c.Concurrency = n
	}
	if v := getenv("POLL_QPS"); v != "" {
		q, err := strconv.ParseFloat(v, 64)
		// NaN fails every comparison, so it is refused by name.
		if err != nil || math.IsNaN(q) || q <= 0 || q > MaxQPS {
			return Config{}, &InputError{Source: "POLL_QPS", Err: fmt.Errorf("%s is not a rate above 0 and at most %d calls a second", event.Quote(v), MaxQPS)}
		}
		c.QPS = q
	}
	if c.Digest, err = digestFromEnv(getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// duration reads a Go duration ("90s", "2h") from name, from least to
// most.
func duration(getenv func(string) string, name string, def, least, most time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil || d <= 0:
		return 0, &InputError{Source: name, Err: fmt.Errorf("%s is not a positive duration such as 90s or 2h", event.Quote(v))}
	case d < least:
		return 0, &InputError{Source: name, Err: fmt.Errorf("%s is less than the minimum, %s", event.Quote(v), ShortDuration(least))}
	case d > most:
		return 0, &InputError{Source: name, Err: fmt.Errorf("%s is more than the maximum, %s", event.Quote(v), ShortDuration(most))}
	}
	return d, nil
}

// ShortDuration is d as people write it: "1m", "24h", "720h (30 days)".
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if day := 24 * time.Hour; d > day && d%day == 0 {
		s += fmt.Sprintf(" (%d days)", d/day)
	}
	return s
}
