package pipeline_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"connscope/internal/corpus"
	"connscope/report"
)

var upgradeCorpusRE = regexp.MustCompile(`(?i)websocket|http2|h2c|tls|ssl|alpn|https`)

// TestUpgradeCorpusNoPanic runs every corpus capture whose manifest row
// mentions WebSocket, HTTP/2 or TLS (up to 20 MB) through the pipeline and
// checks the decoders' records for internal consistency.
func TestUpgradeCorpusNoPanic(t *testing.T) {
	dir := corpus.Dir(t)
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 9 || cols[5] == "-" || cols[5] == "link_type" || cols[5] == "unreadable" {
			continue
		}
		if size, _ := strconv.Atoi(cols[7]); size > 20<<20 || !upgradeCorpusRE.MatchString(cols[0]+" "+cols[8]) {
			continue
		}
		n++
		path := filepath.Join(dir, cols[0])
		t.Run(cols[0], func(t *testing.T) {
			rep := runFile(t, path)
			for _, c := range rep.Connections {
				if h := c.H2; h != nil {
					if h.MaxConcurrentStreams > h.Streams || len(h.Exchanges) > 1000 || h.Streams < len(h.Exchanges) {
						t.Errorf("connection %d: inconsistent h2 %+v", c.ID, h)
					}
				}
				if ws := c.WebSocket; ws != nil && ws.CloseCode == 0 && ws.CloseInitiator != "" {
					t.Errorf("connection %d: close initiator without close frame %+v", c.ID, ws)
				}
				if x := c.TLS; x != nil && x.HandshakeUS < 0 {
					t.Errorf("connection %d: negative handshake time %+v", c.ID, x)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no WebSocket/HTTP/2/TLS captures found in the manifest")
	}
}

// zeekRows reads a Zeek log (the #fields header or a plain "ts uid ..."
// header line of the cut baselines) into one map per row.
func zeekRows(t *testing.T, path string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	var rows []map[string]string
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "#fields\t"):
			fields = strings.Split(line, "\t")[1:]
			continue
		case strings.HasPrefix(line, "#"), line == "":
			continue
		case fields == nil && strings.HasPrefix(line, "ts\t"):
			fields = strings.Split(line, "\t")
			continue
		}
		vals := strings.Split(line, "\t")
		row := map[string]string{}
		for i, f := range fields {
			if i < len(vals) {
				row[f] = vals[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// TestWebSocketZeekBaselines compares the number of WebSocket sessions with
// the rows of Zeek's websocket.log for the same trace.
func TestWebSocketZeekBaselines(t *testing.T) {
	dir := corpus.Dir(t)
	tests := []struct{ trace, baseline string }{
		{"zeek/traces/http/websocket.pcap", "scripts.base.protocols.http.101-switching-protocols"},
		{"zeek/traces/websocket/broker-websocket.pcap", "scripts.base.protocols.websocket.broker-websocket"},
		{"zeek/traces/websocket/jupyter-websocket.pcap", "scripts.base.protocols.websocket.jupyter-websocket"},
		{"zeek/traces/websocket/wrong-accept-header.pcap", "scripts.base.protocols.websocket.key-accept-wrong"},
		{"zeek/traces/websocket/wstunnel-http.pcap", "scripts.base.protocols.websocket.wstunnel-http"},
		{"zeek/traces/websocket/wstunnel-https.pcap", "scripts.base.protocols.websocket.wstunnel-https"},
		{"zeek/traces/websocket/wstunnel-ssh.pcap", "scripts.base.protocols.websocket.wstunnel-ssh"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.trace), func(t *testing.T) {
			rows := zeekRows(t, filepath.Join(dir, "zeek", "baselines", tc.baseline, "websocket.log"))
			rep := runFile(t, filepath.Join(dir, tc.trace))
			var ws []report.Connection
			for _, c := range rep.Connections {
				if c.WebSocket != nil {
					ws = append(ws, c)
				}
			}
			if len(ws) != len(rows) || len(rows) == 0 {
				t.Fatalf("websocket sessions %d, zeek websocket.log rows %d", len(ws), len(rows))
			}
			for i, row := range rows {
				if p := row["id.orig_p"]; p != "" && !strings.HasSuffix(ws[i].Client, ":"+p) {
					t.Errorf("session %d client %s, zeek id.orig_p %s", i, ws[i].Client, p)
				}
			}
		})
	}
	// Zeek logs the session but raises a weird for the wrong accept value;
	// the record says handshake_valid false.
	rep := runFile(t, filepath.Join(dir, "zeek/traces/websocket/wrong-accept-header.pcap"))
	if ws := rep.Connections[0].WebSocket; ws == nil || ws.HandshakeValid {
		t.Fatalf("wrong-accept-header: %+v", ws)
	}
}

// TestTLSZeekBaselines compares SNI and version with Zeek's ssl.log for the
// TCP TLS traces. (The QUIC traces' ssl.log rows come from QUIC, and
// wstunnel-https's from TLS carried inside WebSocket messages, which is not
// decoded.)
func TestTLSZeekBaselines(t *testing.T) {
	dir := corpus.Dir(t)
	versions := map[string]string{"TLSv10": "TLS 1.0", "TLSv11": "TLS 1.1", "TLSv12": "TLS 1.2", "TLSv13": "TLS 1.3"}
	tests := []struct{ trace, baseline string }{
		{"zeek/traces/tls/tls-fragmented-handshake.pcap.gz", "scripts.base.protocols.ssl.fragment"},
		{"zeek/traces/tls/tls13-ech.pcap", "scripts.base.protocols.ssl.tls13-encrypted-client-hello"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.trace), func(t *testing.T) {
			rows := zeekRows(t, filepath.Join(dir, "zeek", "baselines", tc.baseline, "ssl.log"))
			rep := runFile(t, filepath.Join(dir, tc.trace))
			byPort := map[string]*report.ConnTLS{}
			for _, c := range rep.Connections {
				if c.TLS != nil {
					byPort[c.Client[strings.LastIndex(c.Client, ":")+1:]] = c.TLS
				}
			}
			if len(byPort) != len(rows) || len(rows) == 0 {
				t.Fatalf("TLS connections %d, zeek ssl.log rows %d", len(byPort), len(rows))
			}
			for _, row := range rows {
				x := byPort[row["id.orig_p"]]
				if x == nil {
					t.Fatalf("no TLS connection from port %s", row["id.orig_p"])
				}
				if x.SNI != row["server_name"] || x.Version != versions[row["version"]] {
					t.Errorf("port %s: sni %q version %q, zeek %q %q", row["id.orig_p"], x.SNI, x.Version, row["server_name"], row["version"])
				}
			}
		})
	}
}
