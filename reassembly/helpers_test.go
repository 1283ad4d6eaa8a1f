package reassembly

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"connscope/capture"
	"connscope/flow"
)

// ep builds an endpoint from a textual address.
func ep(ip string, port uint16) flow.Endpoint {
	return flow.Endpoint{Addr: flow.Addr(netip.MustParseAddr(ip).As16()), Port: port}
}

var (
	cliEP = ep("10.0.0.1", 40000)
	srvEP = ep("10.0.0.2", 80)
)

// baseTime is the capture time of "at: 0".
const baseTime = flow.Time(1_700_000_000_000_000_000)

// seg is one row of a segment table.
type seg struct {
	at    int    // milliseconds after baseTime
	from  byte   // 'c' client endpoint, 's' server endpoint
	flags string // letters S A F R P
	seq   uint32
	ack   uint32
	data  string
	win   uint16 // 0 means 1000; see zwin
	zwin  bool   // advertise a zero window
	plen  int    // PayloadLen when larger than len(data) (snaplen cut)
	opts  *capture.TCPOptions
	cli   *flow.Endpoint // override the client endpoint
	srv   *flow.Endpoint // override the server endpoint
}

func flagBits(s string) uint8 {
	var f uint8
	for _, r := range s {
		switch r {
		case 'S':
			f |= capture.FlagSYN
		case 'A':
			f |= capture.FlagACK
		case 'F':
			f |= capture.FlagFIN
		case 'R':
			f |= capture.FlagRST
		case 'P':
			f |= capture.FlagPSH
		default:
			panic("bad flag " + string(r))
		}
	}
	return f
}

// mk builds the capture.Packet of row s (index i, 0-based).
func mk(i int, s seg) *capture.Packet {
	c, sv := cliEP, srvEP
	if s.cli != nil {
		c = *s.cli
	}
	if s.srv != nil {
		sv = *s.srv
	}
	src, dst := c, sv
	if s.from == 's' {
		src, dst = sv, c
	}
	p := &capture.Packet{
		Index:      uint64(i + 1),
		Time:       baseTime + flow.Time(time.Duration(s.at)*time.Millisecond),
		IPVersion:  4,
		Src:        src,
		Dst:        dst,
		Proto:      capture.ProtoTCP,
		TTL:        64,
		Seq:        s.seq,
		Ack:        s.ack,
		Flags:      flagBits(s.flags),
		Window:     1000,
		Payload:    []byte(s.data),
		PayloadLen: len(s.data),
	}
	if s.win != 0 {
		p.Window = s.win
	}
	if s.zwin {
		p.Window = 0
	}
	if s.plen > len(s.data) {
		p.PayloadLen = s.plen
	}
	if s.opts != nil {
		p.Opts = *s.opts
	}
	p.CapLen = 54 + len(p.Payload)
	p.WireLen = 54 + p.PayloadLen
	return p
}

// connRec is what the recorder saw of one connection.
type connRec struct {
	opened  Conn           // snapshot at ConnOpened
	closed  *Conn          // snapshot at ConnClosed
	stream  [2]string      // transcript: bytes, "<gap:N>", "<end>"
	times   [2][]flow.Time // times of the Data and Gap calls
	segs    []SegmentInfo
	openSeq int // position in the event log
}

// rec is a Sink that records everything.
type rec struct {
	log      []string
	conns    map[flow.ConnID]*connRec
	order    []flow.ConnID // ConnClosed order
	noStream bool
}

func newRec() *rec { return &rec{conns: map[flow.ConnID]*connRec{}} }

type recStream struct {
	r  *rec
	cr *connRec
	id flow.ConnID
}

func (s *recStream) Data(d flow.Dir, t flow.Time, p []byte) {
	s.cr.stream[d] += string(p)
	s.cr.times[d] = append(s.cr.times[d], t)
	s.r.log = append(s.r.log, fmt.Sprintf("data %d %s %q", s.id, d, p))
}

func (s *recStream) Gap(d flow.Dir, t flow.Time, n int) {
	s.cr.stream[d] += fmt.Sprintf("<gap:%d>", n)
	s.cr.times[d] = append(s.cr.times[d], t)
	s.r.log = append(s.r.log, fmt.Sprintf("gap %d %s %d", s.id, d, n))
}

func (s *recStream) End(d flow.Dir, t flow.Time) {
	s.cr.stream[d] += "<end>"
	s.r.log = append(s.r.log, fmt.Sprintf("end %d %s", s.id, d))
}

func (r *rec) ConnOpened(c *Conn) Stream {
	cr := &connRec{opened: *c, openSeq: len(r.log)}
	r.conns[c.ID] = cr
	r.log = append(r.log, fmt.Sprintf("open %d client=%s server=%s roles=%s", c.ID, c.Client, c.Server, c.Roles))
	if r.noStream {
		return nil
	}
	return &recStream{r: r, cr: cr, id: c.ID}
}

func (r *rec) Segment(c *Conn, s *SegmentInfo) {
	cr := r.conns[c.ID]
	cr.segs = append(cr.segs, *s)
	r.log = append(r.log, fmt.Sprintf("seg %d #%d %s %s", c.ID, s.Index, s.Dir, s.Kind))
}

func (r *rec) ConnClosed(c *Conn) {
	cp := *c
	r.conns[c.ID].closed = &cp
	r.order = append(r.order, c.ID)
	r.log = append(r.log, fmt.Sprintf("closed %d %s", c.ID, c.Close.Kind))
}

// conn returns the record of connection id, failing the test if absent.
func (r *rec) conn(t *testing.T, id flow.ConnID) *connRec {
	t.Helper()
	cr := r.conns[id]
	if cr == nil {
		t.Fatalf("connection %d never opened; log:\n%s", id, strings.Join(r.log, "\n"))
	}
	if cr.closed == nil {
		t.Fatalf("connection %d never closed", id)
	}
	return cr
}

// runSegs feeds the rows to a new Tracker, flushes, and returns the
// recorder and the tracker's final stats.
func runSegs(t *testing.T, cfg Config, segs []seg) (*rec, Stats) {
	t.Helper()
	r := newRec()
	tr := New(cfg, r)
	for i, s := range segs {
		tr.Packet(mk(i, s))
	}
	tr.Flush()
	st := tr.Stats()
	if st.Active != 0 || st.Buffered != 0 {
		t.Fatalf("after Flush: %d active, %d bytes buffered", st.Active, st.Buffered)
	}
	return r, st
}

// handshake returns the three handshake rows with client ISN ci and server
// ISN si, at times 0, 1, 2 ms.
func handshake(ci, si uint32) []seg {
	return []seg{
		{at: 0, from: 'c', flags: "S", seq: ci},
		{at: 1, from: 's', flags: "SA", seq: si, ack: ci + 1},
		{at: 2, from: 'c', flags: "A", seq: ci + 1, ack: si + 1},
	}
}

func cat(parts ...[]seg) []seg {
	var out []seg
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// finClosed is a connection of client cli opened at ms at and closed by
// FIN both ways, both FINs acknowledged at at+5 (ISNs 1000 and 5000).
func finClosed(cli *flow.Endpoint, at int) []seg {
	return []seg{
		{at: at, from: 'c', flags: "S", seq: 1000, cli: cli},
		{at: at + 1, from: 's', flags: "SA", seq: 5000, ack: 1001, cli: cli},
		{at: at + 2, from: 'c', flags: "A", seq: 1001, ack: 5001, cli: cli},
		{at: at + 3, from: 'c', flags: "FA", seq: 1001, ack: 5001, cli: cli},
		{at: at + 4, from: 's', flags: "FA", seq: 5001, ack: 1002, cli: cli},
		{at: at + 5, from: 'c', flags: "A", seq: 1002, ack: 5002, cli: cli},
	}
}

// tms converts milliseconds after baseTime to a flow.Time.
func tms(ms int) flow.Time { return baseTime + flow.Time(time.Duration(ms)*time.Millisecond) }
