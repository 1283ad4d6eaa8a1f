package loss_test

import (
	"testing"

	"connscope/analysis/loss"
	"connscope/internal/pipeline/pipelinetest"
)

// TestCaptures: the LAN lab captures have no loss, no reordering and no
// zero window (veth, no qdisc), so nothing may fire on them — keep-alives,
// SYN retries, FIN/RST handling and pipelined segments included. The
// exceptions are checked against what the captures show (tshark agrees):
// in rst_unread the server stops reading, its window closes (the 413 goes
// out with window 0) and the client's last small segment is re-sent once as
// a tail-loss probe; in the lossy downloads the delay line dropped 21
// server→client frames, so both the client-side view (holes filled a round
// trip later: loss upstream of the capture point) and the server-side view
// (segments sent twice: loss downstream) count 21 retransmissions.
func TestCaptures(t *testing.T) {
	want := map[string]map[string]int{
		"rst_unread.pcap.gz":            {"tcp_retransmission/info": 1, "tcp_zero_window/info": 1},
		"lossy_download_client.pcap.gz": {"tcp_retransmission/warning": 1},
		"lossy_download_server.pcap.gz": {"tcp_retransmission/warning": 1},
		// HTTP/2 streams over a lossy delay line (made for head-of-line
		// blocking): the loss is expected, its count is not fixed here.
		"h2c_hol.pcap.gz": {"tcp_retransmission/warning": 1},
	}
	retrans := map[string]int{"rst_unread.pcap.gz": 1, "lossy_download_client.pcap.gz": 21, "lossy_download_server.pcap.gz": 21}
	for _, name := range pipelinetest.Captures(t) {
		t.Run(name, func(t *testing.T) {
			rep := pipelinetest.Run(t, name, loss.Factory())
			got, exp := pipelinetest.Kinds(rep), want[name]
			if len(got) != len(exp) {
				t.Fatalf("got %v, want %v", got, exp)
			}
			for k, n := range exp {
				if got[k] != n {
					t.Fatalf("got %v, want %v", got, exp)
				}
			}
			for _, f := range rep.Findings {
				if n, ok := retrans[name]; ok && f.Kind == loss.KindRetransmission && f.Count != n {
					t.Errorf("%d retransmissions, want %d: %s", f.Count, retrans[name], f.Summary)
				}
			}
		})
	}
}
