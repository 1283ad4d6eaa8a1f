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
	// txs counts the transaction records seen per connection, and
	// txsClosed those seen after its ConnClosed.
	txs, txsClosed map[flow.ConnID]int
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
func (w *closeWatcher) Transactions(id flow.ConnID, txs []report.Transaction) {
	w.txs[id] += len(txs)
	if _, done := w.closed[id]; done {
		w.txsClosed[id] += len(txs)
	}
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
// see every packet. With a record log the connection's transaction
// records go to it when the connection settles, before its close reaches
// the analysers, rather than with its record at the end of the linger.
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

	run := func(workers int, quiet time.Duration, log bool) (*closeWatcher, *report.Report) {
		t.Helper()
		src, err := capture.OpenReader("settle.pcap", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		watcher := &closeWatcher{segs: map[flow.ConnID]int{}, closed: map[flow.ConnID]flow.Time{},
			txs: map[flow.ConnID]int{}, txsClosed: map[flow.ConnID]int{}}
		cfg := DefaultConfig()
		cfg.Workers = workers
		cfg.Tracker.QuietLinger = quiet
		cfg.RecordLog = RecordLogConfig{On: log, Dir: t.TempDir()}
		cfg.Analyzers = []analysis.Factory{{Name: "close_watcher", New: func(analysis.Config) analysis.Analyzer { return watcher }}}
		rep, err := Run(context.Background(), src, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return watcher, rep
	}
	for _, workers := range []int{1, 2} {
		watcher, rep := run(workers, time.Second, false)
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
		if watcher.txs[1] != 1 || watcher.txsClosed[1] != 1 {
			t.Errorf("workers %d: %d transactions, %d after the close; want 1 with the record", workers, watcher.txs[1], watcher.txsClosed[1])
		}
		watcher, rep = run(workers, time.Second, true)
		defer rep.Deferred.Close()
		if len(watcher.late) > 0 || watcher.txs[1] != 1 || watcher.txsClosed[1] != 0 || rep.Deferred.Transactions() != 1 {
			t.Errorf("workers %d, record log: %d transactions, %d after the close, %d in the log (%v); want 1 before the close",
				workers, watcher.txs[1], watcher.txsClosed[1], rep.Deferred.Transactions(), watcher.late)
		}
	}
	watcher, _ := run(1, -1, false)
	if n, end := watcher.segs[1], watcher.closed[1]; n != 10 || end != lateAt || len(watcher.late) > 0 {
		t.Errorf("no quiet linger: the analyser saw %d segments and a close ending at %v (%v), want 10 and %v", n, end, watcher.late, lateAt)
	}
}
