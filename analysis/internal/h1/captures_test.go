package h1_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"connscope/analysis"
	"connscope/analysis/body"
	"connscope/analysis/handshake"
	"connscope/analysis/hopbyhop"
	"connscope/analysis/keepalive"
	"connscope/analysis/parallel"
	"connscope/analysis/peers"
	"connscope/analysis/pipelining"
	"connscope/analysis/reuse"
	"connscope/capture"
	"connscope/httpdecode"
	"connscope/internal/pipeline"
	"connscope/report"
)

func factories() []analysis.Factory {
	return []analysis.Factory{
		peers.Factory(), handshake.Factory(), reuse.Factory(), keepalive.Factory(),
		pipelining.Factory(), body.Factory(), hopbyhop.Factory(), parallel.Factory(),
	}
}

func run(t *testing.T, name string, acfg analysis.Config) *report.Report {
	t.Helper()
	var path string
	for _, ext := range []string{".pcap", ".pcap.gz", ".pcapng"} {
		p := filepath.Join("..", "..", "..", "testdata", "pcaps", name+ext)
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skipf("capture %s not present", name)
	}
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer src.Close()
	cfg := pipeline.DefaultConfig()
	cfg.Analyzers = factories()
	cfg.Analysis = acfg
	rep, err := pipeline.Run(context.Background(), src, cfg)
	if err != nil {
		t.Fatalf("run %s: %v", path, err)
	}
	return rep
}

// owned lists every finding kind of the HTTP/1.x connection detectors.
var owned = []string{
	handshake.Kind, reuse.Kind, keepalive.KindDisabled, keepalive.KindRace, keepalive.KindRetry,
	keepalive.KindHang, pipelining.KindPipelined, pipelining.KindNonIdempotent, pipelining.KindHOL,
	body.KindTruncated, body.KindCloseDelimited, hopbyhop.Kind, parallel.Kind,
}

func ofKind(rep *report.Report, kind string) []report.Finding {
	var out []report.Finding
	for _, f := range rep.Findings {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// TestCaptures runs the detectors through the offline pipeline on the lab
// captures (client-side vantage, loopback-like RTT; see
// testdata/pcaps/README.md) and checks which findings must and must not
// appear.
func TestCaptures(t *testing.T) {
	cases := []struct {
		capture string
		// want maps a kind to the findings it must produce (each checked
		// by the function, which may be nil); every other kind of these
		// detectors must be absent.
		want map[string]func(t *testing.T, rep *report.Report, fs []report.Finding)
	}{
		{capture: "curl_reuse"},
		{capture: "chunked"},
		{capture: "ab_keepalive"},
		// ab_keepalive with two frames cut out (a response, a request):
		// nothing is pipelined, and no persistence finding comes of it.
		{capture: "ab_keepalive_drops"},
		{capture: "server_keepalive_close"},
		{capture: "nagle_on"},
		{capture: "refused"},
		{capture: "parallel6", want: map[string]func(*testing.T, *report.Report, []report.Finding){}},
		{capture: "curl_http10", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			// Two connections are not yet a chain: no http_connection_not_reused.
			keepalive.KindDisabled: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				ev := fs[0].Evidence
				if ev["disabled_by"] != "client" || ev["reason"] != "http10_without_keep_alive" || fs[0].Count != 2 {
					t.Errorf("keep-alive disabled: %+v", fs[0])
				}
			},
		}},
		{capture: "ab_close", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			keepalive.KindDisabled: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				if fs[0].Evidence["disabled_by"] != "client" || fs[0].Count != 20 || fs[0].Severity != report.SeverityWarning {
					t.Errorf("keep-alive disabled: %+v", fs[0])
				}
			},
			reuse.Kind: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				// 20 connections, 2 at a time: the first two had no predecessor.
				if fs[0].Count != 18 || fs[0].Evidence["requests_per_connection"] != 1.0 || fs[0].Evidence["client_disabled_keepalive"] != 18 {
					t.Errorf("not reused: %+v", fs[0])
				}
			},
		}},
		{capture: "wrk_short", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			keepalive.KindDisabled: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				if fs[0].Evidence["disabled_by"] != "client" || fs[0].Evidence["reason"] != "connection_close" {
					t.Errorf("keep-alive disabled: %+v", fs[0])
				}
			},
			reuse.Kind: func(t *testing.T, _ *report.Report, fs []report.Finding) { one(t, fs) },
		}},
		{capture: "port_churn", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			reuse.Kind: func(t *testing.T, rep *report.Report, fs []report.Finding) {
				one(t, fs)
				if fs[0].Count < rep.Summary.TCPConnections-2 || fs[0].Evidence["avoidable_setup_us"].(int64) <= 0 {
					t.Errorf("not reused: %+v", fs[0])
				}
			},
		}},
		{capture: "pipelined", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			pipelining.KindPipelined: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				if fs[0].Evidence["pipelined_requests"] != 1 || fs[0].Evidence["depth_max"] != 2 || *fs[0].Transaction != 1 {
					t.Errorf("pipelined: %+v", fs[0])
				}
			},
		}},
		{capture: "pipelined_post", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			pipelining.KindPipelined: func(t *testing.T, _ *report.Report, fs []report.Finding) { one(t, fs) },
			pipelining.KindNonIdempotent: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				if fs[0].Evidence["non_idempotent_method"] != "POST" || *fs[0].Transaction != 1 {
					t.Errorf("non-idempotent: %+v", fs[0])
				}
			},
		}},
		{capture: "truncated_cl", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			body.KindTruncated: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				ev := fs[0].Evidence
				if fs[0].Severity != report.SeverityError || ev["declared"] != int64(100) || ev["received"] != int64(5) ||
					ev["missing"] != int64(95) || ev["ended_by"] != "server_fin" {
					t.Errorf("truncated: %+v", fs[0])
				}
			},
		}},
		{capture: "rst_unread", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			// The server read 10 bytes of a 256 KiB upload, answered 413 and
			// reset: the request body was cut by the receiver.
			body.KindTruncated: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				ev := fs[0].Evidence
				if ev["direction"] != "request" || ev["ended_by"] != "server_rst" || fs[0].Severity != report.SeverityWarning {
					t.Errorf("truncated upload: %+v", fs[0])
				}
			},
		}},
		{capture: "close_delimited", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			body.KindCloseDelimited: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				if fs[0].Severity != report.SeverityWarning || fs[0].Count != 2 {
					t.Errorf("close-delimited: %+v", fs[0])
				}
			},
			// The canned server also sends Connection: close.
			keepalive.KindDisabled: func(t *testing.T, _ *report.Report, fs []report.Finding) {
				one(t, fs)
				if fs[0].Evidence["disabled_by"] != "server" {
					t.Errorf("keep-alive disabled: %+v", fs[0])
				}
			},
		}},
		{capture: "idle_close_race", want: map[string]func(*testing.T, *report.Report, []report.Finding){
			keepalive.KindRace: func(t *testing.T, rep *report.Report, fs []report.Finding) {
				// Every lost request is a race, and each was retried.
				if lost := rep.Summary.HTTPRequests - rep.Summary.HTTPResponses; len(fs) != lost || lost == 0 {
					t.Fatalf("%d races for %d unanswered requests", len(fs), lost)
				}
				for _, f := range fs {
					if f.Evidence["retried"] != true || f.Evidence["method"] != "GET" || f.Connection == nil || f.Transaction == nil || *f.Transaction != 1 {
						t.Errorf("race: %+v", f)
					}
				}
			},
			// After each lost race the client retries on a new connection,
			// closes that connection after its one request, and opens the
			// next scenario's connection moments later: connections it
			// could have kept are counted, at most one per retry.
			reuse.Kind: func(t *testing.T, rep *report.Report, fs []report.Finding) {
				one(t, fs)
				lost := rep.Summary.HTTPRequests - rep.Summary.HTTPResponses
				if fs[0].Count > lost {
					t.Errorf("%d not-reused connections for %d retries", fs[0].Count, lost)
				}
			},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.capture, func(t *testing.T) {
			rep := run(t, tc.capture, analysis.Config{})
			for _, k := range owned {
				fs := ofKind(rep, k)
				check, ok := tc.want[k]
				switch {
				case !ok && len(fs) > 0:
					t.Errorf("unexpected %s: %+v", k, fs)
				case ok && len(fs) == 0:
					t.Errorf("missing %s", k)
				case ok && check != nil:
					check(t, rep, fs)
				}
				for _, f := range fs {
					if f.Summary == "" || f.Advice == "" || f.Count < 1 || f.Evidence == nil {
						t.Errorf("incomplete finding %+v", f)
					}
				}
			}
		})
	}
}

// TestCaptureParallelLimit: parallel6 stays under the default limit of 6
// but is flagged when the limit is lowered.
func TestCaptureParallelLimit(t *testing.T) {
	rep := run(t, "parallel6", analysis.Config{MaxParallel: 5})
	fs := ofKind(rep, parallel.Kind)
	if len(fs) != 1 || fs[0].Evidence["max_parallel"] != 6 || fs[0].Evidence["connections"] != 6 || fs[0].Evidence["limit"] != 5 {
		t.Fatalf("got %+v", fs)
	}
}

func one(t *testing.T, fs []report.Finding) {
	t.Helper()
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
}

// TestCaptureDrops: ab_keepalive_drops is ab_keepalive without the frame of
// the second response on connection 1 and of the second request on
// connection 2, as a capture that dropped them. ab waits for each
// response, so connection 1's third response answers its third request
// and the second is reported with its response lost; connection 2's
// second response answers a request the capture does not hold.
func TestCaptureDrops(t *testing.T) {
	rep := run(t, "ab_keepalive_drops", analysis.Config{})
	s := rep.Summary
	if s.HTTPRequests != 19 || s.HTTPResponses != 19 || s.PipelinedRequests != 0 {
		t.Errorf("requests %d, responses %d, pipelined %d; want 19, 19, 0", s.HTTPRequests, s.HTTPResponses, s.PipelinedRequests)
	}
	var lost []string
	for _, tx := range rep.Transactions {
		if slices.Contains(tx.Anomalies, httpdecode.AnomalyResponseLost) {
			lost = append(lost, fmt.Sprintf("%d/%d status=%d", tx.Connection, tx.Index, tx.Status))
			if got := tx.MissingResponse(); got != "response lost in capture" {
				t.Errorf("%d/%d: the transaction lists say %q", tx.Connection, tx.Index, got)
			}
		}
		if tx.Connection == 1 && tx.Index == 2 && tx.Status != 200 {
			t.Errorf("connection 1's third request got status %d, want 200", tx.Status)
		}
	}
	if want := []string{"1/1 status=0"}; !slices.Equal(lost, want) {
		t.Errorf("responses lost %v, want %v", lost, want)
	}
}
