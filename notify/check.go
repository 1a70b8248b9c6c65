package notify

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/export-notifier/export-notifier/internal/netguard"
)

// CheckURL accepts an absolute https URL, or plain http to a loopback
// host (netguard.IsLoopbackHost; the client checks the address it dials
// too). The error names variable and shows the URL only as RedactURL does.
func CheckURL(variable, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%s: %s is not an absolute URL (want https://host/...)", variable, RedactURL(raw))
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !netguard.IsLoopbackHost(u.Hostname()) {
			return "", fmt.Errorf("%s: %s: plain http is allowed only to loopback hosts; use https", variable, RedactURL(raw))
		}
	default:
		return "", fmt.Errorf("%s: %s: want an https URL", variable, RedactURL(raw))
	}
	return raw, nil
}

// ParseBool reads a true/false variable; the error names it and shows at
// most the start of the value.
func ParseBool(variable, v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: want true or false, got %q", variable, Cut(v, 20, Chars))
	}
	return b, nil
}
