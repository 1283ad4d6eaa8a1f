package websocket

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"
)

// acceptGUID is the fixed GUID appended to the client's key (RFC 6455 §1.3).
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey returns the Sec-WebSocket-Accept value a server must answer to
// the client's Sec-WebSocket-Key: base64(SHA-1(key + GUID)) (RFC 6455
// §4.2.2 item 5.4). Surrounding whitespace of the key is ignored.
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(strings.TrimSpace(key) + acceptGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// ValidAccept reports whether accept is the right answer to key. Both must
// be present.
func ValidAccept(key, accept string) bool {
	key, accept = strings.TrimSpace(key), strings.TrimSpace(accept)
	return key != "" && accept != "" && AcceptKey(key) == accept
}

// Opcodes (RFC 6455 §5.2, §11.8).
const (
	OpContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	OpClose        = 0x8
	OpPing         = 0x9
	OpPong         = 0xA
)

// Anomaly tokens.
const (
	// AnomalyMasking: a client frame without the mask bit, or a server frame
	// with it (RFC 6455 §5.1, §5.3).
	AnomalyMasking = "ws_masking_violation"
	// AnomalyControlTooLong: a control frame with more than 125 payload bytes
	// (§5.5).
	AnomalyControlTooLong = "ws_control_frame_too_long"
	// AnomalyControlFragmented: a control frame without FIN (§5.5).
	AnomalyControlFragmented = "ws_control_frame_fragmented"
	// AnomalyBadOpcode: a reserved opcode (§5.2); the direction stops.
	AnomalyBadOpcode = "ws_reserved_opcode"
	// AnomalyRSV: RSV2 or RSV3 set, or RSV1 on a control or continuation
	// frame (§5.2; only extensions may use them, permessage-deflate uses RSV1
	// on the first frame of a message, RFC 7692 §6).
	AnomalyRSV = "ws_reserved_bits"
	// AnomalyBadLength: a 64-bit length with the top bit set (§5.2); the
	// direction stops.
	AnomalyBadLength = "ws_bad_length"
	// AnomalyNonMinimalLength: a length not in its shortest encoding (§5.2).
	AnomalyNonMinimalLength = "ws_non_minimal_length"
	// AnomalyUnexpectedContinuation: a continuation frame with no message
	// in progress (§5.4).
	AnomalyUnexpectedContinuation = "ws_unexpected_continuation"
	// AnomalyExpectedContinuation: a new text/binary frame while a
	// fragmented message was in progress (§5.4).
	AnomalyExpectedContinuation = "ws_expected_continuation"
	// AnomalyBadClose: a close payload of 1 byte, or a status code that must
	// not be sent (below 1000, 1004–1006, 1015, 1016–2999; §7.4).
	AnomalyBadClose = "ws_bad_close_frame"
	// AnomalyAfterClose: a frame sent after the same side's close frame
	// (§5.5.1).
	AnomalyAfterClose = "ws_frame_after_close"
	// AnomalyGap: bytes missing from the capture; the direction stops.
	AnomalyGap = "ws_gap"
)

// Limits of a Session.
const (
	MaxRTTSamples   = 256
	MaxPendingPings = 64
)

// Result is what a Session learned.
type Result struct {
	// Messages counts complete data messages per direction (fragments
	// joined); Frames all frames; Bytes the payload bytes of data frames.
	Messages [2]int
	Frames   [2]int
	Bytes    [2]int64
	// Fragmented counts messages sent in more than one frame.
	Fragmented [2]int
	// Pings and Pongs count control frames of both directions.
	Pings, Pongs int
	// PongRTTs are ping→pong round trips in nanoseconds, in capture order
	// (a pong answers the oldest outstanding ping of the other direction
	// with the same payload).
	PongRTTs []int64
	// CloseCode is the status code of the first close frame (1005 when it
	// carried none, 0 when no close frame was seen); CloseDir is its sender
	// (0 client, 1 server, -1 none); CloseAt its time.
	CloseCode int
	CloseDir  int
	CloseAt   int64
	// CloseReason is the first close frame's reason text (at most 123
	// bytes).
	CloseReason string
	// Closes counts close frames per direction.
	Closes [2]int
	// MaskingViolations counts frames with the wrong mask bit for their
	// direction.
	MaskingViolations int
	// Gaps counts gaps per direction; Stopped is true for a direction whose
	// parsing stopped (gap or invalid header).
	Gaps    [2]int
	Stopped [2]bool
}

// dir is the parse state of one direction.
type dir struct {
	hdr      [14]byte
	hdrN     int
	need     int // header bytes needed once the length byte is known
	inFrame  bool
	fin      bool
	opcode   byte
	masked   bool
	key      [4]byte
	remain   uint64 // payload bytes left in the current frame
	off      uint64 // payload bytes read of the current frame
	ctl      []byte // control payload being collected (≤125 bytes kept)
	inMsg    bool   // a fragmented data message is in progress
	msgFrags int
	closed   bool // this side sent a close frame
	stopped  bool
}

type ping struct {
	t       int64
	payload string
}

// Session decodes one WebSocket connection. The zero value is not ready;
// use NewSession.
type Session struct {
	d       [2]dir
	res     Result
	pending [2][]ping // outstanding pings sent in each direction
	anoms   map[string]int
}

// NewSession returns a Session positioned at the first frame of both
// directions.
func NewSession() *Session {
	s := &Session{anoms: map[string]int{}}
	s.res.CloseDir = -1
	return s
}

func (s *Session) anomaly(tok string) { s.anoms[tok]++ }

// Anomalies returns the anomaly tokens raised with their counts (a new
// map).
func (s *Session) Anomalies() map[string]int {
	out := make(map[string]int, len(s.anoms))
	for k, v := range s.anoms {
		out[k] = v
	}
	return out
}

// Result returns the facts so far (PongRTTs is a copy).
func (s *Session) Result() Result {
	r := s.res
	r.PongRTTs = slices.Clone(s.res.PongRTTs)
	for i := range r.Stopped {
		r.Stopped[i] = s.d[i].stopped
	}
	return r
}

// Gap reports n bytes of direction d missing from the capture: frame
// alignment is lost, so the direction is no longer parsed.
func (s *Session) Gap(d int, t int64, n int) {
	if d < 0 || d > 1 || n <= 0 {
		return
	}
	s.res.Gaps[d]++
	s.anomaly(AnomalyGap)
	s.d[d].stopped = true
}

// End reports that direction d finished. A frame cut short is not counted.
func (s *Session) End(d int, t int64) {}

// Data feeds in-order bytes p of direction d (0 client, 1 server) that
// arrived at time t (nanoseconds).
func (s *Session) Data(d int, t int64, p []byte) {
	if d < 0 || d > 1 {
		return
	}
	ds := &s.d[d]
	for len(p) > 0 && !ds.stopped {
		if !ds.inFrame {
			p = s.header(d, t, p)
			continue
		}
		n := len(p)
		if uint64(n) > ds.remain {
			n = int(ds.remain)
		}
		if ds.opcode >= OpClose && len(ds.ctl) < 125 {
			k := min(n, 125-len(ds.ctl))
			start := len(ds.ctl)
			ds.ctl = append(ds.ctl, p[:k]...)
			if ds.masked {
				for i := start; i < len(ds.ctl); i++ {
					ds.ctl[i] ^= ds.key[(ds.off+uint64(i-start))%4]
				}
			}
		}
		ds.off += uint64(n)
		ds.remain -= uint64(n)
		p = p[n:]
		if ds.remain == 0 {
			s.frameDone(d, t)
		}
	}
}

// header consumes frame-header bytes; when the header is complete it
// validates it and starts the payload.
func (s *Session) header(d int, t int64, p []byte) []byte {
	ds := &s.d[d]
	for len(p) > 0 {
		ds.hdr[ds.hdrN] = p[0]
		ds.hdrN++
		p = p[1:]
		if ds.hdrN == 2 {
			ds.need = 2
			switch ds.hdr[1] & 0x7f {
			case 126:
				ds.need += 2
			case 127:
				ds.need += 8
			}
			if ds.hdr[1]&0x80 != 0 {
				ds.need += 4
			}
		}
		if ds.hdrN >= 2 && ds.hdrN == ds.need {
			s.startFrame(d, t)
			return p
		}
	}
	return p
}

// startFrame validates a complete header (RFC 6455 §5.2).
func (s *Session) startFrame(d int, t int64) {
	ds := &s.d[d]
	h := ds.hdr[:ds.hdrN]
	ds.hdrN = 0
	ds.fin = h[0]&0x80 != 0
	rsv := h[0] & 0x70
	ds.opcode = h[0] & 0x0f
	ds.masked = h[1]&0x80 != 0
	l7 := uint64(h[1] & 0x7f)
	i := 2
	length := l7
	switch l7 {
	case 126:
		length = uint64(binary.BigEndian.Uint16(h[2:4]))
		i = 4
		if length < 126 {
			s.anomaly(AnomalyNonMinimalLength)
		}
	case 127:
		length = binary.BigEndian.Uint64(h[2:10])
		i = 10
		if length>>63 != 0 {
			s.anomaly(AnomalyBadLength)
			ds.stopped = true
			return
		}
		if length <= 0xffff {
			s.anomaly(AnomalyNonMinimalLength)
		}
	}
	if ds.masked {
		copy(ds.key[:], h[i:i+4])
	}
	switch ds.opcode {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
	default:
		s.anomaly(AnomalyBadOpcode)
		ds.stopped = true
		return
	}
	s.res.Frames[d]++
	// §5.1/§5.3: clients mask every frame, servers never.
	if ds.masked != (d == 0) {
		s.res.MaskingViolations++
		s.anomaly(AnomalyMasking)
	}
	control := ds.opcode >= OpClose
	if rsv&0x30 != 0 || (rsv&0x40 != 0 && (control || ds.opcode == OpContinuation)) {
		s.anomaly(AnomalyRSV)
	}
	if ds.closed {
		s.anomaly(AnomalyAfterClose)
	}
	if control {
		if length > 125 {
			s.anomaly(AnomalyControlTooLong)
		}
		if !ds.fin {
			s.anomaly(AnomalyControlFragmented)
		}
	} else {
		s.res.Bytes[d] += int64(length)
		switch {
		case ds.opcode == OpContinuation && !ds.inMsg:
			s.anomaly(AnomalyUnexpectedContinuation)
		case ds.opcode != OpContinuation && ds.inMsg:
			// The unfinished message is abandoned; the new one starts.
			s.anomaly(AnomalyExpectedContinuation)
			ds.msgFrags = 0
		}
		if ds.opcode != OpContinuation {
			ds.inMsg = true
		}
		if ds.inMsg {
			ds.msgFrags++
		}
	}
	ds.inFrame = true
	ds.remain = length
	ds.off = 0
	ds.ctl = ds.ctl[:0]
	if length == 0 {
		s.frameDone(d, t)
	}
}

// frameDone completes the current frame at time t.
func (s *Session) frameDone(d int, t int64) {
	ds := &s.d[d]
	ds.inFrame = false
	switch ds.opcode {
	case OpContinuation, OpText, OpBinary:
		if ds.fin && ds.inMsg {
			s.res.Messages[d]++
			if ds.msgFrags > 1 {
				s.res.Fragmented[d]++
			}
			ds.inMsg = false
			ds.msgFrags = 0
		}
	case OpPing:
		s.res.Pings++
		if len(s.pending[d]) < MaxPendingPings {
			s.pending[d] = append(s.pending[d], ping{t: t, payload: string(ds.ctl)})
		}
	case OpPong:
		s.res.Pongs++
		// A pong answers a ping of the other direction with the same
		// payload (§5.5.3).
		q := s.pending[1-d]
		for i := range q {
			if q[i].payload == string(ds.ctl) {
				if len(s.res.PongRTTs) < MaxRTTSamples && t >= q[i].t {
					s.res.PongRTTs = append(s.res.PongRTTs, t-q[i].t)
				}
				s.pending[1-d] = append(q[:i:i], q[i+1:]...)
				break
			}
		}
	case OpClose:
		s.res.Closes[d]++
		code := 1005 // §7.1.5: no status code present
		reason := ""
		switch {
		case len(ds.ctl) == 1:
			s.anomaly(AnomalyBadClose)
			code = 0
		case len(ds.ctl) >= 2:
			code = int(binary.BigEndian.Uint16(ds.ctl[:2]))
			reason = string(ds.ctl[2:])
			if !validCloseCode(code) {
				s.anomaly(AnomalyBadClose)
			}
		}
		if !ds.closed && s.res.CloseDir < 0 {
			s.res.CloseDir = d
			s.res.CloseCode = code
			s.res.CloseAt = t
			s.res.CloseReason = reason
		}
		ds.closed = true
	}
}

// validCloseCode reports whether code may appear in a close frame (RFC 6455
// §7.4.1, §7.4.2; 1012–1014 were registered later by IANA).
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
