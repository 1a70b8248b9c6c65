package archive

import (
	"net"
	"net/http"
	"time"

	"github.com/export-notifier/export-notifier/internal/netguard"
)

// NewHTTPClient is the client that downloads Security Center's links:
// plain http reaches loopback addresses only, redirects are not followed
// (a presigned link has no reason to redirect), and the copy's context,
// not a client timeout, bounds a transfer that may take minutes.
func NewHTTPClient() *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = 30 * time.Second
	base.DialContext = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	return &http.Client{
		Transport:     netguard.Transport(base, nil),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
