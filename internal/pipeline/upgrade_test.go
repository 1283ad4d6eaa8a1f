package pipeline_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"connscope/capture"
	"connscope/internal/pipeline"
	"connscope/report"
	"connscope/report/reporttest"
)

// runUpgradeCapture runs the pipeline on one file, checks the JSON report
// against the schema and returns the report.
func runUpgradeCapture(t *testing.T, path string) *report.Report {
	t.Helper()
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, err := pipeline.Run(context.Background(), src, pipeline.DefaultConfig())
	if err != nil {
		t.Fatalf("run %s: %v", path, err)
	}
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	reporttest.Validate(t, buf.Bytes())
	return rep
}

func findingsOf(rep *report.Report, kind string) []report.Finding {
	var out []report.Finding
	for _, f := range rep.Findings {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func pcapPath(name string) string { return filepath.Join("..", "..", "testdata", "pcaps", name) }

// TestWebSocketCapture: Go x/net/websocket echo server and a client that
// sends 10 messages, one ping and close 1000 (testdata/pcaps/README.md).
func TestWebSocketCapture(t *testing.T) {
	rep := runUpgradeCapture(t, pcapPath("websocket_echo.pcap"))
	if len(rep.Connections) != 1 {
		t.Fatalf("connections %d", len(rep.Connections))
	}
	c := rep.Connections[0]
	ws := c.WebSocket
	if c.Protocol != "websocket" || ws == nil {
		t.Fatalf("protocol %q websocket %+v", c.Protocol, ws)
	}
	want := report.ConnWebSocket{
		MessagesClientToServer: 10, MessagesServerToClient: 10, Pings: 1, Pongs: 1,
		CloseCode: 1000, CloseInitiator: "client", HandshakeValid: true,
		BytesClientToServer: ws.BytesClientToServer, BytesServerToClient: ws.BytesClientToServer, PongRTTUS: ws.PongRTTUS,
	}
	if *ws != want || ws.BytesClientToServer == 0 || ws.PongRTTUS <= 0 {
		t.Fatalf("websocket %+v, want %+v (echo: equal bytes both ways, a pong RTT)", *ws, want)
	}
	if rep.Summary.WebSocketConnections != 1 {
		t.Fatalf("summary websocket_connections %d", rep.Summary.WebSocketConnections)
	}
	fs := findingsOf(rep, "http_websocket_upgrade")
	if len(fs) != 1 || fs[0].Severity != report.SeverityInfo || fs[0].Transaction == nil || *fs[0].Transaction != 0 {
		t.Fatalf("findings %+v", fs)
	}
	// RFC 6455 §7.1.1: the server closes TCP first.
	if ev := fs[0].Evidence; ev["tcp_closed_first_by"] != "server" || ev["abnormal_close"] != false || ev["close_code"] != 1000 {
		t.Fatalf("evidence %v", ev)
	}
}

// TestH2CPriorKnowledgeCapture: h2load, 1 connection × 20 streams, 10
// concurrent, against the Go h2c server.
func TestH2CPriorKnowledgeCapture(t *testing.T) {
	rep := runUpgradeCapture(t, pcapPath("h2c_prior_knowledge.pcap"))
	c := rep.Connections[0]
	h := c.H2
	if len(rep.Connections) != 1 || c.Protocol != "h2c" || h == nil {
		t.Fatalf("connections %d protocol %q h2 %+v", len(rep.Connections), c.Protocol, h)
	}
	if h.Mode != "prior_knowledge" || h.Streams != 20 || h.MaxConcurrentStreams != 10 || h.SettingsMaxConcurrentStreams != 100 || h.HPACKPoisoned {
		t.Fatalf("h2 %+v", h)
	}
	if len(h.Exchanges) != 20 {
		t.Fatalf("exchanges %d", len(h.Exchanges))
	}
	for i, e := range h.Exchanges {
		if e.Stream != uint32(2*i+1) || e.Method != "GET" || e.Path != "/" || e.Status != 200 || e.ResponseBytes != 1024 {
			t.Fatalf("exchange %d: %+v", i, e)
		}
	}
	if rep.Summary.H2Connections != 1 || rep.Summary.H2Streams != 20 {
		t.Fatalf("summary %+v", rep.Summary)
	}
	if n := len(findingsOf(rep, "http_h2c_upgrade")) + len(findingsOf(rep, "h2_head_of_line_blocking")); n != 0 {
		t.Fatalf("%d unexpected h2c_upgrade/HOL findings on a clean prior-knowledge capture", n)
	}
}

// TestH2CUpgradeCapture: curl --http2 (Upgrade: h2c, 101), two URLs on one
// connection: stream 1 is the upgraded request.
func TestH2CUpgradeCapture(t *testing.T) {
	rep := runUpgradeCapture(t, pcapPath("h2c_upgrade.pcap"))
	c := rep.Connections[0]
	h := c.H2
	if c.Protocol != "h2c" || h == nil || h.Mode != "upgrade" || h.Streams != 2 {
		t.Fatalf("protocol %q h2 %+v", c.Protocol, h)
	}
	got := [][3]any{}
	for _, e := range h.Exchanges {
		got = append(got, [3]any{e.Stream, e.Path, e.Status})
	}
	if want := [][3]any{{uint32(1), "/one", 200}, {uint32(3), "/two", 200}}; !slices.Equal(got, want) {
		t.Fatalf("exchanges %v, want %v", got, want)
	}
	fs := findingsOf(rep, "http_h2c_upgrade")
	if len(fs) != 1 || fs[0].Evidence["accepted"] != true {
		t.Fatalf("findings %+v", fs)
	}
}

// TestTLSCapture: curl to nginx over TLS 1.3 then TLS 1.2, SNI
// lab.connscope.test, ALPN h2,http/1.1.
func TestTLSCapture(t *testing.T) {
	rep := runUpgradeCapture(t, pcapPath("tls_nginx.pcap"))
	if len(rep.Connections) != 2 || rep.Summary.TLSConnections != 2 {
		t.Fatalf("connections %d tls %d", len(rep.Connections), rep.Summary.TLSConnections)
	}
	tests := []struct {
		version, selected string
	}{
		{"TLS 1.3", ""},   // the ALPN choice is in EncryptedExtensions
		{"TLS 1.2", "h2"}, // visible in the ServerHello
	}
	for i, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			x := rep.Connections[i].TLS
			if rep.Connections[i].Protocol != "tls" || x == nil {
				t.Fatalf("connection %d: %+v", i, rep.Connections[i])
			}
			if x.SNI != "lab.connscope.test" || !slices.Equal(x.ALPN, []string{"h2", "http/1.1"}) || x.Version != tc.version ||
				x.VersionOffered != tc.version || x.ALPNSelected != tc.selected || !x.ServerHelloSeen || x.HandshakeUS <= 0 {
				t.Fatalf("tls %+v", *x)
			}
		})
	}
}

// TestH2HOLCapture: 3 % server→client loss under 60 streams, 20 at a time:
// holes hold the frames of several streams for at least one RTT.
func TestH2HOLCapture(t *testing.T) {
	rep := runUpgradeCapture(t, pcapPath("h2c_hol.pcap.gz"))
	c := rep.Connections[0]
	h := c.H2
	if h == nil || h.Streams != 60 || h.MaxConcurrentStreams != 20 || len(h.HOLEvents) == 0 {
		t.Fatalf("h2 %+v", h)
	}
	rtt := c.Handshake.RTTUS
	qualifying := 0
	for _, ev := range h.HOLEvents {
		if ev.Direction != "server_to_client" || ev.Cause != "retransmission" || ev.HeldBytes <= 0 {
			t.Fatalf("event %+v", ev)
		}
		if len(ev.Streams) >= 2 && ev.HoldUS >= rtt {
			qualifying++
		}
	}
	fs := findingsOf(rep, "h2_head_of_line_blocking")
	if qualifying == 0 || len(fs) != 1 || fs[0].Count != qualifying || fs[0].Severity != report.SeverityWarning {
		t.Fatalf("qualifying events %d, findings %+v", qualifying, fs)
	}
	if blocked, _ := fs[0].Evidence["streams_blocked"].([]uint32); len(blocked) < 2 {
		t.Fatalf("streams_blocked %v", fs[0].Evidence["streams_blocked"])
	}
}
