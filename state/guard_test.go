package state

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/internal/netguard"
	"github.com/export-notifier/export-notifier/internal/netguard/netguardtest"
)

// OSS_ENDPOINT may name a localhost host over plain http, as SAS_ENDPOINT
// and sink URLs may; the OSS client dials loopback addresses only, so a
// name that resolves elsewhere is refused before any connection.
func TestPlainHTTPToAnOSSEndpointResolvingElsewhereIsRefused(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeOSSError(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
	}))
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
			env := map[string]string{"OSS_ENDPOINT": "http://oss.localhost:" + strconv.Itoa(int(port)), "OSS_REGION": "cn-hangzhou"}
			opts := Options{Credentials: testCreds, Getenv: func(k string) string { return env[k] }, RequestTimeout: time.Second,
				resolver: netguardtest.Resolver(netip.MustParseAddr(tt.resolvesTo))}
			// Should the guard fail, 192.0.2.2 (a documentation address)
			// does not answer: the deadline ends the test.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := Open(ctx, "oss://b-guard/p", opts)
			// The SDK names the bucket in the host.
			want := (&netguard.NotLoopbackError{Host: "b-guard.oss.localhost", Address: "192.0.2.2"}).Error()
			if !tt.wantRefusal {
				if err == nil || strings.Contains(err.Error(), "not a loopback address") || hits.Load() == 0 {
					t.Fatalf("a name resolving to loopback: Open = %v after %d requests, want the server's NoSuchBucket", err, hits.Load())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Open = %v, want an error saying %q", err, want)
			}
			if hits.Load() != 0 {
				t.Errorf("the server got %d requests", hits.Load())
			}
			checkNoSecrets(t, err)
		})
	}
}
