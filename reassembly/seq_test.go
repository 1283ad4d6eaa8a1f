package reassembly

import (
	"slices"
	"testing"
	"time"

	"connscope/flow"
)

// c2s returns client data rows at consecutive milliseconds starting at at.
func c2s(at int, rows ...seg) []seg {
	out := make([]seg, len(rows))
	for i, r := range rows {
		r.at = at + i
		r.from = 'c'
		if r.flags == "" {
			r.flags = "PA"
		}
		if r.ack == 0 {
			r.ack = 5001
		}
		out[i] = r
	}
	return out
}

// TestStreamShapes feeds client data in various orders after a handshake
// (client ISN 1000: the first byte is 1001) and checks the delivered
// transcript and the counters. Rules: RFC 9293 §3.10.7.4 (segment
// acceptance, trimming), Wireshark's analysis flags for the kinds.
func TestStreamShapes(t *testing.T) {
	type want struct {
		stream      string
		retrans     uint64
		retransB    uint64
		ooo         uint64
		gaps        uint64
		gapBytes    uint64
		keepAlives  uint64
		payload     uint64
		kinds       []SegmentKind // kinds of the client data rows, in order
		truncBytes  uint64
		truncatedSg uint64
	}
	cases := []struct {
		name string
		rows []seg
		tail []seg // rows after the client data (any direction)
		want want
	}{
		{
			name: "in order",
			rows: []seg{{seq: 1001, data: "abc"}, {seq: 1004, data: "def"}},
			want: want{stream: "abcdef<end>", payload: 6, kinds: []SegmentKind{SegNew, SegNew}},
		},
		{
			name: "reorder: three segments reversed",
			rows: []seg{{seq: 1007, data: "ghi"}, {seq: 1004, data: "def"}, {seq: 1001, data: "abc"}},
			want: want{stream: "abcdefghi<end>", ooo: 2, payload: 9,
				kinds: []SegmentKind{SegOutOfOrder, SegOutOfOrder, SegNew}},
		},
		{
			name: "retransmission of delivered data",
			rows: []seg{{seq: 1001, data: "abc"}, {seq: 1001, data: "abc"}, {seq: 1004, data: "d"}},
			want: want{stream: "abcd<end>", retrans: 1, retransB: 3, payload: 4,
				kinds: []SegmentKind{SegNew, SegRetransmission, SegNew}},
		},
		{
			name: "overlap: retransmission with new bytes at its end",
			rows: []seg{{seq: 1001, data: "abc"}, {seq: 1002, data: "bcdef"}},
			want: want{stream: "abcdef<end>", retrans: 1, retransB: 2, payload: 6,
				kinds: []SegmentKind{SegNew, SegRetransmission}},
		},
		{
			name: "overlap: buffered segments overlapping each other",
			rows: []seg{{seq: 1005, data: "efgh"}, {seq: 1003, data: "cdef"}, {seq: 1001, data: "ab"}},
			want: want{stream: "abcdefgh<end>", ooo: 2, payload: 8,
				kinds: []SegmentKind{SegOutOfOrder, SegOutOfOrder, SegNew}},
		},
		{
			name: "overlap: one segment covering several buffered ones",
			rows: []seg{{seq: 1003, data: "c"}, {seq: 1005, data: "e"}, {seq: 1001, data: "abcdefg"}},
			want: want{stream: "abcdefg<end>", ooo: 2, payload: 7,
				kinds: []SegmentKind{SegOutOfOrder, SegOutOfOrder, SegNew}},
		},
		{
			name: "overlap: duplicate of buffered data",
			rows: []seg{{seq: 1004, data: "def"}, {seq: 1005, data: "e"}, {seq: 1001, data: "abc"}},
			want: want{stream: "abcdef<end>", ooo: 2, retrans: 1, retransB: 1, payload: 6,
				kinds: []SegmentKind{SegOutOfOrder, SegRetransmission, SegNew}},
		},
		{
			name: "overlap: straddles delivered data and fills the hole",
			rows: []seg{{seq: 1001, data: "ab"}, {seq: 1006, data: "fg"}, {seq: 1002, data: "bcdef"}},
			want: want{stream: "abcdefg<end>", ooo: 1, retrans: 1, retransB: 1, payload: 7,
				kinds: []SegmentKind{SegNew, SegOutOfOrder, SegRetransmission}},
		},
		{
			name: "gap declared when the server ACKs beyond the hole",
			rows: []seg{{seq: 1001, data: "abc"}, {seq: 1011, data: "klm"}},
			tail: []seg{{at: 50, from: 's', flags: "A", seq: 5001, ack: 1014}},
			want: want{stream: "abc<gap:7>klm<end>", ooo: 1, gaps: 1, gapBytes: 7, payload: 6,
				kinds: []SegmentKind{SegNew, SegOutOfOrder}},
		},
		{
			name: "data above a hole the server already ACKed is not buffered",
			rows: []seg{{seq: 1001, data: "abc"}},
			tail: []seg{
				{at: 50, from: 's', flags: "A", seq: 5001, ack: 1011},
				{at: 51, from: 'c', flags: "PA", seq: 1011, ack: 5001, data: "klm"},
			},
			want: want{stream: "abc<gap:7>klm<end>", ooo: 1, gaps: 1, gapBytes: 7, payload: 6,
				kinds: []SegmentKind{SegNew}},
		},
		{
			name: "gap at FIN: the FIN arrives above a hole and is ACKed",
			rows: []seg{{seq: 1001, data: "abc"}, {seq: 1007, flags: "FA", data: "ghi"}},
			tail: []seg{{at: 50, from: 's', flags: "A", seq: 5001, ack: 1011}},
			want: want{stream: "abc<gap:3>ghi<end>", ooo: 1, gaps: 1, gapBytes: 3, payload: 6,
				kinds: []SegmentKind{SegNew, SegOutOfOrder}},
		},
		{
			name: "gap at FIN: a retransmission fills the hole first",
			rows: []seg{{seq: 1001, data: "abc"}, {seq: 1007, flags: "FA", data: "ghi"}, {seq: 1004, data: "def"}},
			tail: []seg{{at: 50, from: 's', flags: "A", seq: 5001, ack: 1011}},
			want: want{stream: "abcdefghi<end>", ooo: 1, payload: 9,
				kinds: []SegmentKind{SegNew, SegOutOfOrder, SegNew}},
		},
		{
			name: "gap at FIN: the hole is still open at the end of the input",
			rows: []seg{{seq: 1001, data: "abc"}, {seq: 1007, flags: "FA", data: "ghi"}},
			want: want{stream: "abc<gap:3>ghi<end>", ooo: 1, gaps: 1, gapBytes: 3, payload: 6,
				kinds: []SegmentKind{SegNew, SegOutOfOrder}},
		},
		{
			name: "gap at RST: the connection ends with a hole",
			rows: []seg{{seq: 1001, data: "abc"}, {seq: 1007, data: "ghi"}, {seq: 1010, flags: "R"}},
			want: want{stream: "abc<gap:3>ghi<end>", ooo: 1, gaps: 1, gapBytes: 3, payload: 6,
				kinds: []SegmentKind{SegNew, SegOutOfOrder, SegNew}},
		},
		{
			name: "keep-alives: empty and one garbage byte at next-1",
			rows: []seg{{seq: 1001, data: "abc"}, {seq: 1003, flags: "A"}, {seq: 1003, data: "c"}, {seq: 1004, data: "d"}},
			want: want{stream: "abcd<end>", keepAlives: 2, payload: 4,
				kinds: []SegmentKind{SegNew, SegKeepAlive, SegKeepAlive, SegNew}},
		},
		{
			name: "snaplen cut: the uncaptured part is a gap",
			rows: []seg{{seq: 1001, data: "abcd", plen: 10}, {seq: 1011, data: "klm"}},
			want: want{stream: "abcd<gap:6>klm<end>", payload: 13, truncBytes: 6, truncatedSg: 1,
				kinds: []SegmentKind{SegNew, SegNew}},
		},
		{
			name: "snaplen cut of a buffered segment",
			rows: []seg{{seq: 1004, data: "de", plen: 5}, {seq: 1001, data: "abc"}, {seq: 1009, data: "i"}},
			want: want{stream: "abcde<gap:3>i<end>", ooo: 1, payload: 9, truncBytes: 3, truncatedSg: 1,
				kinds: []SegmentKind{SegOutOfOrder, SegNew, SegNew}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows := cat(handshake(1000, 5000), c2s(10, tc.rows...), tc.tail)
			r, _ := runSegs(t, Config{}, rows)
			cr := r.conn(t, 1)
			ds, w := cr.closed.Dir[0], tc.want
			if cr.stream[0] != w.stream {
				t.Errorf("stream %q, want %q", cr.stream[0], w.stream)
			}
			got := [...]uint64{ds.Retransmissions, ds.RetransBytes, ds.OutOfOrder, ds.Gaps, ds.GapBytes, ds.KeepAlives, ds.PayloadBytes, ds.TruncatedBytes, ds.TruncatedSegments}
			exp := [...]uint64{w.retrans, w.retransB, w.ooo, w.gaps, w.gapBytes, w.keepAlives, w.payload, w.truncBytes, w.truncatedSg}
			if got != exp {
				t.Errorf("retrans,bytes,ooo,gaps,gapbytes,keepalive,payload,trunc,truncsegs = %v, want %v", got, exp)
			}
			var kinds []SegmentKind
			for _, s := range cr.segs {
				if s.Index > 3 && s.Index <= uint64(3+len(tc.rows)) {
					kinds = append(kinds, s.Kind)
				}
			}
			if len(kinds) != len(w.kinds) {
				t.Fatalf("kinds %v, want %v", kinds, w.kinds)
			}
			for i := range kinds {
				if kinds[i] != w.kinds[i] {
					t.Errorf("kinds %v, want %v", kinds, w.kinds)
					break
				}
			}
		})
	}
}

// TestSequenceWrap runs a stream across 2^32 with reordering (RFC 1982
// serial arithmetic) and checks the 64-bit relative sequence numbers.
func TestSequenceWrap(t *testing.T) {
	var isn uint32 = 0xFFFFFFF0
	rows := cat(handshake(isn, 5000), []seg{
		{at: 10, from: 'c', flags: "PA", seq: isn + 1, ack: 5001, data: "0123456789"},     // ends at 0xFFFFFFFB
		{at: 11, from: 'c', flags: "PA", seq: isn + 21, ack: 5001, data: "klmnopqrst"},    // wraps: 0x5..0xE
		{at: 12, from: 'c', flags: "PA", seq: isn + 11, ack: 5001, data: "abcdefghij"},    // crosses 2^32
		{at: 13, from: 'c', flags: "PA", seq: isn + 31, ack: 5001, data: "uvwxyz"},        // after the wrap
		{at: 14, from: 'c', flags: "PA", seq: isn + 11, ack: 5001, data: "abcdefghijklm"}, // old
	})
	r, _ := runSegs(t, Config{}, rows)
	cr := r.conn(t, 1)
	if want := "0123456789abcdefghijklmnopqrstuvwxyz<end>"; cr.stream[0] != want {
		t.Errorf("stream %q, want %q", cr.stream[0], want)
	}
	wantRel := map[uint64]int64{4: 1, 5: 21, 6: 11, 7: 31, 8: 11}
	for _, s := range cr.segs {
		if w, ok := wantRel[s.Index]; ok && s.RelSeq != w {
			t.Errorf("segment %d RelSeq %d, want %d", s.Index, s.RelSeq, w)
		}
	}
	ds := cr.closed.Dir[0]
	if ds.PayloadBytes != 36 || ds.OutOfOrder != 1 || ds.Retransmissions != 1 || ds.RetransBytes != 13 {
		t.Errorf("counters %+v", ds)
	}
}

// TestZeroWindowProbe: the server closes its window, the client probes with
// one byte at next (RFC 9293 §3.8.6.1), repeats it, then sends the data once
// the window opens. The probe is not a retransmission and every byte is
// delivered once.
func TestZeroWindowProbe(t *testing.T) {
	rows := cat(handshake(1000, 5000), []seg{
		{at: 10, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "abc"},
		{at: 11, from: 's', flags: "A", seq: 5001, ack: 1004, zwin: true},
		{at: 200, from: 'c', flags: "PA", seq: 1004, ack: 5001, data: "d"},
		{at: 201, from: 's', flags: "A", seq: 5001, ack: 1004, zwin: true},
		{at: 600, from: 'c', flags: "PA", seq: 1004, ack: 5001, data: "d"},
		{at: 601, from: 's', flags: "A", seq: 5001, ack: 1004, win: 500},
		{at: 602, from: 'c', flags: "PA", seq: 1004, ack: 5001, data: "defg"},
	})
	r, _ := runSegs(t, Config{}, rows)
	cr := r.conn(t, 1)
	if want := "abcdefg<end>"; cr.stream[0] != want {
		t.Errorf("stream %q, want %q", cr.stream[0], want)
	}
	kinds := map[uint64]SegmentKind{}
	for _, s := range cr.segs {
		kinds[s.Index] = s.Kind
	}
	if kinds[6] != SegZeroWindowProbe || kinds[8] != SegZeroWindowProbe || kinds[10] != SegNew {
		t.Errorf("kinds %v", kinds)
	}
	c, s := cr.closed.Dir[0], cr.closed.Dir[1]
	if c.Retransmissions != 0 || c.KeepAlives != 0 || s.ZeroWindow != 2 {
		t.Errorf("client retrans %d keepalives %d, server zero windows %d", c.Retransmissions, c.KeepAlives, s.ZeroWindow)
	}
}

// TestDupAcks: repeated ACKs with the same ack number and window count as
// duplicate ACKs (RFC 5681 §2); a window change or data does not.
func TestDupAcks(t *testing.T) {
	rows := cat(handshake(1000, 5000), []seg{
		{at: 10, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "abc"},
		{at: 11, from: 's', flags: "A", seq: 5001, ack: 1004},
		{at: 12, from: 's', flags: "A", seq: 5001, ack: 1004},           // dup 1
		{at: 13, from: 's', flags: "A", seq: 5001, ack: 1004},           // dup 2
		{at: 14, from: 's', flags: "A", seq: 5001, ack: 1004, win: 900}, // window update
		{at: 15, from: 's', flags: "A", seq: 5001, ack: 1004, win: 900}, // dup 3
		{at: 16, from: 's', flags: "PA", seq: 5001, ack: 1004, win: 900, data: "x"},
		{at: 17, from: 's', flags: "A", seq: 5002, ack: 1004, win: 900}, // seq moved: ack repeated but first at this seq... still dup
	})
	r, _ := runSegs(t, Config{}, rows)
	cr := r.conn(t, 1)
	var dups []uint64
	for _, s := range cr.segs {
		if s.Kind == SegDupAck {
			dups = append(dups, s.Index)
		}
	}
	want := []uint64{6, 7, 9, 11}
	if len(dups) != len(want) {
		t.Fatalf("dup ACKs at %v, want %v", dups, want)
	}
	for i := range want {
		if dups[i] != want[i] {
			t.Fatalf("dup ACKs at %v, want %v", dups, want)
		}
	}
	if n := cr.closed.Dir[1].DupAcks; n != 4 {
		t.Errorf("DupAcks = %d", n)
	}
}

// TestBufferLimits checks the per-direction and total out-of-order caps.
func TestBufferLimits(t *testing.T) {
	t.Run("per direction", func(t *testing.T) {
		rows := cat(handshake(1000, 5000), c2s(10,
			seg{seq: 1001, data: "ab"},
			seg{seq: 1011, data: "0123456789"},
			seg{seq: 1021, data: "ABCDEFGHIJ"}, // would exceed 16 bytes
			seg{seq: 1003, data: "cd"},         // late: the hole was already given up
		))
		r, st := runSegs(t, Config{MaxBufferPerDir: 16}, rows)
		cr := r.conn(t, 1)
		if want := "ab<gap:8>0123456789ABCDEFGHIJ<end>"; cr.stream[0] != want {
			t.Errorf("stream %q, want %q", cr.stream[0], want)
		}
		if st.Anomalies[AnomalyOOOBufferLimit] != 1 || st.MaxBuffered != 10 {
			t.Errorf("anomalies %v, max buffered %d", st.Anomalies, st.MaxBuffered)
		}
	})
	t.Run("total: the connection with the largest buffer gives up its hole", func(t *testing.T) {
		other := ep("10.0.0.3", 40001)
		rows := cat(handshake(1000, 5000), []seg{
			{at: 3, from: 'c', flags: "S", seq: 100, cli: &other},
			{at: 4, from: 's', flags: "SA", seq: 900, ack: 101, cli: &other},
			{at: 10, from: 'c', flags: "PA", seq: 1011, ack: 5001, data: "0123456789"},     // conn 1 buffers 10
			{at: 11, from: 'c', flags: "PA", seq: 111, ack: 901, data: "xyz", cli: &other}, // conn 2 buffers 3
			{at: 12, from: 'c', flags: "PA", seq: 121, ack: 901, data: "uvwxyz", cli: &other},
			{at: 13, from: 'c', flags: "PA", seq: 101, ack: 901, data: "0123456789", cli: &other},
		})
		r, st := runSegs(t, Config{MaxBufferTotal: 16}, rows)
		if got, want := r.conn(t, 1).stream[0], "<gap:10>0123456789<end>"; got != want {
			t.Errorf("conn 1 stream %q, want %q", got, want)
		}
		if got, want := r.conn(t, 2).stream[0], "0123456789xyz<gap:7>uvwxyz<end>"; got != want {
			t.Errorf("conn 2 stream %q, want %q", got, want)
		}
		if st.Anomalies[AnomalyOOOTotalLimit] != 1 || st.MaxBuffered > 16 {
			t.Errorf("anomalies %v, max buffered %d", st.Anomalies, st.MaxBuffered)
		}
	})
}

// TestHeldSegmentsKeepTheirTime: the capture missed "def", the segments
// behind the hole wait in the buffer, and the server's ACK of everything
// shows the hole was received. The buffered segments are delivered at
// their own capture times (11 and 12 ms), not at the ACK's (20 ms), and
// the gap at the time of the segment after it: an HTTP parser pairing a
// response with the request it answers must see when the bytes came.
func TestHeldSegmentsKeepTheirTime(t *testing.T) {
	rows := cat(handshake(1000, 5000), c2s(10, seg{seq: 1001, data: "abc"}, seg{seq: 1007, data: "ghi"}, seg{seq: 1010, data: "jkl"}),
		[]seg{{at: 20, from: 's', flags: "A", seq: 5001, ack: 1013}})
	r, _ := runSegs(t, Config{}, rows)
	cr := r.conn(t, 1)
	if want := "abc<gap:3>ghijkl<end>"; cr.stream[0] != want {
		t.Fatalf("stream %q, want %q", cr.stream[0], want)
	}
	ms := func(v ...int) []flow.Time {
		out := make([]flow.Time, len(v))
		for i, m := range v {
			out[i] = baseTime + flow.Time(time.Duration(m)*time.Millisecond)
		}
		return out
	}
	if want := ms(10, 11, 11, 12); !slices.Equal(cr.times[0], want) {
		t.Errorf("times of Data and Gap %v, want %v", cr.times[0], want)
	}

	// "de" fills part of the hole at 13 ms: "jkl", buffered at 11 ms,
	// is delivered at 13, not before bytes delivered ahead of it.
	rows = cat(handshake(1000, 5000), c2s(10, seg{seq: 1001, data: "abc"}, seg{seq: 1010, data: "jkl"}),
		[]seg{{at: 13, from: 'c', flags: "PA", seq: 1004, ack: 5001, data: "de"}, {at: 20, from: 's', flags: "A", seq: 5001, ack: 1013}})
	r, _ = runSegs(t, Config{}, rows)
	cr = r.conn(t, 1)
	if want := "abcde<gap:4>jkl<end>"; cr.stream[0] != want {
		t.Fatalf("stream %q, want %q", cr.stream[0], want)
	}
	if want := ms(10, 13, 13, 13); !slices.Equal(cr.times[0], want) {
		t.Errorf("times of Data and Gap %v, want %v", cr.times[0], want)
	}
}

// TestNewIncarnationWithoutSYN: the capture missed the SYN of the next
// incarnation of a tuple, and Linux carried the sequence space over.
//
// On an open connection (its close missed too), a packet after a silence of
// a second or more whose sequence number (or acknowledgement) is out of the
// window by far starts a new connection; a jump within reach of the window,
// or without the silence, is a capture gap of the same one. On a connection
// closed by FIN both ways, a packet past its direction's FIN starts a new
// one at once; a FIN sent again, or an ACK after it, does not.
func TestNewIncarnationWithoutSYN(t *testing.T) {
	const jump = 5 << 20
	open := cat(handshake(1000, 5000), []seg{
		{at: 10, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "GET"},
		{at: 11, from: 's', flags: "A", seq: 5001, ack: 1004},
	})
	// The client's FIN is at 1004, the server's at 5001.
	closed := cat(open, []seg{
		{at: 12, from: 'c', flags: "FA", seq: 1004, ack: 5001},
		{at: 13, from: 's', flags: "FA", seq: 5001, ack: 1005},
		{at: 14, from: 'c', flags: "A", seq: 1005, ack: 5002},
	})
	cases := []struct {
		name     string
		base     []seg
		next     seg
		conns    int
		blackout bool // no other packet captured during the silence
	}{
		{"client data after 2 s", open, seg{at: 2011, from: 'c', flags: "PA", seq: 1004 + jump, ack: 5001, data: "GET2"}, 2, false},
		{"server data acknowledging unseen bytes", open, seg{at: 2011, from: 's', flags: "PA", seq: 5001, ack: 1004 + jump, data: "200"}, 2, false},
		{"the same jump 0.5 s later", open, seg{at: 511, from: 'c', flags: "PA", seq: 1004 + jump, ack: 5001, data: "GET2"}, 1, false},
		{"a jump the window allows", open, seg{at: 2011, from: 'c', flags: "PA", seq: 1004 + 3000, ack: 5001, data: "GET2"}, 1, false},
		{"the same jump when the whole capture was silent", open, seg{at: 2011, from: 'c', flags: "PA", seq: 1004 + jump, ack: 5001, data: "GET2"}, 1, true},
		{"data past the FIN", closed, seg{at: 60, from: 's', flags: "PA", seq: 5002 + 65537, ack: 9000, data: "200"}, 2, false},
		{"FIN sent again", closed, seg{at: 60, from: 's', flags: "FA", seq: 5001, ack: 1005}, 1, false},
		{"ACK after the FIN", closed, seg{at: 60, from: 'c', flags: "A", seq: 1005, ack: 5002}, 1, false},
		{"SYN/ACK past the FIN", closed, seg{at: 60, from: 's', flags: "SA", seq: 5002 + 65537, ack: 9000}, 2, false},
		// Past the quiet linger only the tuple and its FINs are kept.
		{"data past the FIN of a retired connection", closed, seg{at: 2000, from: 's', flags: "PA", seq: 5002 + 65537, ack: 9000, data: "200"}, 2, false},
		{"ACK after the FIN of a retired connection", closed, seg{at: 2000, from: 'c', flags: "A", seq: 1005, ack: 5002}, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, other := slices.Clone(tc.base), 0
			if tc.next.at > 1000 && !tc.blackout {
				// Other traffic was captured during the connection's
				// silence: a SYN of another tuple, connection 2.
				rows, other = append(rows, seg{at: tc.next.at - 10, from: 'c', flags: "S", seq: 7000, cli: clientN(9)}), 1
			}
			r, st := runSegs(t, Config{}, append(rows, tc.next))
			if len(r.conns)-other != tc.conns {
				t.Fatalf("%d connections besides the other traffic, want %d", len(r.conns)-other, tc.conns)
			}
			want := uint64(0)
			first := r.conn(t, 1)
			if tc.conns == 2 {
				want = 1
				if first.stream[0] != "GET<end>" {
					t.Errorf("first incarnation: client stream %q", first.stream[0])
				}
				d := 0
				if tc.next.from == 's' {
					d = 1
				}
				if second := r.conn(t, flow.ConnID(2+other)); second.stream[d] != tc.next.data+"<end>" || second.opened.Handshake.SYN != 0 {
					t.Errorf("second incarnation: streams %q, SYN at %v", second.stream, second.opened.Handshake.SYN)
				}
			} else if tc.next.data != "" && first.closed.Dir[0].GapBytes == 0 {
				t.Errorf("same connection without a gap: %+v", first.closed.Dir[0])
			}
			if tc.next.at == 2000 && tc.conns == 1 && st.Anomalies[AnomalyAfterClose] != 1 {
				t.Errorf("%s = %d, want 1", AnomalyAfterClose, st.Anomalies[AnomalyAfterClose])
			}
			if n := st.Anomalies[AnomalyNewWithoutSYN]; n != want {
				t.Errorf("%s counted %d times, want %d", AnomalyNewWithoutSYN, n, want)
			}
		})
	}
}

// TestNewIncarnationNotAfterLiveStall: on a live capture the clock moves on
// without packets (Advance), but a silence of the whole capture is still
// one: the jump after it is a gap, not a new connection.
func TestNewIncarnationNotAfterLiveStall(t *testing.T) {
	rows := cat(handshake(1000, 5000), []seg{
		{at: 10, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "GET"},
		{at: 11, from: 's', flags: "A", seq: 5001, ack: 1004},
	})
	r := newRec()
	tr := New(Config{}, r)
	for i, s := range rows {
		tr.Packet(mk(i, s))
	}
	for ms := 100; ms <= 2000; ms += 100 {
		tr.Advance(baseTime + flow.Time(time.Duration(ms)*time.Millisecond))
	}
	tr.Packet(mk(len(rows), seg{at: 2011, from: 'c', flags: "PA", seq: 1004 + 5<<20, ack: 5001, data: "GET2"}))
	tr.Flush()
	if st := tr.Stats(); len(r.conns) != 1 || st.Anomalies[AnomalyNewWithoutSYN] != 0 {
		t.Errorf("%d connections, %d new without SYN; want 1 and 0", len(r.conns), st.Anomalies[AnomalyNewWithoutSYN])
	}
}
