package pipeline

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"

	"connscope/analysis"
	"connscope/capture"
	"connscope/flow"
	"connscope/report"
)

// FindingPackets maps the findings of rep to the packets they point at, for
// annotating a capture. It reads src again with the same tracker settings
// (cfg.Tracker; connection ids depend only on the packets and those
// settings, so they match rep's) and returns, by packet ordinal
// (capture.Packet.Index), the indexes into rep.Findings of the findings on
// that packet.
//
// A finding that names a TCP connection points at the first packet of that
// connection whose time is at or after the finding's time (at equals the
// packet's own time for detectors that report the time of their evidence);
// a finding without a time points at the connection's first packet.
// Findings about a peer pair or the whole capture, and findings on UDP flows,
// point at no packet and are absent from the result.
//
// Memory: one pending entry per finding, nothing per packet.
func FindingPackets(ctx context.Context, src capture.Source, cfg Config, rep *report.Report) (map[uint64][]int, error) {
	m := &marker{pending: map[flow.ConnID][]want{}, out: map[uint64][]int{}}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.Connection == nil {
			continue
		}
		var at flow.Time
		if f.At != "" {
			t, err := time.Parse(time.RFC3339Nano, f.At)
			if err != nil {
				continue
			}
			at = flow.Time(t.UnixNano())
		}
		id := flow.ConnID(*f.Connection)
		m.pending[id] = append(m.pending[id], want{at: at, finding: i})
	}
	for _, ws := range m.pending {
		slices.SortStableFunc(ws, func(a, b want) int {
			if a.at != b.at {
				if a.at < b.at {
					return -1
				}
				return 1
			}
			return a.finding - b.finding
		})
	}
	cfg.Analyzers = []analysis.Factory{{
		Name: "finding_packets",
		New:  func(analysis.Config) analysis.Analyzer { return m },
	}}
	cfg.OnConnection = nil
	r := newRun(cfg)
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		p, err := src.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		r.packet(p)
		if len(m.pending) == 0 {
			break
		}
	}
	r.tracker.Flush()
	return m.out, nil
}

// want is one finding waiting for its packet.
type want struct {
	at      flow.Time
	finding int
}

// marker is the analyser of FindingPackets: it resolves pending findings as
// the segments of their connections pass.
type marker struct {
	pending map[flow.ConnID][]want
	out     map[uint64][]int
}

func (m *marker) Name() string                            { return "finding_packets" }
func (m *marker) Finish(*report.Report, analysis.Emitter) {}

func (m *marker) Segment(s *analysis.Segment) {
	ws := m.pending[s.Conn.ID]
	k := 0
	for k < len(ws) && ws[k].at <= s.Time {
		m.out[s.Index] = append(m.out[s.Index], ws[k].finding)
		k++
	}
	switch {
	case k == 0:
	case k == len(ws):
		delete(m.pending, s.Conn.ID)
	default:
		m.pending[s.Conn.ID] = ws[k:]
	}
}
