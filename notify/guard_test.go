package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/internal/netguard"
	"github.com/export-notifier/export-notifier/internal/netguard/netguardtest"
)

// A sink URL on a localhost name passes CheckURL, but the client dials only
// loopback addresses: a name that resolves elsewhere is refused before any
// connection, for good, and the error shows neither path nor query.
func TestPlainHTTPToANameResolvingElsewhereIsRefused(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	for _, tt := range []struct {
		name, resolvesTo string
		wantRefusal      bool
	}{
		{"elsewhere", "192.0.2.2", true},
		{"loopback", "127.0.0.1", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			target := (&url.URL{Scheme: "http", Host: "hooks.localhost:" + strconv.Itoa(int(port)), Path: "/hook/s3cr3t-path", RawQuery: "token=s3cr3t-token"}).String()
			if _, err := CheckURL("WEBHOOK_URLS", target); err != nil {
				t.Fatalf("CheckURL: %v", err)
			}
			client := newHTTPClient(netguardtest.Resolver(netip.MustParseAddr(tt.resolvesTo)))
			// Should the guard fail, 192.0.2.2 (a documentation address)
			// does not answer: the deadline ends the test.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			e := Post(ctx, client, "webhook", target, nil, []byte(`{}`), URLSecrets(target))
			if !tt.wantRefusal {
				if e != nil || hits.Load() != 1 {
					t.Fatalf("a name resolving to loopback: err %v, %d requests", e, hits.Load())
				}
				return
			}
			if e == nil {
				t.Fatal("posted to a name that resolves to 192.0.2.2")
			}
			want := (&netguard.NotLoopbackError{Host: "hooks.localhost", Address: "192.0.2.2"}).Error()
			if !strings.Contains(e.Error(), want) {
				t.Errorf("error %q does not say %q", e, want)
			}
			if e.Retryable {
				t.Error("a refused address is retried")
			}
			if strings.Contains(e.Error(), "s3cr3t") {
				t.Errorf("error %q shows the URL's secrets", e)
			}
			if hits.Load() != 0 {
				t.Errorf("the receiver got %d requests", hits.Load())
			}
		})
	}
}
