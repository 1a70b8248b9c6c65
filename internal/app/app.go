// Package app wires export-notifier together: it reads the environment and
// builds the parts of a cycle (the Security Center client, the sinks, the
// state store, the logger) for both the Function Compute handler and the
// command line tool, and it lists every variable the program reads.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/notify/sinks"
	"github.com/export-notifier/export-notifier/scrub"
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
	// Secrets is the process's set of secret values (NewSecrets): the
	// credentials the cycle fetches join it, and Security Center's
	// messages are scrubbed with it. nil scrubs nothing.
	Secrets *scrub.Live
}

// NewCycle builds a cycle from the environment. Every error is bad
// configuration and names the variable, except one wrapping
// ErrStateUnavailable.
func NewCycle(ctx context.Context, s Setup) (*handler.Cycle, error) {
	cfg, err := handler.ConfigFromEnv(s.Getenv)
	if err != nil {
		return nil, err
	}
	s.Credentials = LearnCredentials(s.Credentials, s.Secrets)
	client, _, err := newClient(s.Getenv, s.Credentials, s.Log, s.Secrets)
	if err != nil {
		return nil, err
	}
	cfg.Region = client.Region()
	sinkSettings, err := sinks.Read(s.Getenv)
	if err != nil {
		return nil, err
	}
	store, err := OpenState(ctx, s)
	if err != nil {
		return nil, err
	}
	archiver, err := OpenArchive(ctx, s)
	if err != nil {
		return nil, err
	}
	return &handler.Cycle{Config: cfg, Checker: client, Starter: client, Store: store,
		Sinks: sinkSettings.Notifiers(s.Console), Takes: sinkSettings.Takes, Archiver: archiver, Log: s.Log}, nil
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

// NewClient builds the Security Center client the environment describes,
// signing with creds and logging each failed attempt to log (nil: none),
// and returns the configuration it was built from. Its errors are
// scrubbed of NewSecrets(getenv) and the credentials creds hands out.
func NewClient(getenv func(string) string, creds credential.Provider, log *slog.Logger) (*exports.Client, exports.Config, error) {
	secrets := NewSecrets(getenv)
	return newClient(getenv, LearnCredentials(creds, secrets), log, secrets)
}

// newClient is NewClient scrubbing with secrets.
func newClient(getenv func(string) string, creds credential.Provider, log *slog.Logger, secrets *scrub.Live) (*exports.Client, exports.Config, error) {
	cfg, err := exports.ConfigFromEnv(getenv)
	if err != nil {
		return nil, cfg, err
	}
	cfg.Credentials = creds
	cfg.Logger = log
	cfg.Secrets = secrets
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
		Logger:      s.Log,
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
// command could not finish, and the next run may well succeed. Every other
// error from them is bad configuration.
var ErrStateUnavailable = errors.New("the state store could not be reached")
