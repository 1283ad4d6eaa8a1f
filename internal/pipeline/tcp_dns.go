package pipeline

import (
	"encoding/binary"

	"connscope/analysis"
	"connscope/flow"
	"connscope/proto/dns"
	"connscope/report"
)

// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): each message is preceded by
// its length in two bytes. The messages go to the run's DNS tracker with
// the connection's endpoints, so lookups over TCP are paired, timed and
// linked to later connections exactly like those over UDP.

// looksLikeDNSOverTCP: a client's first bytes to port 53 that start a
// standard query: a length prefix covering at least a header and, when the
// header is in these bytes, QR clear, opcode 0 and at least one question.
// (A resolver may write the prefix in a segment of its own.)
func looksLikeDNSOverTCP(server flow.Endpoint, d flow.Dir, p []byte) bool {
	if server.Port != dns.Port || d != flow.ClientToServer || len(p) < 2 || binary.BigEndian.Uint16(p) < 12 {
		return false
	}
	if len(p) < 2+12 {
		return true
	}
	flags := p[4]
	return flags&0x80 == 0 && flags&0x78 == 0 && binary.BigEndian.Uint16(p[6:]) >= 1
}

// tcpDNSMaxBuffer bounds the bytes buffered per direction: one message of
// the largest length the prefix can give, and its prefix.
const tcpDNSMaxBuffer = 2 + 65535

// Anomaly names of the TCP DNS decoder.
const (
	// AnomalyDNSTCPGap: bytes of a DNS-over-TCP direction were missing from
	// the capture; the rest of that direction is not decoded (message
	// boundaries are lost).
	AnomalyDNSTCPGap = "dns_tcp_gap"
	// AnomalyDNSTCPTruncated: a direction ended inside a message.
	AnomalyDNSTCPTruncated = "dns_tcp_truncated"
)

// tcpDNSDecoder splits the two byte streams of a DNS-over-TCP connection
// into messages for the run's DNS tracker.
type tcpDNSDecoder struct {
	tr     *dns.Tracker
	ends   [2]flow.Endpoint // sender of each direction
	buf    [2][]byte
	broken [2]bool
	msgs   int
	anoms  map[string]int
}

func newTCPDNSDecoder(tr *dns.Tracker, c *analysis.ConnInfo) *tcpDNSDecoder {
	return &tcpDNSDecoder{tr: tr, ends: [2]flow.Endpoint{c.Client, c.Server}}
}

// Data implements TCPDecoder.
func (d *tcpDNSDecoder) Data(dir flow.Dir, t flow.Time, p []byte) {
	if d.broken[dir] {
		return
	}
	b := append(d.buf[dir], p...)
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			break
		}
		d.msgs++
		d.tr.Datagram(t, 0, d.ends[dir], d.ends[dir.Reverse()], b[2:2+n])
		b = b[2+n:]
	}
	// Keep the rest, a partial message (under tcpDNSMaxBuffer bytes, as
	// the length has two bytes), at the front of the buffer.
	d.buf[dir] = append(d.buf[dir][:0], b...)
}

func (d *tcpDNSDecoder) anomaly(name string) {
	if d.anoms == nil {
		d.anoms = map[string]int{}
	}
	d.anoms[name]++
}

// Gap implements TCPDecoder.
func (d *tcpDNSDecoder) Gap(dir flow.Dir, _ flow.Time, _ int) {
	if !d.broken[dir] {
		d.broken[dir] = true
		d.buf[dir] = nil
		d.anomaly(AnomalyDNSTCPGap)
	}
}

// End implements TCPDecoder.
func (d *tcpDNSDecoder) End(dir flow.Dir, _ flow.Time) {
	if len(d.buf[dir]) > 0 && !d.broken[dir] {
		d.anomaly(AnomalyDNSTCPTruncated)
	}
	d.buf[dir] = nil
}

// Fill implements TCPDecoder.
func (d *tcpDNSDecoder) Fill(rc *report.Connection) {
	rc.Protocol = "dns"
	addAnomalies(rc, d.anoms)
}
