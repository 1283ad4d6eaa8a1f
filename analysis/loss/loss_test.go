package loss_test

import (
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/eventgen"
	"connscope/analysis/loss"
	"connscope/report"
)

const (
	ms = time.Millisecond
	cl = "192.0.2.1:40000"
	sv = "192.0.2.2:80"
)

var (
	c2s = eventgen.C2S
	s2c = eventgen.S2C
)

// want describes the expected finding of one kind ("" severity: none).
type want struct {
	severity string
	count    int
	evidence map[string]any
}

func check(t *testing.T, fs []report.Finding, kind string, w want) {
	t.Helper()
	var got []report.Finding
	for _, f := range fs {
		if f.Kind == kind {
			got = append(got, f)
		}
	}
	if w.severity == "" {
		if len(got) != 0 {
			t.Fatalf("%s: got %+v, want none", kind, got)
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("%s: got %d findings, want 1 (%+v)", kind, len(got), fs)
	}
	f := got[0]
	if f.Severity != w.severity || f.Count != w.count {
		t.Fatalf("%s: severity %s count %d, want %s %d (%s)", kind, f.Severity, f.Count, w.severity, w.count, f.Summary)
	}
	if f.Connection == nil || f.At == "" {
		t.Fatalf("%s: connection or time missing: %+v", kind, f)
	}
	for k, v := range w.evidence {
		if got := f.Evidence[k]; got != v {
			if m, ok := f.Evidence["by_class"].(map[string]any); ok && m[k] == v {
				continue
			}
			t.Fatalf("%s: evidence %s = %v (%T), want %v; evidence %v", kind, k, got, got, v, f.Evidence)
		}
	}
}

func TestLoss(t *testing.T) {
	tests := []struct {
		name       string
		script     func(w *eventgen.World)
		retrans    want
		zeroWindow want
	}{
		{
			name: "clean transfer: nothing",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				for i := 0; i < 10; i++ {
					c.Send(s2c, time.Duration(100+i)*ms, 1460)
				}
				c.Ack(c2s, 125*ms)
				c.Close(time.Second)
			},
		},
		{
			name: "timeout retransmission",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(s2c, 100*ms, 1000)
				c.SendAt(s2c, 400*ms, 1, 1000, analysis.SegRetransmission)
				c.Ack(c2s, 410*ms)
				c.Close(time.Second)
			},
			retrans: want{report.SeverityWarning, 1, map[string]any{"rto": 1, "loss_downstream": 1, "rto_wait_us": int64(300000)}},
		},
		{
			name: "fast retransmission after duplicate ACKs",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				for i := 0; i < 6; i++ {
					c.Send(s2c, 100*ms+time.Duration(i)*100*time.Microsecond, 1460)
				}
				c.AckTo(c2s, 120*ms, 1+1460)
				c.DupAck(c2s, 121*ms)
				c.AckTo(c2s, 122*ms, 1+1460) // duplicate by the Wireshark rule (same ack and window)
				c.DupAck(c2s, 123*ms)
				c.SendAt(s2c, 124*ms, 1+1460, 1460, analysis.SegRetransmission)
				c.Ack(c2s, 140*ms)
				c.Close(time.Second)
			},
			retrans: want{report.SeverityInfo, 1, map[string]any{"fast": 1, "dup_acks": 3}},
		},
		{
			name: "spurious retransmission of acknowledged data",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(s2c, 100*ms, 1000)
				c.Ack(c2s, 120*ms)
				c.SendAt(s2c, 121*ms, 1, 1000, analysis.SegRetransmission)
				c.Close(time.Second)
			},
			retrans: want{report.SeverityInfo, 1, map[string]any{"spurious": 1, "spurious_crossed": 1}},
		},
		{
			name: "tail-loss probe",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(s2c, 100*ms, 1460)
				c.Send(s2c, 100*ms, 500)
				c.AckTo(c2s, 120*ms, 1+1460)
				c.SendAt(s2c, 160*ms, 1+1460, 500, analysis.SegRetransmission) // 60 ms ≥ 2·SRTT(20), < 0.8·200
				c.Ack(c2s, 180*ms)
				c.Close(time.Second)
			},
			retrans: want{report.SeverityInfo, 1, map[string]any{"tlp": 1}},
		},
		{
			name: "keep-alives are not retransmissions",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(c2s, 100*ms, 100)
				c.Ack(s2c, 120*ms)
				for i := 1; i <= 3; i++ {
					at := time.Duration(i) * 75 * time.Second
					c.SendAt(c2s, at, 100, 1, analysis.SegNew) // classified by our own rule
					c.AckTo(s2c, at+20*ms, 101)
				}
				c.SendAt(c2s, 300*time.Second, 100, 0, analysis.SegKeepAlive)
				c.Close(301 * time.Second)
			},
		},
		{
			name: "capture gap later acknowledged is not loss",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(s2c, 100*ms, 1460)
				c.Skip(s2c, 1460) // never captured
				c.Send(s2c, 101*ms, 1460)
				c.Ack(c2s, 120*ms)
				c.Close(time.Second)
			},
		},
		{
			name: "reordering within T_ooo is not a retransmission",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(s2c, 100*ms, 1460)
				c.Skip(s2c, 1460)
				c.Send(s2c, 101*ms, 1460)
				c.SendAt(s2c, 102*ms, 1+1460, 1460, analysis.SegOutOfOrder)
				c.Ack(c2s, 120*ms)
				c.Close(time.Second)
			},
		},
		{
			name: "hole filled late is an upstream loss",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(s2c, 100*ms, 1460)
				c.Skip(s2c, 1460)
				c.Send(s2c, 101*ms, 1460)
				c.AckTo(c2s, 110*ms, 1+1460)
				c.SendAt(s2c, 400*ms, 1+1460, 1460, analysis.SegNew)
				c.Ack(c2s, 410*ms)
				c.Close(time.Second)
			},
			retrans: want{report.SeverityWarning, 1, map[string]any{"loss_upstream": 1, "rto": 1}},
		},
		{
			name: "SYN retries are not retransmissions here",
			script: func(w *eventgen.World) {
				c := w.Open(cl, sv, 0)
				c.RawKind(c2s, 0, 0, 0, analysis.FlagSYN, 0, analysis.SegNew)
				c.RawKind(c2s, time.Second, 0, 0, analysis.FlagSYN, 0, analysis.SegRetransmission)
				c.Raw(s2c, time.Second+10*ms, 0, 1, analysis.FlagSYN|analysis.FlagACK, 0)
				c.Close(2 * time.Second)
			},
		},
		{
			name: "long zero-window episode with probes",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(s2c, 100*ms, 1460)
				c.Window(c2s, 0)
				c.Ack(c2s, 110*ms)
				c.Send(s2c, 310*ms, 1) // zero-window probe by our rule
				c.Ack(c2s, 320*ms)
				c.Window(c2s, 1000)
				c.Ack(c2s, 610*ms)
				c.Close(time.Second)
			},
			zeroWindow: want{report.SeverityWarning, 1, map[string]any{"side": "client", "longest_us": int64(500000), "probes": 1}},
		},
		{
			name: "short zero window is info; a tiny reopening does not end it",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(c2s, 100*ms, 1460)
				c.Window(s2c, 0)
				c.Ack(s2c, 110*ms)
				c.Window(s2c, 1) // 128 bytes with scale 7: below one MSS
				c.Ack(s2c, 112*ms)
				c.Window(s2c, 500)
				c.Ack(s2c, 115*ms)
				c.Close(time.Second)
			},
			zeroWindow: want{report.SeverityInfo, 1, map[string]any{"side": "server", "longest_us": int64(5000)}},
		},
		{
			name: "RST with window 0 is no zero window",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Window(s2c, 0)
				c.RST(s2c, 100*ms)
				c.Close(100 * ms)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := eventgen.New(loss.New(loss.Config{}))
			tc.script(w)
			fs := w.Finish()
			check(t, fs, loss.KindRetransmission, tc.retrans)
			check(t, fs, loss.KindZeroWindow, tc.zeroWindow)
		})
	}
}

func TestKindsDocumented(t *testing.T) {
	for _, k := range loss.Factory().Kinds {
		t.Run(k.Kind, func(t *testing.T) {
			if k.Title == "" || len(k.Explain) < 200 || k.Severity == "" {
				t.Fatalf("kind %s poorly documented", k.Kind)
			}
		})
	}
}
