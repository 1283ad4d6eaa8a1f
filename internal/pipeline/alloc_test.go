package pipeline

import (
	"bytes"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"connscope/capture"
	"connscope/internal/pcapgen"
)

// bulkCapture builds one connection carrying an HTTP request followed by a
// response with a large Content-Length body sent in many segments, each
// acknowledged: the shape of a download.
func bulkCapture(t testing.TB, segments int) []byte {
	t.Helper()
	w, c, must := testConn(t)
	must(c.Handshake(time.Millisecond))
	must(c.ClientSend([]byte("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")))
	body := bytes.Repeat([]byte("x"), 1000)
	head := []byte("HTTP/1.1 200 OK\r\nContent-Length: " + itoa(segments*len(body)) + "\r\n\r\n")
	must(c.ServerSend(head))
	for i := 0; i < segments; i++ {
		c.Advance(10 * time.Microsecond)
		must(c.ServerSend(body))
		must(c.ClientACK())
	}
	must(c.Close())
	return w.Bytes()
}

// testConn starts a capture of one connection from 192.0.2.1:40000 to
// 192.0.2.2:80; must fails t on an error.
func testConn(t testing.TB) (w *pcapgen.Writer, c *pcapgen.Conn, must func(error)) {
	w = pcapgen.New(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	c = pcapgen.NewConn(w, netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("192.0.2.2:80"), time.Unix(1700000000, 0))
	return w, c, func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestPacketPathDoesNotAllocate: reading, decoding, tracking, HTTP body
// accounting and the per-segment analysers allocate nothing per packet on
// an established connection (ARCHITECTURE.md; the cost of a connection and
// of a message head is paid once, not per packet).
func TestPacketPathDoesNotAllocate(t *testing.T) {
	const segs = 3000
	src, err := capture.OpenReader("bulk.pcap", bytes.NewReader(bulkCapture(t, segs)))
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(DefaultConfig())
	// Warm up: handshake, request, response head and the first segments.
	for i := 0; i < 200; i++ {
		p, err := src.Next()
		if err != nil {
			t.Fatal(err)
		}
		r.packet(p)
	}
	allocs := testing.AllocsPerRun(2000, func() {
		p, err := src.Next()
		if err != nil {
			t.Fatal(err)
		}
		r.packet(p)
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per packet, want 0", allocs)
	}
}

// BenchmarkPipelinePackets measures the whole per-packet path on a bulk
// HTTP download (packets/s are reported as pkts/s).
func BenchmarkPipelinePackets(b *testing.B) {
	data := bulkCapture(b, 5000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	n := 0
	for i := 0; i < b.N; i++ {
		src, err := capture.OpenReader("bulk.pcap", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		r := newRun(DefaultConfig())
		for {
			p, err := src.Next()
			if err != nil {
				break
			}
			r.packet(p)
			n++
		}
		r.finish(src.Stats())
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
}

// shortConnsCapture builds n sequential short HTTP/1.1 connections from
// one client to one server, each carrying one request and a small
// response before the server closes first: the shape of wrk with
// "Connection: close" (the short-connection benchmark of
// docs/PERFORMANCE.md). One starts every 5 ms, so the run reaches the
// steady state where connections leave the tracker (after its close
// linger) as fast as new ones arrive.
func shortConnsCapture(t testing.TB, n int) []byte {
	t.Helper()
	w := pcapgen.New(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	now := time.Unix(1700000000, 0)
	req := []byte("GET /small.txt HTTP/1.1\r\nHost: 192.0.2.2\r\nConnection: close\r\n\r\n")
	resp := []byte("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nhello world\n")
	for i := 0; i < n; i++ {
		client := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), uint16(10000+i%50000))
		c := pcapgen.NewConn(w, client, netip.MustParseAddrPort("192.0.2.2:80"), now)
		steps := []func() error{
			func() error { return c.Handshake(100 * time.Microsecond) },
			func() error { return c.ClientSend(req) },
			func() error { return c.ServerSend(resp) },
			c.ServerFIN, c.ClientACK, c.ClientFIN, c.ServerACK,
		}
		for _, s := range steps {
			c.Advance(20 * time.Microsecond)
			if err := s(); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(5 * time.Millisecond)
	}
	return w.Bytes()
}

// BenchmarkPipelineShortConns measures a run over many short connections,
// the report included, and reports the cost per connection.
func BenchmarkPipelineShortConns(b *testing.B) {
	const conns = 6000
	data := shortConnsCapture(b, conns)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		src, err := capture.OpenReader("short.pcap", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		r := newRun(DefaultConfig())
		r.store = &recordStore{}
		for {
			p, err := src.Next()
			if err != nil {
				break
			}
			r.packet(p)
		}
		r.finish(src.Stats())
		if len(r.rep.Connections) != conns {
			b.Fatalf("%d connections, want %d", len(r.rep.Connections), conns)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*conns), "ns/conn")
}

// TestShortConnectionAllocations guards what a short connection costs in
// allocations once the run is in its steady state (closed connections
// leave the tracker as fast as new ones arrive, and their states are
// recycled): the record, the messages and the per-connection findings
// input are allocated, the decoders and detector states are not. The
// budget is the measured cost (46 per connection when written, down from 82) plus
// a margin; a change that adds a per-connection allocation to every
// detector shows here.
func TestShortConnectionAllocations(t *testing.T) {
	const conns, warm, budget = 4000, 2000, 55
	src, err := capture.OpenReader("short.pcap", bytes.NewReader(shortConnsCapture(t, conns)))
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(DefaultConfig())
	r.store = &recordStore{}
	var pkts []*capture.Packet
	for {
		p, err := src.Next()
		if err != nil {
			break
		}
		cp := *p
		cp.Payload = append([]byte(nil), p.Payload...)
		pkts = append(pkts, &cp)
	}
	if len(pkts)%conns != 0 {
		t.Fatalf("%d packets for %d connections", len(pkts), conns)
	}
	per := len(pkts) / conns
	for _, p := range pkts[:warm*per] {
		r.packet(p)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, p := range pkts[warm*per:] {
		r.packet(p)
	}
	runtime.ReadMemStats(&after)
	closed := r.store.nConn
	if closed < (conns-warm)/2 {
		t.Fatalf("only %d connections closed during the run", closed)
	}
	perConn := float64(after.Mallocs-before.Mallocs) / float64(conns-warm)
	t.Logf("%.1f allocations per short connection", perConn)
	if perConn > budget {
		t.Errorf("%.1f allocations per short connection, budget %d", perConn, budget)
	}
}
