package dns

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
)

// Anomaly tokens counted by this package.
const (
	// AnomalyMalformed: a datagram on port 53 is not a well-formed DNS
	// message (short header, a name or record running past the end).
	AnomalyMalformed = "dns_malformed"
	// AnomalyNameLoop: a compressed name pointed forward or to itself, or
	// grew past 255 bytes (RFC 1035 §4.1.4).
	AnomalyNameLoop = "dns_name_loop"
	// AnomalyUnmatchedResponse: a response matched no pending query.
	AnomalyUnmatchedResponse = "dns_unmatched_response"
	// AnomalyPendingLimit: a query was not tracked because
	// Config.MaxPending queries were already waiting.
	AnomalyPendingLimit = "dns_pending_limit"
)

// Record types with a text form here (RFC 1035 §3.2.2, RFC 3596).
const (
	TypeA     = 1
	TypeNS    = 2
	TypeCNAME = 5
	TypeSOA   = 6
	TypePTR   = 12
	TypeMX    = 15
	TypeTXT   = 16
	TypeAAAA  = 28
	TypeSRV   = 33
	TypeSVCB  = 64
	TypeHTTPS = 65
)

// TypeName returns the mnemonic of a record type, or "TYPEnnn" (RFC 3597).
func TypeName(t uint16) string {
	switch t {
	case TypeA:
		return "A"
	case TypeNS:
		return "NS"
	case TypeCNAME:
		return "CNAME"
	case TypeSOA:
		return "SOA"
	case TypePTR:
		return "PTR"
	case TypeMX:
		return "MX"
	case TypeTXT:
		return "TXT"
	case TypeAAAA:
		return "AAAA"
	case TypeSRV:
		return "SRV"
	case TypeSVCB:
		return "SVCB"
	case TypeHTTPS:
		return "HTTPS"
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// RCodeName returns the mnemonic of a response code (RFC 1035 §4.1.1,
// RFC 6895 §2.3), or "RCODEnn".
func RCodeName(rc uint8) string {
	names := [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"}
	if int(rc) < len(names) {
		return names[rc]
	}
	return "RCODE" + strconv.Itoa(int(rc))
}

// Question is one entry of the question section.
type Question struct {
	Name  string // lower-cased, without the final dot; "." for the root
	Type  uint16
	Class uint16
}

// Record is one answer record.
type Record struct {
	Name string
	Type uint16
	TTL  uint32
	// Addr is set for A and AAAA records.
	Addr netip.Addr
	// Data is the record's data as text: the address, the CNAME target, or
	// the type name for other types.
	Data string
}

// Message is a parsed DNS message: header fields, the questions and the
// answer section (authority and additional sections are not read).
type Message struct {
	ID       uint16
	Response bool
	Opcode   uint8
	RCode    uint8
	// Truncated is the TC bit: the answer did not fit in the datagram.
	Truncated bool
	Questions []Question
	Answers   []Record
}

// Caps on one message.
const (
	maxQuestions = 4
	// MaxAnswers caps the answer records kept per message.
	MaxAnswers = 32
	maxNameLen = 255
	maxHops    = 64
)

// Parse decodes a DNS message (RFC 1035 §4.1). anomaly is "" when the
// header and the sections read are well formed.
func Parse(p []byte) (m Message, anomaly string) {
	if len(p) < 12 {
		return m, AnomalyMalformed
	}
	m.ID = binary.BigEndian.Uint16(p)
	flags := binary.BigEndian.Uint16(p[2:])
	m.Response = flags&0x8000 != 0
	m.Opcode = uint8(flags>>11) & 0xf
	m.Truncated = flags&0x0200 != 0
	m.RCode = uint8(flags & 0xf)
	qd := int(binary.BigEndian.Uint16(p[4:]))
	an := int(binary.BigEndian.Uint16(p[6:]))
	off := 12
	for i := 0; i < qd; i++ {
		name, n, a := readName(p, off)
		if a != "" {
			return m, a
		}
		off = n
		if off+4 > len(p) {
			return m, AnomalyMalformed
		}
		if len(m.Questions) < maxQuestions {
			m.Questions = append(m.Questions, Question{Name: name, Type: binary.BigEndian.Uint16(p[off:]), Class: binary.BigEndian.Uint16(p[off+2:])})
		}
		off += 4
	}
	for i := 0; i < an; i++ {
		name, n, a := readName(p, off)
		if a != "" {
			return m, a
		}
		off = n
		if off+10 > len(p) {
			return m, AnomalyMalformed
		}
		typ := binary.BigEndian.Uint16(p[off:])
		ttl := binary.BigEndian.Uint32(p[off+4:])
		rdl := int(binary.BigEndian.Uint16(p[off+8:]))
		off += 10
		if off+rdl > len(p) {
			return m, AnomalyMalformed
		}
		rd := p[off : off+rdl]
		r := Record{Name: name, Type: typ, TTL: ttl}
		switch {
		case typ == TypeA && rdl == 4:
			r.Addr = netip.AddrFrom4([4]byte(rd))
			r.Data = r.Addr.String()
		case typ == TypeAAAA && rdl == 16:
			r.Addr = netip.AddrFrom16([16]byte(rd))
			r.Data = r.Addr.String()
		case typ == TypeCNAME:
			target, _, a := readName(p, off)
			if a != "" {
				return m, a
			}
			r.Data = target
		default:
			r.Data = TypeName(typ)
		}
		off += rdl
		if len(m.Answers) < MaxAnswers {
			m.Answers = append(m.Answers, r)
		}
	}
	return m, ""
}

// readName reads a possibly compressed domain name at off and returns it
// (lower-cased, dot-separated, "." for the root) with the offset just past
// it in the original position. Every pointer must point before the label
// that holds it, so the walk always ends (RFC 1035 §4.1.4 allows only
// prior occurrences).
func readName(p []byte, off int) (name string, next int, anomaly string) {
	var sb strings.Builder
	next = -1
	limit := off // pointers must go below this
	total := 0
	for hops := 0; ; {
		if off >= len(p) {
			return "", 0, AnomalyMalformed
		}
		l := int(p[off])
		switch l & 0xc0 {
		case 0x00:
			if l == 0 {
				if next < 0 {
					next = off + 1
				}
				if sb.Len() == 0 {
					return ".", next, ""
				}
				return strings.ToLower(sb.String()), next, ""
			}
			if off+1+l > len(p) {
				return "", 0, AnomalyMalformed
			}
			total += l + 1
			if total > maxNameLen {
				return "", 0, AnomalyNameLoop
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.Write(p[off+1 : off+1+l])
			off += 1 + l
		case 0xc0:
			if off+2 > len(p) {
				return "", 0, AnomalyMalformed
			}
			ptr := int(binary.BigEndian.Uint16(p[off:]) & 0x3fff)
			if next < 0 {
				next = off + 2
			}
			hops++
			if ptr >= limit || hops > maxHops {
				return "", 0, AnomalyNameLoop
			}
			limit = ptr
			off = ptr
		default:
			// 0x40 and 0x80 label types are obsolete or reserved.
			return "", 0, AnomalyMalformed
		}
	}
}
