package netguard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestControlRefusesAddressesThatAreNotLoopback(t *testing.T) {
	tests := []struct {
		address string
		refused string // the refused address in the error; "" when allowed
	}{
		{"127.0.0.1:80", ""},
		{"127.8.9.10:8080", ""},
		{"[::1]:80", ""},
		{"[::ffff:127.0.0.1]:80", ""},
		{"192.0.2.2:80", "192.0.2.2"},
		{"10.0.0.1:443", "10.0.0.1"},
		{"0.0.0.0:80", "0.0.0.0"},
		{"[2001:db8::1]:80", "2001:db8::1"},
		{"[::ffff:192.0.2.2]:80", "192.0.2.2"},
		{"[fe80::1%eth0]:80", "fe80::1"},
		{"/run/x.sock", "/run/x.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			err := Control("tcp", tt.address, nil)
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("Control(%q) = %v, want allowed", tt.address, err)
				}
				return
			}
			var nl *NotLoopbackError
			if !errors.As(err, &nl) || nl.Address != tt.refused {
				t.Fatalf("Control(%q) = %v, want a refusal of %s", tt.address, err, tt.refused)
			}
		})
	}
}

func TestIsLoopbackHost(t *testing.T) {
	tests := map[string]bool{
		"localhost":            true,
		"LOCALHOST":            true,
		"localhost.":           true,
		"hooks.localhost":      true,
		"127.0.0.1":            true,
		"127.1.2.3":            true,
		"::1":                  true,
		"::ffff:127.0.0.1":     true,
		"192.0.2.2":            false,
		"localhost.example":    false,
		"notlocalhost":         false,
		"example.com":          false,
		"":                     false,
		"localhost.evil.test":  false,
		"hooks.localhost.test": false,
	}
	for host, want := range tests {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr string // substring; "" when accepted
	}{
		{"https://hooks.example.com/secret/path?token=abc", ""},
		{"https://192.0.2.2/x", ""},
		{"http://127.0.0.1:8741", ""},
		{"http://[::1]:8741/x", ""},
		{"http://localhost:9000/hook", ""},
		{"http://hooks.localhost:19171/secret", ""},
		{"http://hooks.example.com/secret/path", "plain http to hooks.example.com is not allowed: use https"},
		{"http://192.0.2.2/secret/path", "plain http to 192.0.2.2 is not allowed"},
		{"http:///nohost", "without a host"},
		{"ftp://localhost/x", `scheme "ftp"`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := url.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckURL(u)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("CheckURL(%s) = %v, want accepted", tt.raw, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("CheckURL(%s) = %v, want an error containing %q", tt.raw, err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "secret"):
				t.Fatalf("CheckURL(%s) = %v: the error shows the path", tt.raw, err)
			}
		})
	}
}

func newClient(t *testing.T, base *http.Transport, resolveTo ...netip.Addr) *http.Client {
	t.Helper()
	client := &http.Client{Transport: Transport(base, fakeResolver(t, resolveTo...)), Timeout: 5 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	return client
}

func TestPlainHTTPToANameThatResolvesElsewhereIsRefusedAtDialTime(t *testing.T) {
	var dials atomic.Int32
	base := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("dialled")
	}}
	client := newClient(t, base, netip.MustParseAddr("192.0.2.2"))
	tests := []struct {
		target string
		want   string
	}{
		{"http://hooks.localhost:19171/secret-path?token=secret-token", "plain http to hooks.localhost resolved to 192.0.2.2, which is not a loopback address; use https"},
		{"http://192.0.2.2:80/secret-path", "plain http to 192.0.2.2, which is not a loopback address; use https"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			resp, err := client.Post(tt.target, "application/json", strings.NewReader(`{"secret":"body"}`))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("POST %s succeeded, want a refusal", tt.target)
			}
			var nl *NotLoopbackError
			if !errors.As(err, &nl) {
				t.Fatalf("POST %s: %v, want a *NotLoopbackError", tt.target, err)
			}
			if nl.Error() != tt.want {
				t.Fatalf("refusal = %q, want %q", nl.Error(), tt.want)
			}
			// Refused before connecting: the transport's dialer never ran.
			if n := dials.Load(); n != 0 {
				t.Fatalf("the dialer ran %d times; the refusal must come before any connection attempt", n)
			}
		})
	}
}

func TestPlainHTTPToALoopbackAddressGoesThrough(t *testing.T) {
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	}))
	defer target.Close()
	// A proxy in the base transport must not see plain http: it would carry
	// the request on in clear text.
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		proxied.Add(1)
		http.Error(w, "proxied", http.StatusBadGateway)
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	base := &http.Transport{Proxy: http.ProxyURL(proxyURL)}
	client := newClient(t, base, netip.MustParseAddr("127.0.0.1"))

	_, port, _ := net.SplitHostPort(strings.TrimPrefix(target.URL, "http://"))
	for _, host := range []string{"127.0.0.1", "hooks.localhost"} {
		t.Run(host, func(t *testing.T) {
			resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/hook")
			if err != nil {
				t.Fatalf("GET through the guard: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "ok" {
				t.Fatalf("got %d %q, want 200 ok from the target", resp.StatusCode, body)
			}
		})
	}
	if hits.Load() != 2 || proxied.Load() != 0 {
		t.Fatalf("target saw %d requests and the proxy %d; want 2 and 0", hits.Load(), proxied.Load())
	}
}

func TestANameWithBothKindsOfAddressReachesOnlyTheLoopbackOne(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer target.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(target.URL, "http://"))
	// 192.0.2.2 is dropped before connecting; the transport's own dialer
	// is given 127.0.0.1 alone, as a literal.
	var mu sync.Mutex
	var dialled []string
	var d net.Dialer
	base := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialled = append(dialled, addr)
		mu.Unlock()
		return d.DialContext(ctx, network, addr)
	}}
	client := newClient(t, base, netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("127.0.0.1"))
	resp, err := client.Get("http://hooks.localhost:" + port + "/hook")
	if err != nil {
		t.Fatalf("GET: %v, want the loopback address reached", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"127.0.0.1:" + port}; !slices.Equal(dialled, want) {
		t.Fatalf("the transport's dialer was given %q, want %q", dialled, want)
	}
}

func TestHTTPSGoesThroughTheBaseTransportAnywhere(t *testing.T) {
	// The base transport's own dialer stands in for the network: it records
	// where https would connect and refuses, so nothing leaves the test.
	errNotDialled := errors.New("not dialled in a test")
	var dialled atomic.Value
	base := &http.Transport{
		DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			dialled.Store(addr)
			return nil, errNotDialled
		},
	}
	client := newClient(t, base, netip.MustParseAddr("192.0.2.2"))
	_, err := client.Get("https://hooks.example.com/secret")
	if !errors.Is(err, errNotDialled) {
		t.Fatalf("https request: %v, want it handed to the base transport's dialer", err)
	}
	if got := dialled.Load(); got != "hooks.example.com:443" {
		t.Fatalf("base transport dialled %v, want hooks.example.com:443", got)
	}
}

func TestHTTPSToATLSServerThroughTheGuard(t *testing.T) {
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "secure")
	}))
	defer server.Close()
	base := server.Client().Transport.(*http.Transport).Clone()
	client := newClient(t, base, netip.MustParseAddr("192.0.2.2"))
	resp, err := client.Get(server.URL)
	if err != nil {
		t.Fatalf("https through the guard: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "secure" {
		t.Fatalf("got %q, want the TLS server's answer", body)
	}
}

// elsewhereConn is a connection that says it reached 192.0.2.2, as a dial
// function that ignores its address might return.
type elsewhereConn struct {
	net.Conn
	closed atomic.Bool
}

func (c *elsewhereConn) RemoteAddr() net.Addr {
	return net.TCPAddrFromAddrPort(netip.MustParseAddrPort("192.0.2.2:80"))
}

func (c *elsewhereConn) Close() error {
	c.closed.Store(true)
	return c.Conn.Close()
}

func TestDialLoopback(t *testing.T) {
	errRefused := errors.New("connection refused")
	loopback := netip.MustParseAddr("127.0.0.1")
	elsewhere := netip.MustParseAddr("192.0.2.2")
	var conn *elsewhereConn
	tests := []struct {
		name    string
		ips     []netip.Addr
		dial    DialFunc
		wantErr func(error) bool
	}{
		{
			name: "a dial that lands elsewhere is closed and refused",
			ips:  []netip.Addr{loopback},
			dial: func(context.Context, string, string) (net.Conn, error) {
				client, _ := net.Pipe()
				conn = &elsewhereConn{Conn: client}
				return conn, nil
			},
			wantErr: func(err error) bool {
				var nl *NotLoopbackError
				return errors.As(err, &nl) && nl.Address == "192.0.2.2" && conn.closed.Load()
			},
		},
		{
			name:    "a loopback address that does not answer is what is reported",
			ips:     []netip.Addr{elsewhere, loopback},
			dial:    func(context.Context, string, string) (net.Conn, error) { return nil, errRefused },
			wantErr: func(err error) bool { return errors.Is(err, errRefused) },
		},
		{
			name: "only addresses elsewhere",
			ips:  []netip.Addr{elsewhere},
			dial: func(context.Context, string, string) (net.Conn, error) {
				t.Error("dial ran for an address that is not loopback")
				return nil, errRefused
			},
			wantErr: func(err error) bool {
				var nl *NotLoopbackError
				return errors.As(err, &nl) && nl.Host == "hooks.localhost"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DialLoopback(fakeResolver(t, tt.ips...), tt.dial)(context.Background(), "tcp", "hooks.localhost:80")
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded, want an error")
			}
			if !tt.wantErr(err) {
				t.Fatalf("dial: unexpected error %v", err)
			}
		})
	}
}
