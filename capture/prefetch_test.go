package capture_test

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"connscope/capture"
	"connscope/internal/pcapgen"
)

// manyPackets returns a capture of n TCP segments whose payload sizes cycle
// through sizes (0 means no payload).
func manyPackets(t *testing.T, n int, sizes []int) []byte {
	t.Helper()
	w := pcapgen.New(pcapgen.Options{})
	for i := range n {
		seg := pcapgen.Segment{Src: cli4, Dst: srv4, Seq: uint32(i * 1000), Flags: capture.FlagACK, Window: 100}
		if sz := sizes[i%len(sizes)]; sz > 0 {
			seg.Payload = bytes.Repeat([]byte{byte(i)}, sz)
			seg.Flags |= capture.FlagPSH
		}
		if err := w.WriteSegment(t0.Add(time.Duration(i)*time.Millisecond), seg); err != nil {
			t.Fatal(err)
		}
	}
	return w.Bytes()
}

// TestPrefetchSamePackets: a Prefetcher hands over exactly the packets, the
// end and the counters of its source, across many batches, with payloads
// of every size (empty, small, larger than a batch's payload budget).
func TestPrefetchSamePackets(t *testing.T) {
	inputs := map[string][]byte{
		"many_small": manyPackets(t, 3000, []int{0, 1, 40, 0, 1460}),
		"big":        manyPackets(t, 40, []int{60000, 0, 9000}),
	}
	files, _ := filepath.Glob("../testdata/pcaps/*.pcap")
	for _, f := range files {
		inputs[filepath.Base(f)] = nil
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			open := func() capture.Source {
				if data != nil {
					return openBytes(t, name, data)
				}
				s, err := capture.OpenFiles([]string{filepath.Join("../testdata/pcaps", name)}, capture.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			plain := open()
			want := readAll(t, plain)
			pf := capture.Prefetch(open())
			defer pf.Close()
			got := readAll(t, pf)
			if len(got) != len(want) {
				t.Fatalf("%d packets, want %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if !bytes.Equal(g.data, w.data) || (g.Payload == nil) != (w.Payload == nil) {
					t.Fatalf("packet %d: payload %d bytes (nil %v), want %d (nil %v)", i, len(g.data), g.Payload == nil, len(w.data), w.Payload == nil)
				}
				g.Payload, w.Payload = nil, nil
				if !reflect.DeepEqual(g.Packet, w.Packet) {
					t.Fatalf("packet %d:\n got %+v\nwant %+v", i, g.Packet, w.Packet)
				}
			}
			if !reflect.DeepEqual(pf.Stats(), plain.Stats()) {
				t.Errorf("stats:\n got %+v\nwant %+v", pf.Stats(), plain.Stats())
			}
			if _, err := pf.Next(); err != io.EOF {
				t.Errorf("after the end: %v, want EOF again", err)
			}
		})
	}
}

// failingSource yields n packets of its inner source, then err.
type failingSource struct {
	capture.Source
	n   int
	err error
}

func (s *failingSource) Next() (*capture.Packet, error) {
	if s.n == 0 {
		return nil, s.err
	}
	s.n--
	return s.Source.Next()
}

// TestPrefetchError: packets read before a read error come first, then the
// error itself, with the counters at that point.
func TestPrefetchError(t *testing.T) {
	data := manyPackets(t, 2000, []int{10})
	boom := errors.New("boom")
	src := &failingSource{Source: openBytes(t, "x", data), n: 1234, err: boom}
	pf := capture.Prefetch(src)
	defer pf.Stop()
	n := 0
	var err error
	for {
		if _, err = pf.Next(); err != nil {
			break
		}
		n++
	}
	if n != 1234 || !errors.Is(err, boom) {
		t.Fatalf("%d packets then %v, want 1234 then boom", n, err)
	}
	if st := pf.Stats(); st.Decoded != 1234 {
		t.Errorf("stats after the error: decoded %d, want 1234", st.Decoded)
	}
}

// TestPrefetchStop: after Stop, Next still returns the rest of the batch it
// is in (Buffered) and then ErrStopped, and Stats counts exactly the packets
// handed over.
func TestPrefetchStop(t *testing.T) {
	data := manyPackets(t, 5000, []int{10, 0})
	pf := capture.Prefetch(openBytes(t, "x", data))
	for range 700 {
		if _, err := pf.Next(); err != nil {
			t.Fatal(err)
		}
	}
	pf.Stop()
	rest := pf.Buffered()
	n := 700
	for {
		_, err := pf.Next()
		if err != nil {
			if !errors.Is(err, capture.ErrStopped) {
				t.Fatalf("after Stop: %v, want ErrStopped", err)
			}
			break
		}
		n++
	}
	if n != 700+rest || n >= 5000 {
		t.Errorf("%d packets handed over, want 700 + %d buffered, short of the 5000 of the file", n, rest)
	}
	if st := pf.Stats(); st.Decoded != uint64(n) || st.Packets != uint64(n) {
		t.Errorf("stats: %d packets, %d decoded; want %d handed over", st.Packets, st.Decoded, n)
	}
	pf.Stop() // a second Stop is harmless
	if err := pf.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestPrefetchStopAtEnd: a Stop after the source ended keeps its end.
func TestPrefetchStopAtEnd(t *testing.T) {
	pf := capture.Prefetch(openBytes(t, "x", manyPackets(t, 10, []int{5})))
	for range 10 {
		if _, err := pf.Next(); err != nil {
			t.Fatal(err)
		}
	}
	// The ten packets came in one batch, the last: it carries the end.
	pf.Stop()
	if _, err := pf.Next(); err != io.EOF {
		t.Errorf("Next after Stop at the end: %v, want EOF", err)
	}
}
