package reset_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/eventgen"
	"connscope/analysis/reset"
)

const (
	ms = time.Millisecond
	cl = "192.0.2.1:40000"
	sv = "192.0.2.2:80"
)

func TestReset(t *testing.T) {
	tests := []struct {
		name   string
		script func(w *eventgen.World)
		// want lists "kind/severity" of the findings, sorted.
		want     []string
		evidence map[string]any
	}{
		{
			name: "RST answering a SYN is refused, not a reset",
			script: func(w *eventgen.World) {
				c := w.Open(cl, sv, 0)
				c.Info.SYN = c.Info.Start
				c.Raw(eventgen.C2S, 0, 0, 0, analysis.FlagSYN, 0)
				c.RST(eventgen.S2C, 1*ms)
				c.Closed.Refused = true
				c.Close(1 * ms)
			},
			want:     []string{"tcp_connection_refused/warning"},
			evidence: map[string]any{"rst_after_us": int64(1000)},
		},
		{
			name: "SYN retries, then connected",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 3*time.Second, 10*ms, 10*ms, 1460)
				c.Info.Start = eventgen.Epoch // first SYN at 0, last at 3 s
				c.Closed.SYNRetries = 2
				c.FIN(eventgen.C2S, 4*time.Second)
				c.FIN(eventgen.S2C, 4*time.Second+ms)
				c.Close(4 * time.Second)
			},
			want:     []string{"tcp_syn_retry/warning"},
			evidence: map[string]any{"connect_delay_us": int64(3000000), "outcome": "completed", "syn_retries": 2},
		},
		{
			name: "server resets with unread request data",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, ms, ms, 1460)
				c.Send(eventgen.C2S, 10*ms, 1000)
				c.Send(eventgen.S2C, 11*ms, 200)
				c.RST(eventgen.S2C, 12*ms)
				c.Closed.RSTUnreadData = true
				c.Close(12 * ms)
			},
			want:     []string{"tcp_reset/warning"},
			evidence: map[string]any{"rst_by": "server", "phase": "data", "class": reset.ClassUnreadData, "unread_data": true},
		},
		{
			name: "abortive close after own FIN is info",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, ms, ms, 1460)
				c.Send(eventgen.C2S, 10*ms, 100)
				c.FIN(eventgen.C2S, 11*ms)
				c.RST(eventgen.C2S, 12*ms)
				c.Close(12 * ms)
			},
			want:     []string{"tcp_reset/info"},
			evidence: map[string]any{"rst_by": "client", "phase": "after_fin", "class": reset.ClassAfterFIN},
		},
		{
			name: "mid-stream reset is a warning",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, ms, ms, 1460)
				c.Send(eventgen.S2C, 10*ms, 1000)
				c.RST(eventgen.S2C, 500*ms)
				c.Close(500 * ms)
			},
			want:     []string{"tcp_reset/warning"},
			evidence: map[string]any{"rst_by": "server", "phase": "data", "class": reset.ClassMidstream},
		},
		{
			name: "client gives up during the handshake",
			script: func(w *eventgen.World) {
				c := w.Open(cl, sv, 0)
				c.Info.SYN = c.Info.Start
				c.Raw(eventgen.C2S, 0, 0, 0, analysis.FlagSYN, 0)
				c.Raw(eventgen.S2C, ms, 0, 1, analysis.FlagSYN|analysis.FlagACK, 0)
				c.RST(eventgen.C2S, 2*ms)
				c.Close(2 * ms)
			},
			want:     []string{"tcp_reset/info"},
			evidence: map[string]any{"phase": "handshake", "class": reset.ClassHandshake},
		},
		{
			name: "graceful close: nothing",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, ms, ms, 1460)
				c.FIN(eventgen.C2S, 10*ms)
				c.FIN(eventgen.S2C, 11*ms)
				c.Close(11 * ms)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := eventgen.New(reset.New())
			tc.script(w)
			fs := w.Finish()
			var got []string
			for _, f := range fs {
				got = append(got, f.Kind+"/"+f.Severity)
				if f.Connection == nil || f.At == "" || f.Summary == "" {
					t.Errorf("incomplete finding %+v", f)
				}
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.evidence {
				if fs[0].Evidence[k] != v {
					t.Errorf("evidence %s = %v, want %v", k, fs[0].Evidence[k], v)
				}
			}
			if len(fs) > 0 && fs[0].Kind == "tcp_syn_retry" && fs[0].Count != 2 {
				t.Errorf("count %d", fs[0].Count)
			}
		})
	}
}
