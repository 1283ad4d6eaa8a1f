package capture_test

import (
	"bytes"
	"io"
	"net/netip"
	"testing"
	"time"

	"connscope/capture"
	"connscope/internal/pcapgen"
)

// bulkCapture returns a capture of n packets over many connections: IPv4
// and IPv6, handshakes with options, data segments of varying sizes, and
// the pure ACKs between them.
func bulkCapture(tb testing.TB, opts pcapgen.Options, n int, start time.Time) []byte {
	tb.Helper()
	w := pcapgen.New(opts)
	body := bytes.Repeat([]byte("0123456789abcdef"), 200)
	for conn := 0; w.Records < n; conn++ {
		client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(conn >> 8), byte(conn)}), uint16(30000+conn%20000))
		server := srv4
		if conn%3 == 0 {
			client = netip.AddrPortFrom(netip.MustParseAddr("2001:db8::1"), uint16(30000+conn%20000))
			server = srv6
		}
		c := pcapgen.NewConn(w, client, server, start.Add(time.Duration(conn)*time.Millisecond))
		c.Handshake()
		for i := 0; i < 8 && w.Records < n; i++ {
			c.ClientSend(body[:100+i*37])
			c.ServerSend(body[:(i*997)%len(body)+1])
			c.ClientACK()
		}
		c.Close()
		if err := c.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	return w.Bytes()
}

// TestReadDecodeDoesNotAllocate checks that reading and decoding allocate
// nothing per packet in the steady state, for each kind of input.
func TestReadDecodeDoesNotAllocate(t *testing.T) {
	const warm, runs = 200, 1000
	type input struct {
		name string
		data [][]byte
	}
	// knownCost lists the inputs allowed to allocate, per packet.
	knownCost := map[string]float64{"pcapng_sll2_known_cost": 1}
	mk := func(o pcapgen.Options) []byte { return bulkCapture(t, o, warm+runs+100, t0) }
	cases := []input{
		{"pcap_ethernet", [][]byte{mk(pcapgen.Options{Format: pcapgen.PcapNano})}},
		{"pcap_sll2", [][]byte{mk(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.SLL2})}},
		{"pcap_qinq_big_endian", [][]byte{mk(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.QinQ, BigEndian: true})}},
		{"pcapng_ethernet", [][]byte{mk(pcapgen.Options{Format: pcapgen.PcapNG, TSResol: 9})}},
		{"pcapng_null", [][]byte{mk(pcapgen.Options{Format: pcapgen.PcapNG, Link: pcapgen.Null})}},
		// pcapgo boxes each packet's link type in an interface value;
		// numbers of 256 and above (SLL2 is 276) are not interned by the
		// runtime and cost one 2-byte allocation per packet.
		{"pcapng_sll2_known_cost", [][]byte{mk(pcapgen.Options{Format: pcapgen.PcapNG, Link: pcapgen.SLL2})}},
		{"gzip_pcap", [][]byte{gz(t, mk(pcapgen.Options{}))}},
		{"merge_three", [][]byte{
			mk(pcapgen.Options{}),
			bulkCapture(t, pcapgen.Options{Format: pcapgen.PcapNG, Link: pcapgen.Raw}, warm+runs+100, t0.Add(time.Microsecond)),
			bulkCapture(t, pcapgen.Options{Link: pcapgen.SLL}, warm+runs+100, t0.Add(2*time.Microsecond)),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for i, d := range c.data {
				p := dir + "/" + string(rune('a'+i))
				writeFile(t, p, d)
				paths = append(paths, p)
			}
			s, err := capture.OpenFiles(paths, capture.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i := 0; i < warm; i++ {
				if _, err := s.Next(); err != nil {
					t.Fatal(err)
				}
			}
			var nextErr error
			allocs := testing.AllocsPerRun(runs, func() {
				if _, err := s.Next(); err != nil && nextErr == nil {
					nextErr = err
				}
			})
			if nextErr != nil {
				t.Fatal(nextErr)
			}
			if allocs > knownCost[c.name] {
				t.Errorf("%.2f allocations per packet, want at most %.0f", allocs, knownCost[c.name])
			}
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := writeAll(path, b); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkReadDecode reads and decodes a generated 20 000-packet pcap
// from memory.
func BenchmarkReadDecode(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts pcapgen.Options
	}{
		{"pcap_ethernet", pcapgen.Options{Format: pcapgen.PcapNano}},
		{"pcapng_ethernet", pcapgen.Options{Format: pcapgen.PcapNG}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := bulkCapture(b, bc.opts, 20000, t0)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var pkts int
			for b.Loop() {
				s, err := capture.OpenReader("bench", bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := s.Next(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
					pkts++
				}
				s.Close()
			}
			b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}
