package exports

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/netguard"
	"github.com/export-notifier/export-notifier/internal/netguard/netguardtest"
)

// SAS_ENDPOINT may name a localhost host over plain http, as sink URLs
// may; the client dials loopback addresses only, so a name that resolves
// elsewhere is refused before any connection, once and for good.
func TestPlainHTTPToAnEndpointResolvingElsewhereIsRefused(t *testing.T) {
	cfg, err := ConfigFromEnv(func(name string) string {
		if name == "SAS_ENDPOINT" {
			return "http://sas.localhost:8741"
		}
		return ""
	})
	if err != nil {
		t.Fatalf("SAS_ENDPOINT on a localhost name: %v", err)
	}
	cfg.Credentials = credential.Static{AccessKeyID: "id-of-the-test", AccessKeySecret: "secret-of-the-test"}
	cfg.MaxAttempts, cfg.BaseBackoff = 3, time.Millisecond
	cfg.resolver = netguardtest.Resolver(netip.MustParseAddr("192.0.2.2"))
	client, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	// Should the guard fail, 192.0.2.2 (a documentation address) does not
	// answer: the deadline ends the test.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = client.Get(ctx, event.Ref{Kind: event.Asset, ID: 77})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Get error %v (%T), want *Error", err, err)
	}
	want := (&netguard.NotLoopbackError{Host: "sas.localhost", Address: "192.0.2.2"}).Error()
	if !strings.Contains(e.Error(), want) || e.Code != CodeConnectionFailed {
		t.Errorf("error %q, want %s saying %q", e, CodeConnectionFailed, want)
	}
	if e.Retryable || e.Attempts != 1 {
		t.Errorf("retryable %v after %d attempts; a refused address is final", e.Retryable, e.Attempts)
	}
}
