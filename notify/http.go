package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/internal/netguard"
)

// Bounds on what is read of a sink's answer: the error text shown to
// people, and what is drained so the connection can be reused.
const (
	maxErrorText = 300
	maxDrain     = 64 << 10
)

// NewHTTPClient returns the client every HTTP sink uses: redirects are not
// followed (a 3xx is a failed attempt, and a redirect must not carry a
// signed request elsewhere); plain http reaches loopback addresses only,
// checked when dialling; timeouts come from the per-attempt context.
func NewHTTPClient() *http.Client {
	return newHTTPClient(nil)
}

// newHTTPClient is NewHTTPClient resolving names with resolver (nil: the
// system's), which tests replace.
func newHTTPClient(resolver *net.Resolver) *http.Client {
	return &http.Client{
		Transport: netguard.Transport(http.DefaultTransport.(*http.Transport).Clone(), resolver),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Post sends body to target and turns anything but a 2xx into an *Error
// carrying the status, a bounded single-line copy of the answer (with the
// secrets removed), whether to retry, and the Retry-After.
func Post(ctx context.Context, client *http.Client, sink, target string, header http.Header, body []byte, secrets []string) *Error {
	_, _, err := PostForAnswer(ctx, client, sink, target, header, body, secrets)
	return err
}

// PostForAnswer is Post for sinks that report failures inside a 2xx answer
// (the chat bots): it also returns the status and the bounded answer.
func PostForAnswer(ctx context.Context, client *http.Client, sink, target string, header http.Header, body []byte, secrets []string) (int, []byte, *Error) {
	return PostStreamForAnswer(ctx, client, sink, target, header, bytes.NewReader(body), int64(len(body)), secrets)
}

// PostStreamForAnswer is PostForAnswer with a body of length bytes read
// from body as it is sent, such as a file streamed from its download.
func PostStreamForAnswer(ctx context.Context, client *http.Client, sink, target string, header http.Header, body io.Reader, length int64, secrets []string) (int, []byte, *Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, body)
	if err != nil {
		return 0, nil, &Error{Sink: sink, Err: errors.New("cannot build the request for " + RedactURL(target))}
	}
	req.ContentLength = length
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, TransportError(sink, err, target, secrets)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxDrain))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, answer, nil
	}
	return resp.StatusCode, answer, &Error{
		Sink:       sink,
		StatusCode: resp.StatusCode,
		Text:       ErrorText(answer, secrets),
		Retryable:  RetryableStatus(resp.StatusCode),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// TransportError is the *Error of a request to target that got no answer,
// shown as RedactError shows it. It is retried, except when netguard
// refused a plain-http address that is not loopback: that stays refused.
func TransportError(sink string, err error, target string, secrets []string) *Error {
	var notLoopback *netguard.NotLoopbackError
	return &Error{Sink: sink, Retryable: !errors.As(err, &notLoopback), Err: RedactError(err, target, secrets)}
}

// RetryableStatus reports whether an answer with this status may succeed
// if sent again.
func RetryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
