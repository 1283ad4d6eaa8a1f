package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/capture"
	"connscope/flow"
	"connscope/internal/pcapgen"
	"connscope/report"
)

// closeWatcher records what an analyser sees of each connection.
type closeWatcher struct {
	segs   map[flow.ConnID]int
	closed map[flow.ConnID]flow.Time // ConnClosed's End
	late   []string                  // events after a connection's ConnClosed
}

func (w *closeWatcher) Name() string                            { return "close_watcher" }
func (w *closeWatcher) Finish(*report.Report, analysis.Emitter) {}
func (w *closeWatcher) ConnOpened(*analysis.ConnInfo)           {}
func (w *closeWatcher) Segment(s *analysis.Segment) {
	if _, done := w.closed[s.Conn.ID]; done {
		w.late = append(w.late, fmt.Sprintf("segment of %d at %v", s.Conn.ID, s.Time))
	}
	w.segs[s.Conn.ID]++
}
func (w *closeWatcher) ConnClosed(c *analysis.ConnClosed) {
	if _, done := w.closed[c.Conn.ID]; done {
		w.late = append(w.late, fmt.Sprintf("second close of %d", c.Conn.ID))
	}
	w.closed[c.Conn.ID] = c.End
}

// TestSettledConnection: the analysers conclude a connection closed by FIN
// both ways a settle delay after both FINs were acknowledged; a FIN
// retransmitted later within the quiet linger, and its ACK, count in the
// connection's record (packets, end) but reach no analyser, the same with
// one goroutine and with the stages. Without a quiet linger the analysers
// see every packet.
func TestSettledConnection(t *testing.T) {
	w := pcapgen.New(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	c := pcapgen.NewConn(w, netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("192.0.2.2:80"), time.Unix(1700000000, 0))
	for _, err := range []error{
		c.Handshake(),
		c.ClientSend([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
		c.ServerSend([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
		c.ServerFIN(),
		c.ClientFIN(),
		c.ServerACK(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	closedAt := flow.Time(c.Now.Add(-c.Step).UnixNano())
	// The server's last ACK was lost past the capture point: the client
	// sends its FIN again after its RTO, and the server acknowledges it.
	c.Advance(400 * time.Millisecond)
	fin := c.Segment(true)
	fin.Seq, fin.Flags = c.ClientNext-1, pcapgen.FIN|pcapgen.ACK
	if err := c.Write(fin); err != nil {
		t.Fatal(err)
	}
	if err := c.ServerACK(); err != nil {
		t.Fatal(err)
	}
	lateAt := flow.Time(c.Now.Add(-c.Step).UnixNano())
	data := w.Bytes()

	run := func(workers int, quiet time.Duration) (*closeWatcher, *report.Report) {
		t.Helper()
		src, err := capture.OpenReader("settle.pcap", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		watcher := &closeWatcher{segs: map[flow.ConnID]int{}, closed: map[flow.ConnID]flow.Time{}}
		cfg := DefaultConfig()
		cfg.Workers = workers
		cfg.Tracker.QuietLinger = quiet
		cfg.Analyzers = []analysis.Factory{{Name: "close_watcher", New: func(analysis.Config) analysis.Analyzer { return watcher }}}
		rep, err := Run(context.Background(), src, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return watcher, rep
	}
	for _, workers := range []int{1, 2} {
		watcher, rep := run(workers, time.Second)
		if len(watcher.late) > 0 {
			t.Errorf("workers %d: %v", workers, watcher.late)
		}
		if len(rep.Connections) != 1 {
			t.Fatalf("workers %d: %d connections", workers, len(rep.Connections))
		}
		rc := rep.Connections[0]
		if got := rc.Packets.ClientToServer + rc.Packets.ServerToClient; got != 10 || rc.End != report.FormatTime(int64(lateAt)) {
			t.Errorf("workers %d: record has %d packets, end %s; want 10 and the late ACK's time", workers, got, rc.End)
		}
		if n, end := watcher.segs[1], watcher.closed[1]; n != 8 || end != closedAt {
			t.Errorf("workers %d: the analyser saw %d segments and a close ending at %v, want 8 and %v", workers, n, end, closedAt)
		}
	}
	watcher, _ := run(1, -1)
	if n, end := watcher.segs[1], watcher.closed[1]; n != 10 || end != lateAt || len(watcher.late) > 0 {
		t.Errorf("no quiet linger: the analyser saw %d segments and a close ending at %v (%v), want 10 and %v", n, end, watcher.late, lateAt)
	}
}
