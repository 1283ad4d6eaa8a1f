package peers

import (
	"sort"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "peers"

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name: Name,
		Doc:  "peer table: connections, concurrency and churn per client host and server endpoint",
		New:  func(cfg analysis.Config) analysis.Analyzer { return New(cfg) },
	}
}

type key struct {
	client flow.Addr
	server flow.Endpoint
}

type peer struct {
	key                  key
	spans                analysis.History // start, end - start of each closed connection
	ports                analysis.PortSet
	handshakes, requests int
	twClient, twServer   int
	resets, refused      int
	first, last          flow.Time
}

// Analyzer is the peer-table builder.
type Analyzer struct {
	cfg      analysis.Config
	peers    map[key]*peer
	byConn   analysis.ConnMap[*peer]
	dropped  int
	prepared analysis.Prepared[[]report.Peer] // the rows
}

// New returns a peer-table builder.
func New(cfg analysis.Config) *Analyzer {
	return &Analyzer{cfg: cfg.WithDefaults(), peers: map[key]*peer{}}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(c *analysis.ConnInfo) {
	k := key{client: c.Client.Addr, server: c.Server}
	p := a.peers[k]
	if p == nil {
		if len(a.peers) >= a.cfg.MaxPeers {
			a.dropped++
			return
		}
		p = &peer{key: k, first: c.Start, spans: analysis.History{Store: a.cfg.Pages}}
		a.peers[k] = p
	}
	a.byConn.Put(c.ID, p)
	p.ports.Add(c.Client.Port)
	if c.SYN != 0 {
		p.handshakes++
	}
	if c.Start < p.first {
		p.first = c.Start
	}
}

// ConnClosed implements analysis.ConnHandler.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	p, _ := a.byConn.Get(c.Conn.ID)
	if p == nil {
		return
	}
	a.byConn.Delete(c.Conn.ID)
	end := c.CloseAt
	if end == 0 || c.CloseKind == "open" || c.CloseKind == "idle_timeout" || c.CloseKind == "evicted" {
		end = c.End
	}
	if end < c.Conn.Start {
		end = c.Conn.Start
	}
	p.spans.Append(int64(c.Conn.Start), int64(end-c.Conn.Start))
	if end > p.last {
		p.last = end
	}
	switch c.TimeWaitHolder {
	case "client":
		p.twClient++
	case "server":
		p.twServer++
	case "both":
		p.twClient++
		p.twServer++
	}
	if c.CloseKind == "rst" {
		if c.Refused {
			p.refused++
		} else {
			p.resets++
		}
	}
}

// Exchange implements analysis.ExchangeHandler.
func (a *Analyzer) Exchange(e *analysis.Exchange) {
	if p, _ := a.byConn.Get(e.Conn.ID); p != nil {
		p.requests++
	}
}

// Prepare implements analysis.Preparer: it builds the peer rows.
func (a *Analyzer) Prepare() {
	keys := make([]key, 0, len(a.peers))
	for k := range a.peers {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].client != keys[j].client {
			return keys[i].client.Less(keys[j].client)
		}
		return keys[i].server.Less(keys[j].server)
	})
	var rows []report.Peer
	for _, k := range keys {
		p := a.peers[k]
		if p.spans.Len() == 0 {
			continue
		}
		// The connections in order of start (History.Sorted).
		var par Parallel
		win := analysis.WindowPeak{Window: time.Second}
		n := 0
		var first, last flow.Time
		for row := range p.spans.Sorted(spanStart, analysis.LateRows) {
			s := flow.Time(row[0])
			if n == 0 {
				first = s
			}
			last = s
			n++
			par.Add(s, s+flow.Time(row[1]))
			win.Add(s)
		}
		row := report.Peer{
			Client:         k.client.String(),
			Server:         k.server.String(),
			Connections:    n,
			Handshakes:     p.handshakes,
			MaxParallel:    par.Max(),
			ClientPorts:    p.ports.Len(),
			Requests:       p.requests,
			FirstSeen:      report.FormatTime(int64(p.first)),
			LastSeen:       report.FormatTime(int64(p.last)),
			TimeWaitClient: p.twClient,
			TimeWaitServer: p.twServer,
			Resets:         p.resets,
			Refused:        p.refused,
		}
		row.PeakRatePerS = win.Max()
		if span := last.Sub(first); span >= time.Second {
			row.ConnectionRatePerS = round2(float64(n-1) / span.Seconds())
		}
		rows = append(rows, row)
	}
	a.prepared.Set(rows)
}

// Finish implements analysis.Analyzer: it writes report.Peers. It leaves
// the peer tables as they are: live snapshots call it again and again.
func (a *Analyzer) Finish(rep *report.Report, _ analysis.Emitter) {
	for _, row := range a.prepared.Take(a.Prepare) {
		if row.MaxParallel > rep.Summary.MaxParallelConnections {
			rep.Summary.MaxParallelConnections = row.MaxParallel
		}
		rep.Peers = append(rep.Peers, row)
	}
	if a.dropped > 0 {
		if rep.Capture.Anomalies == nil {
			rep.Capture.Anomalies = map[string]uint64{}
		}
		rep.Capture.Anomalies["analysis_peer_limit"] += uint64(a.dropped)
	}
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// spanStart orders a peer's span rows (start, duration) by start, for
// History.Sorted.
func spanStart(row []int64) (int64, int64) { return row[0], 0 }

// Parallel finds the largest number of intervals open at one instant,
// given the intervals in increasing order of start (Add). An interval that
// ends exactly when another starts does not overlap it. It keeps the ends
// of the intervals open at the latest start.
type Parallel struct {
	ends analysis.Heap[flow.Time]
	best int
}

// Add counts the interval [start, end).
func (p *Parallel) Add(start, end flow.Time) {
	p.ends.Push(end)
	for p.ends.Len() > 0 && p.ends.Min() <= start {
		p.ends.Pop()
	}
	p.best = max(p.best, p.ends.Len())
}

// Max returns the most intervals open at once so far.
func (p *Parallel) Max() int { return p.best }
