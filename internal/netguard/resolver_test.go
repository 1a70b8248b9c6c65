package netguard

import (
	"net"
	"net/netip"
	"testing"

	"github.com/export-notifier/export-notifier/internal/netguard/netguardtest"
)

func fakeResolver(t *testing.T, ips ...netip.Addr) *net.Resolver {
	t.Helper()
	return netguardtest.Resolver(ips...)
}
