// Package netguard lets plain http reach loopback addresses only.
//
// A host name proves nothing: "hooks.localhost" resolves through
// /etc/hosts and DNS like any other name, so a request's secrets (a
// webhook's path and query, a Bearer header, a signature) could leave the
// machine in clear text. The guard therefore checks the address each
// connection is actually dialled to, after resolution and before any packet
// is sent, and refuses every address that is not loopback. https requests
// are left alone: TLS authenticates the peer wherever it is.
//
// Two checks work together: CheckURL, at configuration time, accepts plain
// http only for a loopback IP or a localhost name (a clear error early), and
// Transport, at dial time, is what makes a localhost name safe: it resolves
// the name itself and hands the transport's dialer loopback IPs only.
package netguard

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// NotLoopbackError is the refusal of a plain-http connection to an address
// that is not loopback.
type NotLoopbackError struct {
	Host    string // the host the request named; "" when unknown
	Address string // the resolved address that was refused, without port
}

func (e *NotLoopbackError) Error() string {
	if _, err := netip.ParseAddr(e.Host); err == nil || e.Host == "" {
		return fmt.Sprintf("plain http to %s, which is not a loopback address; use https", e.Address)
	}
	return fmt.Sprintf("plain http to %s resolved to %s, which is not a loopback address; use https", e.Host, e.Address)
}

// IsLoopbackHost reports whether host (without port) is a literal loopback
// IP or a localhost name ("localhost" or a name ending in ".localhost"),
// the only hosts plain http may name. A name passes here only because the
// dial-time check (Transport) refuses it if it resolves elsewhere.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// CheckURL is the configuration-time check of an endpoint: https to any
// host, plain http only to a host IsLoopbackHost accepts. Its errors name
// the scheme and host, never the path or query (often a secret).
func CheckURL(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("https URL without a host")
		}
		return nil
	case "http":
		if u.Host == "" {
			return fmt.Errorf("http URL without a host")
		}
		if !IsLoopbackHost(u.Hostname()) {
			return fmt.Errorf("plain http to %s is not allowed: use https (plain http is accepted only for localhost, a *.localhost name or a loopback IP)", u.Hostname())
		}
		return nil
	}
	return fmt.Errorf("scheme %q: want https (or http to a loopback host)", u.Scheme)
}

// Control is a net.Dialer Control function that refuses any address that is
// not a loopback IP. The dialer calls it after resolving, for each address
// it tries, before the socket connects: for a client that builds its own
// net.Dialer for plain http.
func Control(_, address string, _ syscall.RawConn) error {
	return checkAddress("", address)
}

func checkAddress(host, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Not an IP:port (a Unix socket, say): nothing plain http should use.
		return &NotLoopbackError{Host: host, Address: address}
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return &NotLoopbackError{Host: host, Address: ap.Addr().Unmap().WithZone("").String()}
	}
	return nil
}

// DialFunc is the shape of net.Dialer.DialContext and
// http.Transport.DialContext.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// DialLoopback wraps dial (nil: a net.Dialer whose Control is Control) so
// that it is only ever given loopback addresses: the host is resolved here
// with resolver (nil: net.DefaultResolver), addresses that are not loopback
// are dropped before any connection is attempted, and the loopback ones are
// tried in turn as IP literals, leaving dial nothing to resolve again. The
// connection's remote address is checked once more, for a dial that goes
// somewhere else than it was asked. A host with no loopback address is
// refused with a *NotLoopbackError.
func DialLoopback(resolver *net.Resolver, dial DialFunc) DialFunc {
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: Control}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips, err := resolver.LookupNetIP(ctx, ipNetwork(network), host)
		if err != nil {
			return nil, err
		}
		var refused, dialErr error
		for _, ip := range ips {
			ip = ip.Unmap()
			if !ip.IsLoopback() {
				refused = cmp.Or(refused, error(&NotLoopbackError{Host: host, Address: ip.WithZone("").String()}))
				continue
			}
			conn, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
			if err != nil {
				dialErr = cmp.Or(dialErr, err)
				continue
			}
			if err := checkRemote(host, conn); err != nil {
				conn.Close()
				return nil, err
			}
			return conn, nil
		}
		// A loopback address that did not answer says more than one that
		// was refused.
		return nil, cmp.Or(dialErr, refused)
	}
}

// checkRemote checks where a dial actually went.
func checkRemote(host string, conn net.Conn) error {
	remote := conn.RemoteAddr()
	if remote == nil {
		return &NotLoopbackError{Host: host, Address: "an unknown address"}
	}
	return checkAddress(host, remote.String())
}

// ipNetwork is the address family LookupNetIP takes for a dial network.
func ipNetwork(network string) string {
	switch network {
	case "tcp4", "udp4":
		return "ip4"
	case "tcp6", "udp6":
		return "ip6"
	}
	return "ip"
}

// Transport returns a RoundTripper that sends https (and every scheme but
// http) through base unchanged, and plain http through a clone of base
// that dials with DialLoopback(resolver, base.DialContext) and uses no
// proxy (a proxy would carry the request on in clear text to wherever it
// points). base keeps its own dialing (timeouts, wrapped connections) for
// both. base must not be changed afterwards.
func Transport(base *http.Transport, resolver *net.Resolver) http.RoundTripper {
	plain := base.Clone()
	plain.Proxy = nil
	plain.OnProxyConnectResponse = nil
	plain.DialContext = DialLoopback(resolver, base.DialContext)
	return &guarded{secure: base, plain: plain}
}

type guarded struct {
	secure *http.Transport
	plain  *http.Transport
}

func (g *guarded) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.EqualFold(req.URL.Scheme, "http") {
		return g.plain.RoundTrip(req)
	}
	return g.secure.RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of both transports, so
// that http.Client.CloseIdleConnections reaches them.
func (g *guarded) CloseIdleConnections() {
	g.secure.CloseIdleConnections()
	g.plain.CloseIdleConnections()
}
