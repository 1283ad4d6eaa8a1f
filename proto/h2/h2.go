package h2

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// Preface is the client connection preface (RFC 9113 §3.4).
const Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Frame types (RFC 9113 §6).
const (
	FrameData         = 0x0
	FrameHeaders      = 0x1
	FramePriority     = 0x2
	FrameRSTStream    = 0x3
	FrameSettings     = 0x4
	FramePushPromise  = 0x5
	FramePing         = 0x6
	FrameGoAway       = 0x7
	FrameWindowUpdate = 0x8
	FrameContinuation = 0x9
)

// Frame flags.
const (
	flagEndStream  = 0x1
	flagAck        = 0x1
	flagEndHeaders = 0x4
	flagPadded     = 0x8
	flagPriority   = 0x20
)

// SETTINGS identifiers (RFC 9113 §6.5.2).
const (
	settingHeaderTableSize      = 0x1
	settingMaxConcurrentStreams = 0x3
	settingMaxFrameSize         = 0x5
)

// Limits.
const (
	MaxBufferedFrame = 64 << 10
	MaxHeaderBlock   = 256 << 10
	MaxExchanges     = 1000
	MaxOpenStreams   = 10000
	MaxHOLEvents     = 100
	maxRecentFrames  = 4096
	maxPingSamples   = 64
)

// Anomaly tokens.
const (
	// AnomalyBadPreface: the client's first bytes are not the preface; the
	// client direction is not parsed.
	AnomalyBadPreface = "h2_bad_preface"
	// AnomalyBadFrame: a frame whose length, padding or stream id breaks
	// RFC 9113 §6 (e.g. SETTINGS not a multiple of 6, DATA on stream 0).
	AnomalyBadFrame = "h2_bad_frame"
	// AnomalyFrameSkipped: a non-DATA frame larger than MaxBufferedFrame
	// was skipped (a skipped header block poisons HPACK).
	AnomalyFrameSkipped = "h2_frame_skipped"
	// AnomalyHeaderBlockTooLarge: a header block over MaxHeaderBlock bytes.
	AnomalyHeaderBlockTooLarge = "h2_header_block_too_large"
	// AnomalyExpectedContinuation: a frame other than CONTINUATION on the
	// same stream interrupted a header block (§6.10).
	AnomalyExpectedContinuation = "h2_expected_continuation"
	// AnomalyUnexpectedContinuation: CONTINUATION with no open header block.
	AnomalyUnexpectedContinuation = "h2_unexpected_continuation"
	// AnomalyHPACK: the HPACK decoder rejected a header block; the
	// direction's decoder is poisoned.
	AnomalyHPACK = "h2_hpack_error"
	// AnomalyGap: bytes of a direction missing from the capture.
	AnomalyGap = "h2_gap"
	// AnomalyStreamLimit: more than MaxOpenStreams streams open at once;
	// the extra ones are not tracked.
	AnomalyStreamLimit = "h2_stream_limit"
)

// Config describes how the connection started.
type Config struct {
	// Upgrade is true for `Upgrade: h2c`: stream 1 is the HTTP/1.1 request
	// (Method, Authority, Path) and was opened at UpgradeAt (RFC 9113
	// §3.1 of RFC 7540).
	Upgrade           bool
	UpgradeAt         int64
	Method, Authority string
	Path              string
	// HTTP2Settings is the request's HTTP2-Settings header (base64url
	// SETTINGS payload: the client's settings).
	HTTP2Settings string
}

// Exchange is one stream's request and response.
type Exchange struct {
	Stream          uint32
	Method, Scheme  string
	Authority, Path string
	Status          int
	Pushed          bool
	Start, End      int64 // first and last frame times (ns)
	RequestBytes    int64 // DATA payload, padding excluded
	ResponseBytes   int64
	Reset           bool
	ResetCode       uint32
	ResetByServer   bool
	HeadersUnknown  bool // a header block could not be decoded
}

// HOLEvent is bytes of one direction that arrived beyond a hole in the TCP
// sequence space and waited for it to be filled.
type HOLEvent struct {
	Dir int
	// At is when the hole was filled (or given up); Hold is At minus the
	// arrival of the first segment beyond the hole (ns).
	At, Hold int64
	// HeldBytes is the number of bytes released when the hole closed.
	HeldBytes int
	// Streams are the distinct stream ids (not 0) of frames in those bytes.
	Streams []uint32
	// Cause is "retransmission" (the capture saw the fill) or
	// "capture_gap" (the capture never saw the missing bytes).
	Cause string
}

// Result is what a Conn learned.
type Result struct {
	Upgrade bool
	// Preface is true when the client preface was seen.
	Preface bool
	// Streams counts streams opened (client requests and pushes);
	// MaxConcurrent is the most open at once.
	Streams, MaxConcurrent int
	Exchanges              []Exchange
	ExchangesDropped       int
	Frames                 [2]int
	// FrameTypes counts frames by type per direction (types 0–9; others
	// in slot 10).
	FrameTypes [2][11]int
	// SettingsMaxConcurrent is the SETTINGS_MAX_CONCURRENT_STREAMS each
	// side announced (-1 when not announced); HeaderTableSize the same for
	// SETTINGS_HEADER_TABLE_SIZE.
	SettingsMaxConcurrent [2]int64
	HeaderTableSize       [2]int64
	RSTStreams            int
	GoAway                bool
	GoAwayDir             int
	GoAwayLastStream      uint32
	GoAwayCode            uint32
	Pings, PingAcks       int
	PingRTTs              []int64
	HPACKPoisoned         [2]bool
	Gaps                  [2]int
	Stopped               [2]bool
	HOL                   []HOLEvent
	HOLDropped            int
}

type stream struct {
	id         uint32
	ex         int // index in exchanges, -1 when over the cap
	endC, endS bool
}

type recent struct {
	start, end int64
	sid        uint32
}

type holeState struct {
	open        bool
	firstBeyond int64
	since       int   // bytes delivered since the last segment
	gapSeen     bool  // a gap released held data since the last segment
	gapAt       int64 // time of that gap
	afterGap    int   // bytes delivered after the gap
	lastData    int64
}

type dirState struct {
	off       int64 // bytes of this direction seen (delivered or gap)
	preface   int   // preface bytes still to check (client only)
	hdr       [9]byte
	hdrN      int
	inFrame   bool
	typ       byte
	flags     byte
	sid       uint32
	length    int
	remain    int
	buf       []byte
	skip      bool // payload not buffered (too large or damaged)
	padLeft   int  // DATA: padding bytes still to come (excluded from counts)
	dataOff   int  // DATA: payload bytes consumed
	stopped   bool
	dec       *hpack.Decoder
	poisoned  bool
	block     []byte // header block being assembled
	blockSID  uint32
	blockOpen bool
	blockTyp  byte // HEADERS or PUSH_PROMISE
	blockEnd  bool // END_STREAM of the HEADERS that opened the block
	promised  uint32
	blockBad  bool
	frames    []recent
	frameCut  bool
	hole      holeState
}

// Conn decodes one HTTP/2 connection.
type Conn struct {
	cfg     Config
	d       [2]dirState
	res     Result
	streams map[uint32]*stream
	open    int
	pings   [2][]ping
	anoms   map[string]int
}

type ping struct {
	t       int64
	payload [8]byte
}

// NewConn returns a Conn for a connection that starts as cfg says.
func NewConn(cfg Config) *Conn {
	c := &Conn{cfg: cfg, streams: map[uint32]*stream{}, anoms: map[string]int{}}
	c.res.Upgrade = cfg.Upgrade
	c.res.SettingsMaxConcurrent = [2]int64{-1, -1}
	c.res.HeaderTableSize = [2]int64{-1, -1}
	c.d[0].preface = len(Preface)
	for i := range c.d {
		c.d[i].dec = hpack.NewDecoder(4096, nil)
		c.d[i].dec.SetMaxStringLength(MaxHeaderBlock)
	}
	if cfg.HTTP2Settings != "" {
		s := strings.TrimRight(strings.TrimSpace(cfg.HTTP2Settings), "=")
		if b, err := base64.RawURLEncoding.DecodeString(s); err == nil && len(b)%6 == 0 {
			c.settings(0, b)
		} else {
			c.anomaly(AnomalyBadFrame)
		}
	}
	if cfg.Upgrade {
		// RFC 7540 §3.2: the upgrade request is stream 1, half-closed
		// (local) for the client.
		st := c.openStream(1, cfg.UpgradeAt, false)
		if st != nil {
			st.endC = true
			if st.ex >= 0 {
				e := &c.res.Exchanges[st.ex]
				e.Method, e.Authority, e.Path, e.Scheme = cfg.Method, cfg.Authority, cfg.Path, "http"
			}
		}
	}
	return c
}

func (c *Conn) anomaly(tok string) { c.anoms[tok]++ }

// Anomalies returns the anomaly tokens raised with their counts (a new
// map).
func (c *Conn) Anomalies() map[string]int {
	out := make(map[string]int, len(c.anoms))
	for k, v := range c.anoms {
		out[k] = v
	}
	return out
}

// Result returns the facts so far (slices are copies).
func (c *Conn) Result() Result {
	r := c.res
	r.Exchanges = slices.Clone(c.res.Exchanges)
	r.PingRTTs = slices.Clone(c.res.PingRTTs)
	r.HOL = slices.Clone(c.res.HOL)
	for i := range c.d {
		r.HPACKPoisoned[i] = c.d[i].poisoned
		r.Stopped[i] = c.d[i].stopped
	}
	return r
}

// End reports that direction d finished.
func (c *Conn) End(d int, t int64) {}

// Gap reports n bytes of direction d missing from the capture. Inside a
// DATA payload parsing goes on (HPACK state is untouched); a gap that hits
// a buffered frame drops that frame and poisons HPACK when it was part of a
// header block; a gap across a frame boundary stops the direction.
func (c *Conn) Gap(d int, t int64, n int) {
	if d < 0 || d > 1 || n <= 0 {
		return
	}
	ds := &c.d[d]
	c.res.Gaps[d]++
	c.anomaly(AnomalyGap)
	ds.off += int64(n)
	if ds.hole.open {
		ds.hole.gapSeen, ds.hole.gapAt, ds.hole.afterGap = true, t, 0
	}
	if ds.stopped {
		return
	}
	switch {
	case ds.preface > 0 || !ds.inFrame || n > ds.remain:
		ds.stopped = true
		ds.poisoned = true
	case ds.typ == FrameData:
		c.dataBytes(d, t, n, nil)
		ds.remain -= n
		if ds.remain == 0 {
			c.frameDone(d, t)
		}
	default:
		ds.skip = true
		ds.buf = ds.buf[:0]
		switch ds.typ {
		case FrameHeaders, FrameContinuation, FramePushPromise:
			ds.poisoned = true
		}
		ds.remain -= n
		if ds.remain == 0 {
			c.frameDone(d, t)
		}
	}
}

// Data feeds in-order bytes p of direction d at time t (ns).
func (c *Conn) Data(d int, t int64, p []byte) {
	if d < 0 || d > 1 {
		return
	}
	ds := &c.d[d]
	ds.hole.since += len(p)
	ds.hole.lastData = t
	if ds.hole.gapSeen {
		ds.hole.afterGap += len(p)
	}
	for len(p) > 0 && !ds.stopped {
		if ds.preface > 0 {
			k := min(ds.preface, len(p))
			at := len(Preface) - ds.preface
			if string(p[:k]) != Preface[at:at+k] {
				c.anomaly(AnomalyBadPreface)
				ds.stopped = true
				break
			}
			ds.preface -= k
			ds.off += int64(k)
			p = p[k:]
			if ds.preface == 0 {
				c.res.Preface = true
			}
			continue
		}
		if !ds.inFrame {
			k := min(9-ds.hdrN, len(p))
			copy(ds.hdr[ds.hdrN:], p[:k])
			ds.hdrN += k
			ds.off += int64(k)
			p = p[k:]
			if ds.hdrN == 9 {
				c.startFrame(d, t)
			}
			continue
		}
		k := min(ds.remain, len(p))
		if ds.typ == FrameData {
			c.dataBytes(d, t, k, p[:k])
		} else if !ds.skip {
			ds.buf = append(ds.buf, p[:k]...)
		}
		ds.remain -= k
		ds.off += int64(k)
		p = p[k:]
		if ds.remain == 0 {
			c.frameDone(d, t)
		}
	}
	if ds.stopped {
		ds.off += int64(len(p))
	}
}

// startFrame reads a complete 9-byte frame header (RFC 9113 §4.1).
func (c *Conn) startFrame(d int, t int64) {
	ds := &c.d[d]
	h := ds.hdr
	ds.hdrN = 0
	ds.length = int(h[0])<<16 | int(h[1])<<8 | int(h[2])
	ds.typ, ds.flags = h[3], h[4]
	ds.sid = binary.BigEndian.Uint32(h[5:9]) & 0x7fffffff
	ds.remain = ds.length
	ds.inFrame = true
	ds.skip = false
	ds.buf = ds.buf[:0]
	ds.padLeft, ds.dataOff = 0, 0
	c.res.Frames[d]++
	if ds.typ < 10 {
		c.res.FrameTypes[d][ds.typ]++
	} else {
		c.res.FrameTypes[d][10]++
	}
	if len(ds.frames) < maxRecentFrames {
		start := ds.off - 9
		ds.frames = append(ds.frames, recent{start: start, end: start + 9 + int64(ds.length), sid: ds.sid})
	} else {
		ds.frameCut = true
	}
	if ds.blockOpen && (ds.typ != FrameContinuation || ds.sid != ds.blockSID) {
		c.anomaly(AnomalyExpectedContinuation)
		ds.blockOpen = false
		ds.block = ds.block[:0]
		ds.poisoned = true
	}
	if ds.typ != FrameData && ds.length > MaxBufferedFrame {
		c.anomaly(AnomalyFrameSkipped)
		ds.skip = true
		switch ds.typ {
		case FrameHeaders, FrameContinuation, FramePushPromise:
			ds.poisoned = true
			ds.blockBad = true
		}
	}
	if ds.typ == FrameData && ds.sid == 0 {
		c.anomaly(AnomalyBadFrame)
	}
	if ds.remain == 0 {
		c.frameDone(d, t)
	}
}

// dataBytes accounts k DATA payload bytes (p may be nil after a gap).
func (c *Conn) dataBytes(d int, t int64, k int, p []byte) {
	ds := &c.d[d]
	n := k
	if ds.flags&flagPadded != 0 {
		if ds.dataOff == 0 && k > 0 {
			if p != nil {
				ds.padLeft = int(p[0])
			}
			n--
			if ds.padLeft > ds.length-1 {
				c.anomaly(AnomalyBadFrame)
				ds.padLeft = ds.length - 1
			}
		}
		// Padding is the tail of the payload: count the part of it that
		// lies in these k bytes (positions counted from the frame's end).
		left := ds.remain - k
		if padIn := min(ds.remain, ds.padLeft) - left; padIn > 0 {
			n -= min(padIn, n)
		}
	}
	ds.dataOff += k
	if st := c.streams[ds.sid]; st != nil && st.ex >= 0 && n > 0 {
		e := &c.res.Exchanges[st.ex]
		if d == 0 {
			e.RequestBytes += int64(n)
		} else {
			e.ResponseBytes += int64(n)
		}
		e.End = t
	}
}

// frameDone handles a complete frame.
func (c *Conn) frameDone(d int, t int64) {
	ds := &c.d[d]
	ds.inFrame = false
	p := ds.buf
	switch ds.typ {
	case FrameData:
		if ds.flags&flagEndStream != 0 {
			c.endStream(d, ds.sid, t)
		}
	case FrameHeaders, FramePushPromise:
		c.headersFrame(d, t, p)
	case FrameContinuation:
		if !ds.blockOpen {
			c.anomaly(AnomalyUnexpectedContinuation)
			return
		}
		c.appendBlock(d, t, p)
	case FramePriority:
		if ds.length != 5 {
			c.anomaly(AnomalyBadFrame)
		}
	case FrameRSTStream:
		if ds.length != 4 || ds.sid == 0 {
			c.anomaly(AnomalyBadFrame)
			return
		}
		c.res.RSTStreams++
		code := uint32(0)
		if !ds.skip && len(p) == 4 {
			code = binary.BigEndian.Uint32(p)
		}
		if st := c.streams[ds.sid]; st != nil {
			if st.ex >= 0 {
				e := &c.res.Exchanges[st.ex]
				e.Reset, e.ResetCode, e.ResetByServer, e.End = true, code, d == 1, t
			}
			c.closeStream(st)
		}
	case FrameSettings:
		if ds.sid != 0 || ds.length%6 != 0 || (ds.flags&flagAck != 0 && ds.length != 0) {
			c.anomaly(AnomalyBadFrame)
			return
		}
		if ds.flags&flagAck == 0 && !ds.skip {
			c.settings(d, p)
		}
	case FramePing:
		if ds.length != 8 || ds.sid != 0 || ds.skip {
			c.anomaly(AnomalyBadFrame)
			return
		}
		var pl [8]byte
		copy(pl[:], p)
		if ds.flags&flagAck == 0 {
			c.res.Pings++
			if len(c.pings[d]) < maxPingSamples {
				c.pings[d] = append(c.pings[d], ping{t: t, payload: pl})
			}
			return
		}
		c.res.PingAcks++
		q := c.pings[1-d]
		for i := range q {
			if q[i].payload == pl {
				if len(c.res.PingRTTs) < maxPingSamples && t >= q[i].t {
					c.res.PingRTTs = append(c.res.PingRTTs, t-q[i].t)
				}
				c.pings[1-d] = append(q[:i:i], q[i+1:]...)
				break
			}
		}
	case FrameGoAway:
		if ds.length < 8 || ds.sid != 0 || ds.skip {
			c.anomaly(AnomalyBadFrame)
			return
		}
		if !c.res.GoAway {
			c.res.GoAway, c.res.GoAwayDir = true, d
			c.res.GoAwayLastStream = binary.BigEndian.Uint32(p[:4]) & 0x7fffffff
			c.res.GoAwayCode = binary.BigEndian.Uint32(p[4:8])
		}
	case FrameWindowUpdate:
		if ds.length != 4 {
			c.anomaly(AnomalyBadFrame)
		}
	}
}

// settings applies a SETTINGS payload sent by direction d's sender.
func (c *Conn) settings(d int, p []byte) {
	for i := 0; i+6 <= len(p); i += 6 {
		id := binary.BigEndian.Uint16(p[i:])
		v := binary.BigEndian.Uint32(p[i+2:])
		switch id {
		case settingHeaderTableSize:
			// The sender's decoder limit bounds the table the peer's encoder
			// uses: header blocks travelling towards the sender.
			c.res.HeaderTableSize[d] = int64(v)
			c.d[1-d].dec.SetAllowedMaxDynamicTableSize(v)
		case settingMaxConcurrentStreams:
			c.res.SettingsMaxConcurrent[d] = int64(v)
		}
	}
}

// headersFrame strips padding and priority from HEADERS or PUSH_PROMISE and
// starts a header block (RFC 9113 §6.2, §6.6).
func (c *Conn) headersFrame(d int, t int64, p []byte) {
	ds := &c.d[d]
	if ds.sid == 0 {
		c.anomaly(AnomalyBadFrame)
		return
	}
	ds.blockTyp, ds.blockSID = ds.typ, ds.sid
	ds.blockEnd = ds.typ == FrameHeaders && ds.flags&flagEndStream != 0
	ds.blockBad = ds.skip
	ds.promised = 0
	ds.block = ds.block[:0]
	ds.blockOpen = true
	if !ds.skip {
		pad := 0
		if ds.flags&flagPadded != 0 {
			if len(p) < 1 {
				ds.blockBad = true
			} else {
				pad = int(p[0])
				p = p[1:]
			}
		}
		if ds.typ == FrameHeaders && ds.flags&flagPriority != 0 {
			if len(p) < 5 {
				ds.blockBad = true
			} else {
				p = p[5:]
			}
		}
		if ds.typ == FramePushPromise {
			if len(p) < 4 {
				ds.blockBad = true
			} else {
				ds.promised = binary.BigEndian.Uint32(p) & 0x7fffffff
				p = p[4:]
			}
		}
		if pad > len(p) {
			ds.blockBad = true
		} else if !ds.blockBad {
			p = p[:len(p)-pad]
		}
		if ds.blockBad {
			c.anomaly(AnomalyBadFrame)
			p = nil
		}
	}
	c.appendBlock(d, t, p)
}

// appendBlock adds a fragment to the open header block and completes it
// on END_HEADERS.
func (c *Conn) appendBlock(d int, t int64, frag []byte) {
	ds := &c.d[d]
	if ds.skip {
		ds.blockBad = true
	}
	if !ds.blockBad {
		if len(ds.block)+len(frag) > MaxHeaderBlock {
			c.anomaly(AnomalyHeaderBlockTooLarge)
			ds.blockBad = true
			ds.poisoned = true
			ds.block = ds.block[:0]
		} else {
			ds.block = append(ds.block, frag...)
		}
	}
	if ds.flags&flagEndHeaders == 0 {
		return
	}
	ds.blockOpen = false
	var fields []hpack.HeaderField
	ok := false
	if ds.blockBad {
		ds.poisoned = true
	} else if !ds.poisoned {
		var err error
		fields, err = ds.dec.DecodeFull(ds.block)
		if err != nil {
			c.anomaly(AnomalyHPACK)
			ds.poisoned = true
		} else {
			ok = true
		}
	}
	c.headerBlock(d, t, ok, fields)
	ds.block = ds.block[:0]
}

// headerBlock applies a complete header block to its stream.
func (c *Conn) headerBlock(d int, t int64, ok bool, fields []hpack.HeaderField) {
	ds := &c.d[d]
	sid := ds.blockSID
	if ds.blockTyp == FramePushPromise {
		if d != 1 || ds.promised == 0 {
			c.anomaly(AnomalyBadFrame)
			return
		}
		st := c.openStream(ds.promised, t, true)
		if st != nil {
			st.endC = true // a pushed stream carries no request body
			c.applyHeaders(st, 0, ok, fields)
		}
		return
	}
	st := c.streams[sid]
	if st == nil {
		if d != 0 || sid%2 == 0 {
			return // a stream already closed, or begun before the capture
		}
		st = c.openStream(sid, t, false)
		if st == nil {
			return
		}
	}
	c.applyHeaders(st, d, ok, fields)
	if st.ex >= 0 {
		c.res.Exchanges[st.ex].End = t
	}
	if ds.blockEnd {
		c.endStream(d, sid, t)
	}
}

// applyHeaders copies the pseudo-headers of a block into the stream's
// exchange (RFC 9113 §8.3).
func (c *Conn) applyHeaders(st *stream, d int, ok bool, fields []hpack.HeaderField) {
	if st.ex < 0 {
		return
	}
	e := &c.res.Exchanges[st.ex]
	if !ok {
		e.HeadersUnknown = true
		return
	}
	for _, f := range fields {
		switch {
		case d == 0 && f.Name == ":method" && e.Method == "":
			e.Method = f.Value
		case d == 0 && f.Name == ":path" && e.Path == "":
			e.Path = f.Value
		case d == 0 && f.Name == ":authority" && e.Authority == "":
			e.Authority = f.Value
		case d == 0 && f.Name == ":scheme" && e.Scheme == "":
			e.Scheme = f.Value
		case d == 1 && f.Name == ":status":
			// A final status replaces an interim 1xx (§8.1).
			if s, err := strconv.Atoi(f.Value); err == nil && (e.Status == 0 || e.Status < 200) {
				e.Status = s
			}
		}
	}
}

// openStream starts tracking a stream and its exchange.
func (c *Conn) openStream(id uint32, t int64, pushed bool) *stream {
	if st := c.streams[id]; st != nil {
		return st
	}
	if len(c.streams) >= MaxOpenStreams {
		c.anomaly(AnomalyStreamLimit)
		return nil
	}
	st := &stream{id: id, ex: -1}
	c.streams[id] = st
	c.res.Streams++
	c.open++
	c.res.MaxConcurrent = max(c.res.MaxConcurrent, c.open)
	if len(c.res.Exchanges) < MaxExchanges {
		st.ex = len(c.res.Exchanges)
		c.res.Exchanges = append(c.res.Exchanges, Exchange{Stream: id, Pushed: pushed, Start: t, End: t})
	} else {
		c.res.ExchangesDropped++
	}
	return st
}

// endStream records END_STREAM from direction d.
func (c *Conn) endStream(d int, sid uint32, t int64) {
	st := c.streams[sid]
	if st == nil {
		return
	}
	if d == 0 {
		st.endC = true
	} else {
		st.endS = true
	}
	if st.ex >= 0 {
		c.res.Exchanges[st.ex].End = t
	}
	if st.endC && st.endS {
		c.closeStream(st)
	}
}

func (c *Conn) closeStream(st *stream) {
	if c.streams[st.id] == st {
		delete(c.streams, st.id)
		c.open--
	}
}

// Segment reports a TCP segment of direction d with n payload bytes at
// time t, after the Data and Gap calls it caused; outOfOrder is true when
// it arrived above the next expected sequence number. It drives the
// head-of-line accounting: the first out-of-order segment opens a hole;
// when a later segment delivers more bytes than it carried (the
// retransmission released buffered bytes), or a gap released them, the
// bytes past the segment's own are the held ones.
func (c *Conn) Segment(d int, t int64, n int, outOfOrder bool) {
	if d < 0 || d > 1 {
		return
	}
	for x := 0; x < 2; x++ {
		ds := &c.d[x]
		h := &ds.hole
		if h.open {
			held, cause, at := 0, "", h.lastData
			switch {
			case h.gapSeen:
				held, cause, at = h.afterGap, "capture_gap", h.gapAt
			case x == d && h.since > n:
				held, cause = h.since-n, "retransmission"
			}
			if held > 0 {
				c.holEvent(x, at, h.firstBeyond, held, cause)
				h.open = false
			}
		}
		h.since, h.afterGap, h.gapSeen = 0, 0, false
		// Keep only the frame that may still be in progress.
		k := 0
		for _, f := range ds.frames {
			if f.end > ds.off {
				ds.frames[k] = f
				k++
			}
		}
		ds.frames = ds.frames[:k]
		ds.frameCut = false
	}
	if outOfOrder && n > 0 && !c.d[d].hole.open {
		c.d[d].hole.open = true
		c.d[d].hole.firstBeyond = t
	}
}

// holEvent records held bytes of direction d that ended at the current
// offset.
func (c *Conn) holEvent(d int, at, first int64, held int, cause string) {
	ds := &c.d[d]
	from := ds.off - int64(held)
	var ids []uint32
	for _, f := range ds.frames {
		if f.sid != 0 && f.end > from && f.start < ds.off && !slices.Contains(ids, f.sid) {
			ids = append(ids, f.sid)
		}
	}
	slices.Sort(ids)
	if len(c.res.HOL) >= MaxHOLEvents {
		c.res.HOLDropped++
		return
	}
	hold := int64(0)
	if at > first {
		hold = at - first
	}
	c.res.HOL = append(c.res.HOL, HOLEvent{Dir: d, At: at, Hold: hold, HeldBytes: held, Streams: ids, Cause: cause})
}
