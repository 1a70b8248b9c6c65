package slack

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/notify"
)

// reply is one scripted answer of a receiver.
type reply struct {
	status     int
	body       string
	retryAfter string
}

// request is what a receiver saw.
type request struct {
	at     time.Time
	path   string
	header http.Header
	body   []byte
}

// receiver is a local HTTP endpoint that answers with a script (the last
// reply repeats) and records every request with the time it arrived.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	script   []reply
	requests []request
}

func newReceiver(t *testing.T, script ...reply) *receiver {
	t.Helper()
	if len(script) == 0 {
		script = []reply{{status: 200, body: "ok"}}
	}
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	n := len(r.requests)
	r.requests = append(r.requests, request{at: time.Now(), path: req.URL.RequestURI(), header: req.Header.Clone(), body: body})
	rep := r.script[min(n, len(r.script)-1)]
	r.mu.Unlock()
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	if rep.status == http.StatusFound {
		w.Header().Set("Location", "/elsewhere")
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func (r *receiver) seen() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

// fastRetrier keeps the backoff short so tests do not sleep for long; the
// Retry-After waits stay as the receiver asks.
func fastRetrier() notify.Retrier {
	return notify.Retrier{MaxAttempts: 4, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, AttemptTimeout: 5 * time.Second}
}
