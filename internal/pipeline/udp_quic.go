package pipeline

import (
	"encoding/hex"
	"time"

	"connscope/flow"
	"connscope/proto/quic"
	"connscope/report"
)

// quicDecoder adapts quic.Tracker to UDPDecoder: QUIC connections become
// connection records with transport "udp" and protocol "quic".
type quicDecoder struct {
	tr    *quic.Tracker
	anoms map[string]uint64
}

func newQUICDecoder(ids func() flow.ConnID) *quicDecoder {
	return &quicDecoder{tr: quic.NewTracker(quic.Config{}, ids)}
}

// Datagram implements UDPDecoder. DNS traffic is left to the DNS decoder.
func (q *quicDecoder) Datagram(t flow.Time, index uint64, src, dst flow.Endpoint, p []byte) {
	if src.Port == 53 || dst.Port == 53 {
		return
	}
	q.tr.Datagram(t, index, src, dst, p)
}

// udpHeaderLen is added per datagram to the UDP payload for the
// connection's byte counts (the link and IP headers are not known here).
const udpHeaderLen = 8

// Records implements UDPDecoder.
func (q *quicDecoder) Records(done func(rc *report.Connection)) {
	conns, anoms := q.tr.Finish()
	q.anoms = anoms
	for i := range conns {
		rc := quicRecord(&conns[i])
		done(&rc)
	}
}

// Finish implements UDPDecoder.
func (q *quicDecoder) Finish(rep *report.Report) {
	addCaptureAnomalies(rep, q.anoms)
}

// quicRecord builds the report record of one QUIC connection.
func quicRecord(c *quic.Conn) report.Connection {
	closeKind := "open"
	if c.IdleTimeout {
		closeKind = "idle_timeout"
	}
	rc := report.Connection{
		ID:         uint32(c.ID),
		Transport:  "udp",
		Client:     c.Client.String(),
		Server:     c.Server.String(),
		RoleSource: c.RoleSource,
		Start:      report.FormatTime(int64(c.Start)),
		End:        report.FormatTime(int64(c.End)),
		DurationUS: flow.Micros(time.Duration(c.End - c.Start)),
		Protocol:   "quic",
		Vantage:    "unknown",
		Handshake:  report.Handshake{WindowScale: -1},
		Close:      report.Close{Kind: closeKind, Initiator: "none", TimeWaitHolder: "none"},
		Packets:    dir(c.Packets[0], c.Packets[1]),
		Bytes:      dir(c.Payload[0]+udpHeaderLen*c.Packets[0], c.Payload[1]+udpHeaderLen*c.Packets[1]),
		Payload:    dir(c.Payload[0], c.Payload[1]),
		QUIC: &report.ConnQUIC{
			Version:            quic.VersionName(c.Version),
			SNI:                c.SNI,
			ALPN:               c.ALPN,
			DCID:               hex.EncodeToString(c.DCID),
			SCID:               hex.EncodeToString(c.SCID),
			ServerSCID:         hex.EncodeToString(c.ServerSCID),
			ClientHello:        c.Hello && c.Anomalies[quic.AnomalyClientHello] == 0,
			ECH:                c.ECH,
			ServerResponded:    c.ServerSeen,
			Retry:              c.Retry,
			VersionNegotiation: c.VersionNegotiation,
		},
		Findings: []int{},
	}
	if len(c.Anomalies) > 0 {
		rc.Anomalies = c.Anomalies
	}
	return rc
}

// addCaptureAnomalies adds a decoder's anomaly counts to the capture's.
func addCaptureAnomalies(rep *report.Report, anoms map[string]uint64) {
	if len(anoms) == 0 {
		return
	}
	if rep.Capture.Anomalies == nil {
		rep.Capture.Anomalies = map[string]uint64{}
	}
	for k, v := range anoms {
		rep.Capture.Anomalies[k] += v
	}
}
