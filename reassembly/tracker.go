package reassembly

import (
	"cmp"
	"container/heap"
	"encoding/binary"
	"slices"
	"time"

	"connscope/capture"
	"connscope/flow"
	"connscope/internal/freelist"
)

// maxSegsPerDir caps the number of segments held in one direction's
// out-of-order buffer, so that tiny segments cannot grow it without bound
// while staying under MaxBufferPerDir bytes.
const maxSegsPerDir = 1024

// maxFree caps the recycled Conn structs kept for reuse.
const maxFree = 4096

// List membership of a connection.
const (
	listNone uint8 = iota
	listActive
	listClosed
	listQuiet
)

// anomaly indexes the tracker's anomaly counters.
type anomaly uint8

const (
	anConnLimit anomaly = iota
	anOOOBufferLimit
	anOOOTotalLimit
	anRSTOutOfWindow
	anTimeBackwards
	anBadFlags
	anDataAfterFIN
	anAfterClose
	anNewWithoutSYN
	numAnomalies
)

var anomalyNames = [numAnomalies]string{
	anConnLimit:      AnomalyConnLimit,
	anOOOBufferLimit: AnomalyOOOBufferLimit,
	anOOOTotalLimit:  AnomalyOOOTotalLimit,
	anRSTOutOfWindow: AnomalyRSTOutOfWindow,
	anTimeBackwards:  AnomalyTimeBackwards,
	anBadFlags:       AnomalyBadFlags,
	anDataAfterFIN:   AnomalyDataAfterFIN,
	anAfterClose:     AnomalyAfterClose,
	anNewWithoutSYN:  AnomalyNewWithoutSYN,
}

// oooSeg is one buffered out-of-order segment.
type oooSeg struct {
	seq      uint32
	n        int       // payload length in sequence space (from the IP header)
	captured int       // bytes of it the capture holds
	data     []byte    // copy of the captured bytes (nil when there is no Stream)
	t        flow.Time // capture time of the packet
}

// half is the sequence state of one direction, indexed by role.
type half struct {
	seqKnown bool // isn/next are set
	ackSeen  bool // this side sent an ACK (lastAck valid)
	winSeen  bool // this side sent a window (window valid)
	finSeen  bool // this side sent a FIN (finSeq valid)
	ended    bool // nothing more will be delivered in this direction
	endSent  bool // Stream.End was called (or there was no Stream)
	dataSeen bool // this side sent payload (maxDataEnd valid)
	// dataAfterPeerFin: this side sent new payload after the peer's FIN.
	dataAfterPeerFin bool
	zwpValid         bool // zwpSeq holds the last zero-window probe byte
	wscale           int8 // window shift this side's windows use; -1 unknown
	window           uint16
	maxWindow        uint16 // largest window this side advertised (not on SYN)
	isn              uint32 // ISN (SYN) or first sequence number seen
	next             uint32 // next expected sequence number
	nextRel          int64  // next as an unwrapped offset from isn
	maxEnd           uint32 // highest sequence end seen (payload and FIN)
	maxDataEnd       uint32 // highest payload end seen
	finSeq           uint32 // sequence number of the FIN
	lastAck          uint32
	zwpSeq           uint32
	ooo              []oooSeg // sorted by seq, all above next
	oooBytes         int
	// streamT is the time of the last Data or Gap call of the direction.
	streamT flow.Time
}

// trackerState is the per-connection state private to the Tracker.
type trackerState struct {
	h            [2]half
	stream       Stream
	lprev, lnext *Conn // active LRU list or closed FIFO
	list         uint8
	opened       bool // ConnOpened was called
	closed       bool // FIN both ways or an accepted RST
	rstClosed    bool // an accepted RST closed it
	finBoth      bool // FIN both ways closed it
	settled      bool // the Settler had it (ConnSettled)
	loIsClient   bool // the key's Lo endpoint is the client
	synSeen      bool
	synAckSeen   bool
	synAckFresh  bool // Handshake.SYNACK answers the last SYN
	synAckAck    uint32
	firstFin     Side
	firstCloser  Side
	lastSeen     flow.Time // tracker clock at the last packet while open
	closedAt     flow.Time // tracker clock when it closed
	quietAt      flow.Time // tracker clock when both its FINs were acknowledged
	bufBytes     int       // out-of-order bytes over both directions
	heapIdx      int       // index+1 in the buffer heap, 0 when absent
}

// dirOf returns the role direction of a packet whose source is the key's Lo
// endpoint when srcIsLo.
func (c *Conn) dirOf(srcIsLo bool) flow.Dir {
	if srcIsLo == c.t.loIsClient {
		return flow.ClientToServer
	}
	return flow.ServerToClient
}

// swapRoles exchanges client and server. Only valid before ConnOpened.
func (c *Conn) swapRoles() {
	c.t.h[0], c.t.h[1] = c.t.h[1], c.t.h[0]
	c.Dir[0], c.Dir[1] = c.Dir[1], c.Dir[0]
	c.Handshake.Client, c.Handshake.Server = c.Handshake.Server, c.Handshake.Client
	c.Client, c.Server = c.Server, c.Client
	c.t.loIsClient = !c.t.loIsClient
	c.t.firstFin = otherSide(c.t.firstFin)
	c.t.firstCloser = otherSide(c.t.firstCloser)
}

func otherSide(s Side) Side {
	switch s {
	case SideClient:
		return SideServer
	case SideServer:
		return SideClient
	}
	return s
}

// connList is an intrusive doubly-linked list of connections.
type connList struct{ head, tail *Conn }

func (l *connList) push(c *Conn) {
	c.t.lprev, c.t.lnext = l.tail, nil
	if l.tail != nil {
		l.tail.t.lnext = c
	} else {
		l.head = c
	}
	l.tail = c
}

func (l *connList) remove(c *Conn) {
	if c.t.lprev != nil {
		c.t.lprev.t.lnext = c.t.lnext
	} else {
		l.head = c.t.lnext
	}
	if c.t.lnext != nil {
		c.t.lnext.t.lprev = c.t.lprev
	} else {
		l.tail = c.t.lprev
	}
	c.t.lprev, c.t.lnext = nil, nil
}

func (l *connList) moveToBack(c *Conn) {
	if l.tail == c {
		return
	}
	l.remove(c)
	l.push(c)
}

// connHeap orders connections with buffered data, largest buffer first
// (ties: lowest ConnID), for the MaxBufferTotal policy.
type connHeap []*Conn

func (h connHeap) Len() int { return len(h) }
func (h connHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.t.bufBytes != b.t.bufBytes {
		return a.t.bufBytes > b.t.bufBytes
	}
	return a.ID < b.ID
}
func (h connHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].t.heapIdx = i + 1
	h[j].t.heapIdx = j + 1
}
func (h *connHeap) Push(x any) {
	c := x.(*Conn)
	c.t.heapIdx = len(*h) + 1
	*h = append(*h, c)
}
func (h *connHeap) Pop() any {
	old := *h
	n := len(old)
	c := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	c.t.heapIdx = 0
	return c
}

// nopSink is used when New is given a nil Sink.
type nopSink struct{}

func (nopSink) ConnOpened(*Conn) Stream     { return nil }
func (nopSink) Segment(*Conn, *SegmentInfo) {}
func (nopSink) ConnClosed(*Conn)            {}

func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.MaxConns <= 0 {
		c.MaxConns = def.MaxConns
	}
	if c.MaxBufferPerDir <= 0 {
		c.MaxBufferPerDir = def.MaxBufferPerDir
	}
	if c.MaxBufferTotal <= 0 {
		c.MaxBufferTotal = def.MaxBufferTotal
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = def.IdleTimeout
	}
	if c.CloseLinger == 0 {
		c.CloseLinger = def.CloseLinger
	}
	if c.QuietLinger == 0 {
		c.QuietLinger = def.QuietLinger
	}
	if c.SettleDelay == 0 {
		c.SettleDelay = def.SettleDelay
	}
	return c
}

// Tracker follows TCP connections and reassembles their byte streams. It
// is not safe for concurrent use: one goroutine calls Packet, Advance, Flush
// and Stats, and the Sink is called synchronously from those calls.
type Tracker struct {
	cfg     Config
	sink    Sink
	settler Settler // sink's, when it implements Settler
	table   map[flow.Key]*Conn
	active  connList // open connections, least recently active first
	closed  connList // closed connections lingering, oldest first
	quiet   connList // closed connections with both FINs acknowledged, oldest first
	// unsettled is the oldest connection of the quiet list not yet handed
	// to the settler (those before it were, those after it were not).
	unsettled *Conn
	free      freelist.List[*Conn] // recycled structs, at most maxFree

	// tombs remembers, until the end of their linger, the tuples of
	// connections reported after the quiet linger. Expired ones are
	// forgotten when looked up and by a sweep every tombSweep of packet
	// time (sweepAt: the next one).
	tombs   map[flow.Key]tomb
	sweepAt flow.Time
	bufs    connHeap

	idle, linger flow.Time // -1: idle timeout disabled
	quietFor     flow.Time // 0: no quiet linger
	settleAfter  flow.Time // Config.SettleDelay; 0: at once

	now     flow.Time // largest packet (or Advance) time seen
	started bool
	// lastPkt is the largest TCP packet time seen (Advance, which live
	// capture calls on a timer, does not move it).
	lastPkt flow.Time
	nextID  flow.ConnID

	lastKey  flow.Key
	lastConn *Conn

	seg SegmentInfo

	packets     uint64
	conns       uint64
	maxActive   int
	bufTotal    int
	maxBuffered int
	anomalies   [numAnomalies]uint64
}

// New returns a Tracker that reports to sink. Zero fields of cfg take their
// defaults (see DefaultConfig).
func New(cfg Config, sink Sink) *Tracker {
	cfg = cfg.withDefaults()
	if sink == nil {
		sink = nopSink{}
	}
	t := &Tracker{
		cfg:    cfg,
		sink:   sink,
		table:  make(map[flow.Key]*Conn),
		free:   freelist.List[*Conn]{Max: maxFree},
		tombs:  make(map[flow.Key]tomb),
		idle:   flow.Time(cfg.IdleTimeout),
		linger: flow.Time(cfg.CloseLinger),
	}
	if cfg.IdleTimeout < 0 {
		t.idle = -1
	}
	if cfg.CloseLinger < 0 {
		t.linger = 0
	}
	if cfg.QuietLinger > 0 {
		t.quietFor = flow.Time(cfg.QuietLinger)
	}
	t.settler, _ = sink.(Settler)
	if cfg.SettleDelay > 0 {
		t.settleAfter = flow.Time(cfg.SettleDelay)
	}
	return t
}

// Stats returns the tracker's counters.
func (t *Tracker) Stats() Stats {
	s := Stats{
		Packets:     t.packets,
		Conns:       t.conns,
		Active:      len(t.table),
		MaxActive:   t.maxActive,
		Buffered:    t.bufTotal,
		MaxBuffered: t.maxBuffered,
		Anomalies:   map[string]uint64{},
	}
	for i, n := range t.anomalies {
		if n > 0 {
			s.Anomalies[anomalyNames[i]] = n
		}
	}
	return s
}

func (t *Tracker) anomaly(a anomaly) { t.anomalies[a]++ }

// Advance moves the tracker's clock to now (if it is later) and closes the
// connections whose idle timeout or linger has expired. Live captures call
// it when no packet arrived for a while.
func (t *Tracker) Advance(now flow.Time) {
	if !t.started || now > t.now {
		t.now, t.started = now, true
	}
	t.expire()
}

// Flush closes every connection still held, in ConnID order, as at the end
// of the input: holes become gaps, both directions get End, and ConnClosed
// is called.
func (t *Tracker) Flush() {
	conns := make([]*Conn, 0, len(t.table))
	for _, c := range t.table {
		conns = append(conns, c)
	}
	slices.SortFunc(conns, func(a, b *Conn) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range conns {
		t.finalize(c, CloseOpen)
	}
}

// Packet processes one packet. Non-TCP packets are ignored. p and its
// Payload are not retained after the call.
func (t *Tracker) Packet(p *capture.Packet) {
	if p.Proto != capture.ProtoTCP {
		return
	}
	t.packets++
	quiet := flow.Time(0) // how long the capture had no TCP packet before p
	if t.packets > 1 {
		quiet = p.Time - t.lastPkt
	}
	t.lastPkt = max(t.lastPkt, p.Time)
	switch {
	case !t.started || p.Time > t.now:
		t.now, t.started = p.Time, true
	case p.Time < t.now:
		t.anomaly(anTimeBackwards)
	}
	t.expire()
	if p.Flags&capture.FlagSYN != 0 && p.Flags&(capture.FlagFIN|capture.FlagRST) != 0 {
		t.anomaly(anBadFlags)
		return
	}
	key, srcIsLo := newKey(p.Src, p.Dst)
	c := t.lastConn
	if c == nil || t.lastKey != key {
		c = t.table[key]
		if c != nil {
			t.lastKey, t.lastConn = key, c
		}
	}
	if c != nil && p.Flags&(capture.FlagSYN|capture.FlagACK) == capture.FlagSYN && t.synStartsNew(c, srcIsLo, p.Seq) {
		t.finalize(c, CloseOpen)
		c = nil
	}
	if c != nil && mayStartUnseen(p) && (t.pastFIN(c, srcIsLo, p) || t.resumesAsNew(c, srcIsLo, p, quiet)) {
		t.anomaly(anNewWithoutSYN)
		t.finalize(c, CloseOpen)
		c = nil
	}
	if c == nil {
		// A SYN starts a new incarnation whether or not the tuple is
		// remembered: only other packets look it up. The new incarnation's
		// packets find it in the table first, and its report forgets the
		// tomb (finalize).
		if len(t.tombs) > 0 && p.Flags&(capture.FlagSYN|capture.FlagACK) != capture.FlagSYN && t.inTomb(key, srcIsLo, p) {
			return
		}
		c = t.newConn(key, srcIsLo, p)
		t.lastKey, t.lastConn = key, c
	}
	t.process(c, srcIsLo, p)
	if c.t.list == listClosed && c.t.finBoth && t.quietFor > 0 &&
		t.now+t.quietFor < c.t.closedAt+t.linger && finsAcked(c) {
		t.closed.remove(c)
		t.quiet.push(c)
		c.t.list, c.t.quietAt = listQuiet, t.now
		if t.settler != nil && t.unsettled == nil {
			t.unsettled = c
			t.settleDue()
		}
	}
}

// settleDue settles the connections of the quiet list whose SettleDelay
// has passed, oldest first.
func (t *Tracker) settleDue() {
	for c := t.unsettled; c != nil && c.t.quietAt+t.settleAfter <= t.now; c = t.unsettled {
		t.unsettled = c.t.lnext
		t.settle(c)
	}
}

// settle finishes both directions of c, a connection of the quiet list,
// fills its Close and calls the Settler (see Settler).
func (t *Tracker) settle(c *Conn) {
	t.closeDir(c, flow.ClientToServer, c.End)
	t.closeDir(c, flow.ServerToClient, c.End)
	fillClose(c, CloseOpen)
	c.t.settled = true
	t.settler.ConnSettled(c)
}

// finsAcked reports whether both directions' FINs were acknowledged: the
// connection closed by FIN both ways and nothing more is due on it.
func finsAcked(c *Conn) bool {
	for d := range c.t.h {
		h, peer := &c.t.h[d], &c.t.h[d^1]
		if !h.finSeen || !peer.ackSeen || seqLT(peer.lastAck, h.finSeq+1) {
			return false
		}
	}
	return true
}

// retire reports a connection of the quiet list (see Config.QuietLinger)
// and keeps its tuple until the end of its linger, so that a late packet is
// counted instead of starting a connection of its own.
func (t *Tracker) retire(c *Conn) {
	key, until := c.Key, c.t.closedAt+t.linger
	fin := [2]uint32{c.t.h[flow.ClientToServer].finSeq, c.t.h[flow.ServerToClient].finSeq}
	if !c.t.loIsClient {
		fin[0], fin[1] = fin[1], fin[0]
	}
	t.finalize(c, CloseOpen) // c is recycled
	if until <= t.now {
		return
	}
	if _, again := t.tombs[key]; !again && len(t.tombs) >= t.cfg.MaxConns {
		t.sweepTombs()
		if len(t.tombs) >= t.cfg.MaxConns {
			return // as many tuples as connections: this one is not remembered
		}
	}
	t.tombs[key] = tomb{until: until, fin: fin}
}

// tomb is what the tracker keeps of a retired connection's tuple: the end
// of its linger, and the sequence numbers of its FINs (it closed by FIN
// both ways), of the Lo and the Hi endpoint of its key.
type tomb struct {
	until flow.Time
	fin   [2]uint32
}

// inTomb reports whether a packet of key belongs to a retired
// connection's tuple within its linger, and counts it.
func (t *Tracker) inTomb(key flow.Key, srcIsLo bool, p *capture.Packet) bool {
	tb, ok := t.tombs[key]
	if !ok {
		return false
	}
	if tb.until <= t.now {
		delete(t.tombs, key)
		return false
	}
	side := 1
	if srcIsLo {
		side = 0
	}
	if mayStartUnseen(p) && pastSeq(p, tb.fin[side]) {
		// A new incarnation whose SYN the capture missed (see pastFIN).
		t.anomaly(anNewWithoutSYN)
		delete(t.tombs, key)
		return false
	}
	t.anomaly(anAfterClose)
	return true
}

// tombSweep is how often (packet time) expired tombs are swept out: the
// map holds at most this much of retirements past their linger.
const tombSweep = flow.Time(250 * time.Millisecond)

// sweepTombs forgets the tombs whose linger has ended. The map is walked
// in no particular order; what it holds afterwards does not depend on it.
func (t *Tracker) sweepTombs() {
	for k, tb := range t.tombs {
		if tb.until <= t.now {
			delete(t.tombs, k)
		}
	}
	t.sweepAt = t.now + tombSweep
}

// newKey is flow.NewKey for TCP, comparing the addresses eight bytes at a
// time (the same bytewise order).
func newKey(src, dst flow.Endpoint) (flow.Key, bool) {
	if endpointLE(&src, &dst) {
		return flow.Key{Lo: src, Hi: dst, Proto: capture.ProtoTCP}, true
	}
	return flow.Key{Lo: dst, Hi: src, Proto: capture.ProtoTCP}, false
}

// endpointLE reports a <= b in flow.Endpoint.Less order.
func endpointLE(a, b *flow.Endpoint) bool {
	a0, b0 := binary.BigEndian.Uint64(a.Addr[:8]), binary.BigEndian.Uint64(b.Addr[:8])
	if a0 != b0 {
		return a0 < b0
	}
	a1, b1 := binary.BigEndian.Uint64(a.Addr[8:]), binary.BigEndian.Uint64(b.Addr[8:])
	if a1 != b1 {
		return a1 < b1
	}
	return a.Port <= b.Port
}

// synStartsNew reports whether a SYN (without ACK) begins a new incarnation
// of the tuple held by c rather than belonging to it (RFC 9293 §3.10.7.4: a
// SYN on a synchronized connection is not part of it).
func (t *Tracker) synStartsNew(c *Conn, srcIsLo bool, seq uint32) bool {
	if c.t.closed {
		return true
	}
	d := c.dirOf(srcIsLo)
	if c.t.opened && d != flow.ClientToServer {
		return true // a SYN from the server side
	}
	if c.t.synSeen {
		return seq != c.Dir[flow.ClientToServer].ISN // same ISN: a retry
	}
	// No SYN yet: a late (reordered) SYN fits the connection when the
	// sequence numbers seen so far start right after it.
	if c.t.synAckSeen {
		return c.t.synAckAck != seq+1
	}
	h := &c.t.h[d]
	return h.seqKnown && h.isn != seq+1
}

// mayStartUnseen reports whether packet p may be the first seen of an
// incarnation whose SYN the capture missed (pastFIN, resumesAsNew): not a
// SYN without ACK, which starts one by itself (synStartsNew), nor an RST.
func mayStartUnseen(p *capture.Packet) bool {
	return p.Flags&(capture.FlagSYN|capture.FlagACK) != capture.FlagSYN && p.Flags&capture.FlagRST == 0
}

// pastFIN reports whether packet p starts after the FIN of its direction
// on connection c, closed by FIN both ways: nothing follows a FIN in the
// same incarnation (RFC 9293 §3.10.7.4), so it is a new incarnation whose
// SYN the capture missed (on Linux the next one's sequence numbers start
// just past the old ones: a SYN to a TIME_WAIT socket gets an ISN 65537
// past its last, and a client's advances with the clock). A pure ACK after
// the FIN carries the FIN's sequence number plus one, and is not past it.
func (t *Tracker) pastFIN(c *Conn, srcIsLo bool, p *capture.Packet) bool {
	if !c.t.finBoth {
		return false
	}
	return pastSeq(p, c.t.h[c.dirOf(srcIsLo)].finSeq)
}

// pastSeq reports whether packet p starts past a FIN at finSeq of its
// direction: a pure ACK past finSeq+1, anything else past finSeq.
func pastSeq(p *capture.Packet, finSeq uint32) bool {
	if p.PayloadLen == 0 && p.Flags&capture.FlagFIN == 0 {
		return seqGT(p.Seq, finSeq+1)
	}
	return seqGT(p.Seq, finSeq)
}

// Bounds of resumesAsNew.
const (
	// resumeIdle is the least silence of a connection before a packet that
	// jumps out of its window starts a new incarnation.
	resumeIdle = flow.Time(time.Second)
	// resumeMinJump is the least jump, whatever the window.
	resumeMinJump = 1 << 20
)

// resumesAsNew reports whether packet p, on open connection c, belongs to
// a new incarnation of the tuple whose SYN the capture missed (as it
// missed the old one's close). Linux keeps the sequence space going across
// incarnations (RFC 6528 ISNs advance with the clock; a SYN to a TIME_WAIT
// socket gets an ISN just past the old one), and keeps the timestamp clock,
// so nothing random gives it away. What does: after a silence of a second
// or more, the packet's sequence number, or the one it acknowledges, is
// out of the window by far. A sender never sends past the receiver's
// window, so a jump of more than four times the largest window the
// receiver advertised (and at least 1 MiB) would need the capture to have
// missed whole windows of the connection, and every packet of it, for that
// second, while it caught other traffic: when the whole capture was silent
// for half the connection's silence or more (quiet: since its previous
// packet), the capture itself may have stopped, and a connection on a fast
// path could have moved that far. A SYN/ACK counts by its acknowledgement
// (the server's new ISN may be just past its old sequence space).
func (t *Tracker) resumesAsNew(c *Conn, srcIsLo bool, p *capture.Packet, quiet flow.Time) bool {
	silence := p.Time - c.End
	if c.t.closed || silence < resumeIdle || quiet >= silence/2 {
		return false
	}
	d := c.dirOf(srcIsLo)
	h, peer := &c.t.h[d], &c.t.h[d^1]
	if p.Flags&capture.FlagSYN == 0 && h.seqKnown && outOfWindow(p.Seq, h.next, peer) {
		return true
	}
	return p.Flags&capture.FlagACK != 0 && peer.seqKnown && outOfWindow(p.Ack, peer.next, h)
}

// outOfWindow reports whether seq is further from next than a receiver
// advertising recv's windows allows (see resumesAsNew): four times the
// largest window it advertised (its SYN's, unscaled, while it advertised
// no other). False when its window scale is not known.
func outOfWindow(seq, next uint32, recv *half) bool {
	var win int64
	switch {
	case recv.wscale < 0 || !recv.winSeen:
		return false
	case recv.maxWindow > 0:
		win = 4 * int64(recv.maxWindow) << recv.wscale
	default:
		win = 4 * int64(recv.window)
	}
	bound := max(win, resumeMinJump)
	jump := int64(int32(seq - next))
	return jump > bound || -jump > bound
}

// wellKnownPorts are service ports that beat any other port in the role
// heuristic, besides all ports below 1024.
var wellKnownPorts = map[uint16]bool{
	1080: true, 3128: true, 8000: true, 8008: true, 8080: true, 8081: true,
	8443: true, 8888: true,
}

// portRank: 2 for a privileged or well-known service port, 1 for a
// registered port, 0 for an ephemeral one (Linux range 32768–60999 and the
// IANA range 49152–65535).
func portRank(p uint16) int {
	switch {
	case p < 1024 || wellKnownPorts[p]:
		return 2
	case p < 32768:
		return 1
	}
	return 0
}

// dstIsServer applies the port heuristic to a packet from src to dst.
func dstIsServer(src, dst flow.Endpoint) bool {
	rs, rd := portRank(src.Port), portRank(dst.Port)
	if rs != rd {
		return rd > rs
	}
	if src.Port != dst.Port {
		return dst.Port < src.Port
	}
	return true // same port: the first packet's receiver
}

func (t *Tracker) newConn(key flow.Key, srcIsLo bool, p *capture.Packet) *Conn {
	if len(t.table) >= t.cfg.MaxConns {
		t.evict()
	}
	c, ok := t.free.Take()
	if !ok {
		c = new(Conn)
	}
	if t.cfg.NextID != nil {
		c.ID = t.cfg.NextID()
	} else {
		t.nextID++
		c.ID = t.nextID
	}
	c.Key = key
	var srcIsClient bool
	switch {
	case p.Flags&(capture.FlagSYN|capture.FlagACK) == capture.FlagSYN:
		srcIsClient, c.Roles = true, RoleFromSYN
	case p.Flags&(capture.FlagSYN|capture.FlagACK) == capture.FlagSYN|capture.FlagACK:
		srcIsClient, c.Roles = false, RoleFromSYNACK
	default:
		srcIsClient, c.Roles = dstIsServer(p.Src, p.Dst), RoleFromPort
	}
	c.t.loIsClient = srcIsLo == srcIsClient
	if c.t.loIsClient {
		c.Client, c.Server = key.Lo, key.Hi
	} else {
		c.Client, c.Server = key.Hi, key.Lo
	}
	c.Start, c.End = p.Time, p.Time
	c.Handshake.Client.WScale, c.Handshake.Server.WScale = -1, -1
	c.t.h[0].wscale, c.t.h[1].wscale = -1, -1
	c.t.lastSeen = t.now
	c.t.list = listActive
	t.active.push(c)
	t.table[key] = c
	t.conns++
	if len(t.table) > t.maxActive {
		t.maxActive = len(t.table)
	}
	return c
}

// evict makes room for one connection: a closed connection is reported
// early if there is one (a quiet one first, keeping its tuple as retire
// does), else the least recently active open one is evicted.
func (t *Tracker) evict() {
	if c := t.quiet.head; c != nil {
		t.retire(c)
		return
	}
	if c := t.closed.head; c != nil {
		t.finalize(c, CloseOpen)
		return
	}
	if c := t.active.head; c != nil {
		t.anomaly(anConnLimit)
		t.finalize(c, CloseEvicted)
	}
}

// expire reports the connections whose idle timeout or linger expired, in
// expiry order (ties: lowest ConnID).
func (t *Tracker) expire() {
	if len(t.tombs) > 0 && t.now >= t.sweepAt {
		t.sweepTombs()
	}
	if t.unsettled != nil {
		t.settleDue()
	}
	for {
		// The earliest expiry among the three lists' heads (each list is in
		// expiry order), ties to the lowest ConnID.
		var next *Conn
		var at flow.Time
		if a := t.active.head; a != nil && t.idle >= 0 && a.t.lastSeen+t.idle <= t.now {
			next, at = a, a.t.lastSeen+t.idle
		}
		if z := t.closed.head; z != nil && z.t.closedAt+t.linger <= t.now && expiresFirst(z, z.t.closedAt+t.linger, next, at) {
			next, at = z, z.t.closedAt+t.linger
		}
		if q := t.quiet.head; q != nil && q.t.quietAt+t.quietFor <= t.now && expiresFirst(q, q.t.quietAt+t.quietFor, next, at) {
			next = q
		}
		switch {
		case next == nil:
			return
		case next.t.list == listActive:
			t.finalize(next, CloseIdle)
		case next.t.list == listQuiet:
			t.retire(next)
		default:
			t.finalize(next, CloseOpen)
		}
	}
}

// expiresFirst reports whether c, expiring at e, goes before next (nil: no
// candidate yet), expiring at at.
func expiresFirst(c *Conn, e flow.Time, next *Conn, at flow.Time) bool {
	return next == nil || e < at || e == at && c.ID < next.ID
}

// open calls ConnOpened (roles are final from here on) and reports the
// directions that already ended.
func (t *Tracker) open(c *Conn) {
	c.t.opened = true
	c.t.stream = t.sink.ConnOpened(c)
	for d := range c.t.h {
		h := &c.t.h[d]
		if h.ended && !h.endSent {
			h.endSent = true
			if c.t.stream != nil {
				c.t.stream.End(flow.Dir(d), c.End)
			}
		}
	}
}

func (t *Tracker) ensureOpen(c *Conn) {
	if !c.t.opened {
		t.open(c)
	}
}

// markClosed moves c from the active list to the closed FIFO.
func (t *Tracker) markClosed(c *Conn) {
	c.t.closed = true
	if c.t.list == listActive {
		t.active.remove(c)
		t.closed.push(c)
		c.t.list = listClosed
		c.t.closedAt = t.now
	}
	t.ensureOpen(c)
}

// finalize ends c for good: flushes both directions, fills Close, reports
// ConnClosed and recycles the struct. reason is the close kind used when
// neither FIN both ways nor a RST closed it.
func (t *Tracker) finalize(c *Conn, reason CloseKind) {
	t.ensureOpen(c)
	t.closeDir(c, flow.ClientToServer, c.End)
	t.closeDir(c, flow.ServerToClient, c.End)
	fillClose(c, reason)
	switch c.t.list {
	case listActive:
		t.active.remove(c)
	case listClosed:
		t.closed.remove(c)
	case listQuiet:
		if t.unsettled == c {
			t.unsettled = c.t.lnext
		}
		t.quiet.remove(c)
	}
	c.t.list = listNone
	delete(t.table, c.Key)
	if len(t.tombs) > 0 {
		// A tomb of an earlier incarnation of the tuple (a SYN opened this
		// one without looking, see Packet) must not take this one's late
		// packets: it is forgotten; retire remembers this one's instead.
		delete(t.tombs, c.Key)
	}
	if t.lastConn == c {
		t.lastConn = nil
	}
	t.sink.ConnClosed(c)
	t.recycle(c)
}

// fillClose fills c.Close from how c closed; reason is the close kind
// used when neither FIN both ways nor a RST closed it.
func fillClose(c *Conn, reason CloseKind) {
	cl := &c.Close
	switch {
	case c.t.rstClosed:
		cl.Kind, cl.Initiator, cl.TimeWaitHolder = CloseRST, c.t.firstCloser, SideNone
	case c.t.finBoth:
		cl.Kind, cl.Initiator, cl.TimeWaitHolder = CloseFIN, c.t.firstCloser, c.t.firstFin
		if cl.Simultaneous {
			cl.TimeWaitHolder = SideBoth
		}
	default:
		cl.Kind, cl.Initiator, cl.TimeWaitHolder = reason, SideNone, SideNone
		cl.At = c.End
	}
}

func (t *Tracker) recycle(c *Conn) {
	if t.free.Full() {
		return
	}
	o0, o1 := c.t.h[0].ooo[:0], c.t.h[1].ooo[:0]
	*c = Conn{}
	if cap(o0) <= 16 { // keep small buffers only: the free list stays cheap
		c.t.h[0].ooo = o0
	}
	if cap(o1) <= 16 {
		c.t.h[1].ooo = o1
	}
	t.free.Give(c)
}

// bufAdd accounts delta buffered bytes on direction h of c.
func (t *Tracker) bufAdd(c *Conn, h *half, delta int) {
	h.oooBytes += delta
	c.t.bufBytes += delta
	t.bufTotal += delta
	if t.bufTotal > t.maxBuffered {
		t.maxBuffered = t.bufTotal
	}
	switch {
	case c.t.bufBytes == 0:
		if c.t.heapIdx != 0 {
			heap.Remove(&t.bufs, c.t.heapIdx-1)
		}
	case c.t.heapIdx == 0:
		heap.Push(&t.bufs, c)
	default:
		heap.Fix(&t.bufs, c.t.heapIdx-1)
	}
}

func flagsOf(p *capture.Packet) (syn, ack, rst, fin bool) {
	f := p.Flags
	return f&capture.FlagSYN != 0, f&capture.FlagACK != 0, f&capture.FlagRST != 0, f&capture.FlagFIN != 0
}

// process applies one packet to its connection.
func (t *Tracker) process(c *Conn, srcIsLo bool, p *capture.Packet) {
	syn, ack, rst, fin := flagsOf(p)
	n := max(p.PayloadLen, 0)
	payload := p.Payload
	if len(payload) > n {
		payload = payload[:n]
	}

	d := c.dirOf(srcIsLo)
	openNow := false
	if !c.t.opened {
		// Settle the roles before the sink sees anything.
		switch {
		case syn && !ack:
			if d != flow.ClientToServer {
				c.swapRoles()
				d = flow.ClientToServer
			}
			c.Roles, openNow = RoleFromSYN, true
		case syn:
			if d != flow.ServerToClient {
				c.swapRoles()
				d = flow.ServerToClient
			}
			c.Roles, openNow = RoleFromSYNACK, true
		case n > 0 && !rst:
			if t.cfg.ClassifyPayload != nil && len(payload) > 0 {
				if r := t.cfg.ClassifyPayload(payload); r != 0 {
					want := flow.ClientToServer
					if r < 0 {
						want = flow.ServerToClient
					}
					if d != want {
						c.swapRoles()
						d = want
					}
					c.Roles = RoleFromPayload
				}
			}
			openNow = true
		}
	}

	h := &c.t.h[d]
	ds := &c.Dir[d]
	ds.Packets++
	ds.Bytes += uint64(p.WireLen)
	if p.Time > c.End {
		c.End = p.Time
	}
	if c.t.list == listActive {
		c.t.lastSeen = t.now
		t.active.moveToBack(c)
	}

	kind := SegNew
	if syn {
		kind = t.handshake(c, d, p, ack)
		t.synSeq(c, d, p.Seq)
	} else if ack && d == flow.ClientToServer && c.t.synAckSeen && c.Handshake.ACK == 0 &&
		p.Ack == c.Dir[flow.ServerToClient].ISN+1 {
		c.Handshake.ACK = p.Time
		c.Handshake.Complete = c.t.synSeen
	}
	if openNow {
		t.open(c)
	}

	if rst {
		t.reset(c, d, p)
	} else {
		// Duplicate ACK (RFC 5681 §2, Wireshark's definition), judged on the
		// state before this packet.
		dup := n == 0 && !syn && !fin && ack && h.ackSeen && p.Ack == h.lastAck &&
			h.winSeen && p.Window == h.window && p.Window != 0 && h.seqKnown && p.Seq == h.next
		if ack {
			t.ackAdvance(c, d, p.Ack, p.Time)
		}
		k := t.segment(c, d, p, payload, n, syn, fin)
		if kind == SegNew {
			kind = k
		}
		if kind == SegNew && dup {
			kind = SegDupAck
			ds.DupAcks++
		}
		if ack {
			h.lastAck, h.ackSeen = p.Ack, true
			ds.LastAck = p.Ack
		}
		h.window, h.winSeen = p.Window, true
		if !syn && p.Window > h.maxWindow {
			h.maxWindow = p.Window
		}
		if p.Window == 0 && !syn && !fin {
			ds.ZeroWindow++
		}
	}

	if c.t.opened {
		s := &t.seg
		s.Time, s.Index, s.Dir = p.Time, p.Index, d
		s.Seq, s.Ack, s.Flags, s.Window = p.Seq, p.Ack, p.Flags, p.Window
		s.Len, s.WireLen, s.Kind = n, p.WireLen, kind
		s.RelSeq = 0
		if h.seqKnown {
			s.RelSeq = h.nextRel + int64(int32(p.Seq-h.next))
		}
		o := &p.Opts
		s.TSval, s.TSecr, s.HasTS = o.TSval, o.TSecr, o.HasTimestamps
		s.NumSACK = min(o.NumSACK, capture.MaxSACKBlocks)
		for i := range s.SACK {
			s.SACK[i] = [2]uint32{o.SACK[i].Left, o.SACK[i].Right}
		}
		t.sink.Segment(c, s)
	}
}

// handshake records a SYN or SYN/ACK in the handshake facts.
func (t *Tracker) handshake(c *Conn, d flow.Dir, p *capture.Packet, ack bool) SegmentKind {
	hs := &c.Handshake
	if !ack { // SYN; d is the client by construction
		if !c.t.synSeen {
			c.t.synSeen = true
			hs.FirstSYN, hs.SYN = p.Time, p.Time
			hs.Client = optionsOf(p)
			t.windowScales(c)
			return SegNew
		}
		hs.SYNRetries++
		hs.SYN = p.Time
		c.t.synAckFresh = false
		c.Dir[d].Retransmissions++
		return SegRetransmission
	}
	if d != flow.ServerToClient {
		return SegNew // SYN/ACK from the SYN sender (simultaneous open)
	}
	if !c.t.synAckSeen {
		c.t.synAckSeen, c.t.synAckFresh = true, true
		c.t.synAckAck = p.Ack
		hs.SYNACK = p.Time
		hs.Server = optionsOf(p)
		t.windowScales(c)
		return SegNew
	}
	hs.SYNACKRetries++
	if !c.t.synAckFresh {
		hs.SYNACK, c.t.synAckFresh = p.Time, true
	}
	c.Dir[d].Retransmissions++
	return SegRetransmission
}

func optionsOf(p *capture.Packet) Options {
	o := Options{
		Seen:          true,
		MSS:           p.Opts.MSS,
		WScale:        -1,
		SACKPermitted: p.Opts.SACKPermitted,
		Timestamps:    p.Opts.HasTimestamps,
	}
	if !p.Opts.HasMSS {
		o.MSS = 0
	}
	if p.Opts.HasWScale {
		o.WScale = int8(min(p.Opts.WScale, 14)) // RFC 7323 §2.3
	}
	return o
}

// windowScales sets the shift of each direction once both handshake sides
// were seen: scaling is in effect only if both offered it (RFC 7323 §2.2).
func (t *Tracker) windowScales(c *Conn) {
	cl, sv := &c.Handshake.Client, &c.Handshake.Server
	if !cl.Seen || !sv.Seen {
		return
	}
	if cl.WScale >= 0 && sv.WScale >= 0 {
		c.t.h[flow.ClientToServer].wscale = cl.WScale
		c.t.h[flow.ServerToClient].wscale = sv.WScale
	} else {
		c.t.h[flow.ClientToServer].wscale = 0
		c.t.h[flow.ServerToClient].wscale = 0
	}
}
