//go:build libpcap

package capture

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestPcapLiveLoopback captures one TCP connection through libpcap on "lo"
// (with a kernel filter) and on "any" (cooked link type, no filter) and
// checks that every packet of it is seen once, decoded, and counted.
func TestPcapLiveLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
	for _, iface := range []string{"lo", "any"} {
		t.Run(iface, func(t *testing.T) {
			ln, port := loopbackListener(t)
			lt, err := LiveLinkType(iface)
			if err != nil {
				t.Fatal(err)
			}
			opts := LiveOptions{ReadTimeout: 50 * time.Millisecond}
			switch lt {
			case layers.LinkTypeEthernet:
				opts.Filter = tcpPortFilter(t, lt, port)
			case layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2:
			default:
				t.Fatalf("link type %v for %s, want Ethernet on lo and cooked on any", lt, iface)
			}
			dumped := 0
			opts.Dump = func(gopacket.CaptureInfo, []byte) error { dumped++; return nil }
			src, err := OpenLive(iface, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			sendOnce(t, ln, 1000)
			n := countConn(t, src, port)
			if opts.Filter != nil && n.other > 0 {
				t.Errorf("%d packets of other ports passed the filter", n.other)
			}
			syns, fins, payload := n.syns, n.fins, n.payload
			if syns != 1 || fins != 2 || payload != 1000 {
				t.Errorf("saw %d SYNs, %d FINs, %d payload bytes; want 1, 2, 1000 (each packet once)", syns, fins, payload)
			}
			st := src.Stats()
			if uint64(dumped) != st.Packets || st.Decoded == 0 {
				t.Errorf("dumped %d records, read %d, decoded %d", dumped, st.Packets, st.Decoded)
			}
			if len(st.Sources) != 1 || st.Sources[0] != iface || st.Formats[0] != "live" {
				t.Errorf("stats sources %v formats %v", st.Sources, st.Formats)
			}
		})
	}
}

// TestPcapLiveUnknownInterface: a missing interface is a one-line error
// naming it.
func TestPcapLiveUnknownInterface(t *testing.T) {
	_, err := OpenLive("nosuch0", LiveOptions{})
	if err == nil || !strings.Contains(err.Error(), `"nosuch0"`) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("OpenLive(nosuch0) error %v, want one line naming the interface", err)
	}
}
