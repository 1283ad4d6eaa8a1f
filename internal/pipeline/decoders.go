package pipeline

import (
	"slices"

	"connscope/flow"
	"connscope/httpdecode"
	"connscope/proto/h2"
	"connscope/proto/tlshello"
	"connscope/proto/websocket"
	"connscope/reassembly"
	"connscope/report"
)

// segmentObserver is implemented by decoders that also want every TCP
// segment of their connection (after the Data and Gap calls the segment
// caused), e.g. to see bytes held in the out-of-order buffer.
type segmentObserver interface {
	Segment(s *reassembly.SegmentInfo)
}

// TunnelGap implements httpdecode.TunnelGapHandler: bytes missing after a
// protocol switch are reported to the upgraded protocol's decoder.
func (s *connState) TunnelGap(d httpdecode.Dir, t int64, n int) {
	if s.dec != nil {
		s.dec.Gap(flow.Dir(d), flow.Time(t), n)
	}
}

// addAnomalies merges a decoder's anomaly counts into the record.
func addAnomalies(rc *report.Connection, m map[string]int) {
	if len(m) == 0 {
		return
	}
	if rc.Anomalies == nil {
		rc.Anomalies = map[string]int{}
	}
	for k, v := range m {
		rc.Anomalies[k] += v
	}
}

func sideName(d int) string {
	if d == 0 {
		return "client"
	}
	return "server"
}

func median(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// wsDecoder adapts websocket.Session.
type wsDecoder struct {
	s     *websocket.Session
	valid bool
}

func newWSDecoder(e *httpdecode.Exchange) TCPDecoder {
	w := &wsDecoder{s: websocket.NewSession()}
	if e != nil && e.Request != nil && e.Response != nil {
		w.valid = websocket.ValidAccept(e.Request.WSKey, e.Response.WSAccept)
	}
	return w
}

func (w *wsDecoder) Data(d flow.Dir, t flow.Time, p []byte) { w.s.Data(int(d), int64(t), p) }
func (w *wsDecoder) Gap(d flow.Dir, t flow.Time, n int)     { w.s.Gap(int(d), int64(t), n) }
func (w *wsDecoder) End(d flow.Dir, t flow.Time)            { w.s.End(int(d), int64(t)) }

func (w *wsDecoder) Fill(rc *report.Connection) {
	r := w.s.Result()
	ws := &report.ConnWebSocket{
		MessagesClientToServer: r.Messages[0],
		MessagesServerToClient: r.Messages[1],
		Pings:                  r.Pings,
		Pongs:                  r.Pongs,
		CloseCode:              r.CloseCode,
		HandshakeValid:         w.valid,
		MaskingViolations:      r.MaskingViolations,
		BytesClientToServer:    r.Bytes[0],
		BytesServerToClient:    r.Bytes[1],
		PongRTTUS:              median(r.PongRTTs) / 1000,
		Gaps:                   r.Gaps[0] + r.Gaps[1],
	}
	if r.CloseDir >= 0 {
		ws.CloseInitiator = sideName(r.CloseDir)
	}
	rc.WebSocket = ws
	addAnomalies(rc, w.s.Anomalies())
}

// h2Decoder adapts h2.Conn.
type h2Decoder struct {
	c    *h2.Conn
	mode string
}

func newH2PriorKnowledge() TCPDecoder {
	return &h2Decoder{c: h2.NewConn(h2.Config{}), mode: "prior_knowledge"}
}

func newH2Upgrade(e *httpdecode.Exchange) TCPDecoder {
	cfg := h2.Config{Upgrade: true}
	if e != nil && e.Request != nil {
		q := e.Request
		cfg.UpgradeAt, cfg.Method, cfg.Path, cfg.Authority, cfg.HTTP2Settings = q.Start, q.Method, q.Target, q.Host, q.HTTP2Settings
	}
	return &h2Decoder{c: h2.NewConn(cfg), mode: "upgrade"}
}

func (h *h2Decoder) Data(d flow.Dir, t flow.Time, p []byte) { h.c.Data(int(d), int64(t), p) }
func (h *h2Decoder) Gap(d flow.Dir, t flow.Time, n int)     { h.c.Gap(int(d), int64(t), n) }
func (h *h2Decoder) End(d flow.Dir, t flow.Time)            { h.c.End(int(d), int64(t)) }

// Segment implements segmentObserver.
func (h *h2Decoder) Segment(s *reassembly.SegmentInfo) {
	h.c.Segment(int(s.Dir), int64(s.Time), s.Len, s.Kind == reassembly.SegOutOfOrder)
}

func (h *h2Decoder) Fill(rc *report.Connection) {
	r := h.c.Result()
	out := &report.ConnH2{
		Mode:                         h.mode,
		Streams:                      r.Streams,
		MaxConcurrentStreams:         r.MaxConcurrent,
		SettingsMaxConcurrentStreams: r.SettingsMaxConcurrent[1],
		RSTStreams:                   r.RSTStreams,
		HPACKPoisoned:                r.HPACKPoisoned[0] || r.HPACKPoisoned[1],
		Gaps:                         r.Gaps[0] + r.Gaps[1],
		ExchangesDropped:             r.ExchangesDropped,
	}
	if r.GoAway {
		code := r.GoAwayCode
		out.GoAwayCode = &code
	}
	for _, e := range r.Exchanges {
		x := report.H2Exchange{
			Stream:         e.Stream,
			Method:         e.Method,
			Authority:      e.Authority,
			Path:           e.Path,
			Status:         e.Status,
			Pushed:         e.Pushed,
			Start:          report.FormatTime(e.Start),
			End:            report.FormatTime(e.End),
			RequestBytes:   e.RequestBytes,
			ResponseBytes:  e.ResponseBytes,
			HeadersUnknown: e.HeadersUnknown,
		}
		if e.Reset {
			code := e.ResetCode
			x.ResetCode = &code
			x.ResetBy = "client"
			if e.ResetByServer {
				x.ResetBy = "server"
			}
		}
		out.Exchanges = append(out.Exchanges, x)
	}
	for _, ev := range r.HOL {
		out.HOLEvents = append(out.HOLEvents, report.H2HOLEvent{
			Direction: flow.Dir(ev.Dir).String(),
			At:        report.FormatTime(ev.At),
			HoldUS:    ev.Hold / 1000,
			HeldBytes: ev.HeldBytes,
			Streams:   append([]uint32{}, ev.Streams...),
			Cause:     ev.Cause,
		})
	}
	rc.H2 = out
	addAnomalies(rc, h.c.Anomalies())
}

// tlsDecoder adapts tlshello.Conn.
type tlsDecoder struct{ c *tlshello.Conn }

func newTLSDecoder() TCPDecoder { return &tlsDecoder{c: tlshello.NewConn()} }

func (x *tlsDecoder) Data(d flow.Dir, t flow.Time, p []byte) { x.c.Data(int(d), int64(t), p) }
func (x *tlsDecoder) Gap(d flow.Dir, t flow.Time, n int)     { x.c.Gap(int(d), int64(t), n) }
func (x *tlsDecoder) End(d flow.Dir, t flow.Time)            { x.c.End(int(d), int64(t)) }

func (x *tlsDecoder) Fill(rc *report.Connection) {
	r := x.c.Result()
	addAnomalies(rc, x.c.Anomalies())
	if r.Client == nil && r.Server == nil {
		return
	}
	out := &report.ConnTLS{HandshakeUS: r.HandshakeNS() / 1000}
	if ch := r.Client; ch != nil {
		out.SNI, out.ALPN, out.ECH = ch.SNI, ch.ALPN, ch.ECH
		out.VersionOffered = tlshello.VersionName(ch.MaxVersion())
		out.Version = out.VersionOffered
	}
	if sh := r.Server; sh != nil {
		out.ServerHelloSeen = true
		out.Version = tlshello.VersionName(sh.Version())
		out.ALPNSelected = sh.ALPN
	}
	rc.TLS = out
}

// tunnelDecoder looks at the first client bytes of a CONNECT tunnel and
// decodes a TLS handshake inside it.
type tunnelDecoder struct {
	inner   TCPDecoder
	decided bool
}

func (x *tunnelDecoder) Data(d flow.Dir, t flow.Time, p []byte) {
	if !x.decided && d == flow.ClientToServer && len(p) > 0 {
		x.decided = true
		if looksLikeTLSClientHello(p) {
			x.inner = newTLSDecoder()
		}
	}
	if x.inner != nil {
		x.inner.Data(d, t, p)
	}
}

func (x *tunnelDecoder) Gap(d flow.Dir, t flow.Time, n int) {
	if x.inner != nil {
		x.inner.Gap(d, t, n)
	} else if d == flow.ClientToServer {
		x.decided = true
	}
}

func (x *tunnelDecoder) End(d flow.Dir, t flow.Time) {
	if x.inner != nil {
		x.inner.End(d, t)
	}
}

func (x *tunnelDecoder) Fill(rc *report.Connection) {
	if x.inner != nil {
		x.inner.Fill(rc)
	}
}
