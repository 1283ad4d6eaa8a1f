package rtt_test

import (
	"testing"

	"connscope/analysis/rtt"
	"connscope/internal/pipeline/pipelinetest"
)

// TestCaptures: every connection with a complete handshake gets RTT
// statistics, ordered min ≤ p50 ≤ max, with a minimum no larger than the
// handshake RTT and within the sub-millisecond range of a veth pair — or,
// for the captures made through the lab's delay line, within a few percent
// above its configured round trip — and the refused connection has none.
func TestCaptures(t *testing.T) {
	// Round trips of the delay-line captures (testdata/pcaps/README.md).
	delayed := map[string]int64{
		"slow_start_restart_client.pcap.gz": 80000,
		"slow_start_restart_server.pcap.gz": 80000,
		"lossy_download_client.pcap.gz":     20000,
		"lossy_download_server.pcap.gz":     20000,
		"h2c_hol.pcap.gz":                   20000,
	}
	for _, name := range pipelinetest.Captures(t) {
		t.Run(name, func(t *testing.T) {
			rep := pipelinetest.Run(t, name, rtt.Factory())
			for _, c := range rep.Connections {
				r := c.TCP.RTTUS
				if !c.Handshake.Complete {
					if r != nil && name == "refused.pcap" {
						t.Fatalf("refused connection has RTT %+v", *r)
					}
					continue
				}
				if r == nil {
					t.Fatalf("connection %d: no RTT", c.ID)
				}
				if r.Min <= 0 || r.Min > r.P50 || r.P50 > r.Max || r.Samples < 1 {
					t.Fatalf("connection %d: RTT %+v", c.ID, *r)
				}
				if hs := c.Handshake.RTTUS; hs > 0 && r.Min > hs {
					t.Fatalf("connection %d: min %d above handshake %d", c.ID, r.Min, hs)
				}
				if nominal, ok := delayed[name]; ok {
					if r.Min < nominal || r.Min > nominal*115/100 {
						t.Fatalf("connection %d: min %d µs through a %d µs delay line", c.ID, r.Min, nominal)
					}
				} else if r.Min > 1000 {
					t.Fatalf("connection %d: min %d µs on a veth pair", c.ID, r.Min)
				}
			}
		})
	}
}
