package app

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/scrub"
)

// NewLogger builds the logger LOG_LEVEL and LOG_FORMAT ask for: JSON on FC
// (SLS indexes it) and text elsewhere unless told otherwise. Every line is
// scrubbed of the values secrets holds when it is written (nil: none).
func NewLogger(getenv func(string) string, w io.Writer, onFC bool, secrets *scrub.Live) (*slog.Logger, error) {
	var level slog.Level
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return nil, fmt.Errorf("LOG_LEVEL: %s is not one of debug, info, warn, error", event.Quote(v))
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format := strings.ToLower(getenv("LOG_FORMAT")); {
	case format == "json" || (format == "" && onFC):
		return slog.New(secrets.Handler(slog.NewJSONHandler(w, opts))), nil
	case format == "text" || format == "" || format == "auto":
		return slog.New(secrets.Handler(slog.NewTextHandler(w, opts))), nil
	default:
		return nil, fmt.Errorf("LOG_FORMAT: %s is not json or text", event.Quote(format))
	}
}

// DefaultPollTimeout is how long one CLI cycle may take when POLL_TIMEOUT
// is unset; MaxPollTimeout is the most it may be set to, so that the
// claims a cycle takes, which last about twice as long, end within days.
const (
	DefaultPollTimeout = 60 * time.Second
	MaxPollTimeout     = 24 * time.Hour
)

// PollTimeout is POLL_TIMEOUT, the deadline of one CLI cycle; on FC the
// invocation's own deadline applies instead.
func PollTimeout(getenv func(string) string) (time.Duration, error) {
	v := getenv("POLL_TIMEOUT")
	if v == "" {
		return DefaultPollTimeout, nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil || d < time.Second:
		return 0, fmt.Errorf("POLL_TIMEOUT: %s is not a duration of at least 1s, such as 60s", event.Quote(v))
	case d > MaxPollTimeout:
		return 0, fmt.Errorf("POLL_TIMEOUT: %s is more than the maximum, %s", event.Quote(v), handler.ShortDuration(MaxPollTimeout))
	}
	return d, nil
}
