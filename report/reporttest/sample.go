package reporttest

import (
	"connscope/report"
)

// sampleBase is the sample capture's start: 2024-05-01T12:00:00Z.
const sampleBase = int64(1714564800) * 1e9

// at returns the sample time base+us microseconds.
func at(us int64) string { return report.FormatTime(sampleBase + us*1000) }

// Sample returns a new, populated report for renderer tests: three TCP
// connections (an HTTP/1.1 keep-alive connection with two exchanges, a reset
// one with retransmissions, a truncated close-delimited body and hostile
// bytes in its request, and an IPv6 TLS connection), findings about a
// connection, a transaction, a peer pair and the whole capture with
// evidence of several JSON types, two peers and two DNS lookups. Its lists
// are deliberately not in normalised order, and some optional parts are nil,
// so writers are exercised on what producers really hand them. Each call
// returns a fresh report that the caller may modify.
func Sample() *report.Report {
	u32 := func(v uint32) *uint32 { return &v }
	iptr := func(v int) *int { return &v }
	i64 := func(v int64) *int64 { return &v }
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "connscope", Version: "0.0.0-test"},
		Capture: report.Capture{
			Sources:    []string{"sample.pcapng"},
			Formats:    []string{"pcapng"},
			LinkTypes:  []string{"ethernet"},
			Packets:    412,
			Bytes:      183_402,
			Decoded:    410,
			Start:      at(0),
			End:        at(5_250_000),
			DurationUS: 5_250_000,
			Vantage:    "client",
			Anomalies:  map[string]uint64{"tcp_bad_checksum": 2, "http_header_obs_fold": 1},
		},
		Summary: report.Summary{
			TCPConnections:         3,
			HTTPRequests:           3,
			HTTPResponses:          3,
			ReusedConnections:      1,
			MaxParallelConnections: 2,
			TLSConnections:         1,
			DNSLookups:             2,
			Findings: map[string]int{
				"tcp_reset": 1, "tcp_retransmission": 4, "http_truncated_body": 1,
				"tcp_nagle_delayed_ack_stall": 1, "tcp_parallel_connections": 1, "dns_slow_lookup": 1,
				"tcp_slow_start_bound": 1,
			},
		},
		// Out of id order on purpose.
		Connections: []report.Connection{
			{
				ID: 2, Transport: "tcp", Client: "10.0.0.5:40002", Server: "93.184.216.34:80",
				RoleSource: "syn", Start: at(1_000_000), End: at(4_000_000), DurationUS: 3_000_000,
				Protocol: "http/1.1", Vantage: "client",
				Handshake: report.Handshake{
					Complete: true, SYNSeen: true, SYNRetries: 1, RTTUS: 20_500,
					ServerHalfUS: 20_000, ClientHalfUS: 500,
					Client: &report.TCPOptions{MSS: 1460, WindowScale: 7, SACKPermitted: true, Timestamps: true},
					Server: &report.TCPOptions{MSS: 1400, WindowScale: -1},
					MSS:    1400, WindowScale: -1,
				},
				Close:   report.Close{Kind: "rst", Initiator: "server", TimeWaitHolder: "none", At: at(4_000_000), RSTUnreadData: true},
				Packets: report.DirCounts{ClientToServer: 40, ServerToClient: 160},
				Bytes:   report.DirCounts{ClientToServer: 3_200, ServerToClient: 150_000},
				Payload: report.DirCounts{ClientToServer: 600, ServerToClient: 140_000},
				HTTP:    &report.ConnHTTP{Requests: 1, Responses: 1},
				TCP: report.ConnTCP{
					Retransmissions: report.DirCounts{ServerToClient: 4},
					RetransBytes:    report.DirCounts{ServerToClient: 5_600},
					DupAcks:         report.DirCounts{ClientToServer: 9},
					RTTUS:           &report.RTT{Min: 19_000, P50: 21_000, Max: 250_000, Samples: 60},
				},
				DNS:       &report.ConnDNS{Name: "example.com", LookupUS: 180_000},
				Anomalies: map[string]int{"tcp_bad_checksum": 2},
				Findings:  []int{2, 0, 1},
			},
			{
				ID: 1, Transport: "tcp", Client: "10.0.0.5:40001", Server: "93.184.216.34:80",
				RoleSource: "syn", Start: at(100_000), End: at(5_000_000), DurationUS: 4_900_000,
				Protocol: "http/1.1", Vantage: "client",
				Handshake: report.Handshake{
					Complete: true, SYNSeen: true, RTTUS: 21_000, ServerHalfUS: 20_400, ClientHalfUS: 600,
					MSS: 1460, WindowScale: 7, SACK: true, Timestamps: true,
				},
				Close:   report.Close{Kind: "fin", Initiator: "client", TimeWaitHolder: "client", At: at(5_000_000)},
				Packets: report.DirCounts{ClientToServer: 12, ServerToClient: 14},
				Bytes:   report.DirCounts{ClientToServer: 1_900, ServerToClient: 6_300},
				Payload: report.DirCounts{ClientToServer: 900, ServerToClient: 5_000},
				HTTP:    &report.ConnHTTP{Requests: 2, Responses: 2, KeepAlive: true},
				TCP:     report.ConnTCP{RTTUS: &report.RTT{Min: 20_000, P50: 21_000, Max: 40_000, Samples: 6}},
				// Findings left nil: writers must still emit [].
			},
			{
				ID: 3, Transport: "tcp", Client: "[2001:db8::5]:50100", Server: "[2001:db8::443]:443",
				RoleSource: "syn", Start: at(2_000_000), End: at(2_400_000), DurationUS: 400_000,
				Protocol: "tls", Vantage: "client",
				Handshake: report.Handshake{Complete: true, SYNSeen: true, RTTUS: 30_000, WindowScale: 8, SACK: true},
				Close:     report.Close{Kind: "fin", Initiator: "server", TimeWaitHolder: "server", At: at(2_400_000)},
				Packets:   report.DirCounts{ClientToServer: 10, ServerToClient: 12},
				Bytes:     report.DirCounts{ClientToServer: 2_000, ServerToClient: 8_000},
				Payload:   report.DirCounts{ClientToServer: 1_200, ServerToClient: 7_000},
				TLS: &report.ConnTLS{
					SNI: "api.example\x1b[2J.test", ALPN: []string{"h2", "http/1.1"},
					ALPNSelected: "h2", Version: "TLS 1.3",
				},
				Findings: []int{3},
			},
		},
		// Out of (connection, index) order on purpose.
		Transactions: []report.Transaction{
			{
				Connection: 1, Index: 1, Method: "GET", Target: "/b?x=1&y=%20z", Host: "example.com",
				RequestVersion: "HTTP/1.1", Status: 200, Reason: "OK", ResponseVersion: "HTTP/1.1",
				RequestStart: at(3_000_000), TimingsUS: report.Timings{Send: 50, Wait: 240_000, Receive: 1_200},
				ResponseBodyBytes: 2_000, ResponseContentType: "application/json", Framing: "chunked",
				RequestFraming: "none", Headers: report.MgmtHeaders{RequestConnection: "keep-alive"},
				Findings: []int{4},
			},
			{
				Connection: 1, Index: 0, Method: "GET", Target: "/a", Host: "example.com",
				RequestVersion: "HTTP/1.1", Status: 200, Reason: "OK", ResponseVersion: "HTTP/1.1",
				RequestStart:      at(130_000),
				TimingsUS:         report.Timings{Connect: i64(21_000), Send: 40, Wait: 45_000, Receive: 800},
				ResponseBodyBytes: 3_000, ResponseContentType: "text/html; charset=utf-8", Framing: "content_length",
				RequestFraming: "none",
				Headers: report.MgmtHeaders{
					RequestConnection: "keep-alive", ResponseConnection: "keep-alive",
					ResponseKeepAlive: "timeout=5, max=100",
				},
			},
			{
				// Hostile bytes from the wire: ESC sequences, a C1 CSI, a bidi
				// override and invalid UTF-8.
				Connection: 2, Index: 0, Method: "POST", Target: "/upload\x1b]0;pwned\x07?q=\u202eevil\xff",
				Host:           "example.com\r\nX-Injected: \u009b31m",
				RequestVersion: "HTTP/1.1", Status: 200, Reason: "OK\x1b[31m", ResponseVersion: "HTTP/1.0",
				RequestStart:     at(1_030_000),
				TimingsUS:        report.Timings{Connect: i64(20_500), Send: 2_000, Wait: 600_000, Receive: 2_300_000},
				RequestBodyBytes: 512, ResponseBodyBytes: 130_000, Framing: "close_delimited",
				RequestFraming: "content_length", Truncated: true,
				Headers:   report.MgmtHeaders{RequestConnection: "close", ProxyConnection: "keep-alive", TE: "trailers"},
				Anomalies: []string{"http_bare_lf"},
				Findings:  []int{1},
			},
		},
		Findings: []report.Finding{
			{
				Kind: "tcp_retransmission", Severity: report.SeverityWarning, Connection: u32(2),
				At: at(2_000_000), DurationUS: 750_000, Count: 4,
				Summary: "4 server retransmissions (5600 bytes) on connection 2",
				Evidence: map[string]any{
					"retransmissions": 4, "retransmitted_bytes": 5600, "direction": "server_to_client",
					"worst_rto_us": int64(750_000), "ratio": 0.025,
				},
				Advice: "Look for loss on the path; check interface errors and queue drops.",
			},
			{
				Kind: "http_truncated_body", Severity: report.SeverityError, Connection: u32(2), Transaction: iptr(0),
				At: at(4_000_000),
				// Count 0 is raised to 1 by Normalize.
				Summary: "response body ended before its framing said (close-delimited)",
				Evidence: map[string]any{
					"framing": "close_delimited", "received_bytes": 130000, "expected_bytes": nil,
					"reset": true,
				},
				Advice: "Send Content-Length or chunked encoding so clients can detect truncation.",
			},
			{
				Kind: "tcp_reset", Severity: report.SeverityWarning, Connection: u32(2), At: at(4_000_000), Count: 1,
				Summary:  "server reset the connection with unread data",
				Evidence: map[string]any{"initiator": "server", "unread_bytes": 120, "flags": []any{"RST", "ACK"}},
				Advice:   "Make the server read the whole request before closing.",
			},
			{
				Kind: "tcp_slow_start_bound", Severity: report.SeverityInfo, Connection: u32(3), At: at(2_100_000), Count: 1,
				Summary: "transfer stayed within slow start",
				// Evidence left nil: writers must still emit {}.
				Advice: "Reuse connections so the congestion window stays open.",
			},
			{
				Kind: "tcp_nagle_delayed_ack_stall", Severity: report.SeverityWarning, Connection: u32(1), Transaction: iptr(1),
				At: at(3_000_050), DurationUS: 200_000, Count: 1,
				Summary:  "request waited ~200ms for a delayed ACK (Nagle)",
				Evidence: map[string]any{"stall_us": 200_000, "segments": map[string]any{"first": 1, "second": 2}},
				Advice:   "Set TCP_NODELAY on the client socket or write the request in one call.",
			},
			{
				Kind: "tcp_parallel_connections", Severity: report.SeverityInfo, Peer: "10.0.0.5 -> 93.184.216.34:80",
				At: at(1_000_000), Count: 1,
				Summary:  "2 parallel connections to one server",
				Evidence: map[string]any{"max_parallel": 2, "threshold": 2},
				Advice:   "Reuse a keep-alive connection pool instead of opening new connections.",
			},
			{
				Kind: "dns_slow_lookup", Severity: report.SeverityWarning, At: at(820_000), DurationUS: 180_000, Count: 1,
				Summary:  "DNS lookup of example.com took 180ms",
				Evidence: map[string]any{"name": "example.com", "rtt_us": 180_000, "threshold_us": 100_000},
				Advice:   "Cache DNS answers in the client or use a closer resolver.",
			},
		},
		// Out of (client, server) order on purpose.
		Peers: []report.Peer{
			{
				Client: "2001:db8::5", Server: "[2001:db8::443]:443", Connections: 1, Handshakes: 1, MaxParallel: 1,
				PeakRatePerS: 1, ClientPorts: 1, FirstSeen: at(2_000_000), LastSeen: at(2_400_000), TimeWaitServer: 1,
			},
			{
				Client: "10.0.0.5", Server: "93.184.216.34:80", Connections: 2, Handshakes: 2, MaxParallel: 2,
				ConnectionRatePerS: 1.11, PeakRatePerS: 2, ClientPorts: 2, Requests: 3,
				FirstSeen: at(100_000), LastSeen: at(5_000_000), TimeWaitClient: 1, Resets: 1,
			},
		},
		// Out of time order on purpose; one lookup has nil answers.
		DNSLookups: []report.DNSLookup{
			{Name: "example.com", Type: "A", Client: "10.0.0.5:53000", Server: "10.0.0.1:53", At: at(820_000), RTTUS: 180_000, Answers: []string{"93.184.216.34"}},
			{Name: "example.com", Type: "AAAA", Client: "10.0.0.5:53001", Server: "10.0.0.1:53", At: at(10_000), RTTUS: 9_000},
		},
	}
}
