package parallel

import (
	"testing"

	"connscope/analysis"
	"connscope/analysis/internal/h1/h1test"
	"connscope/report"
)

func TestParallel(t *testing.T) {
	peer := func(client, server string, max, conns int) report.Peer {
		return report.Peer{Client: client, Server: server, MaxParallel: max, Connections: conns, FirstSeen: "2023-11-14T22:13:20.000000000Z"}
	}
	conn := func(client, server string, payload uint64) report.Connection {
		return report.Connection{Client: client, Server: server, Payload: report.DirCounts{ClientToServer: payload}}
	}
	cases := []struct {
		name   string
		limit  int
		peers  []report.Peer
		conns  []report.Connection
		want   []string // peers flagged, in order
		unused []int
	}{
		{name: "six_is_the_norm", peers: []report.Peer{peer("192.0.2.1", "192.0.2.2:8080", 6, 12)}},
		{name: "eight_flagged", peers: []report.Peer{peer("192.0.2.1", "192.0.2.2:8080", 8, 8)},
			conns: []report.Connection{conn("192.0.2.1:40000", "192.0.2.2:8080", 0), conn("192.0.2.1:40001", "192.0.2.2:8080", 90), conn("192.0.2.9:40001", "192.0.2.2:8080", 0)},
			want:  []string{"192.0.2.1 -> 192.0.2.2:8080"}, unused: []int{1}},
		{name: "custom_limit", limit: 2, peers: []report.Peer{peer("192.0.2.1", "192.0.2.2:8080", 3, 3), peer("2001:db8::1", "[2001:db8::2]:443", 4, 4)},
			conns: []report.Connection{conn("[2001:db8::1]:5000", "[2001:db8::2]:443", 0)},
			want:  []string{"192.0.2.1 -> 192.0.2.2:8080", "2001:db8::1 -> [2001:db8::2]:443"}, unused: []int{0, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := &report.Report{Peers: tc.peers, Connections: tc.conns}
			fs := h1test.Play(New(analysis.Config{MaxParallel: tc.limit}), rep)
			if len(fs) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tc.want), fs)
			}
			for i, f := range fs {
				if f.Peer != tc.want[i] || f.Kind != Kind || f.Severity != report.SeverityWarning || f.Evidence["unused_connections"] != tc.unused[i] {
					t.Errorf("finding %d: %+v, want peer %s unused %d", i, f, tc.want[i], tc.unused[i])
				}
				if f.Evidence["max_parallel"].(int) <= f.Evidence["limit"].(int) {
					t.Errorf("finding %d below its limit: %v", i, f.Evidence)
				}
			}
		})
	}
}
