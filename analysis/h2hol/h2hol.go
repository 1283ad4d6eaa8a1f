package h2hol

import (
	"fmt"
	"slices"
	"time"

	"connscope/analysis"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "h2hol"

// Kind is the finding kind.
const Kind = "h2_head_of_line_blocking"

// Thresholds.
const (
	// MinStreams is the number of distinct streams an event must stall.
	MinStreams = 2
	// FallbackRTT is the round trip assumed when the connection has none.
	FallbackRTT = 200 * time.Millisecond
	// maxStreamsListed bounds the streams_blocked evidence.
	maxStreamsListed = 50
)

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "TCP head-of-line blocking of HTTP/2 streams",
		Kinds: Kinds(),
		New:   func(analysis.Config) analysis.Analyzer { return New() },
	}
}

// Kinds documents the finding kind.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{{
		Kind:     Kind,
		Severity: report.SeverityWarning,
		Title:    "A TCP loss stalled several HTTP/2 streams at once",
		Explain: "HTTP/2 multiplexes many streams over one TCP connection, and TCP hands bytes to the application " +
			"only in order. When a segment is lost, everything sent after it waits in the receiver's buffer until " +
			"the retransmission arrives, even frames of unrelated streams: one loss stalls them all.\n\n" +
			"Rule: a hole in one direction's byte stream held the bytes that had already arrived beyond it for at " +
			"least one round trip (handshake RTT, else the median data→ACK RTT, else 200 ms), and those bytes " +
			"carried frames of at least 2 distinct streams. One finding per connection; count is the number of " +
			"such events, duration_us their total hold. At a client-side capture the evidence is the tracker's " +
			"out-of-order buffer: segments that arrived beyond the hole and were delivered only when the " +
			"retransmission filled it.\n\n" +
			"Fix: reduce loss on the path; on lossy paths (mobile, Wi-Fi) prefer HTTP/3 (QUIC), whose streams " +
			"are delivered independently; spreading requests over a few connections also limits the blast radius.",
	}}
}

// New returns the analyser.
func New() *Analyzer { return &Analyzer{} }

// Analyzer is the HTTP/2 head-of-line detector; it keeps its findings
// until Finish.
type Analyzer struct{ out []report.Finding }

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// rtt returns the connection's round trip in microseconds and its source.
func rtt(c *report.Connection) (int64, string) {
	switch {
	case c.Handshake.RTTUS > 0:
		return c.Handshake.RTTUS, "handshake"
	case c.TCP.RTTUS != nil && c.TCP.RTTUS.P50 > 0:
		return c.TCP.RTTUS.P50, "data_ack_p50"
	}
	return FallbackRTT.Microseconds(), "fallback_min_rto"
}

// Record implements analysis.RecordHandler: it judges the connection's
// head-of-line events.
func (a *Analyzer) Record(c *report.Connection) {
	if c.H2 == nil || len(c.H2.HOLEvents) == 0 {
		return
	}
	if f, ok := judge(c); ok {
		a.out = append(a.out, f)
	}
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(_ *report.Report, out analysis.Emitter) {
	for _, f := range a.out {
		out.Emit(f)
	}
	a.out = nil
}

func judge(c *report.Connection) (report.Finding, bool) {
	r, src := rtt(c)
	count := 0
	var total, worst int64
	var held int
	var at string
	var streams []uint32
	causes := map[string]int{}
	dirs := map[string]int{}
	for _, ev := range c.H2.HOLEvents {
		if len(ev.Streams) < MinStreams || ev.HoldUS < r {
			continue
		}
		count++
		total += ev.HoldUS
		held += ev.HeldBytes
		if ev.HoldUS > worst {
			worst, at = ev.HoldUS, ev.At
		}
		for _, s := range ev.Streams {
			if !slices.Contains(streams, s) {
				streams = append(streams, s)
			}
		}
		causes[ev.Cause]++
		dirs[ev.Direction]++
	}
	if count == 0 {
		return report.Finding{}, false
	}
	slices.Sort(streams)
	if len(streams) > maxStreamsListed {
		streams = streams[:maxStreamsListed]
	}
	id := c.ID
	return report.Finding{
		Kind:       Kind,
		Severity:   report.SeverityWarning,
		Connection: &id,
		At:         at,
		DurationUS: total,
		Count:      count,
		Summary: fmt.Sprintf("%d TCP hole(s) on HTTP/2 connection %s → %s stalled %d stream(s) behind them, worst %s (RTT %s)",
			count, c.Client, c.Server, len(streams), time.Duration(worst)*time.Microsecond, time.Duration(r)*time.Microsecond),
		Evidence: map[string]any{
			"events":          count,
			"worst_hold_us":   worst,
			"total_hold_us":   total,
			"held_bytes":      held,
			"streams_blocked": streams,
			"rtt_us":          r,
			"rtt_source":      src,
			"causes":          causes,
			"directions":      dirs,
		},
		Advice: "Reduce loss on the path; on lossy networks prefer HTTP/3 (QUIC), whose streams do not wait for each other's retransmissions.",
	}, true
}
