package body

import (
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1/h1test"
	"connscope/flow"
	"connscope/report"
)

const ms = time.Millisecond

func play(conns ...*h1test.Conn) []report.Finding {
	return h1test.Play(New(analysis.Config{}), nil, conns...)
}

func TestTruncated(t *testing.T) {
	type want struct {
		n        int
		sev      string
		endedBy  string
		missing  any
		received int64
	}
	cases := []struct {
		name string
		conn *h1test.Conn
		want want
	}{
		{
			// RFC 9112 §8: a Content-Length body cut by the server's FIN.
			name: "content_length_cut_by_server_fin",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("GET", "/t", 1*ms, 1*ms), h1test.Resp(200, 100, 2*ms, 3*ms, h1test.Truncated(5))).
				FIN(flow.ServerToClient, 3*ms).FIN(flow.ClientToServer, 4*ms),
			want: want{n: 1, sev: report.SeverityError, endedBy: "server_fin", missing: int64(95), received: 5},
		},
		{
			name: "content_length_cut_by_server_rst",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("GET", "/t", 1*ms, 1*ms), h1test.Resp(200, 1000, 2*ms, 3*ms, h1test.Truncated(400))).
				RST(flow.ServerToClient, 3*ms),
			want: want{n: 1, sev: report.SeverityError, endedBy: "server_rst", missing: int64(600), received: 400},
		},
		{
			name: "client_abort_is_warning",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("GET", "/big", 1*ms, 1*ms), h1test.Resp(200, 1000, 2*ms, 3*ms, h1test.Truncated(400))).
				RST(flow.ClientToServer, 3*ms),
			want: want{n: 1, sev: report.SeverityWarning, endedBy: "client_rst", missing: int64(600), received: 400},
		},
		{
			name: "chunked_without_last_chunk",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("GET", "/c", 1*ms, 1*ms), h1test.Resp(200, 0, 2*ms, 3*ms, h1test.Chunked, h1test.Truncated(300))).
				FIN(flow.ServerToClient, 3*ms),
			want: want{n: 1, sev: report.SeverityError, endedBy: "server_fin", missing: nil, received: 300},
		},
		{
			// Zeek's content_gap_length distinction: bytes missing from the
			// capture are not missing from the message.
			name: "capture_gap_is_not_truncation",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("GET", "/g", 1*ms, 1*ms), h1test.Resp(200, 100, 2*ms, 3*ms, h1test.Truncated(100), h1test.Gap(40))).
				FIN(flow.ServerToClient, 3*ms),
			want: want{n: 0},
		},
		{
			name: "gap_and_truncation_reports_remaining_missing",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("GET", "/g", 1*ms, 1*ms), h1test.Resp(200, 100, 2*ms, 3*ms, h1test.Truncated(50), h1test.Gap(10))).
				FIN(flow.ServerToClient, 3*ms),
			want: want{n: 1, sev: report.SeverityError, endedBy: "server_fin", missing: int64(50), received: 40},
		},
		{
			// RFC 9110 §9.3.2: a HEAD response carries Content-Length without
			// a body. Even a parser mistake must not turn it into a finding.
			name: "head_response_not_truncated",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("HEAD", "/h", 1*ms, 1*ms), h1test.Resp(200, 5000, 2*ms, 3*ms, h1test.Truncated(0))).
				FIN(flow.ServerToClient, 3*ms),
			want: want{n: 0},
		},
		{
			name: "not_modified_not_truncated",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("GET", "/h", 1*ms, 1*ms), h1test.Resp(304, 5000, 2*ms, 3*ms, h1test.Truncated(0))).
				FIN(flow.ServerToClient, 3*ms),
			want: want{n: 0},
		},
		{
			name: "capture_ended_mid_body",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("GET", "/t", 1*ms, 1*ms), h1test.Resp(200, 100000, 2*ms, 3*ms, h1test.Truncated(5000))).
				CaptureEnd(3 * ms),
			want: want{n: 0},
		},
		{
			name: "complete_body",
			conn: h1test.NewConn(1, 40000, 0).
				Add(h1test.Req("GET", "/t", 1*ms, 1*ms), h1test.Resp(200, 100, 2*ms, 3*ms)).
				FIN(flow.ServerToClient, 3*ms),
			want: want{n: 0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := h1test.OfKind(play(tc.conn), KindTruncated)
			if len(fs) != tc.want.n {
				t.Fatalf("got %d %s findings, want %d: %+v", len(fs), KindTruncated, tc.want.n, fs)
			}
			if tc.want.n == 0 {
				return
			}
			f := fs[0]
			if f.Severity != tc.want.sev || f.Evidence["ended_by"] != tc.want.endedBy || f.Evidence["missing"] != tc.want.missing || f.Evidence["received"] != tc.want.received {
				t.Errorf("got severity %s evidence %v, want %+v", f.Severity, f.Evidence, tc.want)
			}
			if f.Connection == nil || *f.Connection != 1 || f.Transaction == nil || *f.Transaction != 0 {
				t.Errorf("finding not linked to connection 1, transaction 0: %+v", f)
			}
			if f.Summary == "" || f.Advice == "" || f.At == "" {
				t.Errorf("summary, advice or at empty: %+v", f)
			}
		})
	}
}

func TestCloseDelimited(t *testing.T) {
	cd := func(id int, port uint16, at time.Duration, v10 bool) *h1test.Conn {
		r := h1test.Resp(200, 700, at+2*ms, at+3*ms, h1test.CloseDelimited)
		if v10 {
			h1test.V10(r)
		}
		return h1test.NewConn(id, port, at).Add(h1test.Req("GET", "/d", at+1*ms, at+1*ms), r).
			FIN(flow.ServerToClient, at+3*ms).FIN(flow.ClientToServer, at+4*ms)
	}
	cases := []struct {
		name  string
		conns []*h1test.Conn
		sev   []string
		count []int
	}{
		{name: "http11_two_connections_one_finding", conns: []*h1test.Conn{cd(1, 40000, 0, false), cd(2, 40001, 10*ms, false)},
			sev: []string{report.SeverityWarning}, count: []int{2}},
		{name: "http10_is_info", conns: []*h1test.Conn{cd(1, 40000, 0, true)}, sev: []string{report.SeverityInfo}, count: []int{1}},
		{name: "both_versions", conns: []*h1test.Conn{cd(1, 40000, 0, true), cd(2, 40001, 10*ms, false)},
			sev: []string{report.SeverityInfo, report.SeverityWarning}, count: []int{1, 1}},
		{name: "content_length_not_reported", conns: []*h1test.Conn{h1test.NewConn(1, 40000, 0).
			Add(h1test.Req("GET", "/d", 1*ms, 1*ms), h1test.Resp(200, 10, 2*ms, 3*ms))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := h1test.OfKind(play(tc.conns...), KindCloseDelimited)
			if len(fs) != len(tc.sev) {
				t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tc.sev), fs)
			}
			for i, f := range fs {
				if f.Severity != tc.sev[i] || f.Count != tc.count[i] || f.Peer != h1test.Peer {
					t.Errorf("finding %d: severity %s count %d peer %q, want %s %d %q", i, f.Severity, f.Count, f.Peer, tc.sev[i], tc.count[i], h1test.Peer)
				}
				if (f.Count == 1) != (f.Connection != nil) {
					t.Errorf("finding %d: connection link %v with count %d", i, f.Connection, f.Count)
				}
			}
			if n := len(h1test.OfKind(play(tc.conns...), KindTruncated)); n != 0 {
				t.Errorf("clean close-delimited bodies reported as truncated (%d)", n)
			}
		})
	}
}

func TestKindsDocumented(t *testing.T) {
	for _, k := range Factory().Kinds {
		if k.Title == "" || len(k.Explain) < 200 || k.Severity == "" {
			t.Errorf("kind %s is not documented enough", k.Kind)
		}
	}
}
