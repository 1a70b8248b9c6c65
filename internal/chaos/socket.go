package chaos

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ConnOwner returns which of pids holds the client end of the TCP
// connection between client and server (as a server sees them: a
// request's remote address and its own), so that a receiver can tell
// which process sent a request. It reads /proc, so it works on Linux only.
func ConnOwner(pids []int, client, server netip.AddrPort) (int, error) {
	inode, err := connInode(client, server)
	if err != nil {
		return 0, err
	}
	link := "socket:[" + inode + "]"
	for _, pid := range pids {
		fds, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "fd", "*")) // the process may be gone
		for _, fd := range fds {
			if target, err := os.Readlink(fd); err == nil && target == link {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no process of %v holds the connection from %s to %s", pids, client, server)
}

// connInode is the socket inode of the connection's client end, from the
// kernel's table of TCP sockets.
func connInode(client, server netip.AddrPort) (string, error) {
	table := "/proc/net/tcp"
	if client.Addr().Unmap().Is6() {
		table = "/proc/net/tcp6"
	}
	f, err := os.Open(table)
	if err != nil {
		return "", err
	}
	defer f.Close()
	local, remote := procPort(client.Port()), procPort(server.Port())
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
		fields := strings.Fields(sc.Text())
		if len(fields) > 9 && strings.HasSuffix(fields[1], local) && strings.HasSuffix(fields[2], remote) {
			return fields[9], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s lists no connection from %s to %s", table, client, server)
}

// procPort is a port as /proc/net/tcp spells the end of an address.
func procPort(port uint16) string { return fmt.Sprintf(":%04X", port) }
