package pipeline

import (
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/reassembly"
	"connscope/report"
)

// connState is the pipeline's per-connection state: protocol detection, the
// HTTP decoder and what the report needs about HTTP on this connection.
type connState struct {
	run  *run
	id   flow.ConnID
	info analysis.ConnInfo

	sniffed  [2]bool // first bytes of each direction looked at
	protocol string
	http     *httpdecode.Conn
	isHTTP   bool // http was set (it is released once finished)
	settled  bool // the analysers had its close (run.ConnSettled)

	requests, responses, pipelined int
	keepAlive                      bool
	firstVersion                   string
	anomalies                      map[string]int
	ex                             analysis.Exchange
	txs                            []report.Transaction
	dec                            TCPDecoder
}

// Data implements reassembly.Stream.
func (s *connState) Data(d flow.Dir, t flow.Time, p []byte) {
	if !s.sniffed[d] {
		s.sniffed[d] = true
		s.sniff(d, p)
	}
	if s.http != nil {
		s.http.Feed(httpdecode.Dir(d), int64(t), p)
	} else if s.dec != nil {
		s.dec.Data(d, t, p)
	}
}

// sniff decides the protocol from the first bytes of a direction.
func (s *connState) sniff(d flow.Dir, p []byte) {
	if s.protocol != "" {
		return
	}
	switch {
	case d == flow.ClientToServer && httpdecode.LooksLikeRequest(p),
		d == flow.ServerToClient && httpdecode.LooksLikeResponse(p):
		s.protocol = "http"
		s.http = s.run.newHTTP(s)
		s.isHTTP = true
	default:
		for _, pr := range s.run.protos {
			if pr.sniff(&s.info, d, p) {
				s.protocol = pr.name
				if pr.decoder != nil {
					s.dec = pr.decoder(&s.info)
				}
				return
			}
		}
		if len(p) > 0 {
			s.protocol = "unknown"
		}
	}
}

// Gap implements reassembly.Stream.
func (s *connState) Gap(d flow.Dir, t flow.Time, n int) {
	if s.http != nil {
		s.http.Gap(httpdecode.Dir(d), int64(t), n)
	} else if s.dec != nil {
		s.dec.Gap(d, t, n)
	}
}

// End implements reassembly.Stream.
func (s *connState) End(d flow.Dir, t flow.Time) {
	if s.http != nil {
		s.http.End(httpdecode.Dir(d), int64(t))
		if s.dec == nil && s.http.Finished() {
			// Both directions ended and every exchange was emitted: the
			// decoder goes back for reuse now instead of after the close
			// linger (seconds of capture time during which thousands of
			// short connections would each hold one).
			s.http.Close(int64(t))
			s.run.releaseHTTP(s)
		}
	}
	if s.dec != nil {
		s.dec.End(d, t)
	}
}

// Exchange implements httpdecode.Handler.
func (s *connState) Exchange(e *httpdecode.Exchange) {
	if e.Request == nil {
		// A response with no request (the capture began mid-exchange, or
		// the request was lost): counted, but not an exchange.
		if e.Response != nil {
			s.responses++
		}
		return
	}
	s.requests++
	if e.Response != nil {
		s.responses++
	}
	if e.Pipelined {
		s.pipelined++
	}
	if s.firstVersion == "" {
		s.firstVersion = e.Request.Version
	}
	if e.Index >= 1 {
		s.keepAlive = true
	}
	s.txs = append(s.txs, s.transaction(e))
	if a := s.run.ahead; a > 0 && len(s.txs) >= a {
		s.run.transactionsAhead(s.id, s.txs)
		s.txs = nil
	}
	s.ex = analysis.Exchange{
		Conn:      &s.info,
		Index:     e.Index,
		Request:   e.Request,
		Response:  e.Response,
		Pipelined: e.Pipelined,
	}
	if st := s.run.stage; st != nil {
		st.exchange(s.id, &s.ex)
	} else {
		s.run.engine.Exchange(&s.ex)
	}
	// Analysers do not keep the event: let the messages go now rather
	// than with the connection.
	s.ex.Request, s.ex.Response = nil, nil
}

// Anomaly implements httpdecode.Handler.
func (s *connState) Anomaly(token string) {
	if s.anomalies == nil {
		s.anomalies = map[string]int{}
	}
	s.anomalies[token]++
	s.run.anoms[token]++
}

// Upgraded implements httpdecode.Handler.
func (s *connState) Upgraded(proto string, e *httpdecode.Exchange) {
	switch proto {
	case "websocket":
		s.protocol = "websocket"
	case "h2c":
		s.protocol = "h2c"
	default:
		s.protocol = "tunnel"
	}
	s.dec = upgradeDecoder(proto, e, &s.info)
}

// Tunnel implements httpdecode.Handler: bytes after an upgrade go to the
// upgraded protocol's decoder, if there is one.
func (s *connState) Tunnel(d httpdecode.Dir, t int64, p []byte) {
	if s.dec != nil {
		s.dec.Data(flow.Dir(d), flow.Time(t), p)
	}
}

func us(a, b int64) int64 {
	if a == 0 || b == 0 || b < a {
		return 0
	}
	return flow.Micros(time.Duration(b - a))
}

// transaction builds the report record of one exchange.
func (s *connState) transaction(e *httpdecode.Exchange) report.Transaction {
	q := e.Request
	tx := report.Transaction{
		Connection:       uint32(s.id),
		Index:            e.Index,
		Method:           q.Method,
		Target:           q.Target,
		RequestVersion:   q.Version,
		RequestStart:     report.FormatTime(q.Start),
		RequestBodyBytes: q.BodyBytes,
		RequestFraming:   q.Framing.String(),
		Framing:          "none",
		Pipelined:        e.Pipelined,
		Truncated:        q.Truncated,
		Anomalies:        append([]string(nil), q.Anomalies...),
	}
	tx.Headers.RequestConnection = q.Connection
	tx.Headers.RequestKeepAlive = q.KeepAlive
	tx.Headers.ProxyConnection = q.ProxyConnection
	tx.Headers.Upgrade = q.Upgrade
	tx.Headers.TE = q.TE
	tx.TimingsUS.Send = us(q.Start, q.End)
	if e.Index == 0 && s.info.SYN != 0 {
		// Connect: from the first SYN to the handshake's completion as the
		// client saw it (the ACK leaves the client as soon as the SYN/ACK
		// arrives, so SYN→ACK at any capture point is the client's wait).
		c := s.connectUS()
		tx.TimingsUS.Connect = &c
	}
	if r := e.Response; r != nil {
		tx.Status = r.Status
		tx.Reason = r.Reason
		tx.ResponseVersion = r.Version
		tx.ResponseBodyBytes = r.BodyBytes
		tx.Framing = r.Framing.String()
		tx.Truncated = tx.Truncated || r.Truncated
		tx.Headers.ResponseConnection = r.Connection
		tx.Headers.ResponseKeepAlive = r.KeepAlive
		if tx.Headers.Upgrade == "" {
			tx.Headers.Upgrade = r.Upgrade
		}
		tx.TimingsUS.Wait = us(q.End, r.Start)
		tx.TimingsUS.Receive = us(r.Start, r.End)
		tx.Anomalies = append(tx.Anomalies, r.Anomalies...)
	}
	if len(tx.Anomalies) == 0 {
		tx.Anomalies = nil
	}
	return tx
}

func (s *connState) connectUS() int64 {
	h := s.info
	return flow.Micros(h.ServerHalf + h.ClientHalf)
}

func dir(a, b uint64) report.DirCounts { return report.DirCounts{ClientToServer: a, ServerToClient: b} }

func options(o reassembly.Options) *report.TCPOptions {
	if !o.Seen {
		return nil
	}
	return &report.TCPOptions{MSS: int(o.MSS), WindowScale: int(o.WScale), SACKPermitted: o.SACKPermitted, Timestamps: o.Timestamps}
}

// record builds the report record of a closed connection in *rc (a
// record the caller reuses: built in place, it does not escape to the
// heap for each connection through the decoders' Fill).
func (s *connState) record(c *reassembly.Conn, rc *report.Connection) {
	h := &c.Handshake
	*rc = report.Connection{
		ID:         uint32(c.ID),
		Transport:  "tcp",
		Client:     c.Client.String(),
		Server:     c.Server.String(),
		RoleSource: c.Roles.String(),
		Start:      report.FormatTime(int64(c.Start)),
		End:        report.FormatTime(int64(c.End)),
		DurationUS: flow.Micros(c.End.Sub(c.Start)),
		Protocol:   s.protocolName(),
		Vantage:    analysis.Vantage(h.ServerHalf(), h.ClientHalf()),
		Handshake: report.Handshake{
			Complete:      h.Complete,
			SYNSeen:       h.SYN != 0,
			SYNRetries:    h.SYNRetries,
			SYNACKRetries: h.SYNACKRetries,
			ServerHalfUS:  flow.Micros(h.ServerHalf()),
			ClientHalfUS:  flow.Micros(h.ClientHalf()),
			Client:        options(h.Client),
			Server:        options(h.Server),
			MSS:           negotiatedMSS(h),
			WindowScale:   -1,
			SACK:          h.Client.SACKPermitted && h.Server.SACKPermitted,
			Timestamps:    h.Client.Timestamps && h.Server.Timestamps,
		},
		Close: report.Close{
			Kind:           c.Close.Kind.String(),
			Initiator:      c.Close.Initiator.String(),
			TimeWaitHolder: c.Close.TimeWaitHolder.String(),
			At:             report.FormatTime(int64(c.Close.At)),
			Refused:        c.Close.Refused,
			HalfClosed:     c.Close.HalfClosed,
			Simultaneous:   c.Close.Simultaneous,
			RSTUnreadData:  c.Close.RSTUnreadData,
		},
		Packets: dir(c.Dir[0].Packets, c.Dir[1].Packets),
		Bytes:   dir(c.Dir[0].Bytes, c.Dir[1].Bytes),
		Payload: dir(c.Dir[0].PayloadBytes, c.Dir[1].PayloadBytes),
		TCP: report.ConnTCP{
			Retransmissions:  dir(c.Dir[0].Retransmissions, c.Dir[1].Retransmissions),
			RetransBytes:     dir(c.Dir[0].RetransBytes, c.Dir[1].RetransBytes),
			OutOfOrder:       dir(c.Dir[0].OutOfOrder, c.Dir[1].OutOfOrder),
			Gaps:             dir(c.Dir[0].Gaps, c.Dir[1].Gaps),
			GapBytes:         dir(c.Dir[0].GapBytes, c.Dir[1].GapBytes),
			DupAcks:          dir(c.Dir[0].DupAcks, c.Dir[1].DupAcks),
			KeepAlives:       dir(c.Dir[0].KeepAlives, c.Dir[1].KeepAlives),
			ZeroWindowEvents: dir(c.Dir[0].ZeroWindow, c.Dir[1].ZeroWindow),
		},
		Findings: []int{},
	}
	if h.Complete {
		rc.Handshake.RTTUS = rc.Handshake.ServerHalfUS + rc.Handshake.ClientHalfUS
	}
	if h.Client.Seen && h.Server.Seen && h.Client.WScale >= 0 && h.Server.WScale >= 0 {
		rc.Handshake.WindowScale = int(h.Server.WScale)
	}
	if s.isHTTP || s.requests > 0 {
		rc.HTTP = &report.ConnHTTP{
			Requests:  s.requests,
			Responses: s.responses,
			Pipelined: s.pipelined,
			KeepAlive: s.keepAlive,
		}
	}
	if len(s.anomalies) > 0 {
		rc.Anomalies = s.anomalies
	}
	if s.dec != nil {
		s.dec.Fill(rc)
	}
}

// protocolName is the connection's protocol for the report.
func (s *connState) protocolName() string {
	switch s.protocol {
	case "":
		return "unknown"
	case "http":
		switch s.firstVersion {
		case "HTTP/1.0":
			return "http/1.0"
		case "HTTP/1.1":
			return "http/1.1"
		}
		return "http/1.x"
	}
	return s.protocol
}
