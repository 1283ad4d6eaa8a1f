package eventgen

import (
	"net/netip"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/report"
)

// Epoch is the time offset 0 of every script (2024-01-01T00:00:00Z).
const Epoch = flow.Time(1704067200 * int64(time.Second))

// C2S and S2C abbreviate the directions.
const (
	C2S = flow.ClientToServer
	S2C = flow.ServerToClient
)

// World dispatches the events of scripted connections to an engine.
type World struct {
	Engine *analysis.Engine
	Report *report.Report
	nextID flow.ConnID
	idx    uint64
}

// New returns a World over the given analysers.
func New(as ...analysis.Analyzer) *World {
	return &World{Engine: analysis.NewEngine(as), Report: &report.Report{}}
}

// Finish runs Engine.Finish and returns the findings.
func (w *World) Finish() []report.Finding {
	w.Engine.Finish(w.Report)
	return w.Report.Findings
}

// Endpoint parses "ip:port".
func Endpoint(s string) flow.Endpoint {
	ap := netip.MustParseAddrPort(s)
	a := ap.Addr()
	if a.Is4() {
		b := a.As4()
		return flow.Endpoint{Addr: flow.AddrFrom4(b[:]), Port: ap.Port()}
	}
	b := a.As16()
	return flow.Endpoint{Addr: flow.AddrFrom16(b[:]), Port: ap.Port()}
}

// Conn is one scripted connection.
type Conn struct {
	w    *World
	Info analysis.ConnInfo
	isn  [2]uint32
	next [2]int64 // next relative sequence number to send per direction
	rcv  [2]int64 // highest contiguous data received by the side sending in d (what it acks)
	win  [2]uint16
	seg  analysis.Segment
	// Close facts, set by the script before Close.
	Closed analysis.ConnClosed
	open   bool
}

// Open announces a connection from client to server starting at offset at.
// Sequence numbers start just below 2^32 so that scripts cross the wrap.
func (w *World) Open(client, server string, at time.Duration) *Conn {
	return w.open(client, server, at, nil)
}

// open announces a connection; setup, when set, completes its ConnInfo
// before ConnOpened (as the pipeline does once the roles are known).
func (w *World) open(client, server string, at time.Duration, setup func(*analysis.ConnInfo)) *Conn {
	w.nextID++
	c := &Conn{w: w, isn: [2]uint32{0xffffff00, 0x7fff0000}, win: [2]uint16{65535, 65535}}
	c.Info = analysis.ConnInfo{
		ID:         w.nextID,
		Client:     Endpoint(client),
		Server:     Endpoint(server),
		Start:      Epoch.Add(at),
		RoleSource: "port",
		WScale:     [2]int{-1, -1},
	}
	c.next = [2]int64{1, 1}
	c.rcv = [2]int64{1, 1}
	c.open = true
	if setup != nil {
		setup(&c.Info)
	}
	w.Engine.ConnOpened(&c.Info)
	return c
}

// Handshake opens a connection with SYN at offset at, SYN/ACK serverHalf
// later and the ACK clientHalf after that, announcing mss (0: none).
func (w *World) Handshake(client, server string, at, serverHalf, clientHalf time.Duration, mss int) *Conn {
	// The pipeline announces a connection whose SYN it saw with the SYN
	// time, role source and options already known.
	c := w.open(client, server, at, func(ci *analysis.ConnInfo) {
		ci.SYN = Epoch.Add(at)
		ci.RoleSource = "syn"
		ci.MSS = mss
		ci.WScale = [2]int{7, 7}
	})
	c.Raw(C2S, at, 0, 0, analysis.FlagSYN, 0)
	c.Raw(S2C, at+serverHalf, 0, 1, analysis.FlagSYN|analysis.FlagACK, 0)
	c.Info.ServerHalf = serverHalf
	c.Info.ClientHalf = clientHalf
	c.Raw(C2S, at+serverHalf+clientHalf, 1, 1, analysis.FlagACK, 0)
	return c
}

// Raw emits one segment of direction d at offset at with relative seq and
// relative ack (of the other direction), flags and payload length n.
func (c *Conn) Raw(d flow.Dir, at time.Duration, relSeq, relAck int64, flags uint8, n int) {
	c.RawKind(d, at, relSeq, relAck, flags, n, analysis.SegNew)
}

// RawKind is Raw with an explicit segment kind.
func (c *Conn) RawKind(d flow.Dir, at time.Duration, relSeq, relAck int64, flags uint8, n int, k analysis.SegmentKind) {
	c.w.idx++
	c.seg = analysis.Segment{
		Conn:    &c.Info,
		Time:    Epoch.Add(at),
		Index:   c.w.idx,
		Dir:     d,
		Seq:     c.isn[d] + uint32(relSeq),
		Ack:     c.isn[d.Reverse()] + uint32(relAck),
		Flags:   flags,
		Window:  c.win[d],
		Len:     n,
		WireLen: n + 54,
		Kind:    k,
		RelSeq:  relSeq,
	}
	c.w.Engine.Segment(&c.seg)
}

// Window sets the raw window that direction d advertises from now on.
func (c *Conn) Window(d flow.Dir, w uint16) { c.win[d] = w }

// Send emits n new bytes in direction d at offset at (with an ACK of all
// data received so far) and returns the relative end sequence.
func (c *Conn) Send(d flow.Dir, at time.Duration, n int) int64 {
	seq := c.next[d]
	c.Raw(d, at, seq, c.rcv[d], analysis.FlagACK|analysis.FlagPSH, n)
	c.next[d] += int64(n)
	c.rcv[d.Reverse()] = c.next[d]
	return c.next[d]
}

// SendAt emits n bytes at relative seq (no change to the send pointer
// unless the data extends it) with kind k: retransmissions, out-of-order
// arrivals, keep-alives.
func (c *Conn) SendAt(d flow.Dir, at time.Duration, seq int64, n int, k analysis.SegmentKind) {
	c.RawKind(d, at, seq, c.rcv[d], analysis.FlagACK, n, k)
	if seq+int64(n) > c.next[d] {
		c.next[d] = seq + int64(n)
	}
}

// Skip advances direction d's send pointer by n bytes without emitting them
// (a segment lost before the capture point or by the capture).
func (c *Conn) Skip(d flow.Dir, n int) int64 {
	c.next[d] += int64(n)
	return c.next[d]
}

// Ack emits a pure ACK in direction d at offset at acknowledging everything
// the other direction sent so far.
func (c *Conn) Ack(d flow.Dir, at time.Duration) {
	c.AckTo(d, at, c.next[d.Reverse()])
}

// AckTo emits a pure ACK in direction d acknowledging relative seq ack.
func (c *Conn) AckTo(d flow.Dir, at time.Duration, ack int64) {
	c.rcv[d] = ack
	c.Raw(d, at, c.next[d], ack, analysis.FlagACK, 0)
}

// DupAck emits a duplicate ACK in direction d (same ack as before).
func (c *Conn) DupAck(d flow.Dir, at time.Duration) {
	c.RawKind(d, at, c.next[d], c.rcv[d], analysis.FlagACK, 0, analysis.SegDupAck)
}

// Next returns the next relative sequence number of direction d.
func (c *Conn) Next(d flow.Dir) int64 { return c.next[d] }

// FIN emits a FIN/ACK in direction d.
func (c *Conn) FIN(d flow.Dir, at time.Duration) {
	c.Raw(d, at, c.next[d], c.next[d.Reverse()], analysis.FlagFIN|analysis.FlagACK, 0)
	c.next[d]++
	if c.Closed.FIN[d] == 0 {
		c.Closed.FIN[d] = Epoch.Add(at)
	}
}

// RST emits a RST/ACK in direction d.
func (c *Conn) RST(d flow.Dir, at time.Duration) {
	c.Raw(d, at, c.next[d], c.next[d.Reverse()], analysis.FlagRST|analysis.FlagACK, 0)
	if c.Closed.RST[d] == 0 {
		c.Closed.RST[d] = Epoch.Add(at)
	}
}

// Close delivers ConnClosed at offset at with the facts set in c.Closed
// (defaults: CloseKind "fin" when both FINs were sent, "rst" when a RST was,
// else "open"), then the connection record.
func (c *Conn) Close(at time.Duration) {
	if !c.open {
		return
	}
	c.open = false
	cc := c.Closed
	cc.Conn = &c.Info
	cc.End = Epoch.Add(at)
	if cc.CloseKind == "" {
		switch {
		case cc.RST[0] != 0 || cc.RST[1] != 0:
			cc.CloseKind = "rst"
		case cc.FIN[0] != 0 && cc.FIN[1] != 0:
			cc.CloseKind = "fin"
		default:
			cc.CloseKind = "open"
		}
	}
	if cc.CloseAt == 0 {
		cc.CloseAt = cc.End
	}
	if cc.Initiator == "" {
		cc.Initiator = "none"
		switch {
		case cc.CloseKind == "fin" && cc.FIN[0] <= cc.FIN[1]:
			cc.Initiator = "client"
		case cc.CloseKind == "fin":
			cc.Initiator = "server"
		case cc.CloseKind == "rst" && cc.RST[0] != 0 && (cc.RST[1] == 0 || cc.RST[0] <= cc.RST[1]):
			cc.Initiator = "client"
		case cc.CloseKind == "rst":
			cc.Initiator = "server"
		}
	}
	if cc.TimeWaitHolder == "" {
		cc.TimeWaitHolder = "none"
		if cc.CloseKind == "fin" {
			cc.TimeWaitHolder = cc.Initiator
		}
	}
	cc.HandshakeDone = cc.HandshakeDone || c.Info.ClientHalf > 0
	c.w.Engine.ConnClosed(&cc)
	rc := report.Connection{ID: uint32(c.Info.ID), Client: c.Info.Client.String(), Server: c.Info.Server.String(), Findings: []int{}}
	c.w.Engine.ReportConn(c.Info.ID, &rc)
	c.w.Report.Connections = append(c.w.Report.Connections, rc)
}
