package upgrade

import (
	"testing"

	"connscope/analysis/internal/h1/h1test"
	"connscope/report"
)

type collect struct{ fs []report.Finding }

func (c *collect) Emit(f report.Finding) { c.fs = append(c.fs, f) }

func wsConn(id uint32, ws report.ConnWebSocket, closeKind, initiator string) report.Connection {
	return report.Connection{ID: id, Client: "192.0.2.1:5000", Server: "192.0.2.2:80", Start: "2024-01-01T00:00:00.000000000Z",
		Protocol: "websocket", WebSocket: &ws, Close: report.Close{Kind: closeKind, Initiator: initiator},
		Anomalies: map[string]int{"ws_masking_violation": ws.MaskingViolations}}
}

func TestWebSocketFinding(t *testing.T) {
	tests := []struct {
		name     string
		conn     report.Connection
		severity string
		abnormal bool
	}{
		{"clean_session", wsConn(1, report.ConnWebSocket{MessagesClientToServer: 3, MessagesServerToClient: 3, CloseCode: 1000, CloseInitiator: "client", HandshakeValid: true}, "fin", "server"), report.SeverityInfo, false},
		// RFC 6455 §4.2.2: a wrong accept value must fail the connection.
		{"wrong_accept", wsConn(2, report.ConnWebSocket{CloseCode: 1000, CloseInitiator: "client"}, "fin", "client"), report.SeverityWarning, false},
		// §5.3: client frames must be masked.
		{"masking_violation", wsConn(3, report.ConnWebSocket{HandshakeValid: true, MaskingViolations: 2, CloseCode: 1000, CloseInitiator: "client"}, "fin", "client"), report.SeverityWarning, false},
		// §7.1.5: TCP closed with no close frame is 1006 to the application.
		{"no_close_frame", wsConn(4, report.ConnWebSocket{HandshakeValid: true}, "rst", "client"), report.SeverityInfo, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := &report.Report{Connections: []report.Connection{tc.conn},
				Transactions: []report.Transaction{{Connection: tc.conn.ID, Index: 0, Status: 101, RequestStart: "2024-01-01T00:00:00.100000000Z"}}}
			var out collect
			h1test.FinishRecords(New(), rep, &out)
			if len(out.fs) != 1 {
				t.Fatalf("findings %+v", out.fs)
			}
			f := out.fs[0]
			if f.Kind != KindWebSocket || f.Severity != tc.severity || f.Evidence["abnormal_close"] != tc.abnormal ||
				f.Transaction == nil || f.At != "2024-01-01T00:00:00.100000000Z" {
				t.Fatalf("%+v", f)
			}
			if want := uint64(tc.conn.WebSocket.MaskingViolations); rep.Capture.Anomalies["ws_masking_violation"] != want {
				t.Fatalf("capture anomalies %v, want ws_masking_violation %d", rep.Capture.Anomalies, want)
			}
		})
	}
}

func TestH2CFinding(t *testing.T) {
	tests := []struct {
		name     string
		upgrade  string
		h2       *report.ConnH2
		findings int
		accepted bool
	}{
		{"accepted", "h2c", &report.ConnH2{Mode: "upgrade", Streams: 2, MaxConcurrentStreams: 1}, 1, true},
		{"ignored_by_server", "h2c", nil, 1, false},
		{"token_in_list", "websocket, H2C", nil, 1, false},
		{"websocket_only", "websocket", nil, 0, false},
		{"prior_knowledge_no_upgrade", "", &report.ConnH2{Mode: "prior_knowledge", Streams: 5}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := report.Transaction{Connection: 7, Index: 0, Status: 200}
			tx.Headers.Upgrade = tc.upgrade
			rep := &report.Report{
				Connections:  []report.Connection{{ID: 7, Client: "c:1", Server: "s:2", H2: tc.h2}},
				Transactions: []report.Transaction{tx},
			}
			var out collect
			h1test.FinishRecords(New(), rep, &out)
			if len(out.fs) != tc.findings {
				t.Fatalf("findings %+v", out.fs)
			}
			if tc.findings == 1 && (out.fs[0].Kind != KindH2C || out.fs[0].Evidence["accepted"] != tc.accepted) {
				t.Fatalf("%+v", out.fs[0])
			}
		})
	}
}
