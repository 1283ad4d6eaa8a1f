package quicdetect

import (
	"testing"

	"connscope/analysis/internal/h1/h1test"
	"connscope/report"
)

func TestFinish(t *testing.T) {
	cases := []struct {
		name  string
		conns []report.Connection
		want  []map[string]any
	}{
		{"h3_and_tcp", []report.Connection{
			{ID: 1, Transport: "tcp", Protocol: "http/1.1"},
			{ID: 2, Transport: "udp", Protocol: "quic", Start: "2024-01-01T00:00:00.000000000Z", QUIC: &report.ConnQUIC{Version: "1", SNI: "example.com", ALPN: []string{"h3"}, ClientHello: true, ServerResponded: true}},
		}, []map[string]any{{"version": "1", "sni": "example.com", "h3": true, "server_responded": true}}},
		{"doq_no_h3", []report.Connection{
			{ID: 3, Transport: "udp", Protocol: "quic", QUIC: &report.ConnQUIC{Version: "2", ALPN: []string{"doq"}}},
		}, []map[string]any{{"version": "2", "h3": false, "sni": ""}}},
		{"grease_only", []report.Connection{
			{ID: 4, Transport: "udp", Protocol: "quic", QUIC: &report.ConnQUIC{Version: "grease", VersionNegotiation: true}},
		}, []map[string]any{{"version": "grease", "h3": false, "version_negotiation": true}}},
		{"none", []report.Connection{{ID: 1, Transport: "tcp"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := &report.Report{Connections: c.conns}
			var rec h1test.Recorder
			h1test.FinishRecords(&analyzer{}, rep, &rec)
			fs := rec.Findings
			if len(fs) != len(c.want) {
				t.Fatalf("%d findings, want %d", len(fs), len(c.want))
			}
			for i, w := range c.want {
				if fs[i].Kind != Kind || fs[i].Connection == nil {
					t.Errorf("finding %+v", fs[i])
				}
				for k, v := range w {
					if fs[i].Evidence[k] != v {
						t.Errorf("evidence %s = %v, want %v", k, fs[i].Evidence[k], v)
					}
				}
			}
		})
	}
}
