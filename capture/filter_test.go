package capture_test

import (
	"bytes"
	"io"
	"net/netip"
	"strings"
	"testing"

	"connscope/capture"
	"connscope/filter"
	"connscope/internal/pcapgen"
)

// mixedCapture holds, in order: TCP to port 80 (IPv4), UDP to port 53
// (IPv4), TCP to port 443 (IPv6), TCP from port 80 (IPv4).
func mixedCapture(t *testing.T, opts pcapgen.Options) []byte {
	t.Helper()
	w := pcapgen.New(opts)
	for _, s := range []pcapgen.Segment{
		pcapgen.TCP(cli4, srv4, 1, 0, pcapgen.SYN, 100, nil),
		pcapgen.UDP(cli4, netip.MustParseAddrPort("192.0.2.53:53"), []byte("q")),
		pcapgen.TCP(cli6, srv6, 1, 0, pcapgen.SYN, 100, nil),
		pcapgen.TCP(srv4, cli4, 1, 2, pcapgen.SYN|pcapgen.ACK, 100, nil),
	} {
		if err := w.WriteSegment(t0, s); err != nil {
			t.Fatal(err)
		}
	}
	return w.Bytes()
}

func exprFilter(t *testing.T, expr string) capture.FilterFunc {
	t.Helper()
	e, err := filter.Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	return e.ForLinkType
}

func TestFilterKeepsMatchingFrames(t *testing.T) {
	tests := []struct {
		name     string
		expr     string
		link     pcapgen.Link
		format   pcapgen.Format
		wantIdx  []uint64
		filtered uint64
	}{
		{"tcp port 80 ethernet pcap", "tcp port 80", pcapgen.Ethernet, pcapgen.PcapMicro, []uint64{1, 4}, 2},
		{"udp sll2 pcapng", "udp", pcapgen.SLL2, pcapgen.PcapNG, []uint64{2}, 3},
		{"ip6 raw", "ip6", pcapgen.Raw, pcapgen.PcapNano, []uint64{3}, 3},
		{"vlan tagged", "vlan 100 and dst port 80", pcapgen.EthernetVLAN, pcapgen.PcapMicro, []uint64{1}, 3},
		{"vlan absent", "vlan", pcapgen.Ethernet, pcapgen.PcapMicro, nil, 4},
		{"nothing", "port 1", pcapgen.Ethernet, pcapgen.PcapMicro, nil, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mixedCapture(t, pcapgen.Options{Format: tc.format, Link: tc.link})
			src, err := capture.OpenReaderOptions("mixed", bytes.NewReader(b), capture.Options{Filter: exprFilter(t, tc.expr)})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var idx []uint64
			for _, p := range readAll(t, src) {
				idx = append(idx, p.Index)
			}
			if !equalU64(idx, tc.wantIdx) {
				t.Errorf("kept records %v, want %v", idx, tc.wantIdx)
			}
			st := src.Stats()
			if st.Packets != 4 || st.Filtered != tc.filtered || st.Decoded != uint64(len(tc.wantIdx)) {
				t.Errorf("stats packets=%d filtered=%d decoded=%d, want 4, %d, %d", st.Packets, st.Filtered, st.Decoded, tc.filtered, len(tc.wantIdx))
			}
		})
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFilterMergedFiles(t *testing.T) {
	a := writeTemp(t, "a.pcap", mixedCapture(t, pcapgen.Options{Link: pcapgen.Ethernet}))
	b := writeTemp(t, "b.pcap", mixedCapture(t, pcapgen.Options{Link: pcapgen.SLL}))
	src, err := capture.OpenFiles([]string{a, b}, capture.Options{Filter: exprFilter(t, "tcp")})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n := len(readAll(t, src))
	if st := src.Stats(); n != 6 || st.Filtered != 2 || st.Packets != 8 {
		t.Fatalf("kept %d, filtered %d of %d; want 6, 2 of 8", n, st.Filtered, st.Packets)
	}
}

func TestFilterUnsupportedLinkType(t *testing.T) {
	t.Run("pcap fails at open", func(t *testing.T) {
		p := writeTemp(t, "null.pcap", mixedCapture(t, pcapgen.Options{Link: pcapgen.Null}))
		_, err := capture.OpenFiles([]string{p}, capture.Options{Filter: exprFilter(t, "tcp")})
		want := `capture: open "` + p + `": filter: link type null (0) is not supported`
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("error %v, want prefix %s", err, want)
		}
	})
	t.Run("reader fails at open", func(t *testing.T) {
		b := mixedCapture(t, pcapgen.Options{Link: pcapgen.Loop})
		_, err := capture.OpenReaderOptions("loop.pcap", bytes.NewReader(b), capture.Options{Filter: exprFilter(t, "tcp")})
		want := `capture: open "loop.pcap": filter: link type loop (108) is not supported`
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("error %v, want prefix %s", err, want)
		}
	})
	t.Run("pcapng fails before the first packet", func(t *testing.T) {
		// pcapng describes interfaces in blocks read with the records, so
		// the error may come from the first Next instead of the open.
		b := mixedCapture(t, pcapgen.Options{Link: pcapgen.Loop, Format: pcapgen.PcapNG})
		src, err := capture.OpenReaderOptions("loop.pcapng", bytes.NewReader(b), capture.Options{Filter: exprFilter(t, "tcp")})
		if err == nil {
			defer src.Close()
			_, err = src.Next()
		}
		if err == nil || !strings.Contains(err.Error(), `"loop.pcapng": filter: link type loop (108) is not supported`) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("pcapng interface described later fails the read", func(t *testing.T) {
		var buf bytes.Buffer
		ng := pcapgen.NewNgWriter(&buf, false)
		eth := ng.AddInterface(pcapgen.Ethernet.LinkType(), 0, 65535)
		ip := pcapgen.TCP(cli4, srv4, 1, 0, pcapgen.SYN, 100, nil).IPPacket()
		f := pcapgen.Encap(pcapgen.Ethernet, ip)
		if err := ng.WritePacket(eth, t0, f, len(f)); err != nil {
			t.Fatal(err)
		}
		null := ng.AddInterface(pcapgen.Null.LinkType(), 0, 65535)
		f = pcapgen.Encap(pcapgen.Null, ip)
		if err := ng.WritePacket(null, t0, f, len(f)); err != nil {
			t.Fatal(err)
		}
		src, err := capture.OpenReaderOptions("two.pcapng", bytes.NewReader(buf.Bytes()), capture.Options{Filter: exprFilter(t, "tcp")})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if _, err := src.Next(); err != nil {
			t.Fatalf("first packet: %v", err)
		}
		_, err = src.Next()
		want := `capture: read "two.pcapng": filter: link type null (0) is not supported`
		if err == nil || err == io.EOF || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("second Next error %v, want prefix %s", err, want)
		}
		if _, again := src.Next(); again == nil || again.Error() != err.Error() {
			t.Fatalf("the error is not sticky: %v", again)
		}
	})
	t.Run("nil matcher", func(t *testing.T) {
		b := mixedCapture(t, pcapgen.Options{Link: pcapgen.Ethernet})
		bad := func(uint16) (func([]byte) bool, error) { return nil, nil }
		_, err := capture.OpenReaderOptions("x", bytes.NewReader(b), capture.Options{Filter: bad})
		if err == nil || !strings.Contains(err.Error(), "filter returned no matcher for link type ethernet") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestFilterAsksOncePerLinkType(t *testing.T) {
	calls := map[uint16]int{}
	keepAll := func(lt uint16) (func([]byte) bool, error) {
		calls[lt]++
		return func([]byte) bool { return true }, nil
	}
	b := mixedCapture(t, pcapgen.Options{Link: pcapgen.Ethernet, Format: pcapgen.PcapNG})
	src, err := capture.OpenReaderOptions("x", bytes.NewReader(b), capture.Options{Filter: keepAll})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if n := len(readAll(t, src)); n != 4 {
		t.Fatalf("kept %d packets, want 4", n)
	}
	if len(calls) != 1 || calls[1] != 1 {
		t.Fatalf("filter asked %v, want once for link type 1", calls)
	}
}
