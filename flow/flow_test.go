package flow

import (
	"net/netip"
	"testing"
)

// TestEndpointString: "ip:port" for IPv4, "[v6]:port" for IPv6 (zones
// cannot occur: Addr has none), as net/netip formats them, in one
// allocation.
func TestEndpointString(t *testing.T) {
	for _, c := range []struct {
		addr string
		port uint16
		want string
	}{
		{"192.0.2.1", 80, "192.0.2.1:80"},
		{"0.0.0.0", 0, "0.0.0.0:0"},
		{"255.255.255.255", 65535, "255.255.255.255:65535"},
		{"2001:db8::1", 443, "[2001:db8::1]:443"},
		{"::", 1, "[::]:1"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"},
		{"::1", 53, "[::1]:53"},
	} {
		a := netip.MustParseAddr(c.addr)
		var e Endpoint
		if a.Is4() {
			e.Addr = AddrFrom4(a.AsSlice())
		} else {
			e.Addr = AddrFrom16(a.AsSlice())
		}
		e.Port = c.port
		if got := e.String(); got != c.want {
			t.Errorf("%s port %d: %q, want %q", c.addr, c.port, got, c.want)
		}
		if got, want := e.String(), netip.AddrPortFrom(e.Addr.Netip(), e.Port).String(); got != want {
			t.Errorf("%q, netip formats %q", got, want)
		}
		if n := testing.AllocsPerRun(100, func() { _ = e.String() }); n > 1 {
			t.Errorf("%s: %v allocations, want 1", c.want, n)
		}
	}
}
