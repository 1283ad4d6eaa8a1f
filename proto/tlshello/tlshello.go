package tlshello

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// MaxHello bounds the handshake bytes accumulated for one hello.
const MaxHello = 16 << 10

// Record content types (RFC 8446 §5.1).
const (
	recordChangeCipherSpec = 20
	recordAlert            = 21
	recordHandshake        = 22
	recordApplicationData  = 23
	recordHeartbeat        = 24
	maxRecordLen           = 1<<14 + 2048 // TLSCiphertext limit (RFC 5246 §6.2.3)
)

// Handshake types and extensions.
const (
	typeClientHello       = 1
	typeServerHello       = 2
	extServerName         = 0
	extALPN               = 16
	extSupportedVersions  = 43
	extEncryptedClientHel = 0xfe0d
)

// Anomaly tokens.
const (
	// AnomalyBadRecord: a record header that cannot be TLS (unknown content
	// type, major version not 3, length over 2^14+2048); the direction
	// stops.
	AnomalyBadRecord = "tls_bad_record"
	// AnomalyMalformedHello: a hello whose fields overrun their lengths.
	AnomalyMalformedHello = "tls_malformed_hello"
	// AnomalyHelloTooLarge: a hello longer than MaxHello.
	AnomalyHelloTooLarge = "tls_hello_too_large"
	// AnomalyUnexpectedHandshake: the first handshake message is not a
	// ClientHello (client) or ServerHello (server).
	AnomalyUnexpectedHandshake = "tls_unexpected_handshake"
	// AnomalyGap: bytes missing before the hello was read; the direction
	// stops.
	AnomalyGap = "tls_gap"
)

// helloRetryRandom marks a HelloRetryRequest (RFC 8446 §4.1.3).
var helloRetryRandom = [32]byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// ClientHello holds what the ClientHello reveals.
type ClientHello struct {
	LegacyVersion uint16
	// SupportedVersions lists the supported_versions extension in order
	// (GREASE values removed); nil when absent.
	SupportedVersions []uint16
	SNI               string
	ALPN              []string
	ECH               bool
	CipherSuites      int // number offered
}

// MaxVersion is the highest version offered: from supported_versions when
// present, otherwise the legacy version field.
func (h *ClientHello) MaxVersion() uint16 {
	v := uint16(0)
	for _, s := range h.SupportedVersions {
		if s > v && s>>8 == 3 {
			v = s
		}
	}
	if v == 0 {
		v = h.LegacyVersion
	}
	return v
}

// ServerHello holds what the ServerHello reveals.
type ServerHello struct {
	LegacyVersion uint16
	// SelectedVersion is the supported_versions value (0 when absent: the
	// legacy version is the one selected).
	SelectedVersion uint16
	CipherSuite     uint16
	ALPN            string
	HelloRetry      bool
}

// Version is the version the server selected.
func (h *ServerHello) Version() uint16 {
	if h.SelectedVersion != 0 {
		return h.SelectedVersion
	}
	return h.LegacyVersion
}

// VersionName names a protocol version: "TLS 1.3", "SSL 3.0", …
func VersionName(v uint16) string {
	switch v {
	case 0x0300:
		return "SSL 3.0"
	case 0x0301:
		return "TLS 1.0"
	case 0x0302:
		return "TLS 1.1"
	case 0x0303:
		return "TLS 1.2"
	case 0x0304:
		return "TLS 1.3"
	case 0:
		return ""
	}
	if v>>8 == 0x7f {
		return fmt.Sprintf("TLS 1.3 draft %d", v&0xff)
	}
	return fmt.Sprintf("0x%04x", v)
}

func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

var errShort = errors.New("tlshello: field overruns the message")

// reader reads big-endian fields with bounds checks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errShort
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() int {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return int(b[0])
}

func (r *reader) u16() int {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(b))
}

func (r *reader) vec8() []byte  { return r.bytes(r.u8()) }
func (r *reader) vec16() []byte { return r.bytes(r.u16()) }

// extensions walks an extensions block, calling f for each.
func extensions(r *reader, f func(typ int, data []byte) error) error {
	if len(r.b) == 0 {
		return r.err // no extensions (allowed before TLS 1.3)
	}
	ext := &reader{b: r.vec16()}
	if r.err != nil {
		return r.err
	}
	for len(ext.b) > 0 {
		typ := ext.u16()
		data := ext.vec16()
		if ext.err != nil {
			return ext.err
		}
		if err := f(typ, data); err != nil {
			return err
		}
	}
	return nil
}

// ParseClientHello parses a ClientHello body (after the 4-byte handshake
// header).
func ParseClientHello(body []byte) (ClientHello, error) {
	var h ClientHello
	r := &reader{b: body}
	h.LegacyVersion = uint16(r.u16())
	r.bytes(32)     // random
	r.vec8()        // legacy_session_id
	cs := r.vec16() // cipher_suites
	h.CipherSuites = len(cs) / 2
	r.vec8() // legacy_compression_methods
	if r.err != nil {
		return h, fmt.Errorf("client hello: %w", r.err)
	}
	err := extensions(r, func(typ int, data []byte) error {
		e := &reader{b: data}
		switch typ {
		case extServerName:
			list := &reader{b: e.vec16()}
			for len(list.b) > 0 && e.err == nil {
				nt := list.u8()
				name := list.vec16()
				if list.err != nil {
					return list.err
				}
				if nt == 0 && h.SNI == "" {
					h.SNI = string(name)
				}
			}
		case extALPN:
			list := &reader{b: e.vec16()}
			for len(list.b) > 0 && e.err == nil {
				p := list.vec8()
				if list.err != nil {
					return list.err
				}
				h.ALPN = append(h.ALPN, string(p))
			}
		case extSupportedVersions:
			list := &reader{b: e.vec8()}
			h.SupportedVersions = []uint16{}
			for len(list.b) >= 2 {
				if v := uint16(list.u16()); !isGREASE(v) {
					h.SupportedVersions = append(h.SupportedVersions, v)
				}
			}
		case extEncryptedClientHel:
			h.ECH = true
		}
		return e.err
	})
	if err != nil {
		return h, fmt.Errorf("client hello extensions: %w", err)
	}
	return h, nil
}

// ParseServerHello parses a ServerHello body (after the 4-byte handshake
// header).
func ParseServerHello(body []byte) (ServerHello, error) {
	var h ServerHello
	r := &reader{b: body}
	h.LegacyVersion = uint16(r.u16())
	rnd := r.bytes(32)
	r.vec8() // legacy_session_id_echo
	h.CipherSuite = uint16(r.u16())
	r.u8() // legacy_compression_method
	if r.err != nil {
		return h, fmt.Errorf("server hello: %w", r.err)
	}
	h.HelloRetry = [32]byte(rnd) == helloRetryRandom
	err := extensions(r, func(typ int, data []byte) error {
		e := &reader{b: data}
		switch typ {
		case extSupportedVersions:
			h.SelectedVersion = uint16(e.u16())
		case extALPN:
			list := &reader{b: e.vec16()}
			p := list.vec8()
			if list.err != nil {
				return list.err
			}
			h.ALPN = string(p)
		}
		return e.err
	})
	if err != nil {
		return h, fmt.Errorf("server hello extensions: %w", err)
	}
	return h, nil
}

// Result is what a Conn learned.
type Result struct {
	Client *ClientHello
	Server *ServerHello
	// ClientHelloAt and ServerHelloAt are the arrival times of the first
	// byte of each hello's first record (0 when not seen); AppDataAt the
	// first application-data record per direction.
	ClientHelloAt, ServerHelloAt int64
	AppDataAt                    [2]int64
	// Records counts records per direction (until the direction stops).
	Records [2]int
	Gaps    [2]int
}

// HandshakeNS is ClientHello → ServerHello, or ClientHello → the first
// application-data record when no ServerHello was read; 0 when unknown.
func (r *Result) HandshakeNS() int64 {
	if r.ClientHelloAt == 0 {
		return 0
	}
	end := r.ServerHelloAt
	if end == 0 {
		for _, t := range r.AppDataAt {
			if t != 0 && (end == 0 || t < end) {
				end = t
			}
		}
	}
	if end < r.ClientHelloAt {
		return 0
	}
	return end - r.ClientHelloAt
}

type dirState struct {
	hdr      [5]byte
	hdrN     int
	typ      byte
	remain   int
	hs       []byte // handshake bytes of the hello being assembled
	helloAt  int64
	helloEnd bool // hello parsed (or given up)
	stopped  bool
}

// Conn reads the hellos of one connection.
type Conn struct {
	d     [2]dirState
	res   Result
	anoms map[string]int
}

// NewConn returns a Conn positioned at the first record of both directions.
func NewConn() *Conn { return &Conn{anoms: map[string]int{}} }

func (c *Conn) anomaly(tok string) { c.anoms[tok]++ }

// Anomalies returns the anomaly tokens raised with their counts (a new map).
func (c *Conn) Anomalies() map[string]int {
	out := make(map[string]int, len(c.anoms))
	for k, v := range c.anoms {
		out[k] = v
	}
	return out
}

// Result returns the facts so far.
func (c *Conn) Result() Result {
	r := c.res
	if r.Client != nil {
		ch := *r.Client
		ch.ALPN = slices.Clone(ch.ALPN)
		ch.SupportedVersions = slices.Clone(ch.SupportedVersions)
		r.Client = &ch
	}
	if r.Server != nil {
		sh := *r.Server
		r.Server = &sh
	}
	return r
}

// Gap reports n bytes of direction d missing from the capture: record
// alignment is lost and the direction stops.
func (c *Conn) Gap(d int, t int64, n int) {
	if d < 0 || d > 1 || n <= 0 || c.d[d].stopped {
		return
	}
	c.res.Gaps[d]++
	c.anomaly(AnomalyGap)
	c.d[d].stopped = true
	c.d[d].hs = nil
}

// End reports that direction d finished.
func (c *Conn) End(d int, t int64) {}

// Data feeds in-order bytes p of direction d at time t (ns).
func (c *Conn) Data(d int, t int64, p []byte) {
	if d < 0 || d > 1 {
		return
	}
	ds := &c.d[d]
	for len(p) > 0 && !ds.stopped {
		if ds.remain == 0 {
			k := min(5-ds.hdrN, len(p))
			copy(ds.hdr[ds.hdrN:], p[:k])
			if ds.hdrN == 0 && !ds.helloEnd && ds.helloAt == 0 {
				ds.helloAt = t
			}
			ds.hdrN += k
			p = p[k:]
			if ds.hdrN < 5 {
				continue
			}
			ds.hdrN = 0
			if !c.record(d, t) {
				ds.stopped = true
				ds.hs = nil
			}
			continue
		}
		k := min(ds.remain, len(p))
		if ds.typ == recordHandshake && !ds.helloEnd {
			c.handshake(d, p[:k])
		}
		ds.remain -= k
		p = p[k:]
	}
}

// record validates a record header; false stops the direction.
func (c *Conn) record(d int, t int64) bool {
	ds := &c.d[d]
	h := ds.hdr
	ds.typ = h[0]
	ds.remain = int(binary.BigEndian.Uint16(h[3:5]))
	if ds.typ < recordChangeCipherSpec || ds.typ > recordHeartbeat || h[1] != 3 || ds.remain > maxRecordLen {
		c.anomaly(AnomalyBadRecord)
		return false
	}
	c.res.Records[d]++
	if ds.typ == recordApplicationData {
		c.res.AppDataAt[d] = t
		ds.hs = nil
		// Everything after is encrypted: nothing more to learn here.
		return false
	}
	return true
}

// handshake accumulates handshake bytes and parses the first message.
func (c *Conn) handshake(d int, p []byte) {
	ds := &c.d[d]
	ds.hs = append(ds.hs, p...)
	if len(ds.hs) < 4 {
		return
	}
	n := int(ds.hs[1])<<16 | int(ds.hs[2])<<8 | int(ds.hs[3])
	if n > MaxHello {
		c.anomaly(AnomalyHelloTooLarge)
		c.helloDone(d)
		return
	}
	if len(ds.hs) < 4+n {
		return
	}
	body := ds.hs[4 : 4+n]
	switch {
	case d == 0 && ds.hs[0] == typeClientHello:
		h, err := ParseClientHello(body)
		if err != nil {
			c.anomaly(AnomalyMalformedHello)
		} else {
			c.res.Client = &h
			c.res.ClientHelloAt = ds.helloAt
		}
	case d == 1 && ds.hs[0] == typeServerHello:
		h, err := ParseServerHello(body)
		if err != nil {
			c.anomaly(AnomalyMalformedHello)
		} else {
			c.res.Server = &h
			c.res.ServerHelloAt = ds.helloAt
		}
	default:
		c.anomaly(AnomalyUnexpectedHandshake)
	}
	c.helloDone(d)
}

func (c *Conn) helloDone(d int) {
	c.d[d].helloEnd = true
	c.d[d].hs = nil
}
