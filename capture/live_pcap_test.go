//go:build libpcap

package capture

import (
	"errors"
	"io"
	"net"
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
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := uint16(ln.Addr().(*net.TCPAddr).Port)
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
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, c)
				c.Close()
			}()
			c, err := net.Dial("tcp4", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			_, _ = c.Write([]byte(strings.Repeat("x", 1000)))
			c.Close()

			var syns, fins, payload int
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) && fins < 2 {
				p, err := src.Next()
				if errors.Is(err, ErrTimeout) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if p.Src.Port != port && p.Dst.Port != port {
					if opts.Filter != nil {
						t.Errorf("packet of another port passed the filter: %v -> %v", p.Src, p.Dst)
					}
					continue
				}
				if p.Has(FlagSYN) && !p.Has(FlagACK) {
					syns++
				}
				if p.Has(FlagFIN) {
					fins++
				}
				payload += p.PayloadLen
			}
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
