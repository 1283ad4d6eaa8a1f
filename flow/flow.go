package flow

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"time"
)

// Addr is an IPv4 or IPv6 address stored in 16 bytes. IPv4 addresses are
// kept IPv4-mapped (::ffff:a.b.c.d) so that Addr is comparable and never
// allocates.
type Addr [16]byte

// AddrFrom4 returns the Addr for an IPv4 address given as 4 bytes.
func AddrFrom4(b []byte) Addr {
	var a Addr
	a[10], a[11] = 0xff, 0xff
	copy(a[12:], b[:4])
	return a
}

// AddrFrom16 returns the Addr for an IPv6 address given as 16 bytes.
func AddrFrom16(b []byte) Addr {
	var a Addr
	copy(a[:], b[:16])
	return a
}

// Is4 reports whether a is an IPv4(-mapped) address.
func (a Addr) Is4() bool {
	for i := 0; i < 10; i++ {
		if a[i] != 0 {
			return false
		}
	}
	return a[10] == 0xff && a[11] == 0xff
}

// Netip converts a to a netip.Addr (unmapped for IPv4).
func (a Addr) Netip() netip.Addr {
	n := netip.AddrFrom16(a)
	if a.Is4() {
		return n.Unmap()
	}
	return n
}

// String formats a in the usual dotted or RFC 5952 notation.
func (a Addr) String() string { return a.Netip().String() }

// Less orders addresses bytewise.
func (a Addr) Less(b Addr) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// Endpoint is an address and a transport port.
type Endpoint struct {
	Addr Addr
	Port uint16
}

// String formats e as "ip:port", or "[v6]:port" for IPv6, in one
// allocation (every connection record carries two).
func (e Endpoint) String() string {
	var buf [64]byte
	b := buf[:0]
	n := e.Addr.Netip()
	if e.Addr.Is4() {
		b = n.AppendTo(b)
	} else {
		b = append(n.AppendTo(append(b, '[')), ']')
	}
	b = append(b, ':')
	return string(strconv.AppendUint(b, uint64(e.Port), 10))
}

// Less orders endpoints by address, then port.
func (e Endpoint) Less(o Endpoint) bool {
	if e.Addr != o.Addr {
		return e.Addr.Less(o.Addr)
	}
	return e.Port < o.Port
}

// Key is the canonical, direction-free identity of a transport flow: the two
// endpoints in ascending order plus the IP protocol number. It is a compact
// comparable value meant to be used as a map key.
type Key struct {
	Lo, Hi Endpoint
	Proto  uint8
}

// NewKey returns the canonical key for a packet from src to dst, and whether
// src is the Lo endpoint of that key.
func NewKey(proto uint8, src, dst Endpoint) (k Key, srcIsLo bool) {
	if src.Less(dst) || src == dst {
		return Key{Lo: src, Hi: dst, Proto: proto}, true
	}
	return Key{Lo: dst, Hi: src, Proto: proto}, false
}

// Hash returns a symmetric 64-bit hash of the key (the same for both
// directions, since the key itself is canonical). It is stable across runs.
func (k Key) Hash() uint64 {
	h := uint64(14695981039346656037)
	mix := func(b []byte) {
		for _, c := range b {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	mix(k.Lo.Addr[:])
	mix(k.Hi.Addr[:])
	var p [5]byte
	binary.BigEndian.PutUint16(p[0:], k.Lo.Port)
	binary.BigEndian.PutUint16(p[2:], k.Hi.Port)
	p[4] = k.Proto
	mix(p[:])
	return h
}

// ConnID is a small integer that names one connection incarnation. Ids are
// given in the order connections are first seen, starting at 1, so the same
// input always gets the same ids.
type ConnID uint32

// Dir is the direction of a packet or byte stream relative to the roles of
// its connection.
type Dir uint8

const (
	// ClientToServer is data sent by the client (the SYN sender).
	ClientToServer Dir = 0
	// ServerToClient is data sent by the server.
	ServerToClient Dir = 1
)

// Reverse returns the other direction.
func (d Dir) Reverse() Dir { return d ^ 1 }

// String returns "client_to_server" or "server_to_client".
func (d Dir) String() string {
	if d == ClientToServer {
		return "client_to_server"
	}
	return "server_to_client"
}

// Time is a packet timestamp in nanoseconds since the Unix epoch, UTC. It
// comes from the capture, never from the wall clock of the analysing host.
type Time int64

// Time converts t to a time.Time in UTC.
func (t Time) Time() time.Time { return time.Unix(0, int64(t)).UTC() }

// Sub returns t-u as a time.Duration.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Less reports whether t is before u.
func (t Time) Less(u Time) bool { return t < u }

// Micros returns the duration d in whole microseconds.
func Micros(d time.Duration) int64 { return int64(d / time.Microsecond) }
