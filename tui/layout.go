package tui

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"connscope/report"
)

// Column identifies a column of the connection table.
type Column int

// The columns of the connection table, in display order.
const (
	ColID Column = iota
	ColClient
	ColServer
	ColProtocol
	ColClose
	ColRequests
	ColRTT
	ColBytes
	ColFindings
	// NumColumns is the number of columns.
	NumColumns
)

var columnNames = [NumColumns]string{"ID", "CLIENT", "SERVER", "PROTO", "CLOSE", "REQS", "RTT", "PAYLOAD C>S/S>C", "FIND"}

// columnKeys are the short names the status line uses for the sort column.
var columnKeys = [NumColumns]string{"id", "client", "server", "proto", "close", "reqs", "rtt", "bytes", "findings"}

// String returns the column's header text.
func (c Column) String() string {
	if c < 0 || c >= NumColumns {
		return "?"
	}
	return columnNames[c]
}

// numeric reports whether a column holds a measure (sorted largest first by
// default) rather than a name.
func (c Column) numeric() bool {
	return c == ColRequests || c == ColRTT || c == ColBytes || c == ColFindings
}

// Sort is the order of the connection table.
type Sort struct {
	// Col is the column sorted by.
	Col Column
	// Desc sorts largest first.
	Desc bool
}

// Next returns the sort by the next column, in that column's natural
// direction: measures largest first, names and ids ascending.
func (s Sort) Next() Sort {
	c := (s.Col + 1) % NumColumns
	return Sort{Col: c, Desc: c.numeric()}
}

// String names the sort for the status line, e.g. "rtt desc".
func (s Sort) String() string {
	k := "?"
	if s.Col >= 0 && s.Col < NumColumns {
		k = columnKeys[s.Col]
	}
	if s.Desc {
		return k + " desc"
	}
	return k + " asc"
}

// Row is one line of the connection table: the connection and the values
// it sorts by. Its cell texts are made on demand by Cells, so a snapshot
// of many connections costs little until its rows are drawn. Conn points
// into the snapshot it was built from.
type Row struct {
	Conn *report.Connection
	// Requests is the HTTP request count, -1 when the connection carried no
	// HTTP/1.x.
	Requests int
	// RTTUS is the data RTT median, or the handshake RTT without data
	// samples, -1 when neither is known.
	RTTUS int64
	// Bytes is the payload in both directions.
	Bytes uint64
	// Findings counts the findings about the connection.
	Findings int

	client, server netip.AddrPort
}

// Cells returns the escaped text of each column.
func (r *Row) Cells() [NumColumns]string {
	c := r.Conn
	var cells [NumColumns]string
	cells[ColID] = strconv.FormatUint(uint64(c.ID), 10)
	cells[ColClient] = orDash(report.Escape(c.Client))
	cells[ColServer] = orDash(report.Escape(c.Server))
	cells[ColProtocol] = orDash(report.Escape(c.Protocol))
	cells[ColClose] = closeCell(&c.Close)
	cells[ColRequests] = "-"
	if r.Requests >= 0 {
		cells[ColRequests] = strconv.Itoa(r.Requests)
	}
	cells[ColRTT] = "-"
	if r.RTTUS >= 0 {
		cells[ColRTT] = report.FormatMicros(r.RTTUS)
	}
	cells[ColBytes] = fmtBytes(c.Payload.ClientToServer) + "/" + fmtBytes(c.Payload.ServerToClient)
	cells[ColFindings] = strconv.Itoa(r.Findings)
	return cells
}

// index is what the UI derives once per snapshot: the rows in report
// order, the transactions and findings of each connection, and, built on
// first use, the lower-cased text a filter searches, the findings pane and
// the column widths.
type index struct {
	rep    *report.Report
	rows   []Row
	search []string
	txs    map[uint32][]int
	finds  map[uint32][]int

	// fLines and fOrder are the findings pane, built on first use.
	fLines []string
	fOrder []int
	// widths are the natural column widths over all rows (capped), built
	// on first use.
	widths    [NumColumns]int
	hasWidths bool
}

// txsOf returns the indexes of the transactions of connection id, in
// report order. The map is built on first use: only filtering and the
// detail view need it.
func (ix *index) txsOf(id uint32) []int {
	if ix.txs == nil {
		ix.txs = map[uint32][]int{}
		if ix.rep != nil {
			for i := range ix.rep.Transactions {
				c := ix.rep.Transactions[i].Connection
				ix.txs[c] = append(ix.txs[c], i)
			}
		}
	}
	return ix.txs[id]
}

// findingLines returns the findings pane lines and, for each line, the
// index of its finding.
func (ix *index) findingLines() ([]string, []int) {
	if ix.fLines == nil && ix.rep != nil {
		all := make([]int, len(ix.rep.Findings))
		for i := range all {
			all[i] = i
		}
		ix.fOrder = sortedFindings(ix.rep.Findings, all)
		ix.fLines = make([]string, len(ix.fOrder))
		for k, i := range ix.fOrder {
			ix.fLines[k] = findingLine(&ix.rep.Findings[i], true)
		}
	}
	return ix.fLines, ix.fOrder
}

func newIndex(rep *report.Report) *index {
	ix := &index{rep: rep, finds: map[uint32][]int{}}
	if rep == nil {
		return ix
	}
	for i := range rep.Findings {
		if c := rep.Findings[i].Connection; c != nil {
			ix.finds[*c] = append(ix.finds[*c], i)
		}
	}
	for i := range rep.Connections {
		c := &rep.Connections[i]
		for _, fi := range c.Findings {
			if fi >= 0 && fi < len(rep.Findings) && !slices.Contains(ix.finds[c.ID], fi) {
				ix.finds[c.ID] = append(ix.finds[c.ID], fi)
			}
		}
	}
	for _, fs := range ix.finds {
		slices.Sort(fs)
	}
	ix.rows = make([]Row, len(rep.Connections))
	for i := range rep.Connections {
		ix.rows[i] = ix.row(&rep.Connections[i])
	}
	return ix
}

func (ix *index) row(c *report.Connection) Row {
	r := Row{Conn: c, Requests: -1, RTTUS: -1, Findings: len(ix.finds[c.ID])}
	r.client, _ = netip.ParseAddrPort(c.Client)
	r.server, _ = netip.ParseAddrPort(c.Server)
	if c.HTTP != nil {
		r.Requests = c.HTTP.Requests
	}
	switch {
	case c.TCP.RTTUS != nil && c.TCP.RTTUS.Samples > 0:
		r.RTTUS = c.TCP.RTTUS.P50
	case c.Handshake.RTTUS > 0:
		r.RTTUS = c.Handshake.RTTUS
	}
	r.Bytes = c.Payload.ClientToServer + c.Payload.ServerToClient
	return r
}

// searchText is what a filter matches: the escaped client, server,
// protocol, server names and request hosts and targets, lower-cased. The
// escaped forms are searched because they are what the screen shows.
func (ix *index) searchText(c *report.Connection) string {
	parts := []string{c.Client, c.Server, c.Protocol}
	if c.TLS != nil {
		parts = append(parts, c.TLS.SNI)
	}
	if c.QUIC != nil {
		parts = append(parts, c.QUIC.SNI)
	}
	if c.DNS != nil {
		parts = append(parts, c.DNS.Name)
	}
	for _, ti := range ix.txsOf(c.ID) {
		tx := &ix.rep.Transactions[ti]
		parts = append(parts, tx.Host, tx.Target)
	}
	for i, p := range parts {
		parts[i] = report.Escape(p)
	}
	// NUL cannot be typed into the filter, so a match never spans fields.
	return strings.ToLower(strings.Join(parts, "\x00"))
}

// filtered returns the rows matching filter (a case-insensitive substring of
// the searched text; empty matches all) in the order s.
func (ix *index) filtered(filter string, s Sort) []Row {
	f := strings.ToLower(filter)
	if f != "" && ix.search == nil {
		ix.search = make([]string, len(ix.rows))
		for i := range ix.rows {
			ix.search[i] = ix.searchText(ix.rows[i].Conn)
		}
	}
	sel := make([]int32, 0, len(ix.rows))
	for i := range ix.rows {
		if f == "" || strings.Contains(ix.search[i], f) {
			sel = append(sel, int32(i))
		}
	}
	// compareRows is a total order (ids are unique), so an unstable sort
	// of indexes is deterministic and avoids moving whole rows.
	slices.SortFunc(sel, func(a, b int32) int { return compareRows(&ix.rows[a], &ix.rows[b], s) })
	out := make([]Row, len(sel))
	for k, i := range sel {
		out[k] = ix.rows[i]
	}
	return out
}

// Rows returns the connection-table rows of rep whose client, server,
// protocol, server name or request host or target contains filter
// (case-insensitive, matched against the escaped text), ordered by s. Ties
// and rows without a value for the column (shown as "-", always last) are
// ordered by connection id.
func Rows(rep *report.Report, filter string, s Sort) []Row {
	return newIndex(rep).filtered(filter, s)
}

func compareRows(a, b *Row, s Sort) int {
	var c int
	missing := func(ma, mb bool) (int, bool) {
		switch {
		case ma && mb:
			return 0, true
		case ma:
			return 1, true
		case mb:
			return -1, true
		}
		return 0, false
	}
	switch s.Col {
	case ColClient:
		c = compareAddr(a.client, b.client, a.Conn.Client, b.Conn.Client)
	case ColServer:
		c = compareAddr(a.server, b.server, a.Conn.Server, b.Conn.Server)
	case ColProtocol:
		c = strings.Compare(a.Conn.Protocol, b.Conn.Protocol)
	case ColClose:
		c = compareClose(&a.Conn.Close, &b.Conn.Close)
	case ColRequests:
		if m, ok := missing(a.Requests < 0, b.Requests < 0); ok {
			if m != 0 {
				return m
			}
			break
		}
		c = cmp.Compare(a.Requests, b.Requests)
	case ColRTT:
		if m, ok := missing(a.RTTUS < 0, b.RTTUS < 0); ok {
			if m != 0 {
				return m
			}
			break
		}
		c = cmp.Compare(a.RTTUS, b.RTTUS)
	case ColBytes:
		c = cmp.Compare(a.Bytes, b.Bytes)
	case ColFindings:
		c = cmp.Compare(a.Findings, b.Findings)
	}
	if s.Desc {
		c = -c
	}
	if c == 0 {
		c = cmp.Compare(a.Conn.ID, b.Conn.ID)
		if s.Col == ColID && s.Desc {
			c = -c
		}
	}
	return c
}

// compareAddr orders endpoints by address then port, falling back to the
// text for endpoints that do not parse (those sort after the ones that do).
func compareAddr(a, b netip.AddrPort, as, bs string) int {
	switch {
	case a.IsValid() && b.IsValid():
		return a.Compare(b)
	case a.IsValid():
		return -1
	case b.IsValid():
		return 1
	}
	return strings.Compare(as, bs)
}

// compareClose orders closes like their CLOSE cells: by kind ("refused"
// standing in for the kind of a refused connection), then initiator.
func compareClose(a, b *report.Close) int {
	key := func(c *report.Close) (string, string) {
		if c.Refused {
			return "refused", ""
		}
		if c.Initiator == "none" {
			return c.Kind, ""
		}
		return c.Kind, c.Initiator
	}
	ak, ai := key(a)
	bk, bi := key(b)
	if c := strings.Compare(ak, bk); c != 0 {
		return c
	}
	return strings.Compare(ai, bi)
}

// closeCell is the CLOSE column: refused, open, or the close kind and the
// side that closed first.
func closeCell(c *report.Close) string {
	if c.Refused {
		return "refused"
	}
	s := orDash(report.Escape(c.Kind))
	if c.Initiator != "" && c.Initiator != "none" {
		s += "/" + report.Escape(c.Initiator)
	}
	return s
}

// Mode tells whether snapshots come from a live interface or a file.
type Mode string

// Modes shown in the status line; once the snapshot channel is closed the
// status line says "done" instead.
const (
	ModeLive   Mode = "live"
	ModeReplay Mode = "replay"
)

// StatusText is the status line: sources, packets, connections, requests,
// drops, anomalies and the run state (the mode, or "done" once no more
// snapshots will come).
func StatusText(rep *report.Report, mode Mode, done bool) string {
	state := string(mode)
	if done {
		state = "done"
	}
	if rep == nil {
		return "connscope [" + state + "]  waiting for the first snapshot"
	}
	var anoms uint64
	for _, v := range rep.Capture.Anomalies {
		anoms += v
	}
	conns := max(rep.Summary.TCPConnections, len(rep.Connections))
	src := "-"
	if len(rep.Capture.Sources) > 0 {
		src = joinEscaped(rep.Capture.Sources, ",")
	}
	if rep.Interrupted {
		state += ", interrupted"
	}
	// The state goes first so a narrow terminal still shows it.
	return fmt.Sprintf("connscope [%s]  %s  packets %d  conns %d  reqs %d  drops %d  anomalies %d  findings %d",
		state, src, rep.Capture.Packets, conns, rep.Summary.HTTPRequests, rep.Capture.Dropped, anoms, len(rep.Findings))
}

// sortedFindings returns finding indexes, most severe first, then by kind,
// then in report order.
func sortedFindings(fs []report.Finding, idx []int) []int {
	out := slices.Clone(idx)
	slices.SortStableFunc(out, func(a, b int) int {
		if c := report.CompareSeverityKind(&fs[a], &fs[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return out
}

// FindingLines returns one line per finding of rep, most severe first:
// severity, kind, what it is about, duration and count, and the summary.
func FindingLines(rep *report.Report) []string {
	lines, _ := newIndex(rep).findingLines()
	return lines
}

func findingLine(f *report.Finding, where bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-7s %-30s", orDash(report.Escape(strings.ToUpper(f.Severity))), report.Escape(f.Kind))
	if where {
		fmt.Fprintf(&b, " %-13s", findingWhere(f))
	} else if f.Transaction != nil {
		fmt.Fprintf(&b, " #%-3d", *f.Transaction)
	} else {
		b.WriteString("     ")
	}
	if f.DurationUS > 0 {
		b.WriteString(" " + report.FormatMicros(f.DurationUS))
	}
	if f.Count > 1 {
		fmt.Fprintf(&b, " x%d", f.Count)
	}
	b.WriteString("  " + report.Escape(f.Summary))
	return b.String()
}

// findingWhere names what a finding is about.
func findingWhere(f *report.Finding) string {
	switch {
	case f.Connection != nil && f.Transaction != nil:
		return fmt.Sprintf("conn %d #%d", *f.Connection, *f.Transaction)
	case f.Connection != nil:
		return fmt.Sprintf("conn %d", *f.Connection)
	case f.Peer != "":
		return "peer " + report.Escape(f.Peer)
	}
	return "capture"
}

// DetailLines describes connection id of rep: endpoints and protocol, the
// handshake halves and options, the close (kind, initiator, TIME_WAIT
// holder), counters, the request timeline with its timings, and the
// findings about the connection with their advice. It returns a one-line
// notice when the snapshot has no such connection.
func DetailLines(rep *report.Report, id uint32) []string {
	return newIndex(rep).detail(id)
}

func (ix *index) detail(id uint32) []string {
	var c *report.Connection
	if ix.rep != nil {
		for i := range ix.rep.Connections {
			if ix.rep.Connections[i].ID == id {
				c = &ix.rep.Connections[i]
				break
			}
		}
	}
	if c == nil {
		return []string{fmt.Sprintf("Connection %d is not in the current snapshot.", id)}
	}
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	start, hasStart := report.ParseTime(c.Start)
	rel := func(at string) string {
		t, ok := report.ParseTime(at)
		if !ok || !hasStart {
			return orDash(report.Escape(at))
		}
		return "+" + report.FormatMicros(t.Sub(start).Microseconds())
	}

	add("CONNECTION %d  %s  %s -> %s  %s", c.ID, orDash(report.Escape(c.Transport)), orDash(report.Escape(c.Client)),
		orDash(report.Escape(c.Server)), orDash(report.Escape(c.Protocol)))
	add("  start %s  duration %s  roles from %s  vantage %s", orDash(report.Escape(c.Start)), report.FormatMicros(c.DurationUS),
		orDash(report.Escape(c.RoleSource)), orDash(report.Escape(c.Vantage)))

	h := &c.Handshake
	add("")
	add("HANDSHAKE  %s", handshakeState(h))
	if h.RTTUS > 0 || h.ServerHalfUS > 0 || h.ClientHalfUS > 0 {
		add("  rtt %s = server half (SYN -> SYN/ACK) %s + client half (SYN/ACK -> ACK) %s",
			report.FormatMicros(h.RTTUS), report.FormatMicros(h.ServerHalfUS), report.FormatMicros(h.ClientHalfUS))
	}
	if h.SYNRetries > 0 || h.SYNACKRetries > 0 {
		add("  SYN retries %d  SYN/ACK retries %d", h.SYNRetries, h.SYNACKRetries)
	}
	add("  client options: %s", optionsText(h.Client))
	add("  server options: %s", optionsText(h.Server))
	ws := "not negotiated"
	if h.WindowScale >= 0 {
		ws = strconv.Itoa(h.WindowScale)
	}
	add("  negotiated: mss %s  window scale %s  sack %s  timestamps %s", intOrDash(h.MSS), ws, yesNo(h.SACK), yesNo(h.Timestamps))

	cl := &c.Close
	add("")
	add("CLOSE  %s  initiator %s  TIME_WAIT held by %s  at %s", orDash(report.Escape(cl.Kind)),
		orDash(report.Escape(cl.Initiator)), orDash(report.Escape(cl.TimeWaitHolder)), rel(cl.At))
	var flags []string
	if cl.Refused {
		flags = append(flags, "refused (RST to the SYN)")
	}
	if cl.HalfClosed {
		flags = append(flags, "half-closed")
	}
	if cl.Simultaneous {
		flags = append(flags, "simultaneous close")
	}
	if cl.RSTUnreadData {
		flags = append(flags, "RST after unread data")
	}
	if len(flags) > 0 {
		add("  %s", strings.Join(flags, ", "))
	}

	add("")
	add("TRAFFIC  client -> server / server -> client")
	add("  packets %d / %d  bytes %s / %s  payload %s / %s", c.Packets.ClientToServer, c.Packets.ServerToClient,
		fmtBytes(c.Bytes.ClientToServer), fmtBytes(c.Bytes.ServerToClient),
		fmtBytes(c.Payload.ClientToServer), fmtBytes(c.Payload.ServerToClient))
	t := &c.TCP
	add("  retransmissions %s  out of order %s  gaps %s  dup acks %s  zero windows %s",
		dir(t.Retransmissions), dir(t.OutOfOrder), dir(t.Gaps), dir(t.DupAcks), dir(t.ZeroWindowEvents))
	if t.RTTUS != nil {
		add("  data rtt min %s  p50 %s  max %s  (%d samples)", report.FormatMicros(t.RTTUS.Min), report.FormatMicros(t.RTTUS.P50), report.FormatMicros(t.RTTUS.Max), t.RTTUS.Samples)
	}
	if c.TLS != nil {
		add("  tls %s  sni %s  alpn %s  selected %s", orDash(report.Escape(c.TLS.Version)), orDash(report.Escape(c.TLS.SNI)),
			orDash(joinEscaped(c.TLS.ALPN, ",")), orDash(report.Escape(c.TLS.ALPNSelected)))
	}
	if c.H2 != nil {
		add("  h2 %s  streams %d  max concurrent %d", orDash(report.Escape(c.H2.Mode)), c.H2.Streams, c.H2.MaxConcurrentStreams)
	}
	if c.WebSocket != nil {
		w := c.WebSocket
		add("  websocket messages %d / %d  pings %d  pongs %d  close code %d by %s", w.MessagesClientToServer,
			w.MessagesServerToClient, w.Pings, w.Pongs, w.CloseCode, orDash(report.Escape(w.CloseInitiator)))
	}
	if c.QUIC != nil {
		add("  quic %s  sni %s  alpn %s", orDash(report.Escape(c.QUIC.Version)), orDash(report.Escape(c.QUIC.SNI)),
			orDash(joinEscaped(c.QUIC.ALPN, ",")))
	}
	if c.DNS != nil {
		add("  dns %s  lookup %s", orDash(report.Escape(c.DNS.Name)), report.FormatMicros(c.DNS.LookupUS))
	}
	if len(c.Anomalies) > 0 {
		keys := make([]string, 0, len(c.Anomalies))
		for k := range c.Anomalies {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", report.Escape(k), c.Anomalies[k])
		}
		add("  anomalies: %s", strings.Join(parts, ", "))
	}

	txs := ix.txsOf(c.ID)
	add("")
	if c.HTTP != nil {
		add("REQUESTS  %d requests, %d responses, %d pipelined, keep-alive %s", c.HTTP.Requests, c.HTTP.Responses,
			c.HTTP.Pipelined, yesNo(c.HTTP.KeepAlive))
	} else {
		add("REQUESTS  %d", len(txs))
	}
	if len(txs) > 0 {
		add("  %-4s %-10s %-7s %-6s %-9s %-9s %-9s %-9s %-10s %s", "#", "START", "METHOD", "STATUS", "CONNECT", "SEND", "WAIT", "RECEIVE", "RESP BODY", "REQUEST")
	}
	for _, ti := range txs {
		tx := &ix.rep.Transactions[ti]
		status := "-"
		if tx.Status != 0 {
			status = strconv.Itoa(tx.Status)
		}
		connect := "-"
		if tx.TimingsUS.Connect != nil {
			connect = report.FormatMicros(*tx.TimingsUS.Connect)
		}
		req := report.Escape(tx.Target)
		if tx.Host != "" {
			req = report.Escape(tx.Host) + " " + req
		}
		var notes []string
		if tx.Pipelined {
			notes = append(notes, "pipelined")
		}
		if tx.Truncated {
			notes = append(notes, "truncated")
		}
		if m := tx.MissingResponse(); m != "" {
			notes = append(notes, m)
		}
		for _, a := range tx.Anomalies {
			notes = append(notes, report.Escape(a))
		}
		wait, receive := "-", "-" // no response: nothing to measure
		if tx.Status != 0 {
			wait, receive = report.FormatMicros(tx.TimingsUS.Wait), report.FormatMicros(tx.TimingsUS.Receive)
		}
		line := fmt.Sprintf("  %-4d %-10s %-7s %-6s %-9s %-9s %-9s %-9s %-10s %s", tx.Index, rel(tx.RequestStart),
			orDash(report.Escape(tx.Method)), status, connect, report.FormatMicros(tx.TimingsUS.Send), wait,
			receive, fmtBytes(uint64(max(tx.ResponseBodyBytes, 0))), orDash(req))
		if len(notes) > 0 {
			line += "  [" + strings.Join(notes, ", ") + "]"
		}
		out = append(out, line)
	}

	fi := ix.finds[c.ID]
	add("")
	add("FINDINGS  %d", len(fi))
	for _, i := range sortedFindings(ix.rep.Findings, fi) {
		f := &ix.rep.Findings[i]
		out = append(out, "  "+findingLine(f, false))
		if f.Advice != "" {
			add("      advice: %s", report.Escape(f.Advice))
		}
	}
	return out
}

func handshakeState(h *report.Handshake) string {
	switch {
	case h.Complete:
		return "complete"
	case h.SYNSeen:
		return "incomplete (SYN seen)"
	}
	return "not seen"
}

func optionsText(o *report.TCPOptions) string {
	if o == nil {
		return "not seen"
	}
	ws := "absent"
	if o.WindowScale >= 0 {
		ws = strconv.Itoa(o.WindowScale)
	}
	return fmt.Sprintf("mss %s  window scale %s  sack %s  timestamps %s", intOrDash(o.MSS), ws, yesNo(o.SACKPermitted), yesNo(o.Timestamps))
}

// HelpLines is the text of the help screen.
func HelpLines() []string {
	return []string{
		"CONNSCOPE TOP  keys",
		"",
		"  Up/Down, k/j     move the selection (detail: scroll)",
		"  PgUp/PgDn        move by a page",
		"  Home/End, g/G    first / last row",
		"  Enter            details of the selected connection",
		"  /                filter: type a substring of client, server, protocol,",
		"                   server name or request host/target; Enter keeps it,",
		"                   Esc clears it",
		"  s                sort by the next column",
		"  r                reverse the sort",
		"  Esc              back out of the detail view, help or filter",
		"  ?                this help",
		"  q, Ctrl-C        quit",
		"",
		"Columns: RTT is the median data round trip, or the handshake RTT when",
		"there were no data samples; PAYLOAD is transport payload per direction;",
		"FIND counts the findings about the connection.",
		"Status: [live] while capturing, [replay] while reading a file, [done]",
		"when no more snapshots will come.",
	}
}

// WrapLines breaks lines wider than width runes at spaces (or anywhere,
// for a word wider than the line); continuation lines are indented four
// more than the line they continue. Lines that fit are kept as they are.
func WrapLines(lines []string, width int) []string {
	if width < 16 {
		return lines
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		r := []rune(l)
		if len(r) <= width {
			out = append(out, l)
			continue
		}
		indent := len(r) - len([]rune(strings.TrimLeft(l, " ")))
		cont := min(indent+4, width/2)
		for len(r) > width {
			// Break at the last space that leaves some text on the line.
			cut := width
			for i := width; i > indent+1; i-- {
				if r[i] == ' ' {
					cut = i
					break
				}
			}
			out = append(out, strings.TrimRight(string(r[:cut]), " "))
			rest := []rune(strings.TrimLeft(string(r[cut:]), " "))
			r = append([]rune(strings.Repeat(" ", cont)), rest...)
			indent = cont
		}
		out = append(out, string(r))
	}
	return out
}

// fmtBytes renders a byte count compactly: 512B, 1.5K, 20.0M.
func fmtBytes(b uint64) string {
	const unit = 1024
	if b < unit {
		return strconv.FormatUint(b, 10) + "B"
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit && exp < 4; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%c", float64(b)/float64(div), "KMGTP"[exp])
}

func dir(d report.DirCounts) string {
	return fmt.Sprintf("%d/%d", d.ClientToServer, d.ServerToClient)
}

func joinEscaped(ss []string, sep string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = report.Escape(s)
	}
	return strings.Join(out, sep)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func intOrDash(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
