package quic

import (
	"bytes"
	"sort"
	"time"

	"connscope/flow"
)

// Config bounds a Tracker.
type Config struct {
	// MaxFlows caps the connections tracked at once (default 10,000).
	MaxFlows int
	// IdleTimeout finishes a connection after this much packet time
	// without a datagram (default 60 s).
	IdleTimeout time.Duration
}

// Default limits.
const (
	DefaultMaxFlows    = 10000
	DefaultIdleTimeout = 60 * time.Second
)

func (c Config) withDefaults() Config {
	if c.MaxFlows <= 0 {
		c.MaxFlows = DefaultMaxFlows
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	return c
}

// Role sources of a Conn.
const (
	// RoleInitial: the client sent an Initial packet that decrypted with
	// client keys (or a greased/0-RTT long header only clients send).
	RoleInitial = "protocol"
	// RolePort: the roles were guessed from the ports.
	RolePort = "port"
)

// Conn is one QUIC connection: one UDP 4-tuple from its first long-header
// packet until it went idle or the capture ended.
type Conn struct {
	ID             flow.ConnID
	Client, Server flow.Endpoint
	// RoleSource is RoleInitial or RolePort.
	RoleSource string
	Start, End flow.Time
	// FirstIndex is the frame index of the first datagram.
	FirstIndex uint64
	// Packets counts datagrams and Payload their UDP payload bytes, per
	// flow.Dir.
	Packets, Payload [2]uint64
	// Version is the version of the latest client Initial (or the first
	// long header seen); OfferedVersions the versions a Version
	// Negotiation packet listed.
	Version            uint32
	VersionNegotiation bool
	OfferedVersions    []uint32
	// DCID is the Destination Connection ID of the client's first Initial
	// (the one the Initial keys come from), SCID the client's Source
	// Connection ID, ServerSCID the server's.
	DCID, SCID, ServerSCID []byte
	// Decrypted counts client Initial packets whose protection was removed.
	Decrypted int
	// Hello is true when a ClientHello was parsed; SNI, ALPN and ECH come
	// from it.
	Hello bool
	SNI   string
	ALPN  []string
	ECH   bool
	// Retry is true when the server sent a Retry packet.
	Retry bool
	// ServerSeen is true when the server sent a long-header packet.
	ServerSeen bool
	// IdleTimeout is true when the connection was finished by the idle
	// timeout rather than the end of the capture.
	IdleTimeout bool
	// Anomalies counts the anomaly tokens raised on this connection.
	Anomalies map[string]int
}

// state is a tracked connection.
type state struct {
	c       Conn
	keyDCID []byte
	keys    *Keys
	altKeys *Keys // keys of the latest Initial's own DCID, when different
	altDCID []byte
	largest int64
	crypto  CryptoStream
	last    flow.Time
}

// Tracker follows QUIC connections across the datagrams of one capture.
type Tracker struct {
	cfg       Config
	ids       func() flow.ConnID
	flows     map[flow.Key]*state
	done      []Conn
	anoms     map[string]uint64
	lastSweep flow.Time
	buf       []byte
	frames    Frames
}

// NewTracker returns a tracker; ids hands out connection ids (called once
// per new connection, in capture order).
func NewTracker(cfg Config, ids func() flow.ConnID) *Tracker {
	return &Tracker{
		cfg:   cfg.withDefaults(),
		ids:   ids,
		flows: map[flow.Key]*state{},
		anoms: map[string]uint64{},
	}
}

const protoUDP = 17

// Datagram processes one UDP datagram; p is valid during the call only.
func (t *Tracker) Datagram(ts flow.Time, index uint64, src, dst flow.Endpoint, p []byte) {
	if ts-t.lastSweep >= flow.Time(time.Second) {
		t.sweep(ts)
		t.lastSweep = ts
	}
	key, _ := flow.NewKey(protoUDP, src, dst)
	st := t.flows[key]
	if st != nil && ts-st.last > flow.Time(t.cfg.IdleTimeout) {
		t.finish(key, st, true)
		st = nil
	}
	if st == nil {
		st = t.start(ts, index, key, src, dst, p)
		if st == nil {
			return
		}
	}
	d := flow.ClientToServer
	if src != st.c.Client {
		d = flow.ServerToClient
	}
	st.c.Packets[d]++
	st.c.Payload[d] += uint64(len(p))
	st.c.End = ts
	st.last = ts
	// Coalesced packets (RFC 9000 §12.2): long headers first, at most one
	// short-header packet last.
	for n := 0; len(p) > 0 && IsLongHeader(p) && n < 8; n++ {
		h, a := ParseLongHeader(p)
		if a != "" {
			t.anomaly(st, a)
			return
		}
		t.packet(st, d, &h, p)
		if h.Size <= 0 || h.Size > len(p) {
			return
		}
		p = p[h.Size:]
	}
}

// start begins tracking a flow whose first datagram is p, or returns nil
// when p does not start a QUIC connection we can recognise.
func (t *Tracker) start(ts flow.Time, index uint64, key flow.Key, src, dst flow.Endpoint, p []byte) *state {
	if !IsLongHeader(p) {
		return nil
	}
	h, a := ParseLongHeader(p)
	if a != "" || !(Known(h.Version) || IsGrease(h.Version) || h.Version == VersionNegotiation) {
		return nil
	}
	if len(t.flows) >= t.cfg.MaxFlows {
		t.anoms[AnomalyFlowLimit]++
		return nil
	}
	st := &state{largest: -1}
	st.c.Start, st.c.FirstIndex = ts, index
	st.c.Version = h.Version
	clientSent := false
	roleKnown := true
	switch {
	case IsGrease(h.Version), h.Type == Type0RTT && Known(h.Version):
		clientSent = true
	case h.Version == VersionNegotiation, h.Type == TypeRetry:
		clientSent = false
	case h.Type == TypeInitial:
		t.grow(len(p))
		if k, ok := InitialKeys(h.Version, h.DCID, false); ok {
			if _, ok := OpenInitial(k, &h, p, -1, t.buf[:0]); ok {
				clientSent = true
				break
			}
		}
		roleKnown = false
	default:
		roleKnown = false
	}
	if !roleKnown {
		// A server packet first (the client's was not captured), or one we
		// could not decrypt: the side on the well-known or lower port is
		// the server.
		clientSent = serverPortRank(dst.Port) < serverPortRank(src.Port) ||
			(serverPortRank(dst.Port) == serverPortRank(src.Port) && dst.Port < src.Port)
		st.c.RoleSource = RolePort
	} else {
		st.c.RoleSource = RoleInitial
	}
	if clientSent {
		st.c.Client, st.c.Server = src, dst
	} else {
		st.c.Client, st.c.Server = dst, src
	}
	if h.Version == VersionNegotiation {
		st.c.Version = 0
	}
	st.c.ID = t.ids()
	t.flows[key] = st
	return st
}

// serverPortRank orders ports by how likely they are a QUIC server's: 0
// for the usual ones, 1 for other ports below 1024, 2 otherwise.
func serverPortRank(p uint16) int {
	switch p {
	case 443, 4433, 853, 8443, 784:
		return 0
	}
	if p < 1024 {
		return 1
	}
	return 2
}

// packet handles one long-header packet of a tracked connection.
func (t *Tracker) packet(st *state, d flow.Dir, h *LongHeader, p []byte) {
	c := &st.c
	if d == flow.ServerToClient {
		switch h.Type {
		case TypeVersionNegotiation:
			c.VersionNegotiation = true
			if c.OfferedVersions == nil {
				c.OfferedVersions = append([]uint32{}, h.SupportedVersions...)
			}
			return
		case TypeRetry:
			// The client's next Initial is protected with keys from the
			// Retry's Source Connection ID (RFC 9001 §5.2).
			c.Retry = true
			st.keyDCID = append([]byte(nil), h.SCID...)
			st.keys, st.altKeys, st.altDCID = nil, nil, nil
			st.largest = -1
		}
		if Known(h.Version) {
			c.ServerSeen = true
			if c.ServerSCID == nil && h.Type != TypeRetry {
				c.ServerSCID = append([]byte{}, h.SCID...)
			}
		}
		return
	}
	if h.Type != TypeInitial || !Known(h.Version) {
		return
	}
	if c.Version != h.Version {
		c.Version = h.Version
		if st.keys != nil && !bytes.Equal(st.keyDCID, h.DCID) {
			st.keys = nil
		}
	}
	if st.keyDCID == nil {
		st.keyDCID = append([]byte{}, h.DCID...)
	}
	if c.DCID == nil {
		c.DCID = append([]byte{}, h.DCID...)
		c.SCID = append([]byte{}, h.SCID...)
	}
	o, ok := t.open(st, h, p)
	if !ok {
		t.anomaly(st, AnomalyDecryptFailed)
		return
	}
	c.Decrypted++
	if int64(o.PN) > st.largest {
		st.largest = int64(o.PN)
	}
	if c.Hello {
		return
	}
	if a := ParseFrames(o.Payload, &t.frames); a != "" {
		t.anomaly(st, a)
	}
	for _, f := range t.frames.Crypto {
		st.crypto.Add(f.Offset, f.Data)
	}
	if st.crypto.Overflow {
		t.anomaly(st, AnomalyCryptoTooLarge)
		st.crypto.Overflow = false
	}
	if b := st.crypto.Contiguous(); len(b) > 0 {
		ch, more, a := ParseClientHello(b)
		switch {
		case a != "":
			t.anomaly(st, a)
			c.Hello = true // give up on this stream
			st.crypto.Reset()
		case !more:
			c.Hello = true
			c.SNI, c.ALPN, c.ECH = ch.SNI, ch.ALPN, ch.ECH
			st.crypto.Reset()
		}
	}
}

// open decrypts a client Initial with the connection's keys, falling back
// to keys derived from the packet's own DCID (a Retry or the first Initial
// not captured).
func (t *Tracker) open(st *state, h *LongHeader, p []byte) (Opened, bool) {
	t.grow(len(p))
	if st.keys == nil {
		st.keys, _ = InitialKeys(h.Version, st.keyDCID, false)
	}
	if st.keys != nil {
		if o, ok := OpenInitial(st.keys, h, p, st.largest, t.buf[:0]); ok {
			return o, true
		}
	}
	if bytes.Equal(h.DCID, st.keyDCID) {
		return Opened{}, false
	}
	if st.altKeys == nil || !bytes.Equal(st.altDCID, h.DCID) {
		st.altDCID = append(st.altDCID[:0], h.DCID...)
		st.altKeys, _ = InitialKeys(h.Version, h.DCID, false)
	}
	if st.altKeys == nil {
		return Opened{}, false
	}
	o, ok := OpenInitial(st.altKeys, h, p, -1, t.buf[:0])
	if ok {
		// These are the connection's keys from now on.
		st.keys, st.keyDCID = st.altKeys, append([]byte(nil), h.DCID...)
		st.altKeys = nil
		st.largest = -1
	}
	return o, ok
}

// grow makes the decryption buffer hold at least n bytes.
func (t *Tracker) grow(n int) {
	if cap(t.buf) < n {
		t.buf = make([]byte, 0, max(n, 1500))
	}
}

func (t *Tracker) anomaly(st *state, a string) {
	if st.c.Anomalies == nil {
		st.c.Anomalies = map[string]int{}
	}
	st.c.Anomalies[a]++
	t.anoms[a]++
}

// sweep finishes connections idle for longer than the idle timeout.
func (t *Tracker) sweep(now flow.Time) {
	for k, st := range t.flows {
		if now-st.last > flow.Time(t.cfg.IdleTimeout) {
			t.finish(k, st, true)
		}
	}
}

func (t *Tracker) finish(k flow.Key, st *state, idle bool) {
	delete(t.flows, k)
	if !st.c.Hello && st.c.Decrypted > 0 && len(st.crypto.spans) > 0 {
		t.anomaly(st, AnomalyClientHelloIncomplete)
	}
	st.c.IdleTimeout = idle
	t.done = append(t.done, st.c)
}

// Finish ends every connection still tracked and returns all connections
// in id order, with the anomaly counts of the whole run. The tracker must
// not be used afterwards.
func (t *Tracker) Finish() ([]Conn, map[string]uint64) {
	for k, st := range t.flows {
		t.finish(k, st, false)
	}
	sort.Slice(t.done, func(i, j int) bool { return t.done[i].ID < t.done[j].ID })
	return t.done, t.anoms
}
