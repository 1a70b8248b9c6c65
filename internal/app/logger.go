package app

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/scrub"
)

// NewLogger builds the logger LOG_LEVEL and LOG_FORMAT ask for: JSON on FC
// (SLS indexes it) and text elsewhere unless told otherwise. Every line is
// scrubbed of the values secrets holds when it is written (nil: none).
func NewLogger(getenv func(string) string, w io.Writer, onFC bool, secrets *scrub.Live) (*slog.Logger, error) {
	var level slog.Level
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return nil, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", v)
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format := strings.ToLower(getenv("LOG_FORMAT")); {
	case format == "json" || (format == "" && onFC):
		return slog.New(secrets.Handler(slog.NewJSONHandler(w, opts))), nil
	case format == "text" || format == "" || format == "auto":
		return slog.New(secrets.Handler(slog.NewTextHandler(w, opts))), nil
	default:
		return nil, fmt.Errorf("LOG_FORMAT: %q is not json or text", format)
	}
}

// DefaultPollTimeout is how long one CLI cycle may take when POLL_TIMEOUT
// is unset.
const DefaultPollTimeout = 60 * time.Second

// PollTimeout is POLL_TIMEOUT, the deadline of one CLI cycle; on FC the
// invocation's own deadline applies instead.
func PollTimeout(getenv func(string) string) (time.Duration, error) {
	v := getenv("POLL_TIMEOUT")
	if v == "" {
		return DefaultPollTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("POLL_TIMEOUT: %q is not a duration of at least 1s, such as 60s", v)
	}
	return d, nil
}
