package notify

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	"github.com/export-notifier/export-notifier/scrub"
)

// ErrorText makes a sink's answer fit for an error message: secrets
// removed (by value, in every form scrub knows), one line, printable,
// bounded.
func ErrorText(answer []byte, secrets []string) string {
	return Cut(OneLine(scrub.New(secrets...).String(string(answer))), maxErrorText, Chars)
}

// URLSecrets lists the parts of a sink URL that must not be shown, in
// whatever form a server might echo them: the whole URL, and its path and
// query each as a whole (raw and decoded), the password, and the Basic
// credentials the client sends for a URL's user information (a receiver
// may echo its Authorization header). Words of the path are not
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
		secrets = append(secrets, p, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+p)))
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
	msg := scrub.New(append(secrets, target)...).String(err.Error())
	if msg != err.Error() {
		return errors.New(msg)
	}
	return err
}
