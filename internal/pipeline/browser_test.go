package pipeline_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"connscope/analysis"
	"connscope/analysis/body"
	"connscope/analysis/parallel"
	"connscope/internal/lab"
	"connscope/report"
)

// browserCapture is the headless Chromium page load recorded by the lab
// scenario browser_page (scripts/lab.sh browser_page).
var browserCapture = filepath.Join("..", "..", "testdata", "pcaps", "browser_page.pcap")

// tsharkHTTP is what tshark dissects of the HTTP/1.x messages of one TCP
// stream, in capture order.
type tsharkHTTP struct {
	targets []string // http.request.uri
	codes   []int    // http.response.code
}

// tsharkHTTPByStream runs tshark over path and groups request targets and
// response codes by tcp.stream. Two messages in one frame appear as one
// comma-separated field value and count twice.
func tsharkHTTPByStream(t *testing.T, path string) map[int]*tsharkHTTP {
	t.Helper()
	cmd := exec.Command("tshark", "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", path,
		"-Y", "http", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=|",
		"-e", "tcp.stream", "-e", "http.request.uri", "-e", "http.response.code")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	by := map[int]*tsharkHTTP{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) < 3 || f[0] == "" {
			continue
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			t.Fatalf("tshark stream %q: %v", f[0], err)
		}
		h := by[id]
		if h == nil {
			h = &tsharkHTTP{}
			by[id] = h
		}
		if f[1] != "" {
			h.targets = append(h.targets, strings.Split(f[1], ",")...)
		}
		if f[2] != "" {
			for _, c := range strings.Split(f[2], ",") {
				n, err := strconv.Atoi(c)
				if err != nil {
					t.Fatalf("tshark response code %q: %v", c, err)
				}
				h.codes = append(h.codes, n)
			}
		}
	}
	return by
}

// TestBrowserPageLoad checks what a network engineer reads from a real
// browser page load (headless Chromium, HTTP/1.1, nginx): one request per
// page resource, all answered 200 with the bytes the server holds, at most
// the browser's 6 parallel connections per host (so no
// tcp_parallel_connections finding at the default limit), connections
// reused for several requests (RFC 9112 §9.3 persistence) and never
// pipelined, and every connection closed by the browser with a FIN. Where
// tshark is installed the connection, request and response counts, the
// targets and status codes per connection and the most connections open at
// once are compared with tshark's dissection.
func TestBrowserPageLoad(t *testing.T) {
	if _, err := os.Stat(browserCapture); err != nil {
		t.Fatalf("capture missing (scripts/lab.sh browser_page): %v", err)
	}
	var rep report.Report
	if err := json.Unmarshal(analyze(t, browserCapture), &rep); err != nil {
		t.Fatal(err)
	}

	// What the server held: the page and its subresources, by URL path.
	page := lab.BrowserPage()
	size := map[string]int{}
	for _, a := range page {
		size[a.Path] = len(a.Body)
	}
	limit := analysis.Config{}.WithDefaults().MaxParallel

	t.Run("requests", func(t *testing.T) {
		s := rep.Summary
		if s.HTTPRequests != len(page) || s.HTTPResponses != len(page) || len(rep.Transactions) != len(page) {
			t.Errorf("requests %d, responses %d, transactions %d; want %d each (page + %d subresources)",
				s.HTTPRequests, s.HTTPResponses, len(rep.Transactions), len(page), len(page)-1)
		}
		seen := map[string]int{}
		for _, x := range rep.Transactions {
			label := fmt.Sprintf("conn %d #%d %s %s", x.Connection, x.Index, x.Method, x.Target)
			seen[x.Target]++
			want, known := size[x.Target]
			switch {
			case x.Target == "/favicon.ico":
				if x.Status != 200 && x.Status != 404 {
					t.Errorf("%s: status %d, want 200 or 404", label, x.Status)
				}
			case !known:
				t.Errorf("%s: not a resource of the page", label)
			case x.Status != 200:
				t.Errorf("%s: status %d, want 200", label, x.Status)
			case x.ResponseBodyBytes != int64(want):
				t.Errorf("%s: body %d bytes, the server holds %d", label, x.ResponseBodyBytes, want)
			}
			if x.Method != "GET" || x.RequestVersion != "HTTP/1.1" || x.ResponseVersion != "HTTP/1.1" {
				t.Errorf("%s: %s %s answered %s, want GET over HTTP/1.1", label, x.Method, x.RequestVersion, x.ResponseVersion)
			}
			if x.Truncated || x.Pipelined {
				t.Errorf("%s: truncated %v pipelined %v", label, x.Truncated, x.Pipelined)
			}
		}
		for _, a := range page {
			if seen[a.Path] != 1 {
				t.Errorf("%s requested %d times, want once", a.Path, seen[a.Path])
			}
		}
	})

	t.Run("connections", func(t *testing.T) {
		if n := len(rep.Connections); n < 2 || n > limit {
			t.Errorf("%d connections, want 2..%d (parallel, within the browser limit)", n, limit)
		}
		perConn := map[uint32]int{}
		for _, x := range rep.Transactions {
			perConn[x.Connection]++
		}
		reused := 0
		for _, c := range rep.Connections {
			label := fmt.Sprintf("conn %d %s", c.ID, c.Client)
			if perConn[c.ID] >= 2 {
				reused++
			}
			if c.HTTP == nil || c.HTTP.Requests != perConn[c.ID] || c.HTTP.Responses != perConn[c.ID] {
				t.Errorf("%s: http %+v, %d transactions", label, c.HTTP, perConn[c.ID])
			}
			if c.Protocol != "http/1.1" || !c.Handshake.Complete {
				t.Errorf("%s: protocol %q, handshake complete %v", label, c.Protocol, c.Handshake.Complete)
			}
			// The browser closes its idle keep-alive connections when it
			// exits: client FIN first, client holds TIME_WAIT (RFC 9293 §3.6).
			if c.Close.Kind != "fin" || c.Close.Initiator != "client" || c.Close.TimeWaitHolder != "client" {
				t.Errorf("%s: close %s by %s, TIME_WAIT %s; want fin by client", label, c.Close.Kind, c.Close.Initiator, c.Close.TimeWaitHolder)
			}
		}
		if reused < 1 || rep.Summary.ReusedConnections != reused {
			t.Errorf("reused_connections %d, connections with 2+ transactions %d (want at least 1)", rep.Summary.ReusedConnections, reused)
		}
		if rep.Summary.PipelinedRequests != 0 {
			t.Errorf("pipelined_requests %d, Chromium does not pipeline", rep.Summary.PipelinedRequests)
		}
	})

	t.Run("parallel", func(t *testing.T) {
		if len(rep.Peers) != 1 {
			t.Fatalf("%d peers, want 1 (one browser, one server)", len(rep.Peers))
		}
		p := rep.Peers[0]
		if p.Client != lab.ClientIP || p.Server != lab.ServerAddr(lab.ServerPort) {
			t.Errorf("peer %s -> %s, want %s -> %s", p.Client, p.Server, lab.ClientIP, lab.ServerAddr(lab.ServerPort))
		}
		if p.Connections != len(rep.Connections) || p.Requests != len(page) {
			t.Errorf("peer: %d connections, %d requests; report has %d and %d", p.Connections, p.Requests, len(rep.Connections), len(page))
		}
		if p.MaxParallel < 2 || p.MaxParallel > limit || rep.Summary.MaxParallelConnections != p.MaxParallel {
			t.Errorf("max parallel: peer %d, summary %d; want 2..%d", p.MaxParallel, rep.Summary.MaxParallelConnections, limit)
		}
		for _, f := range rep.Findings {
			if f.Kind == parallel.Kind || f.Kind == body.KindTruncated {
				t.Errorf("unexpected finding %s: %s", f.Kind, f.Summary)
			}
		}
	})

	t.Run("tshark", func(t *testing.T) {
		if _, err := exec.LookPath("tshark"); err != nil {
			t.Skip("tshark not installed")
		}
		ts := tsharkStreams(t, browserCapture)
		if len(ts) != len(rep.Connections) {
			t.Fatalf("tshark has %d TCP streams, we have %d connections", len(ts), len(rep.Connections))
		}
		byStream := tsharkHTTPByStream(t, browserCapture)
		var reqs, rsps int
		for _, h := range byStream {
			reqs += len(h.targets)
			rsps += len(h.codes)
		}
		if reqs != rep.Summary.HTTPRequests || rsps != rep.Summary.HTTPResponses {
			t.Errorf("tshark: %d requests, %d responses; we have %d and %d", reqs, rsps, rep.Summary.HTTPRequests, rep.Summary.HTTPResponses)
		}
		// tshark numbers streams in capture order, as we number
		// connections (the oracle test checks the pairing).
		txByConn := map[uint32][]report.Transaction{}
		for _, x := range rep.Transactions {
			txByConn[x.Connection] = append(txByConn[x.Connection], x)
		}
		for i, s := range ts {
			c := rep.Connections[i]
			var targets []string
			var codes []int
			for _, x := range txByConn[c.ID] {
				targets = append(targets, x.Target)
				codes = append(codes, x.Status)
			}
			h := byStream[s.id]
			if h == nil {
				h = &tsharkHTTP{}
			}
			if fmt.Sprint(targets) != fmt.Sprint(h.targets) || fmt.Sprint(codes) != fmt.Sprint(h.codes) {
				t.Errorf("conn %d / stream %d: targets %v codes %v; tshark %v %v", c.ID, s.id, targets, codes, h.targets, h.codes)
			}
		}
		// Most connections open at once, from tshark's packet times:
		// each stream spans its first packet to its second FIN.
		var ivs []iv
		for _, s := range ts {
			end := s.last
			if s.fin2At != 0 {
				end = s.fin2At
			}
			ivs = append(ivs, iv{s.first, end})
		}
		if want := maxOpen(ivs); len(rep.Peers) != 1 || rep.Peers[0].MaxParallel != want {
			t.Errorf("peer max parallel %+v, tshark oracle %d", rep.Peers, want)
		}
	})
}
