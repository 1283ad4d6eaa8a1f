package h2hol

import (
	"testing"

	"connscope/analysis/internal/h1/h1test"
	"connscope/report"
)

type collect struct{ fs []report.Finding }

func (c *collect) Emit(f report.Finding) { c.fs = append(c.fs, f) }

func ev(hold int64, streams ...uint32) report.H2HOLEvent {
	return report.H2HOLEvent{Direction: "server_to_client", At: "2024-01-01T00:00:01.000000000Z", HoldUS: hold, HeldBytes: 1000, Streams: streams, Cause: "retransmission"}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name    string
		rtt     int64
		p50     int64
		events  []report.H2HOLEvent
		count   int
		source  string
		blocked []uint32
	}{
		{"two_streams_held_over_rtt", 20000, 0, []report.H2HOLEvent{ev(30000, 3, 5)}, 1, "handshake", []uint32{3, 5}},
		{"one_stream_is_not_hol", 20000, 0, []report.H2HOLEvent{ev(30000, 3)}, 0, "", nil},
		{"reordering_under_rtt", 20000, 0, []report.H2HOLEvent{ev(500, 3, 5, 7)}, 0, "", nil},
		{"data_ack_rtt_when_no_handshake", 0, 10000, []report.H2HOLEvent{ev(15000, 1, 3), ev(9000, 5, 7)}, 1, "data_ack_p50", []uint32{1, 3}},
		{"fallback_rto_without_rtt", 0, 0, []report.H2HOLEvent{ev(150000, 1, 3), ev(250000, 3, 9)}, 1, "fallback_min_rto", []uint32{3, 9}},
		{"union_of_streams", 1000, 0, []report.H2HOLEvent{ev(2000, 1, 3), ev(5000, 3, 5)}, 2, "handshake", []uint32{1, 3, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := report.Connection{ID: 1, Client: "c:1", Server: "s:2", H2: &report.ConnH2{Mode: "prior_knowledge", HOLEvents: tc.events}}
			c.Handshake.RTTUS = tc.rtt
			if tc.p50 > 0 {
				c.TCP.RTTUS = &report.RTT{P50: tc.p50, Samples: 3}
			}
			var out collect
			h1test.FinishRecords(New(), &report.Report{Connections: []report.Connection{c}}, &out)
			if len(out.fs) != min(tc.count, 1) {
				t.Fatalf("findings %+v", out.fs)
			}
			if tc.count == 0 {
				return
			}
			f := out.fs[0]
			got, _ := f.Evidence["streams_blocked"].([]uint32)
			if f.Kind != Kind || f.Count != tc.count || f.Evidence["rtt_source"] != tc.source || len(got) != len(tc.blocked) {
				t.Fatalf("%+v", f)
			}
			for i := range got {
				if got[i] != tc.blocked[i] {
					t.Fatalf("streams_blocked %v, want %v", got, tc.blocked)
				}
			}
		})
	}
}
