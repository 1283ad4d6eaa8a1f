package pipeline

import (
	"connscope/analysis"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/proto/dns"
	"connscope/report"
)

// TCPDecoder decodes one application protocol on one TCP connection: the
// pipeline feeds it the connection's in-order bytes (after the HTTP/1.x
// upgrade for protocols reached that way) and asks it at the end to add what
// it learned to the connection's record. Decoders measure; findings are
// judged by analysers that read the record.
type TCPDecoder interface {
	// Data delivers in-order bytes of direction d; p is valid during the
	// call only.
	Data(d flow.Dir, t flow.Time, p []byte)
	// Gap reports n bytes of direction d missing from the capture.
	Gap(d flow.Dir, t flow.Time, n int)
	// End reports that direction d finished.
	End(d flow.Dir, t flow.Time)
	// Fill adds the decoder's results to the connection record (e.g.
	// rc.TLS, rc.WebSocket, rc.H2) and may set rc.Protocol.
	Fill(rc *report.Connection)
}

// tcpProtocol is a protocol recognised from the first bytes of a
// connection.
type tcpProtocol struct {
	// name is the connection's protocol in the report.
	name string
	// sniff reports whether the first bytes p of direction d of the
	// connection c start this protocol.
	sniff func(c *analysis.ConnInfo, d flow.Dir, p []byte) bool
	// decoder builds the decoder (nil: the protocol is only named).
	decoder func(c *analysis.ConnInfo) TCPDecoder
}

// tcpProtocols lists, in the order they are tried, the protocols recognised
// by their first bytes. HTTP/1.x is handled by httpdecode before these.
// DNS over TCP feeds dnsTr, the run's DNS tracker (nil: not decoded).
func tcpProtocols(dnsTr *dns.Tracker) []tcpProtocol {
	ps := []tcpProtocol{
		{name: "h2c", sniff: func(_ *analysis.ConnInfo, d flow.Dir, p []byte) bool {
			return d == flow.ClientToServer && hasPrefix(p, h2Preface)
		}, decoder: func(*analysis.ConnInfo) TCPDecoder { return newH2PriorKnowledge() }},
		{name: "tls", sniff: func(_ *analysis.ConnInfo, d flow.Dir, p []byte) bool {
			return d == flow.ClientToServer && looksLikeTLSClientHello(p)
		}, decoder: func(*analysis.ConnInfo) TCPDecoder { return newTLSDecoder() }},
	}
	if dnsTr != nil {
		ps = append(ps, tcpProtocol{name: "dns", sniff: func(c *analysis.ConnInfo, d flow.Dir, p []byte) bool {
			return looksLikeDNSOverTCP(c.Server, d, p)
		}, decoder: func(c *analysis.ConnInfo) TCPDecoder { return newTCPDNSDecoder(dnsTr, c) }})
	}
	return ps
}

// upgradeDecoder returns the decoder for the protocol an HTTP/1.x
// connection switched to ("websocket", "h2c", "connect"), or nil. e is the
// exchange whose response switched protocols.
func upgradeDecoder(proto string, e *httpdecode.Exchange, c *analysis.ConnInfo) TCPDecoder {
	switch proto {
	case "websocket":
		return newWSDecoder(e)
	case "h2c":
		return newH2Upgrade(e)
	case "connect":
		return &tunnelDecoder{}
	}
	return nil
}
