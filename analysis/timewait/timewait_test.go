package timewait_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/eventgen"
	"connscope/analysis/timewait"
	"connscope/report"
)

const (
	ms = time.Millisecond
	sv = "192.0.2.2:80"
)

// short scripts one short connection from port at offset at, closed after
// 2 ms by closer ("client", "server" or "rst").
func short(w *eventgen.World, port int, at time.Duration, closer string) {
	c := w.Handshake(fmt.Sprintf("192.0.2.1:%d", port), sv, at, 100*time.Microsecond, 50*time.Microsecond, 1460)
	end := at + 2*ms
	switch closer {
	case "client":
		c.FIN(eventgen.C2S, end-ms)
		c.FIN(eventgen.S2C, end)
	case "server":
		c.FIN(eventgen.S2C, end-ms)
		c.FIN(eventgen.C2S, end)
	case "rst":
		c.RST(eventgen.C2S, end)
	}
	c.Close(end)
}

func TestTimeWait(t *testing.T) {
	tests := []struct {
		name   string
		cfg    analysis.Config
		script func(w *eventgen.World)
		want   []string // kind/severity, sorted
		peak   int
		reuse  int
		ev     map[string]any // evidence of the first finding of kind evKind
		evKind string
	}{
		{
			name: "3000 connections cycling through 300 ports, client closes first",
			script: func(w *eventgen.World) {
				for i := 0; i < 3000; i++ {
					short(w, 40000+i%300, time.Duration(i)*10*ms, "client")
				}
			},
			want:   []string{"tcp_port_exhaustion_risk/error", "tcp_time_wait_churn/error", "tcp_time_wait_reuse/warning"},
			peak:   300,
			reuse:  2700,
			evKind: timewait.KindChurn,
			ev:     map[string]any{"range_source": "observed", "range_ports": 300, "new_conn_rate_per_s": 100.0, "ports_needed": 6000},
		},
		{
			name: "server closes first: client ports are not held",
			script: func(w *eventgen.World) {
				for i := 0; i < 3000; i++ {
					short(w, 40000+i%300, time.Duration(i)*10*ms, "server")
				}
			},
			want:   []string{"tcp_time_wait_reuse/warning"},
			reuse:  2700,
			evKind: timewait.KindReuse,
			ev:     map[string]any{"time_wait_holder": "server"},
		},
		{
			name: "resets leave no TIME_WAIT: fast reuse is fine",
			script: func(w *eventgen.World) {
				for i := 0; i < 100; i++ {
					short(w, 40000+i%10, time.Duration(i)*10*ms, "rst")
				}
			},
		},
		{
			name: "slow client: one connection per second",
			script: func(w *eventgen.World) {
				for i := 0; i < 100; i++ {
					short(w, 33000+i, time.Duration(i)*time.Second, "client")
				}
			},
			peak: 60,
		},
		{
			name: "fast churn against a small configured range",
			cfg:  analysis.Config{PortRangeLo: 50000, PortRangeHi: 50999},
			script: func(w *eventgen.World) {
				for i := 0; i < 200; i++ {
					short(w, 50000+i, time.Duration(i)*10*ms, "client")
				}
			},
			want:   []string{"tcp_time_wait_churn/error"},
			peak:   200,
			evKind: timewait.KindChurn,
			ev:     map[string]any{"range_source": "config", "range_ports": 1000, "capacity_per_s": 16.67},
		},
		{
			name: "churn at 60 % of a 120-s Windows-like range is a warning",
			cfg:  analysis.Config{PortRangeLo: 49152, PortRangeHi: 65535, TimeWait: 120 * time.Second},
			script: func(w *eventgen.World) {
				// 82 connections per second for 5 s: 82 × 120 = 9840 ports ≈ 60 %.
				for i := 0; i < 410; i++ {
					short(w, 49152+i, time.Duration(i)*time.Second/82, "client")
				}
			},
			want: []string{"tcp_time_wait_churn/warning"},
			peak: 410,
		},
		{
			name: "one reuse of a server-held TIME_WAIT names the connection",
			script: func(w *eventgen.World) {
				short(w, 41000, 0, "server")
				short(w, 41000, 5*time.Second, "client")
			},
			want:   []string{"tcp_time_wait_reuse/warning"},
			peak:   1,
			reuse:  1,
			evKind: timewait.KindReuse,
			ev:     map[string]any{"time_wait_holder": "server", "min_reuse_interval_us": int64(4998000)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := eventgen.New(timewait.New(tc.cfg, timewait.Config{}))
			w.Report.Peers = []report.Peer{{Client: "192.0.2.1", Server: sv}}
			tc.script(w)
			fs := w.Finish()
			var got []string
			var evf *report.Finding
			for i, f := range fs {
				got = append(got, f.Kind+"/"+f.Severity)
				if f.Peer != "192.0.2.1 -> "+sv || f.At == "" {
					t.Errorf("bad peer or time: %+v", f)
				}
				if f.Kind == tc.evKind && evf == nil {
					evf = &fs[i]
				}
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.ev {
				if evf.Evidence[k] != v {
					t.Errorf("%s evidence %s = %v (%T), want %v", evf.Kind, k, evf.Evidence[k], evf.Evidence[k], v)
				}
			}
			if evf != nil && evf.Kind == timewait.KindReuse {
				if evf.Count != tc.reuse || (tc.reuse == 1) != (evf.Connection != nil) {
					t.Errorf("reuse count %d connection %v", evf.Count, evf.Connection)
				}
			}
			row := w.Report.Peers[0]
			if row.TimeWaitPeak != tc.peak || row.TimeWaitReuse != tc.reuse {
				t.Errorf("peer row peak %d reuse %d, want %d %d", row.TimeWaitPeak, row.TimeWaitReuse, tc.peak, tc.reuse)
			}
		})
	}
}

func TestPeerLimit(t *testing.T) {
	w := eventgen.New(timewait.New(analysis.Config{MaxPeers: 1}, timewait.Config{}))
	short(w, 40000, 0, "client")
	c := w.Handshake("192.0.2.9:40000", sv, ms, ms, ms, 1460)
	c.Close(10 * ms)
	w.Finish()
	if got := w.Report.Capture.Anomalies[timewait.AnomalyPeerLimit]; got != 1 {
		t.Fatalf("anomaly count %d, want 1", got)
	}
}
