package quic

import "encoding/binary"

// ClientHello holds what the TLS ClientHello told (RFC 8446 §4.1.2).
type ClientHello struct {
	// SNI is the host name of the server_name extension (RFC 6066 §3).
	SNI string
	// ALPN lists the offered protocols in order (RFC 7301 §3.1).
	ALPN []string
	// Versions lists supported_versions (RFC 8446 §4.2.1).
	Versions []uint16
	// ECH is true when an encrypted_client_hello extension (0xfe0d) was
	// offered.
	ECH bool
}

// TLS extension numbers.
const (
	extServerName        = 0
	extALPN              = 16
	extSupportedVersions = 43
	extECH               = 0xfe0d
)

// Caps on what a ClientHello may make us keep.
const (
	maxALPN     = 32
	maxNameLen  = 255
	maxVersions = 16
)

// ParseClientHello parses a TLS handshake message that must be a
// ClientHello (type 1). more is true when b is a correct prefix that ends
// before the message does (wait for more CRYPTO data); anomaly names a
// malformed message.
func ParseClientHello(b []byte) (ch ClientHello, more bool, anomaly string) {
	if len(b) < 4 {
		return ch, true, ""
	}
	if b[0] != 1 {
		return ch, false, AnomalyClientHello
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if n > MaxCrypto {
		return ch, false, AnomalyClientHello
	}
	if len(b) < 4+n {
		return ch, true, ""
	}
	r := reader{b: b[4 : 4+n]}
	r.skip(2 + 32) // legacy_version, random
	r.vec8()       // legacy_session_id
	r.vec16()      // cipher_suites
	r.vec8()       // legacy_compression_methods
	if r.bad {
		return ch, false, AnomalyClientHello
	}
	if r.empty() {
		return ch, false, ""
	}
	exts := reader{b: r.vec16()}
	if r.bad {
		return ch, false, AnomalyClientHello
	}
	for !exts.empty() && !exts.bad {
		typ := exts.u16()
		data := reader{b: exts.vec16()}
		if exts.bad {
			break
		}
		switch typ {
		case extServerName:
			list := reader{b: data.vec16()}
			for !list.empty() && !list.bad {
				kind := list.u8()
				name := list.vec16()
				if kind == 0 && ch.SNI == "" && !list.bad && len(name) <= maxNameLen {
					ch.SNI = string(name)
				}
			}
			if list.bad || data.bad {
				return ch, false, AnomalyClientHello
			}
		case extALPN:
			list := reader{b: data.vec16()}
			for !list.empty() && !list.bad {
				p := list.vec8()
				if !list.bad && len(ch.ALPN) < maxALPN {
					ch.ALPN = append(ch.ALPN, string(p))
				}
			}
			if list.bad || data.bad {
				return ch, false, AnomalyClientHello
			}
		case extSupportedVersions:
			list := reader{b: data.vec8()}
			for !list.empty() && !list.bad && len(ch.Versions) < maxVersions {
				v := list.u16()
				if !list.bad {
					ch.Versions = append(ch.Versions, uint16(v))
				}
			}
		case extECH:
			ch.ECH = true
		}
	}
	if exts.bad {
		return ch, false, AnomalyClientHello
	}
	return ch, false, ""
}

// reader reads TLS vectors; bad becomes true on a short read and stays so.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) empty() bool { return len(r.b) == 0 }

func (r *reader) take(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) skip(n int) { r.take(n) }

func (r *reader) u8() int {
	v := r.take(1)
	if v == nil {
		return 0
	}
	return int(v[0])
}

func (r *reader) u16() int {
	v := r.take(2)
	if v == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(v))
}

func (r *reader) vec8() []byte  { return r.take(r.u8()) }
func (r *reader) vec16() []byte { return r.take(r.u16()) }
