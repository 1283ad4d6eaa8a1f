package tui

import (
	"connscope/report"
)

// hostileTarget would set the terminal title if it reached the terminal
// unescaped (OSC 0 ... BEL).
const hostileTarget = "\x1b]0;pwned\x07"

func ptr[T any](v T) *T { return &v }

// fixture is a snapshot with three connections:
//
//	1  10.0.0.1:40000 -> 10.0.0.2:80          http/1.1, 3 requests, data RTT p50 500us, 1 warning
//	2  10.0.0.1:40001 -> 10.0.0.9:443         tls, no HTTP, handshake RTT 2ms, closed by a server RST
//	3  [2001:db8::1]:5000 -> [2001:db8::2]:8080 http/1.1, 1 request with a hostile target, still open, 1 error and 1 info
func fixture() *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "connscope", Version: "test"},
		Capture: report.Capture{
			Sources:   []string{"fixture.pcap"},
			Formats:   []string{"pcap"},
			Packets:   42,
			Start:     "2024-01-02T03:04:05Z",
			Dropped:   3,
			Anomalies: map[string]uint64{"tcp_bad_checksum": 2, "http_bad_header": 1},
		},
		Summary: report.Summary{TCPConnections: 3, HTTPRequests: 4},
		Connections: []report.Connection{
			{
				ID: 1, Transport: "tcp", Client: "10.0.0.1:40000", Server: "10.0.0.2:80", Protocol: "http/1.1",
				RoleSource: "syn", Vantage: "client",
				Start: "2024-01-02T03:04:05Z", End: "2024-01-02T03:04:06Z", DurationUS: 1_000_000,
				Handshake: report.Handshake{
					Complete: true, SYNSeen: true, RTTUS: 1200, ServerHalfUS: 900, ClientHalfUS: 300,
					Client:      &report.TCPOptions{MSS: 1460, WindowScale: 7, SACKPermitted: true, Timestamps: true},
					Server:      &report.TCPOptions{MSS: 1400, WindowScale: -1},
					MSS:         1400,
					WindowScale: -1,
				},
				Close:    report.Close{Kind: "fin", Initiator: "client", TimeWaitHolder: "client", At: "2024-01-02T03:04:06Z"},
				Payload:  report.DirCounts{ClientToServer: 100, ServerToClient: 5000},
				HTTP:     &report.ConnHTTP{Requests: 3, Responses: 3, KeepAlive: true},
				TCP:      report.ConnTCP{RTTUS: &report.RTT{Min: 400, P50: 500, Max: 900, Samples: 5}},
				Findings: []int{1},
			},
			{
				ID: 2, Transport: "tcp", Client: "10.0.0.1:40001", Server: "10.0.0.9:443", Protocol: "tls",
				Start:     "2024-01-02T03:04:05.5Z",
				Handshake: report.Handshake{Complete: true, SYNSeen: true, RTTUS: 2000, WindowScale: -1},
				Close:     report.Close{Kind: "rst", Initiator: "server", TimeWaitHolder: "none"},
				Payload:   report.DirCounts{ClientToServer: 50, ServerToClient: 50},
				TLS:       &report.ConnTLS{SNI: "example.org"},
				Findings:  []int{},
			},
			{
				ID: 3, Transport: "tcp", Client: "[2001:db8::1]:5000", Server: "[2001:db8::2]:8080", Protocol: "http/1.1",
				Start:     "2024-01-02T03:04:07Z",
				Handshake: report.Handshake{WindowScale: -1},
				Close:     report.Close{Kind: "open", Initiator: "none", TimeWaitHolder: "none"},
				Payload:   report.DirCounts{ClientToServer: 10},
				HTTP:      &report.ConnHTTP{Requests: 1},
				Findings:  []int{0, 2},
			},
		},
		Transactions: []report.Transaction{
			{Connection: 1, Index: 0, Method: "GET", Target: "/a", Host: "web.test", Status: 200, RequestStart: "2024-01-02T03:04:05.1Z",
				TimingsUS: report.Timings{Connect: ptr[int64](1200), Send: 10, Wait: 2500, Receive: 300}, ResponseBodyBytes: 2048},
			{Connection: 1, Index: 1, Method: "GET", Target: "/b", Host: "web.test", Status: 404, RequestStart: "2024-01-02T03:04:05.2Z",
				TimingsUS: report.Timings{Send: 5, Wait: 41000, Receive: 100}},
			{Connection: 1, Index: 2, Method: "POST", Target: "/c", Host: "web.test", Status: 200, RequestStart: "2024-01-02T03:04:05.3Z",
				TimingsUS: report.Timings{Send: 7, Wait: 1500, Receive: 90}, Pipelined: true},
			{Connection: 3, Index: 0, Method: "GET", Target: hostileTarget, RequestStart: "2024-01-02T03:04:07.1Z",
				Findings: []int{0}},
		},
		Findings: []report.Finding{
			{Kind: "info_thing", Severity: report.SeverityInfo, Connection: ptr[uint32](3), Count: 1, Summary: "informational"},
			{Kind: "nagle_delayed_ack_stall", Severity: report.SeverityWarning, Connection: ptr[uint32](1), Transaction: ptr(1),
				DurationUS: 40000, Count: 1, Summary: "request waited 40ms for a delayed ACK", Advice: "set TCP_NODELAY"},
			{Kind: "rst_unread", Severity: report.SeverityError, Connection: ptr[uint32](3), Count: 2, Summary: "reset\x1b[2J with unread data"},
			{Kind: "time_wait_churn", Severity: report.SeverityWarning, Peer: "10.0.0.1 -> 10.0.0.2:80", Count: 1, Summary: "many short connections"},
		},
	}
}
