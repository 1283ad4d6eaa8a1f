package hopbyhop

import (
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1/h1test"
	"connscope/httpdecode"
	"connscope/report"
)

const ms = time.Millisecond

type hit struct{ issue, field, dir, sev string }

func TestHopByHop(t *testing.T) {
	cases := []struct {
		name string
		req  []h1test.Opt
		rsp  []h1test.Opt
		tgt  string
		v10  bool
		want []hit
	}{
		{
			// RFC 9110 §7.6.1: Cache-Control is never a connection option.
			name: "connection_names_end_to_end_fields",
			req:  []h1test.Opt{h1test.Connection("keep-alive, Host, Authorization, X-Hop")},
			want: []hit{
				{IssueEndToEnd, "authorization", "request", report.SeverityWarning},
				{IssueEndToEnd, "host", "request", report.SeverityWarning},
			},
		},
		{
			name: "response_connection_names_cache_control",
			rsp:  []h1test.Opt{h1test.Connection("Cache-Control")},
			want: []hit{{IssueEndToEnd, "cache-control", "response", report.SeverityWarning}},
		},
		{
			name: "proxy_connection_to_origin",
			req:  []h1test.Opt{h1test.ProxyConnection("keep-alive")},
			want: []hit{{IssueProxyConnection, "proxy-connection", "request", report.SeverityWarning}},
		},
		{
			// An absolute-form target goes to a forward proxy: the legacy
			// field is aimed at it.
			name: "proxy_connection_to_proxy_not_reported",
			req:  []h1test.Opt{h1test.ProxyConnection("keep-alive")},
			tgt:  "http://192.0.2.2:8080/x",
		},
		{
			name: "keep_alive_on_http11_unlisted",
			rsp:  []h1test.Opt{h1test.KeepAlive("timeout=5")},
			want: []hit{{IssueKeepAliveUnlisted, "keep-alive", "response", report.SeverityWarning}},
		},
		{
			name: "keep_alive_on_http11_listed",
			rsp:  []h1test.Opt{h1test.Connection("Keep-Alive"), h1test.KeepAlive("timeout=5, max=100")},
			want: []hit{{IssueKeepAliveHTTP11, "keep-alive", "response", report.SeverityInfo}},
		},
		{
			// HTTP/1.0 keep-alive (RFC 9112 App. C.2.2): nginx answers an
			// HTTP/1.0 keep-alive request with an HTTP/1.1 status line and
			// Keep-Alive; that is not a violation.
			name: "http10_keep_alive_not_reported",
			v10:  true,
			req:  []h1test.Opt{h1test.Connection("Keep-Alive")},
			rsp:  []h1test.Opt{h1test.Connection("keep-alive"), h1test.KeepAlive("timeout=5")},
		},
		{
			name: "via_with_proxy_connection",
			tgt:  "http://192.0.2.2:8080/x",
			req:  []h1test.Opt{h1test.Via("1.1 proxy"), h1test.ProxyConnection("keep-alive")},
			want: []hit{{IssueForwarded, "proxy-connection", "request", report.SeverityWarning}},
		},
		{
			name: "upgrade_without_connection_option",
			req:  []h1test.Opt{func(m *httpdecode.Message) { m.Upgrade = "websocket" }},
			want: []hit{{IssueUpgradeUnlisted, "upgrade", "request", report.SeverityWarning}},
		},
		{
			name: "clean_messages",
			req:  []h1test.Opt{h1test.Connection("keep-alive, X-Hop")},
			rsp:  []h1test.Opt{h1test.Connection("close")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tgt := tc.tgt
			if tgt == "" {
				tgt = "/x"
			}
			q := h1test.Req("GET", tgt, 1*ms, 1*ms, tc.req...)
			r := h1test.Resp(200, 10, 2*ms, 3*ms, tc.rsp...)
			if tc.v10 {
				h1test.V10(q)
			}
			c := h1test.NewConn(1, 40000, 0).Add(q, r).Add(
				h1test.Req("GET", tgt, 4*ms, 4*ms, tc.req...), h1test.Resp(200, 10, 5*ms, 6*ms, tc.rsp...))
			if tc.v10 {
				h1test.V10(c.Exchanges[1].Request)
			}
			fs := h1test.Play(New(analysis.Config{}), nil, c)
			if len(fs) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tc.want), fs)
			}
			for i, w := range tc.want {
				f := fs[i]
				ev := f.Evidence
				if f.Kind != Kind || ev["issue"] != w.issue || ev["field"] != w.field || ev["direction"] != w.dir || f.Severity != w.sev {
					t.Errorf("finding %d: %s %v, want %+v", i, f.Severity, ev, w)
				}
				// Two messages on one connection: one finding with count 2,
				// linked to the connection but not to one transaction.
				if f.Count != 2 || f.Connection == nil || f.Transaction != nil || f.Peer != h1test.Peer {
					t.Errorf("finding %d aggregation: %+v", i, f)
				}
			}
		})
	}
}
