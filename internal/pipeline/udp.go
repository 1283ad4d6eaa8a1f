package pipeline

import (
	"connscope/flow"
	"connscope/report"
)

// UDPDecoder decodes one protocol over UDP (QUIC, DNS). It sees every UDP
// datagram in capture order and adds its results to the report at the end,
// before the analysers run.
type UDPDecoder interface {
	// Datagram delivers one UDP payload; p is valid during the call only.
	Datagram(t flow.Time, index uint64, src, dst flow.Endpoint, p []byte)
	// Records hands the connections the decoder found (Transport "udp")
	// to done, once, at the end of the run; done does not keep rc.
	Records(done func(rc *report.Connection))
	// Finish adds DNS lookups, anomalies and the like to rep, after every
	// connection record (TCP and UDP) is in it.
	Finish(rep *report.Report)
}

// udpDecoders builds the UDP decoders of one run; ids hands out connection
// ids shared with TCP, in capture order.
func udpDecoders(ids func() flow.ConnID) []UDPDecoder {
	// QUIC first: its connections are in the report when the DNS decoder
	// links connections to the lookups that preceded them.
	return []UDPDecoder{newQUICDecoder(ids), newDNSDecoder()}
}
