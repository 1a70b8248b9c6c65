package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/export-notifier/export-notifier/archive"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/scrub"
	"github.com/export-notifier/export-notifier/state"
)

// OpenArchive opens ARCHIVE_URL; nil when it is not set. Its bucket is
// reached as the state's is (OSS_ENDPOINT, OSS_REGION, the cycle's
// credentials).
func OpenArchive(ctx context.Context, s Setup) (handler.Archiver, error) {
	settings, err := archive.SettingsFromEnv(s.Getenv)
	if err != nil || settings.URL == "" {
		return nil, err
	}
	a, err := archive.Open(ctx, settings.URL, archive.Options{
		OSSConfig: func() (*oss.Config, error) {
			return state.OSSConfig(state.Options{Credentials: s.Credentials, Region: s.Getenv("FC_REGION"), OnFC: s.OnFC, Getenv: s.Getenv})
		},
		HTTP:     archive.NewHTTPClient(),
		Settings: settings,
	})
	if err != nil {
		if errors.Is(err, archive.ErrConfig) {
			return nil, err
		}
		// Unreachable, as opposed to misconfigured: the next run may work.
		return nil, fmt.Errorf("%w (the archive, not the state): %w", ErrStateUnavailable, err)
	}
	return &secretLinks{a: a, secrets: s.Secrets}, nil
}

// secretLinks adds the signature of each link it hands out to the
// process's secrets, so that no log line shows it.
type secretLinks struct {
	a       *archive.Archiver
	secrets *scrub.Live
}

func (l *secretLinks) Export(ctx context.Context, st event.Status, day time.Time, refresh func(context.Context) (event.Status, error)) (event.Archive, string, error) {
	arch, link, err := l.a.Export(ctx, st, day, refresh)
	if l.secrets != nil && link != "" {
		if u, perr := url.Parse(link); perr == nil {
			l.secrets.Add(u.Query().Get("x-oss-signature"), u.Query().Get("Signature"))
		}
	}
	return arch, link, err
}
