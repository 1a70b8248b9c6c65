package exports

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/export-notifier/export-notifier/internal/netguard"
)

// maxBody bounds how much of a response is read: export info is a few
// hundred bytes, so anything near this is not Security Center talking.
const maxBody = 1 << 20

// maxIdleConns is the most connections kept open between calls: the
// highest POLL_CONCURRENCY the handler accepts.
const maxIdleConns = 256

// httpDoer is the HTTP client the SDK sends through (its HttpClient hook).
// The SDK's own pooled client rewrites its Timeout on every call without a
// lock that readers take, which races when many goroutines call at once;
// this one is built once and never changes. It also keeps a copy of each
// response body for Status.Raw and error messages.
type httpDoer struct {
	client *http.Client
}

// newHTTPDoer's client sends plain http only to loopback addresses, checked
// at dial time with names resolved by resolver (nil: the system's).
func newHTTPDoer(connectTimeout, readTimeout time.Duration, resolver *net.Resolver) *httpDoer {
	dialer := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   connectTimeout,
		ResponseHeaderTimeout: readTimeout,
		ForceAttemptHTTP2:     true,
		// Every worker of a cycle (POLL_CONCURRENCY, at most 256) keeps its
		// connection to the one Security Center host between calls: with
		// fewer idle slots than workers, the excess is closed after each
		// call and dialled (and TLS-handshaken) again.
		MaxIdleConns:        maxIdleConns,
		MaxIdleConnsPerHost: maxIdleConns,
		IdleConnTimeout:     90 * time.Second,
	}
	return &httpDoer{client: &http.Client{
		Transport: netguard.Transport(transport, resolver),
		// Security Center does not redirect; a redirect is someone else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Call implements the SDK's dara.HttpClient. The transport the SDK builds
// per request is ignored in favour of the shared one.
func (d *httpDoer) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	if rec, ok := req.Context().Value(recordingKey{}).(*recording); ok {
		rec.status = resp.StatusCode
		rec.requestID = resp.Header.Get("x-acs-request-id")
		resp.Body = &recordingBody{body: resp.Body, rec: rec, limit: io.LimitReader(resp.Body, maxBody)}
	}
	return resp, nil
}

func (d *httpDoer) close() { d.client.CloseIdleConnections() }

type recordingKey struct{}

// recording is what one attempt saw of the HTTP exchange, below the SDK.
type recording struct {
	status    int
	requestID string
	body      bytes.Buffer
}

func withRecording(ctx context.Context, rec *recording) context.Context {
	return context.WithValue(ctx, recordingKey{}, rec)
}

type recordingBody struct {
	body  io.ReadCloser
	limit io.Reader
	rec   *recording
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.limit.Read(p)
	b.rec.body.Write(p[:n])
	return n, err
}

func (b *recordingBody) Close() error { return b.body.Close() }
