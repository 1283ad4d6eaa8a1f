package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/registry"
	"connscope/capture"
	"connscope/flow"
	"connscope/report"
)

// fakeLive plays a capture file as a live Source: after the file's packets
// (or after pauseAfter of them, until resume is closed) Next returns
// capture.ErrTimeout every few milliseconds, as an idle interface does,
// unless eof is set. Like a real Source it reuses one payload buffer.
type fakeLive struct {
	src        capture.Source
	pauseAfter int
	resume     chan struct{}
	eof        bool
	ended      chan struct{} // closed when the file's packets are all read
	n          int
	pkt        capture.Packet
	buf        []byte
	dropped    uint64
}

func openFake(t *testing.T, path string) *fakeLive {
	t.Helper()
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return &fakeLive{src: src, pauseAfter: -1, ended: make(chan struct{})}
}

func (f *fakeLive) Next() (*capture.Packet, error) {
	if f.pauseAfter >= 0 && f.n >= f.pauseAfter {
		select {
		case <-f.resume:
			f.pauseAfter = -1
		case <-time.After(2 * time.Millisecond):
			return nil, capture.ErrTimeout
		}
	}
	p, err := f.src.Next()
	if errors.Is(err, io.EOF) {
		select {
		case <-f.ended:
		default:
			close(f.ended)
		}
	}
	if errors.Is(err, io.EOF) && !f.eof {
		time.Sleep(2 * time.Millisecond)
		return nil, capture.ErrTimeout
	}
	if err != nil {
		return nil, err
	}
	f.n++
	f.pkt = *p
	f.buf = append(f.buf[:0], p.Payload...)
	f.pkt.Payload = f.buf
	return &f.pkt, nil
}

func (f *fakeLive) Stats() capture.Stats {
	st := f.src.Stats()
	st.Dropped = f.dropped
	return st
}

func (f *fakeLive) Close() error { return nil }

func testCapture(name string) string {
	return filepath.Join("..", "..", "testdata", "pcaps", name)
}

func offline(t *testing.T, path string, cfg Config) *report.Report {
	t.Helper()
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, err := Run(context.Background(), src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func toJSON(t *testing.T, rep *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// counting is a Source of n TCP packets whose payload is the packet's
// number, reusing one buffer, then io.EOF.
type counting struct {
	n, i int
	pkt  capture.Packet
	buf  [8]byte
}

func (c *counting) Next() (*capture.Packet, error) {
	if c.i == c.n {
		return nil, io.EOF
	}
	c.i++
	c.buf[0], c.buf[1] = byte(c.i>>8), byte(c.i)
	c.pkt = capture.Packet{Index: uint64(c.i), Proto: capture.ProtoTCP, PayloadLen: 2, Payload: c.buf[:2]}
	return &c.pkt, nil
}
func (c *counting) Stats() capture.Stats { return capture.Stats{Packets: uint64(c.i)} }
func (c *counting) Close() error         { return nil }

// TestLiveReaderOverflow stalls the analysis side: the reader fills the
// queue and its own batch, then drops and counts every further packet
// instead of blocking, and the kept payloads are intact copies.
func TestLiveReaderOverflow(t *testing.T) {
	tests := []struct {
		name                string
		total, batch, queue int
		arena               int
		wantKept            int
	}{
		{"packet-limited batches", 1000, 10, 3, 1 << 10, 40},
		{"arena-limited batches", 1000, 100, 2, 8, 12},
		{"everything fits", 30, 10, 4, 1 << 10, 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lc := LiveConfig{BatchPackets: tc.batch, QueueBatches: tc.queue, ArenaBytes: tc.arena, FlushEvery: time.Hour}.withDefaults()
			rd := newLiveReader(&counting{n: tc.total}, lc)
			done := make(chan struct{})
			go func() { rd.run(); close(done) }()
			// Nothing is consumed until the source has ended; the reader
			// then blocks only on handing over its last batch.
			deadline := time.Now().Add(5 * time.Second)
			for rd.overflow.Load()+uint64(tc.wantKept) < uint64(tc.total) && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			var got []int
			for b := range rd.full {
				for _, p := range b.pkts {
					got = append(got, int(p.Payload[0])<<8|int(p.Payload[1]))
					if uint64(got[len(got)-1]) != p.Index {
						t.Fatalf("packet %d carries payload of packet %d", p.Index, got[len(got)-1])
					}
				}
				b.reset()
				rd.free <- b
			}
			<-done
			if len(got) != tc.wantKept {
				t.Errorf("kept %d packets, want %d", len(got), tc.wantKept)
			}
			if ov := rd.overflow.Load(); int(ov)+len(got) != tc.total {
				t.Errorf("kept %d + dropped %d != read %d", len(got), ov, tc.total)
			}
			if !sort.IntsAreSorted(got) {
				t.Errorf("packets out of order: %v", got)
			}
			if rd.final.Packets != uint64(tc.total) {
				t.Errorf("final stats packets = %d, want %d", rd.final.Packets, tc.total)
			}
		})
	}
}

func TestWithOverflow(t *testing.T) {
	in := capture.Stats{Dropped: 5, Anomalies: map[string]uint64{"x": 1}}
	out := withOverflow(in, 7)
	if out.Dropped != 12 || out.Anomalies[AnomalyLiveQueueOverflow] != 7 || out.Anomalies["x"] != 1 {
		t.Errorf("got %+v", out)
	}
	if _, ok := in.Anomalies[AnomalyLiveQueueOverflow]; ok {
		t.Errorf("input stats modified")
	}
	if same := withOverflow(in, 0); same.Dropped != 5 {
		t.Errorf("no overflow changed dropped to %d", same.Dropped)
	}
}

// TestRunLiveMatchesOffline: a live run over a capture's packets (ended
// by Duration, by Count, by cancellation, or by the source) reports the
// same connections and requests as the offline run.
func TestRunLiveMatchesOffline(t *testing.T) {
	path := testCapture("curl_reuse.pcap")
	want := offline(t, path, DefaultConfig())
	tests := []struct {
		name            string
		lc              LiveConfig
		cancel, eof     bool
		wantInterrupted bool
	}{
		{"duration", LiveConfig{Duration: time.Second}, false, false, false},
		{"count", LiveConfig{Count: want.Capture.Decoded}, false, false, false},
		{"cancel", LiveConfig{}, true, false, true},
		{"source ends", LiveConfig{}, false, true, false},
		{"tiny batches", LiveConfig{Duration: time.Second, BatchPackets: 1, QueueBatches: 1000, ArenaBytes: 64}, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := openFake(t, path)
			f.eof = tc.eof
			f.dropped = 3
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				go func() { <-f.ended; cancel() }()
			}
			got, err := RunLive(ctx, f, DefaultConfig(), tc.lc)
			if err != nil {
				t.Fatal(err)
			}
			if got.Summary.TCPConnections != want.Summary.TCPConnections || got.Summary.HTTPRequests != want.Summary.HTTPRequests {
				t.Errorf("live: %d connections %d requests; offline: %d, %d", got.Summary.TCPConnections, got.Summary.HTTPRequests,
					want.Summary.TCPConnections, want.Summary.HTTPRequests)
			}
			if got.Interrupted != tc.wantInterrupted {
				t.Errorf("interrupted = %v, want %v", got.Interrupted, tc.wantInterrupted)
			}
			if got.Capture.Dropped != 3 {
				t.Errorf("dropped = %d, want the source's 3", got.Capture.Dropped)
			}
			if got.Capture.Decoded != want.Capture.Decoded {
				t.Errorf("decoded = %d, want %d", got.Capture.Decoded, want.Capture.Decoded)
			}
		})
	}
}

// TestRunLiveKeepRecords: a run that lets go of old connection records
// keeps the summary counts of the whole capture and says how many records
// it let go, and its NDJSON stream still holds every record.
func TestRunLiveKeepRecords(t *testing.T) {
	// Ten of its eleven connections have a finding of their own.
	path := testCapture("idle_close_race.pcap")
	cfg := DefaultConfig()
	cfg.Tracker.CloseLinger = -1 // report each connection at its close
	want := offline(t, path, cfg)
	if want.Summary.TCPConnections < 10 {
		t.Skipf("%s has only %d connections", path, want.Summary.TCPConnections)
	}
	f := openFake(t, path)
	f.eof = true
	// Stream NDJSON as capture --format ndjson does.
	var out bytes.Buffer
	stream := report.NewNDJSONStream(&out)
	cfg.OnConnection = func(rc *report.Connection, txs []report.Transaction) {
		if err := stream.Connection(rc, txs, nil); err != nil {
			t.Error(err)
		}
	}
	rep, err := RunLive(context.Background(), f, cfg, LiveConfig{KeepRecords: 4, BatchPackets: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.End(rep); err != nil {
		t.Fatal(err)
	}
	// Every record is in the stream once, the findings about connections
	// whose records the run let go too.
	types := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		var rec struct{ Type string }
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		types[rec.Type]++
	}
	if types[report.RecordConnection] != want.Summary.TCPConnections || types[report.RecordTransaction] != len(want.Transactions) {
		t.Errorf("stream has %d connections and %d transactions, want %d and %d", types[report.RecordConnection],
			types[report.RecordTransaction], want.Summary.TCPConnections, len(want.Transactions))
	}
	perConn := 0
	for _, fd := range rep.Findings {
		if fd.Connection != nil {
			perConn++
		}
	}
	if perConn == 0 || types[report.RecordFinding] != len(rep.Findings) {
		t.Errorf("stream has %d findings, want the report's %d (%d about a connection)", types[report.RecordFinding], len(rep.Findings), perConn)
	}
	s, w := rep.Summary, want.Summary
	if s.TCPConnections != w.TCPConnections || s.HTTPRequests != w.HTTPRequests || s.HTTPResponses != w.HTTPResponses {
		t.Errorf("summary %d conns %d req %d resp, want %d %d %d", s.TCPConnections, s.HTTPRequests, s.HTTPResponses,
			w.TCPConnections, w.HTTPRequests, w.HTTPResponses)
	}
	dropped := rep.Capture.Anomalies[AnomalyLiveRecordsDropped]
	if dropped == 0 || int(dropped)+len(rep.Connections) != w.TCPConnections {
		t.Errorf("%d records dropped + %d kept != %d connections", dropped, len(rep.Connections), w.TCPConnections)
	}
	for _, tx := range rep.Transactions {
		found := false
		for _, c := range rep.Connections {
			found = found || c.ID == tx.Connection
		}
		if !found {
			t.Errorf("transaction of connection %d kept without its connection", tx.Connection)
		}
	}
}

// TestRunLiveStreamsOnIdle: connections are reported through OnConnection
// while the capture is still running, once the wall-clock ticks carry the
// tracker past their linger or idle timeout.
func TestRunLiveStreamsOnIdle(t *testing.T) {
	path := testCapture("curl_reuse.pcap")
	want := offline(t, path, DefaultConfig())
	f := openFake(t, path)
	var mu sync.Mutex
	streamed := 0
	allIn := make(chan struct{})
	cfg := DefaultConfig()
	cfg.Tracker.IdleTimeout = time.Second
	cfg.OnConnection = func(rc *report.Connection, _ []report.Transaction) {
		mu.Lock()
		defer mu.Unlock()
		streamed++
		if streamed == want.Summary.TCPConnections {
			close(allIn)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-allIn:
		case <-time.After(10 * time.Second):
		}
		cancel()
	}()
	rep, err := RunLive(ctx, f, cfg, LiveConfig{Tick: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-allIn:
	default:
		t.Fatalf("only %d of %d connections streamed before the end", streamed, want.Summary.TCPConnections)
	}
	if rep.Summary.TCPConnections != want.Summary.TCPConnections {
		t.Errorf("report has %d connections, want %d", rep.Summary.TCPConnections, want.Summary.TCPConnections)
	}
}

// TestRunLiveSnapshots: snapshots show open connections while traffic is
// paused, never change after they are handed over, and the final report
// is complete.
func TestRunLiveSnapshots(t *testing.T) {
	path := testCapture("curl_reuse.pcap")
	f := openFake(t, path)
	f.pauseAfter = 8 // inside the first connection
	f.resume = make(chan struct{})
	var (
		mu    sync.Mutex
		snaps []*report.Report
		first []byte
	)
	cfg := DefaultConfig()
	cfg.SnapshotEvery = 10 * time.Millisecond
	cfg.Snapshot = func(rep *report.Report) {
		mu.Lock()
		defer mu.Unlock()
		snaps = append(snaps, rep)
		if first == nil && len(rep.Connections) > 0 {
			first = toJSON(t, rep)
			close(f.resume)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := RunLive(ctx, f, cfg, LiveConfig{Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if first == nil {
		t.Fatal("no snapshot showed the open connection")
	}
	var open *report.Report
	for _, s := range snaps {
		if len(s.Connections) > 0 {
			open = s
			break
		}
	}
	if c := open.Connections[0]; c.Close.Kind != "open" {
		t.Errorf("open connection in snapshot has close kind %q", c.Close.Kind)
	}
	if again := toJSON(t, open); !bytes.Equal(again, first) {
		t.Errorf("snapshot changed after it was handed over")
	}
	if rep.Summary.TCPConnections == 0 || len(snaps) < 2 {
		t.Errorf("%d connections, %d snapshots", rep.Summary.TCPConnections, len(snaps))
	}
}

// TestReplay: Replay gives the same report as Run, byte for byte, and
// snapshots while pacing.
func TestReplay(t *testing.T) {
	path := testCapture("curl_reuse.pcap")
	wantRep := offline(t, path, DefaultConfig())
	want := toJSON(t, wantRep)
	// Paced to last about 300 ms whatever the capture's span.
	pace := float64(wantRep.Capture.DurationUS) / 300e3
	tests := []struct {
		name      string
		speed     float64
		wantSnaps bool
		// slow is how long the snapshot consumer takes: on a large capture
		// judging the snapshot does. A snapshot of 20 ms then comes at most
		// every 200 ms, not every 5 ms: over the 300 ms replay, two or
		// three instead of about fifteen.
		slow time.Duration
	}{
		{"as fast as possible", 0, false, 0},
		{"paced", pace, true, 0},
		{"slow snapshots", pace, true, 20 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := capture.OpenFiles([]string{path}, capture.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			n := 0
			cfg := DefaultConfig()
			cfg.SnapshotEvery = 5 * time.Millisecond
			cfg.Snapshot = func(*report.Report) { n++; time.Sleep(tc.slow) }
			start := time.Now()
			rep, err := Replay(context.Background(), src, cfg, ReplayConfig{Speed: tc.speed})
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			if got := toJSON(t, rep); !bytes.Equal(got, want) {
				t.Errorf("replay report differs from the offline report")
			}
			if tc.wantSnaps && n == 0 {
				t.Errorf("no snapshot while pacing (capture spans %s)", rep.Capture.Start+" to "+rep.Capture.End)
			}
			// At most one per ten times the snapshot's time, plus the first.
			if most := int(took/(10*tc.slow+1)) + 1; tc.slow > 0 && n > most {
				t.Errorf("%d snapshots of %v in %v, want at most %d", n, tc.slow, took.Round(time.Millisecond), most)
			}
		})
	}
	t.Run("cancelled while pacing", func(t *testing.T) {
		src, err := capture.OpenFiles([]string{path}, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		rep, err := Replay(ctx, src, DefaultConfig(), ReplayConfig{Speed: 0.001})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Interrupted {
			t.Errorf("not marked interrupted")
		}
	})
}

// TestSnapshotAnalyzersRepeatable runs every analyser over the committed
// captures twice: once straight, once with a snapshot every few packets.
// The analysers listed in snapshotSafe must give the same final report
// either way; the others are only logged (they are left out of snapshots
// because their Finish consumes state).
func TestSnapshotAnalyzersRepeatable(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pcaps", "*.pcap*"))
	if len(paths) == 0 {
		t.Skip("no captures in testdata/pcaps")
	}
	var peersFactory analysis.Factory
	for _, f := range registry.Default() {
		if f.Name == "peers" {
			peersFactory = f
		}
	}
	for _, fac := range registry.Default() {
		t.Run(fac.Name, func(t *testing.T) {
			facs := []analysis.Factory{fac}
			if fac.Name != "peers" {
				facs = []analysis.Factory{peersFactory, fac}
			}
			differs, isPending := 0, false
			for _, path := range paths {
				cfg := DefaultConfig()
				cfg.Analyzers = facs
				straightRep := offline(t, path, cfg)
				straight := toJSON(t, straightRep)
				every := max(int(straightRep.Capture.Decoded)/10, 1)
				src, err := capture.OpenFiles([]string{path}, capture.Options{})
				if err != nil {
					t.Fatal(err)
				}
				r := newRun(cfg)
				for i := 0; ; i++ {
					p, err := src.Next()
					if err != nil {
						break
					}
					r.packet(p)
					if i%every == 0 {
						for j := 0; j < 2; j++ {
							s := r.snapshot(src.Stats())
							if s.Summary.Findings == nil {
								t.Fatal("snapshot not normalised")
							}
							// Also finish the analyser under test on a
							// fresh report, in or out of snapshotSafe
							// (a PendingReporter's Finish runs once:
							// the snapshot calls its Pending).
							if _, ok := r.engine.Analyzers()[len(facs)-1].(analysis.PendingReporter); !ok {
								analysis.NewEngine(r.engine.Analyzers()[len(facs)-1:]).Finish(r.snapshot(src.Stats()))
							}
						}
					}
				}
				r.finish(src.Stats())
				src.Close()
				_, pending := r.engine.Analyzers()[len(facs)-1].(analysis.PendingReporter)
				isPending = isPending || pending
				if !bytes.Equal(toJSON(t, r.rep), straight) {
					differs++
					if snapshotSafe[fac.Name] || pending {
						t.Errorf("%s: final report changed by snapshots", filepath.Base(path))
					}
				}
			}
			if !snapshotSafe[fac.Name] && !isPending {
				t.Logf("not in snapshots: repeated Finish changed the final report on %d of %d captures", differs, len(paths))
			}
		})
	}
}

// TestSnapshotContents: a snapshot taken mid-capture holds the closed and
// the open connections and their transactions, and running to the end
// leaves it untouched.
func TestSnapshotContents(t *testing.T) {
	path := testCapture("curl_reuse.pcap")
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := newRun(DefaultConfig())
	var snap *report.Report
	var snapJSON []byte
	for {
		p, err := src.Next()
		if err != nil {
			break
		}
		r.packet(p)
		if snap == nil && r.conns.Len() > 0 && len(r.rep.Transactions) == 0 {
			if st, _ := r.conns.Get(flow.ConnID(1)); st != nil && len(st.txs) > 0 {
				snap = r.snapshot(src.Stats())
				snapJSON = toJSON(t, snap)
			}
		}
	}
	r.finish(src.Stats())
	if snap == nil {
		t.Fatal("no point with an open connection that had a transaction")
	}
	if len(snap.Connections) == 0 || snap.Connections[0].Close.Kind != "open" {
		t.Fatalf("snapshot connections: %+v", snap.Connections)
	}
	if len(snap.Transactions) == 0 || snap.Summary.HTTPRequests == 0 {
		t.Errorf("snapshot has %d transactions, %d requests", len(snap.Transactions), snap.Summary.HTTPRequests)
	}
	if !bytes.Equal(toJSON(t, snap), snapJSON) {
		t.Errorf("snapshot changed by the rest of the run")
	}
	var back report.Report
	if err := json.Unmarshal(snapJSON, &back); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotPendingFindings: once a connection has left the tracker, a
// snapshot shows the findings the PendingReporter analysers concluded for
// it (Nagle stalls, retransmissions, slow start, resets) before the run
// ends, the same ones the final report has.
func TestSnapshotPendingFindings(t *testing.T) {
	perConn := map[string]bool{
		"tcp_nagle_delayed_ack_stall": true, "tcp_retransmission": true, "tcp_zero_window": true,
		"tcp_slow_start_bound": true, "tcp_slow_start_restart": true, "tcp_reset": true,
	}
	for _, name := range []string{"nagle_on.pcap", "slow_start_restart_client.pcap.gz", "rst_unread.pcap.gz", "lossy_download_client.pcap.gz"} {
		t.Run(name, func(t *testing.T) {
			src, err := capture.OpenFiles([]string{testCapture(name)}, capture.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			r := newRun(DefaultConfig())
			var last flow.Time
			for {
				p, err := src.Next()
				if err != nil {
					break
				}
				r.packet(p)
				last = p.Time
			}
			// A live run's clock moves on with no packets: every
			// connection's linger expires and it leaves the tracker.
			r.tracker.Advance(last + flow.Time(time.Minute))
			kinds := func(rep *report.Report) map[string]int {
				m := map[string]int{}
				for _, f := range rep.Findings {
					if perConn[f.Kind] {
						m[f.Kind]++
					}
				}
				return m
			}
			snap := kinds(r.snapshot(src.Stats()))
			r.finish(src.Stats())
			final := kinds(r.rep)
			if len(final) == 0 {
				t.Fatal("the final report has no per-connection TCP finding")
			}
			if !maps.Equal(snap, final) {
				t.Errorf("snapshot findings %v, final %v", snap, final)
			}
		})
	}
}
