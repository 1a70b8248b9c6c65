package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds on what is read of a sink's answer: the error text shown to
// people, and what is drained so the connection can be reused.
const (
	maxErrorText = 300
	maxDrain     = 64 << 10
)

// NewHTTPClient returns the client every HTTP sink uses: redirects are not
// followed (a 3xx is a failed attempt, and a redirect must not carry a
// signed request elsewhere); timeouts come from the per-attempt context.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, &Error{Sink: sink, Err: errors.New("cannot build the request for " + RedactURL(target))}
	}
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, &Error{Sink: sink, Retryable: true, Err: RedactError(err, target, secrets)}
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

// ErrorText makes a sink's answer fit for an error message: secrets
// removed, one line, printable, bounded.
func ErrorText(answer []byte, secrets []string) string {
	return Cut(OneLine(scrub(string(answer), secrets)), maxErrorText, Chars)
}

// scrub replaces every occurrence of a secret in s.
func scrub(s string, secrets []string) string {
	// Longest first, so that a secret holding another is removed whole.
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, secret := range secrets {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// URLSecrets lists the parts of a sink URL that must not be shown, in
// whatever form a server might echo them: the whole URL, and its path and
// query each as a whole (raw and decoded). Words of the path are not
// secrets on their own: a receiver's "unable to verify payload" must stay
// readable with a URL ending in /verify. A sink whose credential is one
// part of its URL (a token parameter, a hook ID) adds that part itself.
func URLSecrets(raw string) []string {
	secrets := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return secrets
	}
	secrets = append(secrets, u.RequestURI(), u.EscapedPath(), u.Path, u.RawQuery, u.User.String())
	if q, err := url.QueryUnescape(u.RawQuery); err == nil {
		secrets = append(secrets, q)
	}
	if p, ok := u.User.Password(); ok {
		secrets = append(secrets, p)
	}
	return secrets
}

// RedactURL reduces a URL to what may be shown: scheme://host/… (the path
// and query of a webhook URL are its secret). Something that does not
// parse as a URL is shown as "[redacted URL]".
func RedactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "[redacted URL]"
	}
	s := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		s += "/…"
	}
	return s
}

// RedactError rewrites a transport error so that it names target only as
// RedactURL does and holds none of secrets.
func RedactError(err error, target string, secrets []string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		inner := ue.Err
		if inner != nil && strings.Contains(inner.Error(), target) {
			inner = errors.New(strings.ReplaceAll(inner.Error(), target, RedactURL(target)))
		}
		err = &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: inner}
	}
	msg := scrub(err.Error(), append(secrets, target))
	if msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// isLoopbackHost reports whether host (without port) is a loopback name or
// address, the only hosts plain http is allowed to.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
