package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/notify/sinks"
	"github.com/export-notifier/export-notifier/state"
)

// Default state locations: the CLI keeps state beside where it runs; on FC
// only /tmp is writable, and it lasts as long as one instance.
const (
	DefaultStateURL   = "file://./.export-notifier"
	DefaultFCStateURL = "file:///tmp/export-notifier"
)

// Setup is how a cycle is put together from the environment.
type Setup struct {
	Getenv      func(string) string
	Credentials credential.Provider
	// Console receives the console sink's lines (stderr on the CLI).
	Console io.Writer
	Log     *slog.Logger
	// OnFC selects FC's defaults: state in /tmp, OSS's internal endpoint.
	OnFC bool
}

// NewCycle builds a cycle from the environment. Every error is bad
// configuration and names the variable.
func NewCycle(ctx context.Context, s Setup) (*handler.Cycle, error) {
	cfg, err := handler.ConfigFromEnv(s.Getenv)
	if err != nil {
		return nil, err
	}
	client, _, err := newClient(s.Getenv, s.Credentials)
	if err != nil {
		return nil, err
	}
	cfg.Region = client.Region()
	notifiers, err := sinks.FromEnv(s.Getenv, s.Console)
	if err != nil {
		return nil, err
	}
	store, err := OpenState(ctx, s)
	if err != nil {
		return nil, err
	}
	return &handler.Cycle{Config: cfg, Checker: client, Starter: client, Store: store, Sinks: notifiers, Log: s.Log}, nil
}

// CredentialsFrom uses the ALIBABA_CLOUD_* variables getenv gives when it
// has them (so tests and wrappers can pass them without touching the
// process), else credentials-go's default chain. Credentials an FC
// invocation puts in the context win over both.
func CredentialsFrom(getenv func(string) string) credential.Provider {
	id, secret := getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	if id != "" && secret != "" {
		return credential.Static{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: getenv("ALIBABA_CLOUD_SECURITY_TOKEN")}
	}
	return credential.Default()
}

// newClient builds the Security Center client the environment describes,
// signing with creds.
func newClient(getenv func(string) string, creds credential.Provider) (*exports.Client, exports.Config, error) {
	cfg, err := exports.ConfigFromEnv(getenv)
	if err != nil {
		return nil, cfg, err
	}
	cfg.Credentials = creds
	client, err := exports.New(cfg)
	return client, cfg, err
}

// OpenState opens STATE_URL, or the default for where the process runs.
func OpenState(ctx context.Context, s Setup) (state.Store, error) {
	url := s.Getenv("STATE_URL")
	if url == "" {
		url = DefaultStateURL
		if s.OnFC {
			url = DefaultFCStateURL
			if s.Log != nil {
				s.Log.Warn("STATE_URL is not set: state lives in /tmp, which lasts only as long as one FC instance, so events may be sent again; set STATE_URL=oss://bucket/prefix")
			}
		}
	}
	store, err := state.Open(ctx, url, state.Options{
		Credentials: s.Credentials,
		Region:      s.Getenv("FC_REGION"),
		OnFC:        s.OnFC,
		Getenv:      s.Getenv,
	})
	if err != nil {
		if errors.Is(err, state.ErrConfig) {
			return nil, fmt.Errorf("STATE_URL: %w", err)
		}
		return nil, fmt.Errorf("STATE_URL: %w: %w", ErrStateUnavailable, err)
	}
	return store, nil
}

// ErrStateUnavailable is wrapped by OpenState and NewCycle when the state
// store could not be reached, as opposed to being misconfigured: the
// command could not finish (exit 1), and the next run may well succeed.
var ErrStateUnavailable = errors.New("the state store could not be reached")

// SetupExit is the exit status for an error from NewCycle or OpenState:
// ExitFailed when the state store could not be reached, else ExitUsage
// (bad configuration).
func SetupExit(err error) int {
	if errors.Is(err, ErrStateUnavailable) {
		return ExitFailed
	}
	return ExitUsage
}

// NewLogger builds the logger LOG_LEVEL and LOG_FORMAT ask for: JSON on FC
// (SLS indexes it) and text elsewhere unless told otherwise.
func NewLogger(getenv func(string) string, w io.Writer, onFC bool) (*slog.Logger, error) {
	var level slog.Level
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return nil, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", v)
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format := strings.ToLower(getenv("LOG_FORMAT")); {
	case format == "json" || (format == "" && onFC):
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case format == "text" || format == "" || format == "auto":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("LOG_FORMAT: %q is not json or text", format)
	}
}

// pollTimeout is POLL_TIMEOUT, the deadline of one CLI cycle.
func pollTimeout(getenv func(string) string) (time.Duration, error) {
	v := getenv("POLL_TIMEOUT")
	if v == "" {
		return 60 * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("POLL_TIMEOUT: %q is not a duration of at least 1s, such as 60s", v)
	}
	return d, nil
}
