package tsg_test

import (
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/eventgen"
	"connscope/analysis/tsg"
	"connscope/report"
)

const ms = time.Millisecond

// script runs n connections through one analyser: connection i sends one
// 1000-byte request that the server acks, with i retransmissions of it (so
// higher ids are more troubled), then both sides close.
func script(cfg analysis.Config, n int) *report.Report {
	w := eventgen.New(tsg.New(cfg))
	for i := 0; i < n; i++ {
		at := time.Duration(i) * 100 * ms
		c := w.Handshake("10.0.0.1:4000"+string(rune('0'+i%10)), "10.0.0.2:80", at, ms, ms, 1460)
		c.Window(eventgen.S2C, 512)
		seq := c.Next(eventgen.C2S)
		end := c.Send(eventgen.C2S, at+3*ms, 1000)
		for k := 0; k < i; k++ {
			c.SendAt(eventgen.C2S, at+time.Duration(4+k)*ms, seq, 1000, analysis.SegRetransmission)
		}
		c.AckTo(eventgen.S2C, at+20*ms, end)
		c.FIN(eventgen.C2S, at+30*ms)
		c.FIN(eventgen.S2C, at+31*ms)
		c.Ack(eventgen.C2S, at+32*ms)
		c.Close(at + 32*ms)
	}
	w.Finish()
	return w.Report
}

func withSeries(r *report.Report) map[uint32]*report.TimeSeq {
	out := map[uint32]*report.TimeSeq{}
	for i := range r.Connections {
		if s := r.Connections[i].Series; s != nil {
			out[r.Connections[i].ID] = s
		}
	}
	return out
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name string
		cfg  analysis.Config
		n    int
		want []uint32
	}{
		{"off by default: no series", analysis.Config{}, 3, nil},
		{"on: all when few", analysis.Config{Series: true}, 3, []uint32{1, 2, 3}},
		{"on: the most troubled only", analysis.Config{Series: true, SeriesConns: 2}, 5, []uint32{4, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := withSeries(script(tc.cfg, tc.n))
			if len(got) != len(tc.want) {
				t.Fatalf("series on %d connections, want %v", len(got), tc.want)
			}
			for _, id := range tc.want {
				if got[id] == nil {
					t.Errorf("connection %d has no series", id)
				}
			}
		})
	}
}

func TestPoints(t *testing.T) {
	s := withSeries(script(analysis.Config{Series: true}, 2))[2]
	if s == nil {
		t.Fatal("no series")
	}
	// SYN, SYN/ACK, ACK, data, retransmission, ACK, FIN, FIN, ACK.
	if len(s.Points) != 9 || s.MSS != 1460 {
		t.Fatalf("%d points, mss %d", len(s.Points), s.MSS)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"SYN flags", s.Points[0].Flags, "S"},
		{"SYN window not scaled (RFC 7323 §2.2)", s.Points[0].Window, int64(65535)},
		{"SYN has no ACK", s.Points[0].Ack, int64(-1)},
		{"SYN/ACK acks the ISN + 1", s.Points[1].Ack, int64(1)},
		{"data time since the connection start", s.Points[3].TRelUS, int64(3_000)},
		{"data kind", s.Points[3].Kind, report.SeqData},
		{"data len", s.Points[3].Len, 1000},
		{"data rel seq", s.Points[3].RelSeq, int64(1)},
		{"retransmission kind", s.Points[4].Kind, report.SeqRetransmission},
		{"server ack covers the data", s.Points[5].Ack, int64(1001)},
		{"server window scaled by 2^7", s.Points[5].Window, int64(512 << 7)},
		{"server direction", s.Points[5].Dir, 1},
		{"pure ack kind", s.Points[5].Kind, report.SeqAck},
		{"FIN flags", s.Points[6].Flags, "F"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestCaps(t *testing.T) {
	t.Run("per-connection cap", func(t *testing.T) {
		s := withSeries(script(analysis.Config{Series: true, SeriesMaxPoints: 4}, 2))[2]
		if len(s.Points) != 4 || s.Dropped != 5 {
			t.Fatalf("%d points, %d dropped; want 4 and 5", len(s.Points), s.Dropped)
		}
	})
	t.Run("live budget across open connections", func(t *testing.T) {
		// Budget LiveFactor × 1 × 3 = 12 points; 6 connections open at
		// once with 5 points each.
		w := eventgen.New(tsg.New(analysis.Config{Series: true, SeriesConns: 1, SeriesMaxPoints: 3}))
		var cs []*eventgen.Conn
		for i := 0; i < 6; i++ {
			c := w.Open("10.0.0.1:5000"+string(rune('0'+i)), "10.0.0.2:80", time.Duration(i)*ms)
			for k := 0; k < 5; k++ {
				c.Send(eventgen.C2S, time.Duration(10+k)*ms, 10)
			}
			cs = append(cs, c)
		}
		for i, c := range cs {
			c.Close(time.Duration(100+i) * ms)
		}
		w.Finish()
		got := withSeries(w.Report)
		if len(got) != 1 {
			t.Fatalf("%d series kept, want 1", len(got))
		}
		for id, s := range got {
			if len(s.Points)+s.Dropped != 5 {
				t.Errorf("connection %d: %d points + %d dropped, want 5", id, len(s.Points), s.Dropped)
			}
			if id > 4 && len(s.Points) != 0 {
				t.Errorf("connection %d recorded past the live budget", id)
			}
		}
	})
}
