package reassembly

import (
	"testing"

	"connscope/capture"
	"connscope/flow"
)

// Client ISN 1000 and server ISN 5000 throughout: after the handshake the
// client's next byte is 1001 and the server's 5001.

// TestClose covers how connections end: graceful closes and their TIME_WAIT
// holder (RFC 9293 §3.6), half-close, resets (RFC 9293 §3.5.3, RFC 5961 §3),
// refused connections and unread data at a RST (RFC 2525 §2.17).
func TestClose(t *testing.T) {
	req := "GET / HTTP/1.1\r\n\r\n"   // 18 bytes
	resp := "HTTP/1.1 200 OK\r\n\r\n" // 19 bytes
	exchange := cat(handshake(1000, 5000), []seg{
		{at: 3, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: req},
		{at: 4, from: 's', flags: "PA", seq: 5001, ack: 1019, data: resp},
		{at: 5, from: 'c', flags: "A", seq: 1019, ack: 5020},
	})
	type want struct {
		kind          CloseKind
		initiator     Side
		holder        Side
		refused       bool
		halfClosed    bool
		simultaneous  bool
		unread        bool
		atMS          int
		c2s, s2c      string
		anomaly       string
		finC, finS    bool
		rstC, rstS    bool
		complete      bool
		payloadC2S    uint64
		payloadS2C    uint64
		retransC2S    uint64
		dataAfterFin  bool
		serverPackets uint64
	}
	cases := []struct {
		name string
		segs []seg
		want want
	}{
		{
			name: "client closes first: client holds TIME_WAIT",
			segs: cat(exchange, []seg{
				{at: 6, from: 'c', flags: "FA", seq: 1019, ack: 5020},
				{at: 7, from: 's', flags: "A", seq: 5020, ack: 1020},
				{at: 8, from: 's', flags: "FA", seq: 5020, ack: 1020},
				{at: 9, from: 'c', flags: "A", seq: 1020, ack: 5021},
			}),
			want: want{kind: CloseFIN, initiator: SideClient, holder: SideClient, atMS: 8,
				c2s: req + "<end>", s2c: resp + "<end>", finC: true, finS: true, complete: true,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 4},
		},
		{
			name: "server closes first: server holds TIME_WAIT",
			segs: cat(exchange, []seg{
				{at: 6, from: 's', flags: "FA", seq: 5020, ack: 1019},
				{at: 7, from: 'c', flags: "FA", seq: 1019, ack: 5021},
				{at: 8, from: 's', flags: "A", seq: 5021, ack: 1020},
			}),
			want: want{kind: CloseFIN, initiator: SideServer, holder: SideServer, atMS: 7,
				c2s: req + "<end>", s2c: resp + "<end>", finC: true, finS: true, complete: true,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 4},
		},
		{
			name: "simultaneous close: the FINs cross, both hold TIME_WAIT",
			segs: cat(exchange, []seg{
				{at: 6, from: 'c', flags: "FA", seq: 1019, ack: 5020},
				{at: 6, from: 's', flags: "FA", seq: 5020, ack: 1019}, // does not ack the client's FIN
				{at: 7, from: 'c', flags: "A", seq: 1020, ack: 5021},
				{at: 7, from: 's', flags: "A", seq: 5021, ack: 1020},
			}),
			want: want{kind: CloseFIN, initiator: SideClient, holder: SideBoth, simultaneous: true, atMS: 6,
				c2s: req + "<end>", s2c: resp + "<end>", finC: true, finS: true, complete: true,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 4},
		},
		{
			name: "half-close: the server keeps sending after the client's FIN",
			segs: cat(handshake(1000, 5000), []seg{
				{at: 3, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: req},
				{at: 4, from: 'c', flags: "FA", seq: 1019, ack: 5001},
				{at: 5, from: 's', flags: "A", seq: 5001, ack: 1020},
				{at: 6, from: 's', flags: "PA", seq: 5001, ack: 1020, data: resp},
				{at: 7, from: 'c', flags: "A", seq: 1020, ack: 5020},
				{at: 8, from: 's', flags: "FA", seq: 5020, ack: 1020},
				{at: 9, from: 'c', flags: "A", seq: 1020, ack: 5021},
			}),
			want: want{kind: CloseFIN, initiator: SideClient, holder: SideClient, halfClosed: true, atMS: 8,
				c2s: req + "<end>", s2c: resp + "<end>", finC: true, finS: true, complete: true,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 4},
		},
		{
			name: "half-closed at the end of the capture is still open",
			segs: cat(exchange, []seg{
				{at: 6, from: 'c', flags: "FA", seq: 1019, ack: 5020},
				{at: 7, from: 's', flags: "A", seq: 5020, ack: 1020},
			}),
			want: want{kind: CloseOpen, initiator: SideNone, holder: SideNone, atMS: 7,
				c2s: req + "<end>", s2c: resp + "<end>", finC: true, complete: true,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 3},
		},
		{
			name: "RST mid-stream from the server",
			segs: cat(exchange, []seg{
				{at: 6, from: 's', flags: "RA", seq: 5020, ack: 1019},
			}),
			want: want{kind: CloseRST, initiator: SideServer, holder: SideNone, atMS: 6,
				c2s: req + "<end>", s2c: resp + "<end>", rstS: true, complete: true,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 3},
		},
		{
			name: "RST with unread data: the server never acknowledged the upload",
			segs: cat(exchange, []seg{
				{at: 6, from: 'c', flags: "PA", seq: 1019, ack: 5020, data: "more upload"},
				{at: 7, from: 's', flags: "R", seq: 5020},
			}),
			want: want{kind: CloseRST, initiator: SideServer, holder: SideNone, unread: true, atMS: 7,
				c2s: req + "more upload<end>", s2c: resp + "<end>", rstS: true, complete: true,
				payloadC2S: 29, payloadS2C: 19, serverPackets: 3},
		},
		{
			name: "RST with unread data: payload after the sender's own FIN",
			segs: cat(exchange, []seg{
				{at: 6, from: 's', flags: "FA", seq: 5020, ack: 1019},
				{at: 7, from: 'c', flags: "PA", seq: 1019, ack: 5021, data: "late"},
				{at: 8, from: 's', flags: "RA", seq: 5021, ack: 1023},
			}),
			want: want{kind: CloseRST, initiator: SideServer, holder: SideNone, unread: true, halfClosed: true, atMS: 8,
				c2s: req + "late<end>", s2c: resp + "<end>", finS: true, rstS: true, complete: true,
				payloadC2S: 22, payloadS2C: 19, serverPackets: 4},
		},
		{
			name: "refused: RST answering the SYN",
			segs: []seg{
				{at: 0, from: 'c', flags: "S", seq: 1000},
				{at: 1, from: 's', flags: "RA", seq: 0, ack: 1001},
			},
			want: want{kind: CloseRST, initiator: SideServer, holder: SideNone, refused: true, atMS: 1,
				c2s: "<end>", s2c: "<end>", rstS: true, serverPackets: 1},
		},
		{
			name: "RST answering a SYN without acknowledging it is ignored (RFC 9293 §3.10.7.3)",
			segs: []seg{
				{at: 0, from: 'c', flags: "S", seq: 1000},
				{at: 1, from: 's', flags: "RA", seq: 0, ack: 1000},
				{at: 2, from: 's', flags: "R", seq: 0},
				{at: 3, from: 's', flags: "SA", seq: 5000, ack: 1001},
				{at: 4, from: 'c', flags: "A", seq: 1001, ack: 5001},
			},
			want: want{kind: CloseOpen, initiator: SideNone, holder: SideNone, atMS: 4,
				c2s: "<end>", s2c: "<end>", anomaly: AnomalyRSTOutOfWindow, complete: true, serverPackets: 3},
		},
		{
			name: "RST outside the window is ignored",
			segs: cat(exchange, []seg{
				{at: 6, from: 's', flags: "R", seq: 5020 + 1_000_000},
			}),
			want: want{kind: CloseOpen, initiator: SideNone, holder: SideNone, atMS: 6,
				c2s: req + "<end>", s2c: resp + "<end>", anomaly: AnomalyRSTOutOfWindow, complete: true,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 3},
		},
		{
			name: "RST after the client's FIN: the client initiated",
			segs: cat(exchange, []seg{
				{at: 6, from: 'c', flags: "FA", seq: 1019, ack: 5020},
				{at: 7, from: 's', flags: "RA", seq: 5020, ack: 1020},
			}),
			want: want{kind: CloseRST, initiator: SideClient, holder: SideNone, atMS: 7,
				c2s: req + "<end>", s2c: resp + "<end>", finC: true, rstS: true, complete: true,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 3},
		},
		{
			name: "abortive close after the FIN exchange stays a graceful close",
			segs: cat(exchange, []seg{
				{at: 6, from: 's', flags: "FA", seq: 5020, ack: 1019},
				{at: 7, from: 'c', flags: "FA", seq: 1019, ack: 5021},
				{at: 8, from: 'c', flags: "R", seq: 1020},
			}),
			want: want{kind: CloseFIN, initiator: SideServer, holder: SideServer, atMS: 7,
				c2s: req + "<end>", s2c: resp + "<end>", finC: true, finS: true, rstC: true, complete: true,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 3},
		},
		{
			name: "data beyond a FIN is ignored",
			segs: cat(exchange, []seg{
				{at: 6, from: 'c', flags: "FA", seq: 1019, ack: 5020},
				{at: 7, from: 'c', flags: "PA", seq: 1020, ack: 5020, data: "zzz"},
			}),
			want: want{kind: CloseOpen, initiator: SideNone, holder: SideNone, atMS: 7,
				c2s: req + "<end>", s2c: resp + "<end>", finC: true, complete: true, anomaly: AnomalyDataAfterFIN,
				payloadC2S: 18, payloadS2C: 19, serverPackets: 2},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, st := runSegs(t, Config{}, tc.segs)
			if len(r.order) != 1 {
				t.Fatalf("got %d connections, want 1", len(r.order))
			}
			cr := r.conn(t, 1)
			c, w := cr.closed, tc.want
			cl := c.Close
			if cl.Kind != w.kind || cl.Initiator != w.initiator || cl.TimeWaitHolder != w.holder {
				t.Errorf("kind/initiator/holder = %s/%s/%s, want %s/%s/%s",
					cl.Kind, cl.Initiator, cl.TimeWaitHolder, w.kind, w.initiator, w.holder)
			}
			if cl.Refused != w.refused || cl.HalfClosed != w.halfClosed || cl.Simultaneous != w.simultaneous || cl.RSTUnreadData != w.unread {
				t.Errorf("refused/half/simul/unread = %v/%v/%v/%v, want %v/%v/%v/%v",
					cl.Refused, cl.HalfClosed, cl.Simultaneous, cl.RSTUnreadData,
					w.refused, w.halfClosed, w.simultaneous, w.unread)
			}
			if cl.At != tms(w.atMS) {
				t.Errorf("Close.At = +%v, want +%dms", cl.At.Sub(baseTime), w.atMS)
			}
			if cr.stream[0] != w.c2s || cr.stream[1] != w.s2c {
				t.Errorf("streams = %q / %q, want %q / %q", cr.stream[0], cr.stream[1], w.c2s, w.s2c)
			}
			if (c.Dir[0].FIN != 0) != w.finC || (c.Dir[1].FIN != 0) != w.finS ||
				(c.Dir[0].RST != 0) != w.rstC || (c.Dir[1].RST != 0) != w.rstS {
				t.Errorf("FIN c/s %v/%v RST c/s %v/%v, want %v/%v %v/%v",
					c.Dir[0].FIN != 0, c.Dir[1].FIN != 0, c.Dir[0].RST != 0, c.Dir[1].RST != 0,
					w.finC, w.finS, w.rstC, w.rstS)
			}
			if c.Handshake.Complete != w.complete {
				t.Errorf("Complete = %v, want %v", c.Handshake.Complete, w.complete)
			}
			if c.Dir[0].PayloadBytes != w.payloadC2S || c.Dir[1].PayloadBytes != w.payloadS2C {
				t.Errorf("payload bytes %d/%d, want %d/%d", c.Dir[0].PayloadBytes, c.Dir[1].PayloadBytes, w.payloadC2S, w.payloadS2C)
			}
			if c.Dir[1].Packets != w.serverPackets {
				t.Errorf("server packets %d, want %d", c.Dir[1].Packets, w.serverPackets)
			}
			if c.Client != cliEP || c.Server != srvEP || c.Roles != RoleFromSYN {
				t.Errorf("roles %s→%s (%s), want %s→%s (syn)", c.Client, c.Server, c.Roles, cliEP, srvEP)
			}
			if w.anomaly != "" && st.Anomalies[w.anomaly] == 0 {
				t.Errorf("anomalies %v, want one %s", st.Anomalies, w.anomaly)
			}
			if w.anomaly == "" && len(st.Anomalies) != 0 {
				t.Errorf("unexpected anomalies %v", st.Anomalies)
			}
		})
	}
}

// TestHandshakeFacts checks times, options and window scaling of a full
// handshake (RFC 9293 §3.5, RFC 7323 §2.2).
func TestHandshakeFacts(t *testing.T) {
	synOpts := &capture.TCPOptions{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, HasTimestamps: true, TSval: 11}
	saOpts := &capture.TCPOptions{MSS: 1400, HasMSS: true, SACKPermitted: true}
	segs := []seg{
		{at: 0, from: 'c', flags: "S", seq: 1000, opts: synOpts},
		{at: 1000, from: 'c', flags: "S", seq: 1000, opts: synOpts},
		{at: 1010, from: 's', flags: "SA", seq: 5000, ack: 1001, opts: saOpts},
		{at: 1015, from: 'c', flags: "A", seq: 1001, ack: 5001},
	}
	r, _ := runSegs(t, Config{}, segs)
	c := r.conn(t, 1).closed
	hs := c.Handshake
	if hs.FirstSYN != tms(0) || hs.SYN != tms(1000) || hs.SYNACK != tms(1010) || hs.ACK != tms(1015) {
		t.Errorf("times first=%v syn=%v synack=%v ack=%v", hs.FirstSYN.Sub(baseTime), hs.SYN.Sub(baseTime), hs.SYNACK.Sub(baseTime), hs.ACK.Sub(baseTime))
	}
	if hs.SYNRetries != 1 || hs.SYNACKRetries != 0 || !hs.Complete {
		t.Errorf("retries %d/%d complete %v", hs.SYNRetries, hs.SYNACKRetries, hs.Complete)
	}
	if hs.ServerHalf().Milliseconds() != 10 || hs.ClientHalf().Milliseconds() != 5 {
		t.Errorf("halves %v %v", hs.ServerHalf(), hs.ClientHalf())
	}
	wantC := Options{Seen: true, MSS: 1460, WScale: 7, SACKPermitted: true, Timestamps: true}
	wantS := Options{Seen: true, MSS: 1400, WScale: -1, SACKPermitted: true}
	if hs.Client != wantC || hs.Server != wantS {
		t.Errorf("options %+v %+v", hs.Client, hs.Server)
	}
	if !c.Dir[0].ISNKnown || c.Dir[0].ISN != 1000 || !c.Dir[1].ISNKnown || c.Dir[1].ISN != 5000 {
		t.Errorf("ISNs %+v %+v", c.Dir[0], c.Dir[1])
	}
	segsSeen := r.conns[1].segs
	if len(segsSeen) != 4 || segsSeen[1].Kind != SegRetransmission || segsSeen[0].RelSeq != 0 || segsSeen[3].RelSeq != 1 {
		t.Errorf("segments %+v", segsSeen)
	}
}

// TestTupleReuse covers connection incarnations on one 4-tuple.
func TestTupleReuse(t *testing.T) {
	cases := []struct {
		name      string
		segs      []seg
		conns     int
		firstKind CloseKind
		retries   int
	}{
		{
			name: "new SYN after a graceful close starts a new connection",
			segs: cat(handshake(1000, 5000), []seg{
				{at: 3, from: 'c', flags: "FA", seq: 1001, ack: 5001},
				{at: 4, from: 's', flags: "FA", seq: 5001, ack: 1002},
				{at: 5, from: 'c', flags: "A", seq: 1002, ack: 5002},
				{at: 100, from: 'c', flags: "S", seq: 90000},
				{at: 101, from: 's', flags: "SA", seq: 70000, ack: 90001},
			}),
			conns: 2, firstKind: CloseFIN,
		},
		{
			name: "new SYN after a RST starts a new connection even with the same ISN",
			segs: cat(handshake(1000, 5000), []seg{
				{at: 3, from: 's', flags: "R", seq: 5001},
				{at: 4, from: 'c', flags: "S", seq: 1000},
			}),
			conns: 2, firstKind: CloseRST,
		},
		{
			name: "SYN with a different ISN while open replaces the connection",
			segs: cat(handshake(1000, 5000), []seg{
				{at: 3, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "x"},
				{at: 50, from: 'c', flags: "S", seq: 777777},
			}),
			conns: 2, firstKind: CloseOpen,
		},
		{
			name: "SYN retransmission is not a new connection",
			segs: []seg{
				{at: 0, from: 'c', flags: "S", seq: 1000},
				{at: 1000, from: 'c', flags: "S", seq: 1000},
				{at: 3000, from: 'c', flags: "S", seq: 1000},
				{at: 3001, from: 's', flags: "SA", seq: 5000, ack: 1001},
			},
			conns: 1, firstKind: CloseOpen, retries: 2,
		},
		{
			name: "SYN from the server side of an open connection starts a new one",
			segs: cat(handshake(1000, 5000), []seg{
				{at: 10, from: 's', flags: "S", seq: 123},
			}),
			conns: 2, firstKind: CloseOpen,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, st := runSegs(t, Config{}, tc.segs)
			if len(r.order) != tc.conns || st.Conns != uint64(tc.conns) {
				t.Fatalf("%d connections (stats %d), want %d", len(r.order), st.Conns, tc.conns)
			}
			first := r.conn(t, 1).closed
			if first.Close.Kind != tc.firstKind || first.Handshake.SYNRetries != tc.retries {
				t.Errorf("first: kind %s retries %d, want %s %d", first.Close.Kind, first.Handshake.SYNRetries, tc.firstKind, tc.retries)
			}
			if tc.conns == 2 {
				if r.order[0] != 1 || r.order[1] != 2 {
					t.Errorf("close order %v", r.order)
				}
				if second := r.conn(t, 2).opened; second.Roles != RoleFromSYN || second.Start <= first.Start {
					t.Errorf("second: roles %s start %v", second.Roles, second.Start)
				}
			}
		})
	}
}

// TestRoles covers role inference without a SYN: SYN/ACK first, payload
// classification and the port heuristic, and the deferred ConnOpened.
func TestRoles(t *testing.T) {
	classify := func(p []byte) int {
		switch {
		case len(p) >= 4 && string(p[:4]) == "GET ":
			return +1
		case len(p) >= 5 && string(p[:5]) == "HTTP/":
			return -1
		}
		return 0
	}
	e9000, e9001 := ep("192.0.2.1", 9000), ep("192.0.2.2", 9001)
	cases := []struct {
		name       string
		cfg        Config
		segs       []seg
		client     flow.Endpoint
		server     flow.Endpoint
		roles      RoleSource
		c2s, s2c   string
		firstSegAt uint64 // Index of the first Segment reported
	}{
		{
			name: "SYN/ACK seen first: its sender is the server",
			segs: []seg{
				{at: 0, from: 's', flags: "SA", seq: 5000, ack: 1001},
				{at: 1, from: 'c', flags: "A", seq: 1001, ack: 5001},
				{at: 2, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "hi"},
				{at: 3, from: 's', flags: "PA", seq: 5001, ack: 1003, data: "yo"},
			},
			client: cliEP, server: srvEP, roles: RoleFromSYNACK, c2s: "hi<end>", s2c: "yo<end>", firstSegAt: 1,
		},
		{
			name: "late SYN after the SYN/ACK belongs to the same connection",
			segs: []seg{
				{at: 0, from: 's', flags: "SA", seq: 5000, ack: 1001},
				{at: 0, from: 'c', flags: "S", seq: 1000},
				{at: 1, from: 'c', flags: "A", seq: 1001, ack: 5001},
				{at: 2, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "hi"},
			},
			client: cliEP, server: srvEP, roles: RoleFromSYNACK, c2s: "hi<end>", s2c: "<end>", firstSegAt: 1,
		},
		{
			name: "midstream: the payload says the low-port side is the client",
			cfg:  Config{ClassifyPayload: classify},
			segs: []seg{
				{at: 0, from: 's', flags: "A", seq: 7000, ack: 3000, cli: &e9000, srv: &e9001},
				{at: 1, from: 'c', flags: "PA", seq: 3000, ack: 7000, data: "GET / HTTP/1.1\r\n\r\n", cli: &e9000, srv: &e9001},
				{at: 2, from: 's', flags: "PA", seq: 7000, ack: 3018, data: "HTTP/1.1 204 No\r\n\r\n", cli: &e9000, srv: &e9001},
			},
			client: e9000, server: e9001, roles: RoleFromPayload,
			c2s: "GET / HTTP/1.1\r\n\r\n<end>", s2c: "HTTP/1.1 204 No\r\n\r\n<end>", firstSegAt: 2,
		},
		{
			name: "midstream: a response first makes its sender the server",
			cfg:  Config{ClassifyPayload: classify},
			segs: []seg{
				{at: 0, from: 's', flags: "PA", seq: 7000, ack: 3000, data: "HTTP/1.1 200 OK\r\n"},
				{at: 1, from: 'c', flags: "A", seq: 3000, ack: 7017},
			},
			client: cliEP, server: srvEP, roles: RoleFromPayload, c2s: "<end>", s2c: "HTTP/1.1 200 OK\r\n<end>", firstSegAt: 1,
		},
		{
			name: "midstream without a classifier: the well-known port is the server",
			segs: []seg{
				{at: 0, from: 's', flags: "PA", seq: 7000, ack: 3000, data: "abc"},
				{at: 1, from: 'c', flags: "PA", seq: 3000, ack: 7003, data: "de"},
			},
			client: cliEP, server: srvEP, roles: RoleFromPort, c2s: "de<end>", s2c: "abc<end>", firstSegAt: 1,
		},
		{
			name: "midstream, unknown payload: the lower port is the server",
			cfg:  Config{ClassifyPayload: classify},
			segs: []seg{
				{at: 0, from: 'c', flags: "PA", seq: 3000, ack: 7000, data: "xx", cli: &e9000, srv: &e9001},
			},
			client: e9001, server: e9000, roles: RoleFromPort, c2s: "<end>", s2c: "xx<end>", firstSegAt: 1,
		},
		{
			name: "midstream: ConnOpened waits for the first payload",
			segs: []seg{
				{at: 0, from: 'c', flags: "A", seq: 3000, ack: 7000},
				{at: 1, from: 's', flags: "A", seq: 7000, ack: 3000},
				{at: 2, from: 'c', flags: "PA", seq: 3000, ack: 7000, data: "q"},
			},
			client: cliEP, server: srvEP, roles: RoleFromPort, c2s: "q<end>", s2c: "<end>", firstSegAt: 3,
		},
		{
			name: "midstream without payload opens when flushed",
			segs: []seg{
				{at: 0, from: 's', flags: "A", seq: 7000, ack: 3000},
			},
			client: cliEP, server: srvEP, roles: RoleFromPort, c2s: "<end>", s2c: "<end>", firstSegAt: 0,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := runSegs(t, tc.cfg, tc.segs)
			if len(r.order) != 1 {
				t.Fatalf("%d connections, want 1", len(r.order))
			}
			cr := r.conn(t, 1)
			o := cr.opened
			if o.Client != tc.client || o.Server != tc.server || o.Roles != tc.roles {
				t.Errorf("opened with %s→%s (%s), want %s→%s (%s)", o.Client, o.Server, o.Roles, tc.client, tc.server, tc.roles)
			}
			if c := cr.closed; c.Client != tc.client || c.Roles != tc.roles {
				t.Errorf("closed with %s (%s)", c.Client, c.Roles)
			}
			if cr.stream[0] != tc.c2s || cr.stream[1] != tc.s2c {
				t.Errorf("streams %q / %q, want %q / %q", cr.stream[0], cr.stream[1], tc.c2s, tc.s2c)
			}
			switch {
			case tc.firstSegAt == 0 && len(cr.segs) != 0:
				t.Errorf("segments reported: %+v", cr.segs)
			case tc.firstSegAt != 0 && (len(cr.segs) == 0 || cr.segs[0].Index != tc.firstSegAt):
				t.Errorf("first segment %+v, want index %d", cr.segs, tc.firstSegAt)
			}
			for _, s := range cr.segs {
				wantDir := flow.ServerToClient
				if mk(int(s.Index-1), tc.segs[s.Index-1]).Src == tc.client {
					wantDir = flow.ClientToServer
				}
				if s.Dir != wantDir {
					t.Errorf("segment %d dir %s, want %s", s.Index, s.Dir, wantDir)
				}
			}
		})
	}
}

// TestPortRank checks the port heuristic's ordering.
func TestPortRank(t *testing.T) {
	cases := []struct {
		name     string
		src, dst uint16
		dstSrv   bool
	}{
		{"well-known beats ephemeral", 51000, 443, true},
		{"well-known beats lower registered", 3306, 8080, true},
		{"privileged beats ephemeral as source", 80, 40000, false},
		{"both ephemeral: lower port", 50000, 40000, true},
		{"registered beats ephemeral", 45000, 5432, true},
		{"same port: receiver of the first packet", 7000, 7000, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := ep("10.0.0.1", tc.src), ep("10.0.0.2", tc.dst)
			if got := dstIsServer(a, b); got != tc.dstSrv {
				t.Errorf("dstIsServer(%d→%d) = %v", tc.src, tc.dst, got)
			}
		})
	}
}
