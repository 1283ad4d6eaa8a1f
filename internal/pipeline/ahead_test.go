package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/registry"
	"connscope/capture"
	"connscope/flow"
	"connscope/report"
)

// keepAliveCapture builds one persistent connection carrying n GET
// exchanges, then closed by the client.
func keepAliveCapture(t *testing.T, n int) []byte {
	t.Helper()
	w, c, must := testConn(t)
	must(c.Handshake(time.Millisecond))
	for i := range n {
		c.Advance(time.Millisecond)
		must(c.ClientSend([]byte(fmt.Sprintf("GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i))))
		c.Advance(time.Millisecond)
		must(c.ServerSend([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")))
		must(c.ClientACK())
	}
	must(c.Close())
	return w.Bytes()
}

// txProbe is an analyser that lists the batches of transaction records
// and the connection records it is shown.
type txProbe struct{ log []string }

func (p *txProbe) Name() string                            { return "tx_probe" }
func (p *txProbe) Finish(*report.Report, analysis.Emitter) {}
func (p *txProbe) Record(rc *report.Connection)            { p.log = append(p.log, fmt.Sprint(rc.ID, ":record")) }
func (p *txProbe) Transactions(id flow.ConnID, txs []report.Transaction) {
	p.log = append(p.log, fmt.Sprintf("%d:%d-%d", id, txs[0].Index, txs[len(txs)-1].Index))
}

// TestTransactionsAhead: with a record log, a long-lived connection's
// transaction records go to the analysers and the log in batches of
// DefaultTransactionsAhead as they accumulate, the rest with its record;
// the report is the same as the one whose records are in its lists
// (on one goroutine or in stages, the log spilling often).
func TestTransactionsAhead(t *testing.T) {
	const ahead = DefaultTransactionsAhead
	n := 2*ahead + 10
	data := keepAliveCapture(t, n)
	run := func(log bool, workers int) (string, string) {
		t.Helper()
		src, err := capture.OpenReader("keepalive.pcap", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		probe := &txProbe{}
		cfg := DefaultConfig()
		cfg.Analyzers = append(registry.Default(), analysis.Factory{Name: "tx_probe", New: func(analysis.Config) analysis.Analyzer { return probe }})
		cfg.RecordLog = RecordLogConfig{On: log, Memory: 4096, Dir: t.TempDir()}
		cfg.Workers = workers
		rep, err := Run(context.Background(), src, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer rep.Deferred.Close()
		var out bytes.Buffer
		if err := report.WriteJSON(&out, rep); err != nil {
			t.Fatal(err)
		}
		return out.String(), strings.Join(probe.log, " ")
	}
	want, seen := run(false, 2)
	if w := fmt.Sprintf("1:0-%d 1:record", n-1); seen != w {
		t.Fatalf("without a record log the analysers saw %s, want %s", seen, w)
	}
	for _, workers := range []int{2, 1} {
		got, seen := run(true, workers)
		if w := fmt.Sprintf("1:0-%d 1:%d-%d 1:%d-%d 1:record", ahead-1, ahead, 2*ahead-1, 2*ahead, n-1); seen != w {
			t.Errorf("workers %d: the analysers saw %s, want %s", workers, seen, w)
		}
		if got != want {
			t.Errorf("workers %d: the report differs from the one without a record log", workers)
		}
	}
}
