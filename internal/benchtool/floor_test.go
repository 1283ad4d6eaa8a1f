package benchtool

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"connscope/internal/pcapgen"
)

// shortConns writes n short connections (handshake, 1-byte request and
// response, FIN exchange: 9 packets each) in the given format.
func shortConns(t *testing.T, n int, format pcapgen.Format) []byte {
	t.Helper()
	w := pcapgen.New(pcapgen.Options{Format: format})
	srv := netip.MustParseAddrPort("192.0.2.2:80")
	t0 := time.Unix(1_700_000_000, 0)
	for i := range n {
		cli := netip.MustParseAddrPort(fmt.Sprintf("192.0.2.1:%d", 40000+i))
		c := pcapgen.NewConn(w, cli, srv, t0.Add(time.Duration(i)*time.Millisecond))
		steps := []func() error{func() error { return c.Handshake() }, func() error { return c.ClientSend([]byte("G")) },
			func() error { return c.ServerSend([]byte("H")) }, c.Close}
		for _, s := range steps {
			if err := s(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

func TestDecodeFloor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format pcapgen.Format
		conns  int
	}{
		{"pcap_micro", pcapgen.PcapMicro, 10},
		{"pcap_nano", pcapgen.PcapNano, 3},
		{"pcapng", pcapgen.PcapNG, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := shortConns(t, tc.conns, tc.format)
			f, err := DecodeFloor(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if f.Flows != tc.conns {
				t.Errorf("flows = %d, want %d", f.Flows, tc.conns)
			}
			if f.Packets == 0 || f.Decoded != f.Packets {
				t.Errorf("packets = %d, decoded = %d: want all decoded", f.Packets, f.Decoded)
			}
			if f.Bytes <= f.Packets*40 {
				t.Errorf("bytes = %d for %d packets: too few", f.Bytes, f.Packets)
			}
		})
	}
}

func TestDecodeFloorRejectsGarbage(t *testing.T) {
	if _, err := DecodeFloor(bytes.NewReader([]byte("not a capture at all"))); err == nil {
		t.Fatal("no error for a non-capture")
	}
}

func BenchmarkDecodeFloor(b *testing.B) {
	t := &testing.T{}
	data := shortConns(t, 2000, pcapgen.PcapMicro)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeFloor(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
