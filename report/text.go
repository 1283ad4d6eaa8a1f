package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// TextOptions bound the length of the text report. A zero field takes its
// default; a negative one means no limit.
type TextOptions struct {
	// MaxConnections caps the "connections that matter" table (default 20).
	MaxConnections int
	// MaxTransactions caps the transactions table (default 20).
	MaxTransactions int
	// MaxPeers caps the peer table (default 20).
	MaxPeers int
	// MaxFindingsPerKind caps the finding lines listed under one severity
	// and kind (default 10); the group header still counts them all.
	MaxFindingsPerKind int
	// MaxTargetRunes caps how much of a request target is shown
	// (default 60).
	MaxTargetRunes int
}

// Defaults of TextOptions.
const (
	DefaultTextMaxConnections     = 20
	DefaultTextMaxTransactions    = 20
	DefaultTextMaxPeers           = 20
	DefaultTextMaxFindingsPerKind = 10
	DefaultTextMaxTargetRunes     = 60
)

// otherCounts lists the summary's counts beyond TCP and HTTP/1.x that are
// not zero ("2 TLS, 1 WebSocket"), or "".
func otherCounts(s *Summary) string {
	var other []string
	for _, p := range []struct {
		n    int
		name string
	}{
		{s.TLSConnections, "TLS"}, {s.WebSocketConnections, "WebSocket"},
		{s.H2Connections, "HTTP/2"}, {s.H2Streams, "HTTP/2 streams"},
		{s.QUICConnections, "QUIC"}, {s.DNSLookups, "DNS lookups"},
	} {
		if p.n > 0 {
			other = append(other, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	return strings.Join(other, ", ")
}

// capDefault applies the rule of the writers' caps to *v: 0 takes the
// default d, a negative value means no cap.
func capDefault(v *int, d int) {
	switch {
	case *v == 0:
		*v = d
	case *v < 0:
		*v = int(^uint(0) >> 1)
	}
}

func (o TextOptions) withDefaults() TextOptions {
	capDefault(&o.MaxConnections, DefaultTextMaxConnections)
	capDefault(&o.MaxTransactions, DefaultTextMaxTransactions)
	capDefault(&o.MaxPeers, DefaultTextMaxPeers)
	capDefault(&o.MaxFindingsPerKind, DefaultTextMaxFindingsPerKind)
	capDefault(&o.MaxTargetRunes, DefaultTextMaxTargetRunes)
	return o
}

// WriteText writes a report for a person: the headline numbers of the
// capture, the findings grouped by severity (error first) and kind with
// their advice, the peer table, the connections that matter (those with
// findings, resets, retransmissions or truncated transactions, then the
// slowest) and the transactions that matter. Tables are aligned and capped
// by opts. Every string from the capture passes through Escape, so the
// output holds no terminal control sequence. Times are shown as offsets
// from the capture start. The output is deterministic and r is not
// modified.
func WriteText(w io.Writer, r *Report, opts TextOptions) error {
	n, err := normalizedAll(r)
	if err != nil {
		return err
	}
	tw := &textWriter{r: n, o: opts.withDefaults()}
	if t, ok := ParseTime(n.Capture.Start); ok {
		tw.start, tw.hasStart = t, true
	}
	tw.header()
	tw.findings()
	tw.peers()
	tw.connections()
	tw.waterfall()
	tw.transactions()
	// Tables pad cells before an empty last column; drop that padding.
	lines := bytes.SplitAfter(tw.buf.Bytes(), []byte("\n"))
	out := make([]byte, 0, tw.buf.Len())
	for _, l := range lines {
		body, nl := bytes.CutSuffix(l, []byte("\n"))
		out = append(out, bytes.TrimRight(body, " ")...)
		if nl {
			out = append(out, '\n')
		}
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

type textWriter struct {
	r        *Report
	o        TextOptions
	buf      bytes.Buffer
	start    time.Time
	hasStart bool
}

func (t *textWriter) printf(format string, args ...any) {
	fmt.Fprintf(&t.buf, format, args...)
}

// table returns a tabwriter over the buffer; the caller must Flush it.
func (t *textWriter) table() *tabwriter.Writer {
	return tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
}

func (t *textWriter) header() {
	r := t.r
	name := r.Tool.Name
	if name == "" {
		name = "connscope"
	}
	if r.Tool.Version != "" {
		name += " " + r.Tool.Version
	}
	t.printf("%s report (schema %s)\n", Escape(name), Escape(r.SchemaVersion))
	if r.Interrupted {
		t.printf("INTERRUPTED: the capture was stopped before its end; counts are partial\n")
	}
	c := r.Capture
	s := r.Summary
	tw := t.table()
	fmt.Fprintf(tw, "  sources\t%s\n", joinEscaped(c.Sources, "-"))
	fmt.Fprintf(tw, "  formats\t%s; link %s\n", joinEscaped(c.Formats, "-"), joinEscaped(c.LinkTypes, "-"))
	span := "-"
	if c.Start != "" || c.End != "" {
		span = fmt.Sprintf("%s .. %s", Escape(c.Start), Escape(c.End))
	}
	fmt.Fprintf(tw, "  time\t%s (%s)\n", span, FormatMicros(c.DurationUS))
	fmt.Fprintf(tw, "  packets\t%d (%s), %d decoded, %d dropped\n", c.Packets, fmtBytes(c.Bytes), c.Decoded, c.Dropped)
	fmt.Fprintf(tw, "  connections\t%d TCP, %d reused, max %d parallel to one server\n",
		s.TCPConnections, s.ReusedConnections, s.MaxParallelConnections)
	if other := otherCounts(&s); other != "" {
		fmt.Fprintf(tw, "  also\t%s\n", other)
	}
	fmt.Fprintf(tw, "  http\t%d requests, %d responses, %d pipelined\n", s.HTTPRequests, s.HTTPResponses, s.PipelinedRequests)
	fmt.Fprintf(tw, "  vantage\t%s\n", orDash(Escape(c.Vantage)))
	fmt.Fprintf(tw, "  anomalies\t%s\n", fmtCounts(c.Anomalies))
	_ = tw.Flush()
}

// severityRank orders severities for display: error, warning, info, then
// anything else.
func severityRank(s string) int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	case SeverityInfo:
		return 2
	}
	return 3
}

// CompareSeverityKind orders findings most severe first (error, warning,
// info, then any other severity by name), then by kind: the order in which
// the text report and the terminal UI list them.
func CompareSeverityKind(a, b *Finding) int {
	if c := cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Severity, b.Severity); c != 0 {
		return c
	}
	return strings.Compare(a.Kind, b.Kind)
}

func (t *textWriter) findings() {
	fs := t.r.Findings
	total := 0
	for _, f := range fs {
		total += f.Count
	}
	t.printf("\nFINDINGS  %d, %d occurrences\n", len(fs), total)
	if len(fs) == 0 {
		t.printf("  none\n")
		return
	}
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return CompareSeverityKind(&fs[a], &fs[b]) })
	for start := 0; start < len(idx); {
		first := &fs[idx[start]]
		end := start
		occ := 0
		for end < len(idx) && fs[idx[end]].Severity == first.Severity && fs[idx[end]].Kind == first.Kind {
			occ += fs[idx[end]].Count
			end++
		}
		group := idx[start:end]
		t.printf("  %s  %s  %s, %s\n", strings.ToUpper(Escape(orDash(first.Severity))),
			Escape(first.Kind), plural(len(group), "finding"), plural(occ, "occurrence"))
		var advice []string
		for _, i := range group {
			if a := fs[i].Advice; a != "" && !slices.Contains(advice, a) {
				advice = append(advice, a)
			}
		}
		for _, a := range advice {
			t.printf("    advice: %s\n", Escape(a))
		}
		tw := t.table()
		for k, i := range group {
			if k == t.o.MaxFindingsPerKind {
				fmt.Fprintf(tw, "    ... %d more\n", len(group)-k)
				break
			}
			f := &fs[i]
			var extra []string
			if f.DurationUS > 0 {
				extra = append(extra, FormatMicros(f.DurationUS))
			}
			if f.Count > 1 {
				extra = append(extra, fmt.Sprintf("x%d", f.Count))
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", findingWhere(f), t.offset(f.At),
				strings.Join(extra, " "), Escape(f.Summary))
		}
		_ = tw.Flush()
		start = end
	}
}

// findingWhere names what a finding is about.
func findingWhere(f *Finding) string {
	switch {
	case f.Connection != nil && f.Transaction != nil:
		return fmt.Sprintf("conn %d #%d", *f.Connection, *f.Transaction)
	case f.Connection != nil:
		return fmt.Sprintf("conn %d", *f.Connection)
	case f.Peer != "":
		return "peer " + Escape(f.Peer)
	}
	return "capture"
}

func (t *textWriter) peers() {
	ps := slices.Clone(t.r.Peers)
	t.printf("\nPEERS  %d\n", len(ps))
	if len(ps) == 0 {
		t.printf("  none\n")
		return
	}
	// Busiest first; Normalize already ordered ties by (client, server).
	slices.SortStableFunc(ps, func(a, b Peer) int { return cmp.Compare(b.Connections, a.Connections) })
	tw := t.table()
	fmt.Fprintf(tw, "  CLIENT\tSERVER\tCONNS\tMAX PARALLEL\tCONN/S\tREQUESTS\tTIME_WAIT CLIENT/SERVER\tRESETS\tREFUSED\n")
	for i, p := range ps {
		if i == t.o.MaxPeers {
			fmt.Fprintf(tw, "  ... %d more\n", len(ps)-i)
			break
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\t%d\t%d/%d\t%d\t%d\n",
			orDash(Escape(p.Client)), orDash(Escape(p.Server)), p.Connections, p.MaxParallel,
			strconv.FormatFloat(p.ConnectionRatePerS, 'f', 2, 64), p.Requests,
			p.TimeWaitClient, p.TimeWaitServer, p.Resets, p.Refused)
	}
	_ = tw.Flush()
}

// connInfo is what the text report knows about one connection.
type connInfo struct {
	c         *Connection
	worst     int // best (lowest) severityRank of its findings; 4 without
	signals   int
	kinds     []string
	truncated bool
}

func (t *textWriter) connections() {
	r := t.r
	truncated := map[uint32]bool{}
	for _, tx := range r.Transactions {
		if tx.Truncated {
			truncated[tx.Connection] = true
		}
	}
	infos := make([]connInfo, len(r.Connections))
	for i := range r.Connections {
		c := &r.Connections[i]
		ci := connInfo{c: c, worst: 4, truncated: truncated[c.ID]}
		for _, fi := range c.Findings {
			if fi < 0 || fi >= len(r.Findings) {
				continue
			}
			f := &r.Findings[fi]
			ci.worst = min(ci.worst, severityRank(f.Severity))
			if !slices.Contains(ci.kinds, f.Kind) {
				ci.kinds = append(ci.kinds, f.Kind)
			}
		}
		slices.Sort(ci.kinds)
		for _, b := range []bool{len(ci.kinds) > 0, c.Close.Kind == "rst", c.Close.Refused,
			retrans(c) > 0, ci.truncated} {
			if b {
				ci.signals++
			}
		}
		infos[i] = ci
	}
	slices.SortStableFunc(infos, func(a, b connInfo) int {
		if c := boolFirst(a.signals > 0, b.signals > 0); c != 0 {
			return c
		}
		if c := cmp.Compare(a.worst, b.worst); c != 0 {
			return c
		}
		if c := cmp.Compare(b.signals, a.signals); c != 0 {
			return c
		}
		if c := cmp.Compare(b.c.DurationUS, a.c.DurationUS); c != 0 {
			return c
		}
		return cmpUint32(a.c.ID, b.c.ID)
	})
	shown := min(len(infos), t.o.MaxConnections)
	t.printf("\nCONNECTIONS THAT MATTER  %d of %d\n", shown, len(infos))
	if len(infos) == 0 {
		t.printf("  none\n")
		return
	}
	tw := t.table()
	fmt.Fprintf(tw, "  ID\tCLIENT\tSERVER\tPROTOCOL\tSTART\tDURATION\tREQS\tCLOSE\tRETRANS\tNOTES\n")
	for _, ci := range infos[:shown] {
		c := ci.c
		reqs := "-"
		if c.HTTP != nil {
			reqs = strconv.Itoa(c.HTTP.Requests)
		}
		var notes []string
		notes = append(notes, ci.kinds...)
		if ci.truncated {
			notes = append(notes, "truncated body")
		}
		if c.Close.Refused {
			notes = append(notes, "refused")
		}
		if c.TLS != nil && c.TLS.SNI != "" {
			notes = append(notes, "sni="+c.TLS.SNI)
		}
		if c.QUIC != nil && c.QUIC.SNI != "" {
			notes = append(notes, "sni="+c.QUIC.SNI)
		}
		if c.DNS != nil && c.DNS.Name != "" {
			notes = append(notes, "dns="+c.DNS.Name)
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n",
			c.ID, orDash(Escape(c.Client)), orDash(Escape(c.Server)), orDash(Escape(c.Protocol)), t.offset(c.Start),
			FormatMicros(c.DurationUS), reqs, closeText(&c.Close), retrans(c), escapeJoin(notes, ", "))
	}
	_ = tw.Flush()
}

// boolFirst orders true before false.
func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

func retrans(c *Connection) uint64 {
	return c.TCP.Retransmissions.ClientToServer + c.TCP.Retransmissions.ServerToClient
}

func closeText(c *Close) string {
	s := orDash(Escape(c.Kind))
	if c.Initiator != "" && c.Initiator != "none" {
		s += " by " + Escape(c.Initiator)
	}
	return s
}

// txInfo is what the text report knows about one transaction.
type txInfo struct {
	t     *Transaction
	worst int
	flags int
	kinds []string
	total int64
}

func (t *textWriter) transactions() {
	r := t.r
	if len(r.Transactions) == 0 {
		return
	}
	infos := make([]txInfo, len(r.Transactions))
	for i := range r.Transactions {
		tx := &r.Transactions[i]
		ti := txInfo{t: tx, worst: 4, total: tx.TimingsUS.Send + tx.TimingsUS.Wait + tx.TimingsUS.Receive}
		for _, fi := range tx.Findings {
			if fi < 0 || fi >= len(r.Findings) {
				continue
			}
			f := &r.Findings[fi]
			ti.worst = min(ti.worst, severityRank(f.Severity))
			if !slices.Contains(ti.kinds, f.Kind) {
				ti.kinds = append(ti.kinds, f.Kind)
			}
		}
		slices.Sort(ti.kinds)
		for _, b := range []bool{len(ti.kinds) > 0, tx.Truncated, tx.Status == 0, tx.Status >= 500} {
			if b {
				ti.flags++
			}
		}
		infos[i] = ti
	}
	slices.SortStableFunc(infos, func(a, b txInfo) int {
		if c := boolFirst(a.flags > 0, b.flags > 0); c != 0 {
			return c
		}
		if c := cmp.Compare(a.worst, b.worst); c != 0 {
			return c
		}
		if c := cmp.Compare(b.total, a.total); c != 0 {
			return c
		}
		if c := cmpUint32(a.t.Connection, b.t.Connection); c != 0 {
			return c
		}
		return cmp.Compare(a.t.Index, b.t.Index)
	})
	shown := min(len(infos), t.o.MaxTransactions)
	t.printf("\nTRANSACTIONS  %d of %d (problems first, then slowest)\n", shown, len(infos))
	tw := t.table()
	fmt.Fprintf(tw, "  CONN\t#\tSTART\tMETHOD\tSTATUS\tTOTAL\tWAIT\tRESP BYTES\tREQUEST\tNOTES\n")
	for _, ti := range infos[:shown] {
		tx := ti.t
		status := "-"
		if tx.Status != 0 {
			status = strconv.Itoa(tx.Status)
		}
		var notes []string
		notes = append(notes, ti.kinds...)
		if tx.Truncated {
			notes = append(notes, "truncated")
		}
		if m := tx.MissingResponse(); m != "" {
			notes = append(notes, m)
		}
		if tx.Pipelined {
			notes = append(notes, "pipelined")
		}
		if tx.Framing == "close_delimited" {
			notes = append(notes, "close-delimited")
		}
		total, wait := "-", "-" // no response: no wait to measure
		if tx.Status != 0 {
			total, wait = FormatMicros(ti.total), FormatMicros(tx.TimingsUS.Wait)
		}
		fmt.Fprintf(tw, "  %d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			tx.Connection, tx.Index, t.offset(tx.RequestStart), orDash(Escape(tx.Method)), status,
			total, wait, tx.ResponseBodyBytes, t.requestText(tx), escapeJoin(notes, ", "))
	}
	_ = tw.Flush()
}

// requestText is host and target, escaped and cut to MaxTargetRunes.
func (t *textWriter) requestText(tx *Transaction) string {
	s := Escape(tx.Host) + Escape(tx.Target)
	if tx.Host != "" && !strings.HasPrefix(tx.Target, "/") {
		s = Escape(tx.Host) + " " + Escape(tx.Target)
	}
	if utf8.RuneCountInString(s) <= t.o.MaxTargetRunes {
		return orDash(s)
	}
	cut := 0
	for i := range s {
		if cut == t.o.MaxTargetRunes-1 {
			return s[:i] + "…"
		}
		cut++
	}
	return s
}

// offset renders a report time as an offset from the capture start
// ("+1.250s"), or the escaped time itself when either is unknown.
func (t *textWriter) offset(at string) string {
	if at == "" {
		return "-"
	}
	tm, ok := ParseTime(at)
	if !ok || !t.hasStart {
		return Escape(at)
	}
	d := tm.Sub(t.start)
	if d < 0 {
		return "-" + FormatMicros(-d.Microseconds())
	}
	return "+" + FormatMicros(d.Microseconds())
}

// FormatMicros renders microseconds with a unit suited to the size: 850us,
// 12.3ms, 4.500s, 2m5s.
func FormatMicros(us int64) string {
	switch {
	case us < 0:
		return "-" + FormatMicros(-us)
	case us < 1000:
		return fmt.Sprintf("%dus", us)
	case us < 1_000_000:
		return fmt.Sprintf("%.1fms", float64(us)/1e3)
	case us < 60_000_000:
		return fmt.Sprintf("%.3fs", float64(us)/1e6)
	}
	return (time.Duration(us) * time.Microsecond).Round(time.Second).String()
}

// fmtBytes renders a byte count with a binary unit.
func fmtBytes(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit && exp < 4; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTP"[exp])
}

// fmtCounts renders token counts as "N (a 2, b 1)", largest first.
func fmtCounts(m map[string]uint64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	var total uint64
	for k, v := range m {
		keys = append(keys, k)
		total += v
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", Escape(k), m[k])
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

func joinEscaped(ss []string, empty string) string {
	if len(ss) == 0 {
		return empty
	}
	return escapeJoin(ss, ", ")
}

func escapeJoin(ss []string, sep string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Escape(s)
	}
	return strings.Join(out, sep)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
