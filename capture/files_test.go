package capture_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"connscope/capture"
	"connscope/internal/pcapgen"
)

// conversation returns a capture of a short HTTP exchange (9 packets).
func conversation(t *testing.T, opts pcapgen.Options, start time.Time) []byte {
	t.Helper()
	w := pcapgen.New(opts)
	c := pcapgen.NewConn(w, cli4, srv4, start)
	c.Handshake()
	c.ClientSend(payload)
	c.ServerSend([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	c.ClientACK()
	c.Close()
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

// TestPcapVariants reads pcap with µs and ns timestamps in both byte
// orders.
func TestPcapVariants(t *testing.T) {
	for _, c := range []struct {
		name   string
		format pcapgen.Format
		be     bool
		want   time.Time
	}{
		{"micro_le", pcapgen.PcapMicro, false, t0.Truncate(time.Microsecond)},
		{"micro_be", pcapgen.PcapMicro, true, t0.Truncate(time.Microsecond)},
		{"nano_le", pcapgen.PcapNano, false, t0},
		{"nano_be", pcapgen.PcapNano, true, t0},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := conversation(t, pcapgen.Options{Format: c.format, BigEndian: c.be}, t0)
			s := openBytes(t, "x.pcap", b)
			pkts := readAll(t, s)
			if len(pkts) != 9 {
				t.Fatalf("got %d packets", len(pkts))
			}
			if got := pkts[0].Time.Time(); !got.Equal(c.want) {
				t.Errorf("first time %v, want %v", got, c.want)
			}
			if !pkts[0].Has(capture.FlagSYN) || pkts[0].Opts.MSS != 1460 || pkts[3].PayloadLen != len(payload) {
				t.Errorf("unexpected packets %+v", pkts[:4])
			}
			st := s.Stats()
			if st.First != int64(pkts[0].Time) || st.Last != int64(pkts[8].Time) || st.Interfaces != 1 ||
				!slices.Equal(st.Formats, []string{"pcap"}) || !slices.Equal(st.Sources, []string{"x.pcap"}) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestPcapngSectionsAndInterfaces reads pcapng with two sections in
// different byte orders, interfaces of different link types and
// timestamp resolutions, and a Simple Packet Block.
func TestPcapngSectionsAndInterfaces(t *testing.T) {
	var buf bytes.Buffer
	ng := pcapgen.NewNgWriter(&buf, false)
	eth := ng.AddInterface(1, 0, 65535) // µs (no if_tsresol)
	raw := ng.AddInterface(101, 9, 65535)
	seg := func(i int) []byte {
		return pcapgen.TCP(cli4, srv4, uint32(i), 0, pcapgen.ACK, 100, []byte{byte(i)}).IPPacket()
	}
	ts := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Millisecond) }
	write := func(iface int, link pcapgen.Link, i int) {
		f := pcapgen.Encap(link, seg(i))
		if err := ng.WritePacket(iface, ts(i), f, len(f)); err != nil {
			t.Fatal(err)
		}
	}
	write(eth, pcapgen.Ethernet, 1)
	write(raw, pcapgen.Raw, 2)
	ng.NewSection(true)
	sll2 := ng.AddInterface(276, 4, 65535) // 100 µs
	null := ng.AddInterface(0, 3, 65535)   // ms
	write(sll2, pcapgen.SLL2, 3)
	write(null, pcapgen.Null, 4)
	f := pcapgen.Encap(pcapgen.SLL2, seg(5))
	ng.WriteSimplePacket(f, len(f))
	if err := ng.Err(); err != nil {
		t.Fatal(err)
	}

	s := openBytes(t, "multi.pcapng", buf.Bytes())
	pkts := readAll(t, s)
	if len(pkts) != 5 {
		t.Fatalf("got %d packets, stats %+v", len(pkts), s.Stats())
	}
	want := []time.Time{
		ts(1).Truncate(time.Microsecond), ts(2), ts(3).Truncate(100 * time.Microsecond), ts(4).Truncate(time.Millisecond),
		ts(4).Truncate(time.Millisecond), // SPB: previous record's time
	}
	for i, p := range pkts {
		if p.Seq != uint32(i+1) || string(p.data) != string([]byte{byte(i + 1)}) {
			t.Errorf("packet %d: seq %d payload %v", i, p.Seq, p.data)
		}
		if d := p.Time.Time().Sub(want[i]); d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("packet %d: time %v, want %v", i, p.Time.Time(), want[i])
		}
	}
	st := s.Stats()
	if !slices.Equal(st.LinkTypes, []string{"ethernet", "linux_sll2", "null", "raw"}) {
		t.Errorf("link types %v", st.LinkTypes)
	}
	if st.Interfaces != 4 || st.Anomalies[capture.AnomalyCaptureNoTimestamp] != 1 {
		t.Errorf("interfaces %d anomalies %v", st.Interfaces, st.Anomalies)
	}
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestGzip reads gzip-compressed pcap and pcapng, detected by magic.
func TestGzip(t *testing.T) {
	for _, f := range []pcapgen.Format{pcapgen.PcapMicro, pcapgen.PcapNG} {
		b := conversation(t, pcapgen.Options{Format: f}, t0)
		p := writeTemp(t, "capture.pcap", gz(t, b)) // the name does not matter
		s, err := capture.OpenFiles([]string{p}, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(readAll(t, s)); n != 9 {
			t.Errorf("format %d: got %d packets", f, n)
		}
		s.Close()
	}
}

// TestStdin reads "-" from a pipe.
func TestStdin(t *testing.T) {
	b := conversation(t, pcapgen.Options{Format: pcapgen.PcapNG}, t0)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.Write(b)
		w.Close()
	}()
	s, err := capture.OpenFiles([]string{"-"}, capture.Options{Stdin: r})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := len(readAll(t, s)); n != 9 {
		t.Errorf("got %d packets", n)
	}
	if src := s.Stats().Sources; !slices.Equal(src, []string{"-"}) {
		t.Errorf("sources %v", src)
	}
	if _, err := capture.OpenFiles([]string{"-", "-"}, capture.Options{Stdin: bytes.NewReader(b)}); err == nil {
		t.Error("stdin twice accepted")
	}
}

// TestMerge merges three files in timestamp order; ties go to the file
// given first.
func TestMerge(t *testing.T) {
	// Millisecond-aligned times, so that µs and ns files tie exactly.
	base := t0.Truncate(time.Millisecond)
	ms := func(n int) time.Time { return base.Add(time.Duration(n) * time.Millisecond) }
	mk := func(format pcapgen.Format, link pcapgen.Link, marks ...int) []byte {
		w := pcapgen.New(pcapgen.Options{Format: format, Link: link})
		for _, m := range marks {
			w.WriteSegment(ms(m), pcapgen.TCP(cli4, srv4, uint32(m), 0, pcapgen.ACK, 1, nil))
		}
		return w.Bytes()
	}
	a := writeTemp(t, "a.pcap", mk(pcapgen.PcapNano, pcapgen.Ethernet, 1, 4, 4, 9))
	b := writeTemp(t, "b.pcapng", mk(pcapgen.PcapNG, pcapgen.SLL, 2, 4, 5))
	c := writeTemp(t, "c.pcap", gz(t, mk(pcapgen.PcapMicro, pcapgen.Raw, 0, 4, 10, 11)))
	s, err := capture.OpenFiles([]string{a, b, c}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	type key struct {
		mark   uint32
		source int
	}
	var gotKeys []key
	for i, p := range readAll(t, s) {
		gotKeys = append(gotKeys, key{p.Seq, p.Source})
		if p.Index != uint64(i+1) {
			t.Errorf("packet %d has index %d", i, p.Index)
		}
	}
	want := []key{{0, 2}, {1, 0}, {2, 1}, {4, 0}, {4, 0}, {4, 1}, {4, 2}, {5, 1}, {9, 0}, {10, 2}, {11, 2}}
	if !slices.Equal(gotKeys, want) {
		t.Errorf("order %v\nwant  %v", gotKeys, want)
	}
	st := s.Stats()
	if !slices.Equal(st.Sources, []string{"a.pcap", "b.pcapng", "c.pcap"}) ||
		!slices.Equal(st.Formats, []string{"pcap", "pcapng"}) ||
		!slices.Equal(st.LinkTypes, []string{"ethernet", "linux_sll", "raw"}) ||
		st.First != ms(0).UnixNano() || st.Last != ms(11).UnixNano() {
		t.Errorf("stats %+v", st)
	}
}

// TestRefused checks the one-line errors for files that are not captures
// or cannot be read.
func TestRefused(t *testing.T) {
	pcapHdr := func(major, minor uint16, link uint32) []byte {
		h := make([]byte, 24)
		binary.LittleEndian.PutUint32(h, 0xa1b2c3d4)
		binary.LittleEndian.PutUint16(h[4:], major)
		binary.LittleEndian.PutUint16(h[6:], minor)
		binary.LittleEndian.PutUint32(h[16:], 65535)
		binary.LittleEndian.PutUint32(h[20:], link)
		return h
	}
	ng := conversation(t, pcapgen.Options{Format: pcapgen.PcapNG}, t0)
	ngVersion := bytes.Clone(ng)
	binary.LittleEndian.PutUint16(ngVersion[14:], 1)
	ngTrailer := bytes.Clone(ng)
	binary.LittleEndian.PutUint32(ngTrailer[24:], 999)
	ngOrder := bytes.Clone(ng)
	copy(ngOrder[8:], "abcd")
	cases := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"text", "notes.txt", []byte("Hello, world\n"), "not a pcap or pcapng file (magic 0x48656c6c)"},
		{"empty", "empty.pcap", nil, "empty file"},
		{"three_bytes", "tiny.pcap", []byte{0xd4, 0xc3, 0xb2}, "not a pcap or pcapng file (only 3 bytes)"},
		{"short_pcap_header", "short.pcap", pcapHdr(2, 4, 1)[:20], "truncated pcap file header (20 of 24 bytes)"},
		{"pcap_version", "v.pcap", pcapHdr(2, 5, 1), "unsupported pcap version 2.5"},
		{"pcap_reserved_link_bits", "r.pcap", pcapHdr(2, 4, 0x00300001), "pcap link type reserved field not zero (0x00300000)"},
		{"pcapng_version", "v.pcapng", ngVersion, "unsupported pcapng version 1.1"},
		{"pcapng_trailer", "t.pcapng", ngTrailer, "corrupt pcapng section header (block length 28, trailer 999)"},
		{"pcapng_byte_order", "o.pcapng", ngOrder, "pcapng section header has a bad byte-order magic (0x61626364)"},
		{"gzip_of_text", "notes.gz", gz(t, []byte("Hello, world\n")), "not a pcap or pcapng file (magic 0x48656c6c)"},
		{"gzip_empty", "e.gz", gz(t, nil), "empty gzip content"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, c.file, c.data)
			_, err := capture.OpenFiles([]string{p}, capture.Options{})
			if err == nil {
				t.Fatal("opened")
			}
			want := `capture: open "` + p + `": ` + c.want
			if err.Error() != want {
				t.Errorf("error\n got %q\nwant %q", err, want)
			}
		})
	}
	t.Run("missing_file", func(t *testing.T) {
		_, err := capture.OpenFiles([]string{"/nonexistent/x.pcap"}, capture.Options{})
		if err == nil || err.Error() != `capture: open "/nonexistent/x.pcap": no such file or directory` {
			t.Errorf("error %v", err)
		}
	})
	t.Run("second_file_bad_closes_first", func(t *testing.T) {
		good := writeTemp(t, "good.pcap", conversation(t, pcapgen.Options{}, t0))
		bad := writeTemp(t, "bad.txt", []byte("nope nope"))
		_, err := capture.OpenFiles([]string{good, bad}, capture.Options{})
		if err == nil || !strings.Contains(err.Error(), "bad.txt") {
			t.Errorf("error %v", err)
		}
	})
}

// TestTruncatedFile checks that a file ending inside a record keeps the
// records before it and counts capture_truncated_file.
func TestTruncatedFile(t *testing.T) {
	pcap := conversation(t, pcapgen.Options{Format: pcapgen.PcapMicro}, t0)
	ng := conversation(t, pcapgen.Options{Format: pcapgen.PcapNG}, t0)
	// Each record of the conversation: 16-byte header + frame; the last
	// record is a 54-byte ACK frame.
	cases := []struct {
		name string
		data []byte
		want int
	}{
		{"pcap_cut_in_frame", pcap[:len(pcap)-10], 8},
		{"pcap_cut_in_record_header", pcap[:len(pcap)-54-8], 8},
		{"pcap_cut_after_record_header", pcap[:len(pcap)-54], 8},
		{"pcapng_cut_in_block", ng[:len(ng)-7], 8},
		// The last Enhanced Packet Block is 12+20+56 bytes; keep 4 of them.
		{"pcapng_cut_in_block_header", ng[:len(ng)-88+4], 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openBytes(t, "cut", c.data)
			if n := len(readAll(t, s)); n != c.want {
				t.Errorf("got %d packets, want %d", n, c.want)
			}
			if got := s.Stats().Anomalies[capture.AnomalyCaptureTruncatedFile]; got != 1 {
				t.Errorf("capture_truncated_file = %d", got)
			}
			if _, err := s.Next(); err != io.EOF {
				t.Errorf("after end: %v", err)
			}
		})
	}
	t.Run("gzip_trailer_cut", func(t *testing.T) {
		// The compressed records are all there; the gzip stream ends
		// before its CRC and size trailer.
		z := gz(t, pcap)
		s := openBytes(t, "cut.gz", z[:len(z)-5])
		if n := len(readAll(t, s)); n != 9 {
			t.Errorf("got %d packets, want 9", n)
		}
		if got := s.Stats().Anomalies[capture.AnomalyCaptureTruncatedFile]; got != 1 {
			t.Errorf("capture_truncated_file = %d", got)
		}
	})
	t.Run("merged_truncated_file", func(t *testing.T) {
		a := writeTemp(t, "a.pcap", pcap[:len(pcap)-10])
		b := writeTemp(t, "b.pcap", conversation(t, pcapgen.Options{}, t0.Add(time.Second)))
		s, err := capture.OpenFiles([]string{a, b}, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if n := len(readAll(t, s)); n != 17 {
			t.Errorf("got %d packets", n)
		}
		if got := s.Stats().Anomalies[capture.AnomalyCaptureTruncatedFile]; got != 1 {
			t.Errorf("capture_truncated_file = %d", got)
		}
	})
	t.Run("corrupt_record_is_error", func(t *testing.T) {
		bad := bytes.Clone(pcap)
		// Captured length of the first record beyond any snap length.
		binary.LittleEndian.PutUint32(bad[24+8:], 1<<30)
		s := openBytes(t, "bad.pcap", bad)
		_, err := s.Next()
		if err == nil || err == io.EOF || !strings.Contains(err.Error(), `capture: read "bad.pcap"`) {
			t.Errorf("error %v", err)
		}
	})
}
