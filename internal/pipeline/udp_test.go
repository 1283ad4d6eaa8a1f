package pipeline

import (
	"fmt"
	"testing"

	"connscope/analysis"
	"connscope/capture"
	"connscope/flow"
	"connscope/report"
)

// fakeUDP is a UDPDecoder that finds the connections it is given.
type fakeUDP struct {
	conns []report.Connection
	anom  string
}

func (f *fakeUDP) Datagram(flow.Time, uint64, flow.Endpoint, flow.Endpoint, []byte) {}

func (f *fakeUDP) Records(done func(rc *report.Connection)) {
	for i := range f.conns {
		rc := f.conns[i]
		done(&rc)
	}
}

func (f *fakeUDP) Finish(rep *report.Report) { rep.Capture.Anomalies[f.anom]++ }

// recordProbe is an analyser that lists the records it is shown.
type recordProbe struct{ ids []uint32 }

func (p *recordProbe) Name() string                            { return "record_probe" }
func (p *recordProbe) Finish(*report.Report, analysis.Emitter) {}
func (p *recordProbe) Record(rc *report.Connection) {
	p.ids = append(p.ids, rc.ID)
}

// TestUDPRecordsFinishLikeTCP: the connections of the UDP decoders (QUIC)
// take the path of TCP's: the analysers' RecordHandlers, OnConnection, and
// the record log or the report's lists, whichever the run uses; their
// decoder's Finish runs after they are in.
func TestUDPRecordsFinishLikeTCP(t *testing.T) {
	for _, mode := range []string{"record log", "record store", "lists"} {
		t.Run(mode, func(t *testing.T) {
			probe := &recordProbe{}
			cfg := DefaultConfig()
			cfg.Analyzers = []analysis.Factory{{Name: "record_probe", New: func(analysis.Config) analysis.Analyzer { return probe }}}
			var streamed []uint32
			cfg.OnConnection = func(rc *report.Connection, _ []report.Transaction) { streamed = append(streamed, rc.ID) }
			r := newRun(cfg)
			switch mode {
			case "record log":
				r.log = report.NewRecordLog(0, t.TempDir())
				r.rep.Deferred = r.log
				defer r.log.Close()
			case "record store":
				r.store = &recordStore{}
			}
			fake := &fakeUDP{anom: "fake_udp_finished"}
			for id := uint32(3); id >= 1; id-- {
				fake.conns = append(fake.conns, report.Connection{ID: id, Transport: "udp", Protocol: "quic", Client: fmt.Sprintf("192.0.2.1:%d", 4000+id), Server: "192.0.2.2:443"})
			}
			r.udp = []UDPDecoder{fake}
			r.finish(capture.Stats{})
			rep := r.rep
			if fmt.Sprint(probe.ids) != "[3 2 1]" || fmt.Sprint(streamed) != "[3 2 1]" {
				t.Fatalf("records seen by the analysers %v, streamed %v", probe.ids, streamed)
			}
			if rep.Capture.Anomalies["fake_udp_finished"] != 1 || rep.Summary.QUICConnections != 3 {
				t.Fatalf("anomalies %v, QUIC connections %d", rep.Capture.Anomalies, rep.Summary.QUICConnections)
			}
			if (rep.Deferred != nil) != (mode == "record log") || (mode == "record log") != (len(rep.Connections) == 0) {
				t.Fatalf("records in the log %v, in the lists %d", rep.Deferred != nil, len(rep.Connections))
			}
			var ids []uint32
			if err := rep.EachConnection(func(c *report.Connection) error { ids = append(ids, c.ID); return nil }); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ids) != "[1 2 3]" {
				t.Fatalf("report's connections %v", ids)
			}
		})
	}
}
