package chaos

import (
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
)

func TestConnOwner(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	accepted, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer accepted.Close()
	// As the server sees it: the client's address, its own.
	client := netip.MustParseAddrPort(accepted.RemoteAddr().String())
	server := netip.MustParseAddrPort(accepted.LocalAddr().String())

	if pid, err := ConnOwner([]int{os.Getpid()}, client, server); err != nil || pid != os.Getpid() {
		t.Errorf("ConnOwner = %d, %v; want this process, %d", pid, err, os.Getpid())
	}
	if pid, err := ConnOwner([]int{os.Getppid()}, client, server); err == nil {
		t.Errorf("ConnOwner found the connection in the parent, %d", pid)
	}
}
