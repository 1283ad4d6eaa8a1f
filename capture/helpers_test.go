package capture_test

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"connscope/capture"
	"connscope/internal/pcapgen"
)

var (
	t0      = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	cli4    = netip.MustParseAddrPort("10.0.0.1:40000")
	srv4    = netip.MustParseAddrPort("192.0.2.80:80")
	cli6    = netip.MustParseAddrPort("[2001:db8::1]:40000")
	srv6    = netip.MustParseAddrPort("[2001:db8::80]:443")
	payload = []byte("GET / HTTP/1.1\r\nHost: example\r\n\r\n")
)

// got is a Packet with its payload copied, safe to keep after Next.
type got struct {
	capture.Packet
	data []byte
}

// readAll drains src, copying every packet, and fails on a read error.
func readAll(t *testing.T, src capture.Source) []got {
	t.Helper()
	var out []got
	for {
		p, err := src.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, got{Packet: *p, data: bytes.Clone(p.Payload)})
	}
}

// openBytes opens an in-memory capture.
func openBytes(t *testing.T, name string, b []byte) capture.Source {
	t.Helper()
	src, err := capture.OpenReader(name, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// writeTemp writes b to a file named name in a temporary directory.
func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// oneSegment returns a capture holding one TCP segment.
func oneSegment(t *testing.T, opts pcapgen.Options, seg pcapgen.Segment) []byte {
	t.Helper()
	w := pcapgen.New(opts)
	if err := w.WriteSegment(t0, seg); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

// endpoint formats ap the way flow.Endpoint.String does.
func endpoint(ap netip.AddrPort) string { return ap.String() }

// bytesBuffer is the in-memory destination of pcapgen writers.
type bytesBuffer = bytes.Buffer

// writeAll writes b to path.
func writeAll(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
