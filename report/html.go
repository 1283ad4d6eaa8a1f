package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HTMLOptions bound the size of the HTML report. A zero field takes its
// default; a negative one means no limit.
type HTMLOptions struct {
	// MaxGraphs caps the connections drawn as time-sequence graphs, the
	// most troubled first (default 20); the others are listed in the
	// connection table only.
	MaxGraphs int
	// MaxPeers caps the peers drawn as waterfalls, the most troubled first
	// (default 20).
	MaxPeers int
	// MaxWaterfallRows caps the rows of one peer's waterfall (default 200).
	MaxWaterfallRows int
	// MaxFindings caps the findings listed (default 500).
	MaxFindings int
	// MaxTableRows caps the connection table (default 2000).
	MaxTableRows int
}

// Defaults of HTMLOptions.
const (
	DefaultHTMLMaxGraphs        = 20
	DefaultHTMLMaxPeers         = 20
	DefaultHTMLMaxWaterfallRows = 200
	DefaultHTMLMaxFindings      = 500
	DefaultHTMLMaxTableRows     = 2000
)

func (o HTMLOptions) withDefaults() HTMLOptions {
	capDefault(&o.MaxGraphs, DefaultHTMLMaxGraphs)
	capDefault(&o.MaxPeers, DefaultHTMLMaxPeers)
	capDefault(&o.MaxWaterfallRows, DefaultHTMLMaxWaterfallRows)
	capDefault(&o.MaxFindings, DefaultHTMLMaxFindings)
	capDefault(&o.MaxTableRows, DefaultHTMLMaxTableRows)
	return o
}

//go:embed html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))

// WriteHTML writes the report as one self-contained HTML page (inline CSS
// and SVG, no script, nothing fetched from the network): the summary; the
// findings, coloured by severity, each linking to the graph or table row of
// its connection; per peer a waterfall of its transactions in the style of
// a browser's network panel (DNS, connect, send, wait and receive phases;
// rows grouped and coloured by connection, with open and close markers);
// time-sequence graphs of the most troubled connections that carry a series
// (report.Connection.Series); and a table of every connection. Every string
// from the capture is escaped by html/template (after Escape, which makes
// control and bidirectional characters visible). The output is
// deterministic and r is not modified.
func WriteHTML(w io.Writer, r *Report, opts HTMLOptions) error {
	n, err := normalizedAll(r)
	if err != nil {
		return err
	}
	b := &htmlBuilder{r: n, o: opts.withDefaults()}
	if t, ok := ParseTime(n.Capture.Start); ok {
		b.start, b.hasStart = t, true
	}
	v := b.build()
	if err := htmlTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// htmlView is what the template renders.
type htmlView struct {
	Title        string
	Header       []htmlKV
	Anomalies    string
	Interrupted  bool
	FindingCount int
	Occurrences  int
	Findings     []htmlFinding
	FindingsMore int
	Peers        []htmlPeer
	PeersMore    int
	Graphs       []htmlGraph
	GraphsNote   string
	Conns        []htmlConnRow
	ConnsMore    int
}

type htmlKV struct{ K, V string }

type htmlFinding struct {
	Severity string
	Kind     string
	Where    string
	Href     string
	At       string
	Extra    string
	Summary  string
	Advice   string
	Evidence string
}

type htmlPeer struct {
	Anchor string
	Title  string
	Sub    string
	WF     *waterfall
}

type htmlGraph struct {
	Anchor   string
	Title    string
	Sub      string
	Findings []htmlFinding
	Panels   []*tsgPanel
	Note     string
}

type htmlConnRow struct {
	Anchor   string
	ID       uint32
	Href     string
	Client   string
	Server   string
	Protocol string
	Start    string
	Duration string
	Reqs     string
	Close    string
	Retrans  uint64
	Notes    string
	Severity string
}

type htmlBuilder struct {
	r        *Report
	o        HTMLOptions
	start    time.Time
	hasStart bool
	graphed  map[uint32]bool
	rank     []troubled
	connByID map[uint32]*Connection
	byConn   map[uint32][]int
	// peerAnchor maps a finding's peer text ("client -> server") to the
	// link of that peer's waterfall.
	peerAnchor map[string]string
}

// relUS returns a report time as microseconds since the capture start.
func (b *htmlBuilder) relUS(at string) (int64, bool) {
	t, ok := ParseTime(at)
	if !ok || !b.hasStart {
		return 0, false
	}
	return t.Sub(b.start).Microseconds(), true
}

// offset renders a report time as "+1.250s" from the capture start.
func (b *htmlBuilder) offset(at string) string {
	if at == "" {
		return "-"
	}
	us, ok := b.relUS(at)
	if !ok {
		return Escape(at)
	}
	if us < 0 {
		return "-" + FormatMicros(-us)
	}
	return "+" + FormatMicros(us)
}

func (b *htmlBuilder) build() *htmlView {
	r := b.r
	v := &htmlView{Title: "connscope report", Interrupted: r.Interrupted}
	if len(r.Capture.Sources) > 0 {
		v.Title = "connscope: " + escapeJoin(r.Capture.Sources, ", ")
	}
	b.connByID = make(map[uint32]*Connection, len(r.Connections))
	for i := range r.Connections {
		b.connByID[r.Connections[i].ID] = &r.Connections[i]
	}
	b.rank = rankTrouble(r)
	b.byConn = connFindings(r)
	b.graphed = map[uint32]bool{}
	for _, t := range b.rank {
		if len(b.graphed) == b.o.MaxGraphs {
			break
		}
		if s := t.c.Series; s != nil && len(s.Points) > 0 {
			b.graphed[t.c.ID] = true
		}
	}
	v.Header = b.header()
	v.Anomalies = fmtCounts(r.Capture.Anomalies)
	for _, f := range r.Findings {
		v.Occurrences += max(f.Count, 1)
	}
	v.FindingCount = len(r.Findings)
	v.Peers, v.PeersMore = b.peers()
	v.Findings, v.FindingsMore = b.findings()
	v.Graphs, v.GraphsNote = b.graphs()
	v.Conns, v.ConnsMore = b.connTable()
	return v
}

func (b *htmlBuilder) header() []htmlKV {
	r := b.r
	c, s := r.Capture, r.Summary
	name := orDash(r.Tool.Name)
	if r.Tool.Version != "" {
		name += " " + r.Tool.Version
	}
	span := "-"
	if c.Start != "" || c.End != "" {
		span = fmt.Sprintf("%s .. %s (%s)", Escape(c.Start), Escape(c.End), FormatMicros(c.DurationUS))
	}
	kv := []htmlKV{
		{"tool", Escape(name) + ", schema " + Escape(r.SchemaVersion)},
		{"sources", joinEscaped(c.Sources, "-")},
		{"formats", joinEscaped(c.Formats, "-") + "; link " + joinEscaped(c.LinkTypes, "-")},
		{"time", span},
		{"packets", fmt.Sprintf("%d (%s), %d decoded, %d dropped", c.Packets, fmtBytes(c.Bytes), c.Decoded, c.Dropped)},
		{"vantage", orDash(Escape(c.Vantage))},
		{"connections", fmt.Sprintf("%d TCP, %d reused, max %d parallel to one server", s.TCPConnections, s.ReusedConnections, s.MaxParallelConnections)},
		{"http", fmt.Sprintf("%d requests, %d responses, %d pipelined", s.HTTPRequests, s.HTTPResponses, s.PipelinedRequests)},
	}
	if other := otherCounts(&s); other != "" {
		kv = append(kv, htmlKV{"other", other})
	}
	return kv
}

// connHref links to a connection's graph when it has one, else to its row
// in the connection table.
func (b *htmlBuilder) connHref(id uint32) string {
	if b.graphed[id] {
		return "#graph-" + strconv.FormatUint(uint64(id), 10)
	}
	return "#conn-" + strconv.FormatUint(uint64(id), 10)
}

func (b *htmlBuilder) finding(f *Finding) htmlFinding {
	h := htmlFinding{
		Severity: sevClass(f.Severity),
		Kind:     Escape(f.Kind),
		Where:    findingWhere(f),
		At:       b.offset(f.At),
		Summary:  Escape(f.Summary),
		Advice:   Escape(f.Advice),
		Evidence: evidenceText(f.Evidence),
	}
	switch {
	case f.Connection != nil:
		h.Href = b.connHref(*f.Connection)
	case f.Peer != "":
		h.Href = b.peerAnchor[f.Peer]
	}
	var extra []string
	if f.DurationUS > 0 {
		extra = append(extra, FormatMicros(f.DurationUS))
	}
	if f.Count > 1 {
		extra = append(extra, fmt.Sprintf("x%d", f.Count))
	}
	h.Extra = strings.Join(extra, " ")
	return h
}

// sevClass maps a severity to its CSS class suffix.
func sevClass(s string) string {
	switch s {
	case SeverityError, SeverityWarning, SeverityInfo:
		return s
	}
	return "other"
}

// evidenceText renders evidence as "k=v" pairs in key order.
func evidenceText(ev map[string]any) string {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, Escape(k)+"="+Escape(fmt.Sprint(ev[k])))
	}
	return strings.Join(parts, "  ")
}

func (b *htmlBuilder) findings() ([]htmlFinding, int) {
	fs := b.r.Findings
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, c int) int {
		fa, fc := &fs[a], &fs[c]
		if d := severityRank(fa.Severity) - severityRank(fc.Severity); d != 0 {
			return d
		}
		if d := strings.Compare(fa.Severity, fc.Severity); d != 0 {
			return d
		}
		return strings.Compare(fa.Kind, fc.Kind)
	})
	n := min(len(idx), b.o.MaxFindings)
	out := make([]htmlFinding, 0, n)
	for _, i := range idx[:n] {
		out = append(out, b.finding(&fs[i]))
	}
	return out, len(idx) - n
}

func (b *htmlBuilder) connTable() ([]htmlConnRow, int) {
	n := min(len(b.rank), b.o.MaxTableRows)
	out := make([]htmlConnRow, 0, n)
	for _, t := range b.rank[:n] {
		c := t.c
		row := htmlConnRow{
			Anchor:   "conn-" + strconv.FormatUint(uint64(c.ID), 10),
			ID:       c.ID,
			Client:   orDash(Escape(c.Client)),
			Server:   orDash(Escape(c.Server)),
			Protocol: orDash(Escape(c.Protocol)),
			Start:    b.offset(c.Start),
			Duration: FormatMicros(c.DurationUS),
			Reqs:     "-",
			Close:    closeText(&c.Close),
			Retrans:  retrans(c),
			Notes:    escapeJoin(t.kinds, ", "),
			Severity: "none",
		}
		if t.worst < 3 {
			row.Severity = []string{SeverityError, SeverityWarning, SeverityInfo}[t.worst]
		}
		if b.graphed[c.ID] {
			row.Href = b.connHref(c.ID)
		}
		if c.HTTP != nil {
			row.Reqs = strconv.Itoa(c.HTTP.Requests)
		}
		out = append(out, row)
	}
	return out, len(b.rank) - n
}

func (b *htmlBuilder) graphs() ([]htmlGraph, string) {
	var out []htmlGraph
	without := 0
	for _, t := range b.rank {
		if !b.graphed[t.c.ID] {
			if len(t.kinds) > 0 && t.c.Series == nil {
				without++
			}
			continue
		}
		out = append(out, b.graph(t))
	}
	note := ""
	switch {
	case len(out) == 0:
		note = "No connection carries a segment series (the series is recorded when the HTML report is asked for)."
	case without > 0:
		note = fmt.Sprintf("%s with findings but no recorded series (only the most troubled connections keep one) are in the table below.", plural(without, "connection"))
	}
	return out, note
}

func (b *htmlBuilder) graph(t troubled) htmlGraph {
	c := t.c
	g := htmlGraph{
		Anchor: "graph-" + strconv.FormatUint(uint64(c.ID), 10),
		Title:  fmt.Sprintf("connection %d  %s → %s", c.ID, orDash(Escape(c.Client)), orDash(Escape(c.Server))),
		Sub: fmt.Sprintf("%s, start %s, %s, close %s, %d retransmitted segments", orDash(Escape(c.Protocol)),
			b.offset(c.Start), FormatMicros(c.DurationUS), closeText(&c.Close), retrans(c)),
	}
	var fs []*Finding
	for _, fi := range b.byConn[c.ID] {
		f := &b.r.Findings[fi]
		fs = append(fs, f)
		hf := b.finding(f)
		hf.Href = ""
		g.Findings = append(g.Findings, hf)
	}
	connStart, _ := b.relUS(c.Start)
	for d := 0; d < 2; d++ {
		if p := b.tsgPanel(c, d, fs, connStart); p != nil {
			g.Panels = append(g.Panels, p)
		}
	}
	if len(g.Panels) == 0 {
		g.Note = "no payload in either direction"
	}
	if c.Series.Dropped > 0 {
		g.Note = strings.TrimPrefix(g.Note+"; ", "; ") + fmt.Sprintf("%d later segments not recorded (series cap)", c.Series.Dropped)
	}
	return g
}

// peerGroup is one (client host, server endpoint) pair's connections.
type peerGroup struct {
	client, server string
	conns          []*Connection
	best           int // position of its most troubled connection in the ranking
}

func (b *htmlBuilder) peers() ([]htmlPeer, int) {
	r := b.r
	pos := make(map[uint32]int, len(b.rank))
	for i, t := range b.rank {
		pos[t.c.ID] = i
	}
	groups := map[[2]string]*peerGroup{}
	var list []*peerGroup
	for i := range r.Connections {
		c := &r.Connections[i]
		host := hostIP(c.Client)
		if host == "" {
			host = c.Client
		}
		k := [2]string{host, c.Server}
		g := groups[k]
		if g == nil {
			g = &peerGroup{client: host, server: c.Server, best: len(b.rank)}
			groups[k] = g
			list = append(list, g)
		}
		g.conns = append(g.conns, c)
		g.best = min(g.best, pos[c.ID])
	}
	slices.SortStableFunc(list, func(a, c *peerGroup) int {
		if d := a.best - c.best; d != 0 {
			return d
		}
		if d := len(c.conns) - len(a.conns); d != 0 {
			return d
		}
		if d := strings.Compare(a.client, c.client); d != 0 {
			return d
		}
		return strings.Compare(a.server, c.server)
	})
	n := min(len(list), b.o.MaxPeers)
	txs := map[uint32][]*Transaction{}
	for i := range r.Transactions {
		tx := &r.Transactions[i]
		txs[tx.Connection] = append(txs[tx.Connection], tx)
	}
	out := make([]htmlPeer, 0, n)
	b.peerAnchor = map[string]string{}
	for i, g := range list[:n] {
		reqs := 0
		for _, c := range g.conns {
			reqs += len(txs[c.ID])
		}
		p := htmlPeer{
			Anchor: "peer-" + strconv.Itoa(i+1),
			Title:  fmt.Sprintf("%s → %s", orDash(Escape(g.client)), orDash(Escape(g.server))),
			Sub:    fmt.Sprintf("%s, %s", plural(len(g.conns), "connection"), plural(reqs, "request")),
		}
		p.WF = b.waterfall(g, txs)
		b.peerAnchor[g.client+" -> "+g.server] = "#" + p.Anchor
		out = append(out, p)
	}
	return out, len(list) - n
}
