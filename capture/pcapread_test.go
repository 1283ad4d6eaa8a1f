package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gopacket/gopacket/pcapgo"

	"connscope/internal/corpus"
)

// pcapFile builds a classic pcap file: header, then each record's 16-byte
// header and data (data may be shorter than the capture length claimed).
type pcapFile struct {
	bo   binary.ByteOrder
	buf  bytes.Buffer
	nano bool
}

func newPcapFile(bo binary.ByteOrder, nano bool, snaplen uint32) *pcapFile {
	p := &pcapFile{bo: bo, nano: nano}
	magic := uint32(pcapMagicMicro)
	if nano {
		magic = pcapMagicNano
	}
	h := make([]byte, 24)
	bo.PutUint32(h[0:], magic)
	bo.PutUint16(h[4:], 2)
	bo.PutUint16(h[6:], 4)
	bo.PutUint32(h[16:], snaplen)
	bo.PutUint32(h[20:], 1)
	p.buf.Write(h)
	return p
}

func (p *pcapFile) record(sec, frac, caplen, wire uint32, data []byte) *pcapFile {
	h := make([]byte, 16)
	p.bo.PutUint32(h[0:], sec)
	p.bo.PutUint32(h[4:], frac)
	p.bo.PutUint32(h[8:], caplen)
	p.bo.PutUint32(h[12:], wire)
	p.buf.Write(h)
	p.buf.Write(data)
	return p
}

func (p *pcapFile) raw(b []byte) *pcapFile { p.buf.Write(b); return p }

// compareWithPcapgo reads file with pcapReader and with pcapgo.Reader and
// fails at the first record where they differ: data, timestamp, original
// length, or the error that ends reading (pcapgo's io.EOF after a record
// header and its io.ErrUnexpectedEOF inside data are errTruncated here).
// It returns the number of records read.
func compareWithPcapgo(t *testing.T, name string, file []byte) int {
	t.Helper()
	return compareReaders(t, name, file, nil)
}

// compareArenaWithPcapgo is compareWithPcapgo for the reader in arena mode
// (the Prefetcher's), from a reader that returns at most 4000 bytes a call
// as a pipe may: every record is handed out, records are pinned in groups
// of random size, up to five groups are held at once, and each record must
// still hold its bytes when its group is released.
func compareArenaWithPcapgo(t *testing.T, name string, file []byte, seed uint64) int {
	t.Helper()
	return compareReaders(t, name, file, rand.New(rand.NewPCG(seed, 1)))
}

// compareReaders is compareWithPcapgo, in arena mode when rng is set.
func compareReaders(t *testing.T, name string, file []byte, rng *rand.Rand) int {
	t.Helper()
	want, err := pcapgo.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("%s: pcapgo refuses the header: %v", name, err)
	}
	var in io.Reader = bytes.NewReader(file)
	if rng != nil {
		in = iotest.HalfReader(in)
	}
	got, err := newPcapReader(bufio.NewReaderSize(in, readBufferSize))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	type held struct{ data, copy []byte }
	type pinned struct {
		recs   []held
		chunks []*chunk
	}
	var (
		a      *arena
		group  []held
		groups []pinned
	)
	if rng != nil {
		a = got.startArena()
	}
	check := func(g pinned) {
		for i, h := range g.recs {
			if !bytes.Equal(h.data, h.copy) {
				t.Fatalf("%s: a record of a pinned group (%d of %d) was overwritten", name, i, len(g.recs))
			}
		}
		a.release(g.chunks)
	}
	defer func() {
		for _, g := range groups {
			check(g)
		}
	}()
	for n := 0; ; n++ {
		if a != nil && rng.IntN(4) == 0 {
			groups = append(groups, pinned{recs: group, chunks: a.pin(nil)})
			group = nil
			if len(groups) > 4 {
				check(groups[0])
				groups = groups[1:]
			}
		}
		wd, ci, werr := want.ZeroCopyReadPacketData()
		gd, ts, wire, gerr := got.next()
		if werr != nil {
			switch {
			case werr == io.EOF && ci.CaptureLength > 0, errors.Is(werr, io.ErrUnexpectedEOF) && ci.CaptureLength > 0:
				werr = errTruncated
			}
			if gerr == nil || gerr.Error() != werr.Error() {
				t.Fatalf("%s: record %d: error %v, pcapgo %v", name, n, gerr, werr)
			}
			return n
		}
		if gerr != nil {
			t.Fatalf("%s: record %d: error %v, pcapgo read %d bytes", name, n, gerr, len(wd))
		}
		if !bytes.Equal(gd, wd) || ts != ci.Timestamp.UnixNano() || wire != ci.Length {
			t.Fatalf("%s: record %d: %d bytes at %d wire %d, pcapgo %d bytes at %d wire %d",
				name, n, len(gd), ts, wire, len(wd), ci.Timestamp.UnixNano(), ci.Length)
		}
		if a != nil {
			a.use()
			group = append(group, held{gd, bytes.Clone(gd)})
		}
	}
}

// TestPcapReaderLikePcapgo: records of both byte orders and timestamp
// resolutions, records larger than the read-ahead buffer and than 262144
// bytes, and files that break the format in each way pcapgo notices, read
// alike by both readers.
func TestPcapReaderLikePcapgo(t *testing.T) {
	le, be := binary.ByteOrder(binary.LittleEndian), binary.ByteOrder(binary.BigEndian)
	frame := func(n int) []byte { return bytes.Repeat([]byte{0xab, 0xcd, 0x01}, n/3+1)[:n] }
	type tc struct {
		name    string
		file    *pcapFile
		records int
	}
	var cases []tc
	for _, bo := range []binary.ByteOrder{le, be} {
		for _, nano := range []bool{false, true} {
			name := fmt.Sprintf("%v/nano=%v", bo, nano)
			cases = append(cases,
				tc{name + "/plain", newPcapFile(bo, nano, 65535).
					record(1700000000, 999999, 60, 60, frame(60)).
					record(1700000001, 0, 0, 40, nil).
					record(1700000001, 4294967295, 1514, 1514, frame(1514)), 3},
				tc{name + "/truncated_header", newPcapFile(bo, nano, 65535).
					record(1, 2, 10, 10, frame(10)).raw([]byte{1, 2, 3, 4, 5}), 1},
				tc{name + "/no_data", newPcapFile(bo, nano, 65535).record(1, 2, 10, 10, nil), 0},
				tc{name + "/partial_data", newPcapFile(bo, nano, 65535).record(1, 2, 100, 100, frame(50)), 0},
			)
		}
	}
	cases = append(cases,
		tc{"empty", newPcapFile(le, false, 65535), 0},
		tc{"caplen_over_wire", newPcapFile(le, false, 65535).record(1, 2, 100, 99, frame(100)), 0},
		tc{"caplen_over_262144", newPcapFile(le, false, 65535).record(1, 2, 262145, 262145, frame(262145)), 0},
		tc{"caplen_over_snaplen_within_262144", newPcapFile(le, false, 100).record(1, 2, 200, 200, frame(200)), 1},
		tc{"larger_than_buffer", newPcapFile(le, false, 262144).
			record(1, 2, 70000, 70000, frame(70000)).record(1, 3, 200000, 200000, frame(200000)).
			record(1, 4, 60, 60, frame(60)), 3},
		tc{"larger_than_buffer_truncated", newPcapFile(le, false, 262144).record(1, 2, 70000, 70000, frame(100)), 0},
		tc{"huge_snaplen", newPcapFile(le, false, 1<<30).
			record(1, 2, 300000, 300000, frame(300000)).record(1, 3, 1<<29, 1<<29, frame(1000)), 1},
		tc{"huge_snaplen_no_data", newPcapFile(le, false, 1<<30).record(1, 2, 1<<29, 1<<29, nil), 0},
	)
	// Many records of mixed sizes, across many chunks of the arena.
	many := newPcapFile(le, false, 262144)
	for i := range 600 {
		n := []int{1514, 60, 70000, 0, 262144}[i%5]
		many.record(1, uint32(i), uint32(n), uint32(n), frame(n))
	}
	cases = append(cases, tc{"many_across_chunks", many, 600})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := compareWithPcapgo(t, c.name, c.file.buf.Bytes()); n != c.records {
				t.Errorf("%d records read, want %d", n, c.records)
			}
			for seed := range uint64(4) {
				if n := compareArenaWithPcapgo(t, c.name, c.file.buf.Bytes(), seed); n != c.records {
					t.Errorf("arena, seed %d: %d records read, want %d", seed, n, c.records)
				}
			}
		})
	}
}

// TestPcapReaderCorpus: every classic pcap file of the corpus (plain or
// gzip-compressed) is read alike by pcapReader and pcapgo.
func TestPcapReaderCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	files := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil
			}
			if data, err = io.ReadAll(zr); err != nil {
				return nil
			}
		}
		if len(data) < 24 {
			return nil
		}
		switch m := binary.LittleEndian.Uint32(data); {
		case m == pcapMagicMicro || m == pcapMagicNano,
			binary.BigEndian.Uint32(data) == pcapMagicMicro || binary.BigEndian.Uint32(data) == pcapMagicNano:
		default:
			return nil
		}
		if _, err := pcapgo.NewReader(bytes.NewReader(data)); err != nil {
			return nil // refused at open by both (openPcap checks more)
		}
		files++
		compareWithPcapgo(t, strings.TrimPrefix(path, dir), data)
		compareArenaWithPcapgo(t, strings.TrimPrefix(path, dir), data, uint64(files))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d classic pcap files in the corpus", files)
	}
}

// FuzzPcapReader: on any bytes after a valid file header, pcapReader and
// pcapgo read the same records and stop with the same error.
func FuzzPcapReader(f *testing.F) {
	f.Add(uint32(65535), false, newPcapFile(binary.LittleEndian, false, 65535).record(1, 2, 4, 4, []byte("abcd")).buf.Bytes()[24:])
	f.Add(uint32(1<<20), true, []byte{})
	f.Fuzz(func(t *testing.T, snaplen uint32, nano bool, body []byte) {
		file := newPcapFile(binary.LittleEndian, nano, snaplen).raw(body)
		compareWithPcapgo(t, "fuzz", file.buf.Bytes())
		compareArenaWithPcapgo(t, "fuzz", file.buf.Bytes(), uint64(len(body)))
	})
}

// TestArenaSkippedRecords: records the source skips (here frames that are
// not IP) do not pin their chunks. A run of 7.6 MB of them between two
// TCP packets is read through a few chunks, not held whole until the
// batch of the second packet is given back.
func TestArenaSkippedRecords(t *testing.T) {
	tcp := func(payload string) []byte {
		f := make([]byte, 14+20+20, 14+20+20+len(payload))
		f[12], f[13] = 0x08, 0x00 // IPv4
		ip := f[14:]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
		ip[8], ip[9] = 64, 6 // TTL, TCP
		copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
		tc := ip[20:]
		binary.BigEndian.PutUint16(tc[0:], 40000)
		binary.BigEndian.PutUint16(tc[2:], 80)
		binary.BigEndian.PutUint32(tc[4:], 1)
		tc[12], tc[13] = 5<<4, 0x18 // data offset, PSH|ACK
		binary.BigEndian.PutUint16(tc[14:], 1000)
		return append(f, payload...)
	}
	other := make([]byte, 1516)
	other[12], other[13] = 0x88, 0xb5 // not IP
	file := newPcapFile(binary.LittleEndian, false, 65535)
	first := tcp("first")
	file.record(1, 0, uint32(len(first)), uint32(len(first)), first)
	for i := range 5000 {
		file.record(1, uint32(i+1), uint32(len(other)), uint32(len(other)), other)
	}
	last := tcp("last")
	file.record(2, 0, uint32(len(last)), uint32(len(last)), last)

	src, err := OpenReader("skipped.pcap", bytes.NewReader(file.buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	p := Prefetch(src)
	defer p.Close()
	if p.arena == nil {
		t.Fatal("a classic pcap file is not read into an arena")
	}
	var payloads []string
	for {
		pk, err := p.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, string(pk.Payload))
	}
	if !slices.Equal(payloads, []string{"first", "last"}) {
		t.Fatalf("payloads %q", payloads)
	}
	if p.arena.made > 4 {
		t.Errorf("%d chunks of %d KiB made for 7.6 MB of skipped records", p.arena.made, arenaChunkSize>>10)
	}
}
