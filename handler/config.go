package handler

import (
	"fmt"
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
}

// Defaults of STALL_AFTER, POLL_CONCURRENCY and POLL_QPS.
const (
	DefaultStallAfter  = 2 * time.Hour
	DefaultConcurrency = 8
	DefaultQPS         = 10
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
		if c.ExportIDs, err = event.ParseList(v); err != nil {
			return Config{}, &InputError{Source: "EXPORT_IDS", Err: err}
		}
		if len(c.ExportIDs) > MaxIDs {
			return Config{}, &InputError{Source: "EXPORT_IDS", Err: fmt.Errorf("%d exports named, at most %d allowed", len(c.ExportIDs), MaxIDs)}
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
	if c.StallAfter, err = duration(getenv, "STALL_AFTER", c.StallAfter); err != nil {
		return Config{}, err
	}
	if c.Lease, err = duration(getenv, "CLAIM_LEASE", 0); err != nil {
		return Config{}, err
	}
	if v := getenv("POLL_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			return Config{}, &InputError{Source: "POLL_CONCURRENCY", Err: fmt.Errorf("%q is not a whole number from 1 to 256", v)}
		}
		c.Concurrency = n
	}
	if v := getenv("POLL_QPS"); v != "" {
		q, err := strconv.ParseFloat(v, 64)
		if err != nil || q <= 0 || q > 10000 {
			return Config{}, &InputError{Source: "POLL_QPS", Err: fmt.Errorf("%q is not a rate above 0 and at most 10000 calls a second", v)}
		}
		c.QPS = q
	}
	return c, nil
}

// duration reads a positive Go duration ("90s", "2h") from name.
func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, &InputError{Source: name, Err: fmt.Errorf("%q is not a positive duration such as 90s or 2h", v)}
	}
	return d, nil
}
