// Package netguardtest gives tests of the clients netguard guards a
// resolver that answers with chosen addresses, so that a name resolving to
// an address that is not loopback can be tried without editing /etc/hosts
// or asking a DNS server.
package netguardtest

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
)

// Resolver answers every A query with ips and every other query with no
// records (names in /etc/hosts are still answered from there). It talks
// over an in-memory pipe: no packet leaves the process.
func Resolver(ips ...netip.Addr) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			go serveDNS(server, ips)
			return client, nil
		},
	}
}

// serveDNS answers the queries on conn, framed as DNS over TCP (a
// two-byte length before each message), which is how the Go resolver talks
// to a connection that is not a net.PacketConn.
func serveDNS(conn net.Conn, ips []netip.Addr) {
	defer conn.Close()
	for {
		var size [2]byte
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			return
		}
		query := make([]byte, binary.BigEndian.Uint16(size[:]))
		if _, err := io.ReadFull(conn, query); err != nil {
			return
		}
		answer := dnsAnswer(query, ips)
		if answer == nil {
			return
		}
		_, _ = conn.Write(binary.BigEndian.AppendUint16(nil, uint16(len(answer))))
		_, _ = conn.Write(answer)
	}
}

// dnsAnswer builds the response to a one-question query: its question,
// and for an A question one record for each of ips.
func dnsAnswer(query []byte, ips []netip.Addr) []byte {
	end := 12
	for end < len(query) && query[end] != 0 {
		end += int(query[end]) + 1
	}
	end += 5 // the root label, QTYPE, QCLASS
	if end > len(query) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(query[end-4:])
	isA := qtype == 1
	msg := append([]byte(nil), query[:2]...)        // ID
	msg = append(msg, 0x81, 0x80, 0, 1, 0, 0, 0, 0) // response, RD, RA; one question
	msg = append(msg, 0, 0)                         // no additional records
	msg = append(msg, query[12:end]...)
	if !isA {
		return msg
	}
	msg[7] = byte(len(ips)) // the answer count
	for _, ip := range ips {
		a := ip.As4()
		msg = append(msg, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4) // name at offset 12, A, IN, TTL 60
		msg = append(msg, a[:]...)
	}
	return msg
}
