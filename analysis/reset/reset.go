package reset

import (
	"fmt"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "reset"

// Finding kinds.
const (
	KindSYNRetry = "tcp_syn_retry"
	KindRefused  = "tcp_connection_refused"
	KindReset    = "tcp_reset"
)

// Reset classes (detection-methods §2.5).
const (
	ClassUnreadData = "rst_unread_data"
	ClassAfterFIN   = "rst_after_fin"
	ClassHandshake  = "rst_handshake"
	ClassMidstream  = "rst_midstream"
)

// Phases of a reset.
const (
	PhaseHandshake = "handshake"
	PhaseData      = "data"
	PhaseAfterFIN  = "after_fin"
)

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "connection setup failures and aborts: SYN retries, refused connections, resets by class",
		Kinds: Kinds(),
		New:   func(analysis.Config) analysis.Analyzer { return New() },
	}
}

// Kinds documents the finding kinds.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{
		{
			Kind:     KindSYNRetry,
			Severity: report.SeverityWarning,
			Title:    "The client had to resend its SYN",
			Explain: "The client's first SYN got no answer in time and was sent again with the same initial " +
				"sequence number. Each retry waits for the SYN timeout (1 s on Linux, then doubling), so the " +
				"connection took seconds longer to open.\n\n" +
				"Rule: at least one retransmitted SYN on the connection. connect_delay_us is the time from the first " +
				"SYN to the last.\n\n" +
				"Fix: look for packet loss towards the server, a full SYN/accept queue (listen backlog, " +
				"net.core.somaxconn) or a firewall silently dropping SYNs; a SYN answered by an unrelated ACK points " +
				"at a 4-tuple still in TIME_WAIT on the server.",
		},
		{
			Kind:     KindRefused,
			Severity: report.SeverityWarning,
			Title:    "The server refused the connection",
			Explain: "The SYN was answered by a RST: nothing listens on that port, or a firewall rejects the " +
				"connection. The client's connect() fails with ECONNREFUSED.\n\n" +
				"Rule: a RST answering the SYN (Zeek conn_state REJ).\n\nFix: check the server address and port, " +
				"that the service is running and listening on that interface, and firewall reject rules.",
		},
		{
			Kind:     KindReset,
			Severity: report.SeverityWarning,
			Title:    "A connection was aborted with a RST",
			Explain: "A side ended the connection with a reset instead of the FIN exchange. Classes: rst_unread_data " +
				"(the side closed its socket with received data still unread: Linux then resets (RFC 2525 §2.17) " +
				"and the peer may lose response data it had not read yet, RFC 9112 §9.6) — warning; rst_midstream " +
				"(no FIN at all: the peer sees \"connection reset by peer\") — warning; rst_after_fin (an abortive " +
				"close after the sender's own FIN or a finished exchange, e.g. SO_LINGER 0, often done on purpose to " +
				"avoid TIME_WAIT) — info; rst_handshake (an attempt abandoned during the handshake) — info. A RST " +
				"answering a SYN is tcp_connection_refused instead.\n\n" +
				"Fix: for unread data, read the request fully or close lingering (shut down writing, drain, then " +
				"close); for mid-stream resets look at the side named in rst_by (crash, timeout, middlebox idle " +
				"timeout).",
		},
	}
}

// Analyzer is the setup-failure and reset detector.
type Analyzer struct {
	pending []report.Finding
}

// New returns the analyser.
func New() *Analyzer { return &Analyzer{} }

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(*analysis.ConnInfo) {}

func side(d int) string {
	if d == int(flow.ClientToServer) {
		return "client"
	}
	return "server"
}

// ConnClosed implements analysis.ConnHandler.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	info := c.Conn
	id := uint32(info.ID)
	if c.SYNRetries > 0 {
		delay := time.Duration(0)
		if info.SYN > info.Start {
			delay = info.SYN.Sub(info.Start)
		}
		outcome := "completed"
		switch {
		case c.Refused:
			outcome = "refused"
		case !c.HandshakeDone:
			outcome = "not_completed"
		}
		a.pending = append(a.pending, report.Finding{
			Kind:       KindSYNRetry,
			Severity:   report.SeverityWarning,
			Connection: &id,
			At:         report.FormatTime(int64(info.Start)),
			DurationUS: flow.Micros(delay),
			Count:      c.SYNRetries,
			Summary: fmt.Sprintf("the client sent its SYN %d more time(s) to %s; connecting took %s longer (%s)",
				c.SYNRetries, info.Server, delay.Round(time.Millisecond), outcome),
			Evidence: map[string]any{
				"syn_retries":      c.SYNRetries,
				"connect_delay_us": flow.Micros(delay),
				"handshake_done":   c.HandshakeDone,
				"outcome":          outcome,
			},
			Advice: "Look for loss towards the server, a full listen/accept queue (backlog, net.core.somaxconn) or a firewall dropping SYNs.",
		})
	}
	if c.Refused {
		at := c.RST[flow.ServerToClient]
		if at == 0 {
			at = c.CloseAt
		}
		ev := map[string]any{"syn_retries": c.SYNRetries}
		if info.SYN != 0 && at >= info.SYN {
			ev["rst_after_us"] = flow.Micros(at.Sub(info.SYN))
		}
		a.pending = append(a.pending, report.Finding{
			Kind:       KindRefused,
			Severity:   report.SeverityWarning,
			Connection: &id,
			At:         report.FormatTime(int64(at)),
			Summary:    fmt.Sprintf("%s refused the connection from %s (RST to SYN)", info.Server, info.Client),
			Evidence:   ev,
			Advice:     "Check the server address and port, that the service is listening there, and firewall reject rules.",
		})
		return
	}
	if c.CloseKind != "rst" {
		return
	}
	by := -1
	for d := 0; d < 2; d++ {
		if c.RST[d] != 0 && (by < 0 || c.RST[d] < c.RST[by]) {
			by = d
		}
	}
	if by < 0 {
		switch c.Initiator {
		case "client":
			by = 0
		case "server":
			by = 1
		default:
			return
		}
	}
	at := c.RST[by]
	if at == 0 {
		at = c.CloseAt
	}
	phase := PhaseData
	switch {
	case info.SYN != 0 && !c.HandshakeDone:
		phase = PhaseHandshake
	case c.FIN[by] != 0 && (at == 0 || c.FIN[by] <= at), c.FIN[0] != 0 && c.FIN[1] != 0:
		phase = PhaseAfterFIN
	}
	class, sev := ClassMidstream, report.SeverityWarning
	advice := "The " + side(by) + " aborted the connection without a FIN; the peer sees \"connection reset by peer\". Look for crashes, timeouts or a middlebox's idle timeout on that side."
	switch {
	case c.RSTUnreadData:
		class = ClassUnreadData
		advice = "The " + side(by) + " closed with received data still unread, so its stack reset the connection and the peer may lose data it had not read. Read requests fully, or close lingering: shut down writing, drain the input, then close."
	case phase == PhaseAfterFIN:
		class, sev = ClassAfterFIN, report.SeverityInfo
		advice = "An abortive close after the exchange (e.g. SO_LINGER 0). Usually deliberate, to avoid TIME_WAIT; make sure no data was still in flight."
	case phase == PhaseHandshake:
		class, sev = ClassHandshake, report.SeverityInfo
		advice = "The connection attempt was abandoned during the handshake (e.g. a client giving up, or a scan)."
	}
	a.pending = append(a.pending, report.Finding{
		Kind:       KindReset,
		Severity:   sev,
		Connection: &id,
		At:         report.FormatTime(int64(at)),
		Summary:    fmt.Sprintf("the %s reset the connection (%s, %s phase)", side(by), class, phase),
		Evidence: map[string]any{
			"rst_by":                side(by),
			"phase":                 phase,
			"class":                 class,
			"unread_data":           c.RSTUnreadData,
			"payload_client_bytes":  c.Payload[flow.ClientToServer],
			"payload_server_bytes":  c.Payload[flow.ServerToClient],
			"retransmissions_total": c.Retrans[0] + c.Retrans[1],
		},
		Advice: advice,
	})
}

// Pending implements analysis.PendingReporter: the findings of the
// connections closed so far.
func (a *Analyzer) Pending(out analysis.Emitter) {
	for _, f := range a.pending {
		out.Emit(f)
	}
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(_ *report.Report, out analysis.Emitter) {
	for _, f := range a.pending {
		out.Emit(f)
	}
	a.pending = nil
}
