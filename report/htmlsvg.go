package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Geometry of the SVG drawings, in CSS pixels.
const (
	svgWidth    = 1320
	wfLabelW    = 360
	wfRowH      = 18
	wfBarH      = 10
	wfTop       = 24
	tsgHeight   = 340
	tsgLeft     = 80
	tsgRight    = 20
	tsgTop      = 34
	tsgBottom   = 36
	maxTickRows = 3
)

// connPalette colours connections in a waterfall, in order of first
// appearance within the peer.
var connPalette = []string{"#5c6bc0", "#ef6c00", "#00897b", "#8e24aa", "#c0ca33", "#d81b60", "#3949ab", "#6d4c41"}

// px formats a coordinate with one decimal.
func px(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// tick is one labelled position on an axis.
type tick struct {
	Pos   string
	Label string
}

// niceStep returns a 1-2-5 step that divides span into about n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// timeTicks returns ticks every nice step of µs in [0, span] mapped by x.
func timeTicks(span float64, n int, x func(float64) float64) []tick {
	step := math.Max(1, niceStep(span, n))
	var out []tick
	for v := 0.0; v <= span+step/1e6; v += step {
		out = append(out, tick{Pos: px(x(v)), Label: FormatMicros(int64(v))})
		if len(out) > 40 {
			break
		}
	}
	return out
}

// svgRect is one bar.
type svgRect struct {
	X, Y, W, H string
	Class      string
	Title      string
}

// wfRow is one row of a waterfall.
type wfRow struct {
	Y, TextY, BarY string
	Label          string
	Href           string
	Color          string
	Stripe         bool
	LifeX1, LifeX2 string
	LifeY          string
	Open           string // x of the open marker, "" for none
	Close          string // x of the close marker, "" for none
	CloseKind      string // fin, rst or open
	Bars           []svgRect
	Title          string
	Shade          bool
}

// waterfall is one peer's network-panel drawing.
type waterfall struct {
	W, H      int
	LabelW    int
	AxisY     string
	GridY2    string
	Ticks     []tick
	Rows      []wfRow
	More      int
	ChartLeft string
	// Gaps are idle stretches drawn compressed.
	Gaps []svgRect
}

// wfTx is one transaction's position in a waterfall.
type wfTx struct {
	tx    *Transaction
	start int64
}

func (b *htmlBuilder) waterfall(g *peerGroup, txs map[uint32][]*Transaction) *waterfall {
	// Busy intervals of the peer, µs since the capture start.
	var busy [][2]int64
	conns := slices.Clone(g.conns)
	starts := map[uint32]int64{}
	for _, c := range conns {
		s, ok := b.relUS(c.Start)
		if !ok {
			continue
		}
		starts[c.ID] = s
		iv := [2]int64{s, s}
		if c.DNS != nil && c.DNS.LookupUS > 0 {
			iv[0] = s - c.DNS.LookupUS
		}
		if e, ok := b.relUS(c.End); ok {
			iv[1] = max(iv[1], e)
		}
		for _, tx := range txs[c.ID] {
			if t, ok := b.relUS(tx.RequestStart); ok {
				iv[1] = max(iv[1], t+tx.TimingsUS.Send+tx.TimingsUS.Wait+tx.TimingsUS.Receive)
			}
		}
		busy = append(busy, iv)
	}
	chartL := float64(wfLabelW)
	chartW := float64(svgWidth-wfLabelW) - 16
	ax := newTimeAxis(busy, chartL, chartW)
	x := ax.x
	w := &waterfall{W: svgWidth, LabelW: wfLabelW, ChartLeft: px(chartL)}
	w.Ticks = ax.ticks(8)
	for _, gp := range ax.gaps() {
		w.Gaps = append(w.Gaps, svgRect{X: px(gp.x), W: px(gp.w), Title: "idle " + FormatMicros(gp.real) + " (compressed)"})
	}
	slices.SortStableFunc(conns, func(a, c *Connection) int {
		sa, sc := starts[a.ID], starts[c.ID]
		if sa != sc {
			if sa < sc {
				return -1
			}
			return 1
		}
		return cmpUint32(a.ID, c.ID)
	})
	y := float64(wfTop)
	rows := 0
	for ci, c := range conns {
		color := connPalette[ci%len(connPalette)]
		cs, okStart := starts[c.ID]
		ce, okEnd := b.relUS(c.End)
		list := txs[c.ID]
		nrows := max(len(list), 1)
		for k := 0; k < nrows; k++ {
			if rows == b.o.MaxWaterfallRows {
				w.More++
				continue
			}
			rows++
			row := wfRow{
				Y:     px(y),
				TextY: px(y + wfRowH - 5),
				BarY:  px(y + (wfRowH-wfBarH)/2),
				LifeY: px(y + wfRowH/2),
				Color: color,
				Href:  b.connHref(c.ID),
				Shade: ci%2 == 1,
			}
			if okStart && okEnd {
				row.LifeX1, row.LifeX2 = px(x(cs)), px(x(max(ce, cs)))
			}
			var tx *Transaction
			if k < len(list) {
				tx = list[k]
			}
			row.Label, row.Title = b.wfLabel(c, tx, k)
			if k == 0 && okStart {
				row.Stripe = true
				row.Open = px(x(cs))
				if c.DNS != nil && c.DNS.LookupUS > 0 {
					row.Bars = append(row.Bars, wfBar(x, cs-c.DNS.LookupUS, c.DNS.LookupUS, y, "dns",
						fmt.Sprintf("DNS %s: %s", Escape(c.DNS.Name), FormatMicros(c.DNS.LookupUS))))
				}
				if tx != nil && tx.TimingsUS.Connect != nil {
					row.Bars = append(row.Bars, wfBar(x, cs, *tx.TimingsUS.Connect, y, "connect",
						"connect "+FormatMicros(*tx.TimingsUS.Connect)))
				} else if c.Handshake.RTTUS > 0 {
					row.Bars = append(row.Bars, wfBar(x, cs, c.Handshake.RTTUS, y, "connect",
						"connect "+FormatMicros(c.Handshake.RTTUS)))
				}
			}
			if tx != nil {
				if t0, ok := b.relUS(tx.RequestStart); ok {
					tm := tx.TimingsUS
					row.Bars = append(row.Bars,
						wfBar(x, t0, tm.Send, y, "send", "send "+FormatMicros(tm.Send)),
						wfBar(x, t0+tm.Send, tm.Wait, y, "wait", "wait "+FormatMicros(tm.Wait)),
						wfBar(x, t0+tm.Send+tm.Wait, tm.Receive, y, "receive", "receive "+FormatMicros(tm.Receive)))
				}
			}
			if k == nrows-1 && okEnd {
				row.Close = px(x(max(ce, cs)))
				row.CloseKind = "open"
				switch c.Close.Kind {
				case "fin", "rst":
					row.CloseKind = c.Close.Kind
				}
			}
			w.Rows = append(w.Rows, row)
			y += wfRowH
		}
	}
	w.AxisY = px(16)
	w.GridY2 = px(y)
	w.H = int(y) + 8
	return w
}

// wfBar is one phase bar, at least one pixel wide.
func wfBar(x func(int64) float64, at, dur int64, y float64, class, title string) svgRect {
	x1 := x(at)
	wd := math.Max(x(at+max(dur, 0))-x1, 1)
	return svgRect{X: px(x1), Y: px(y + (wfRowH-wfBarH)/2), W: px(wd), H: px(wfBarH), Class: class, Title: title}
}

// wfLabel is a row's label and tooltip.
func (b *htmlBuilder) wfLabel(c *Connection, tx *Transaction, k int) (string, string) {
	prefix := "#" + strconv.FormatUint(uint64(c.ID), 10)
	if tx == nil {
		lbl := prefix + " " + orDash(Escape(c.Protocol))
		if c.Close.Refused {
			lbl += " refused"
		}
		return lbl, fmt.Sprintf("connection %d %s → %s, %s, close %s", c.ID, Escape(c.Client), Escape(c.Server),
			FormatMicros(c.DurationUS), closeText(&c.Close))
	}
	if k > 0 {
		prefix = "  ↳"
	}
	status := "-"
	if tx.Status != 0 {
		status = strconv.Itoa(tx.Status)
	}
	target := cutRunes(Escape(tx.Target), 34)
	lbl := fmt.Sprintf("%s %s %s %s", prefix, orDash(Escape(tx.Method)), target, status)
	tm := tx.TimingsUS
	if m := tx.MissingResponse(); m != "" {
		return lbl, fmt.Sprintf("connection %d request %d: %s %s%s → %s, send %s",
			c.ID, tx.Index, Escape(tx.Method), Escape(tx.Host), Escape(tx.Target), m, FormatMicros(tm.Send))
	}
	title := fmt.Sprintf("connection %d request %d: %s %s%s → %s, send %s, wait %s, receive %s, %d body bytes",
		c.ID, tx.Index, Escape(tx.Method), Escape(tx.Host), Escape(tx.Target), status,
		FormatMicros(tm.Send), FormatMicros(tm.Wait), FormatMicros(tm.Receive), tx.ResponseBodyBytes)
	return lbl, title
}

// cutRunes shortens s to n runes with an ellipsis.
func cutRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

// tsgPanel is one direction's time-sequence graph of a connection.
type tsgPanel struct {
	Title                string
	W, H                 int
	ClipID               string
	PlotX, PlotY         string
	PlotW, PlotH         string
	PlotR, PlotB         string
	XTicks, YTicks       []tick
	XLabelY, YLabelX     string
	Data, Retrans, Other string
	Ack, Win             string
	Bands                []tsgBand
	Marks                []tsgMark
	Rounds               []tsgMark
	Flags                []tsgMark
	Note                 string
}

// tsgBand is a shaded time span (a stall or an idle period).
type tsgBand struct {
	X, W    string
	Class   string
	Label   string
	LabelX  string
	Title   string
	LabelY  string
	LabelOK bool
}

// tsgMark is a labelled vertical marker.
type tsgMark struct {
	X, Y   string
	Label  string
	Class  string
	Title  string
	LabelY string
	// Anchor is the label's text-anchor: start, or end near the right
	// edge so the label stays inside the drawing.
	Anchor string
	DX     string
}

// evDir returns the direction a finding's evidence names: 0 client to
// server, 1 server to client, -1 unknown.
func evDir(f *Finding) int {
	switch fmt.Sprint(f.Evidence["direction"]) {
	case "client_to_server", "request", "client":
		return 0
	case "server_to_client", "response", "server":
		return 1
	}
	return -1
}

// evNum reads a numeric evidence value.
func evNum(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// evNums reads a list of numbers from evidence.
func evNums(v any) []float64 {
	var out []float64
	switch l := v.(type) {
	case []int64:
		for _, n := range l {
			out = append(out, float64(n))
		}
	case []int:
		for _, n := range l {
			out = append(out, float64(n))
		}
	case []any:
		for _, e := range l {
			if f, ok := evNum(e); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// Finding kinds the graphs annotate specially.
const (
	kindNagle        = "tcp_nagle_delayed_ack_stall"
	kindSlowStart    = "tcp_slow_start_bound"
	kindStartRestart = "tcp_slow_start_restart"
)

func (b *htmlBuilder) tsgPanel(c *Connection, d int, fs []*Finding, connStart int64) *tsgPanel {
	s := c.Series
	var data, acks []SeqPoint
	for _, p := range s.Points {
		switch {
		case p.Dir == d && p.Len > 0:
			data = append(data, p)
		case p.Dir != d && p.Ack >= 0:
			acks = append(acks, p)
		}
	}
	if len(data) == 0 {
		return nil
	}
	var tMax int64
	for _, p := range s.Points {
		tMax = max(tMax, p.TRelUS)
	}
	tMax = max(tMax, c.DurationUS, 1)
	yLo, yHi := int64(math.MaxInt64), int64(0)
	for _, p := range data {
		yLo = min(yLo, p.RelSeq)
		yHi = max(yHi, p.RelSeq+int64(p.Len))
	}
	for _, p := range acks {
		if p.Ack <= yHi+yHi/2+1 {
			yHi = max(yHi, p.Ack)
		}
	}
	yLo = max(min(yLo, 0), -1)
	yTop := float64(yHi) + float64(yHi-yLo)*0.12 + 1
	pw := float64(svgWidth - tsgLeft - tsgRight)
	ph := float64(tsgHeight - tsgTop - tsgBottom)
	x := func(us float64) float64 { return tsgLeft + us/float64(tMax)*pw }
	y := func(seq float64) float64 { return tsgTop + ph - (seq-float64(yLo))/(yTop-float64(yLo))*ph }
	dirName := [2]string{"client → server", "server → client"}[d&1]
	p := &tsgPanel{
		Title:   fmt.Sprintf("%s: %d data segments", dirName, len(data)),
		W:       svgWidth,
		H:       tsgHeight,
		ClipID:  fmt.Sprintf("clip-%d-%d", c.ID, d),
		PlotX:   px(tsgLeft),
		PlotY:   px(tsgTop),
		PlotW:   px(pw),
		PlotH:   px(ph),
		PlotR:   px(tsgLeft + pw),
		PlotB:   px(tsgTop + ph),
		XLabelY: px(tsgTop + ph + 16),
		YLabelX: px(tsgLeft - 6),
	}
	p.XTicks = timeTicks(float64(tMax), 10, x)
	ystep := math.Max(1, niceStep(yTop-float64(yLo), 6))
	for v := math.Ceil(float64(yLo)/ystep) * ystep; v <= yTop; v += ystep {
		p.YTicks = append(p.YTicks, tick{Pos: px(y(v)), Label: seqLabel(v)})
		if len(p.YTicks) > 20 {
			break
		}
	}
	// Data segments: vertical bars from seq to seq+len (at least 1.5 px).
	var dataP, reP, otherP strings.Builder
	for _, q := range data {
		x0 := x(float64(q.TRelUS))
		y0 := y(float64(q.RelSeq))
		y1 := math.Min(y(float64(q.RelSeq+int64(q.Len))), y0-1.5)
		sb := &dataP
		switch q.Kind {
		case SeqRetransmission:
			sb = &reP
		case SeqOutOfOrder, SeqKeepAlive, SeqZeroWindowProbe:
			sb = &otherP
		}
		fmt.Fprintf(sb, "M%s %sV%s", px(x0), px(y0), px(y1))
	}
	p.Data, p.Retrans, p.Other = dataP.String(), reP.String(), otherP.String()
	// ACK and window lines as steps.
	var ackP, winP strings.Builder
	var winMax int64
	for i, q := range acks {
		xa, ya, yw := px(x(float64(q.TRelUS))), px(y(float64(q.Ack))), px(y(float64(q.Ack+q.Window)))
		winMax = max(winMax, q.Ack+q.Window)
		if i == 0 {
			fmt.Fprintf(&ackP, "M%s %s", xa, ya)
			fmt.Fprintf(&winP, "M%s %s", xa, yw)
			continue
		}
		fmt.Fprintf(&ackP, "H%sV%s", xa, ya)
		fmt.Fprintf(&winP, "H%sV%s", xa, yw)
	}
	if len(acks) > 0 {
		fmt.Fprintf(&ackP, "H%s", px(x(float64(tMax))))
		fmt.Fprintf(&winP, "H%s", px(x(float64(tMax))))
	}
	p.Ack, p.Win = ackP.String(), winP.String()
	if float64(winMax) > yTop {
		p.Note = fmt.Sprintf("the receive window line (ack + window) rises above the plot, up to %s", seqLabel(float64(winMax)))
	}
	// SYN, FIN and RST of this direction.
	for _, q := range s.Points {
		if q.Dir != d || q.Flags == "" || q.Flags == "S" {
			continue
		}
		cls := "fin"
		if strings.Contains(q.Flags, "R") {
			cls = "rst"
		}
		xx := x(float64(q.TRelUS))
		p.Flags = append(p.Flags, tsgMark{X: px(xx), Y: px(tsgTop + ph - 4), Label: strings.ReplaceAll(q.Flags, "S", ""), Class: cls})
	}
	b.tsgFindings(p, c, d, fs, connStart, data, acks, x, y, s.MSS)
	return p
}

// seqLabel renders a relative sequence number with a byte unit.
func seqLabel(v float64) string {
	if v < 0 {
		return "-" + seqLabel(-v)
	}
	if v < 10_000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return fmtBytes(uint64(v))
}

// tsgFindings marks the connection's findings on a panel: a dashed line at
// each finding's time, shaded Nagle/delayed-ACK stalls, the idle period
// before a slow-start restart and the rounds of a slow-start-bound
// transfer.
func (b *htmlBuilder) tsgFindings(p *tsgPanel, c *Connection, d int, fs []*Finding, connStart int64,
	data, acks []SeqPoint, x, y func(float64) float64, mss int) {
	ph := tsgHeight - tsgTop - tsgBottom
	row := 0
	for _, f := range fs {
		if fd := evDir(f); fd >= 0 && fd != d {
			continue
		}
		at, ok := b.relUS(f.At)
		if !ok {
			continue
		}
		rel := float64(at - connStart)
		xx := x(rel)
		ly := float64(tsgTop - 6 - 10*(row%maxTickRows))
		row++
		mk := tsgMark{X: px(xx), Y: px(tsgTop), LabelY: px(ly), Label: Escape(f.Kind),
			Class: sevClass(f.Severity), Title: Escape(f.Summary), Anchor: "start", DX: "2"}
		if xx > tsgLeft+0.7*float64(svgWidth-tsgLeft-tsgRight) {
			mk.Anchor, mk.DX = "end", "-2"
		}
		p.Marks = append(p.Marks, mk)
		switch f.Kind {
		case kindNagle:
			p.Bands = append(p.Bands, nagleBands(data, acks, x, mss)...)
		case kindStartRestart:
			if idle, ok := evNum(f.Evidence["idle_us"]); ok && idle > 0 {
				x0 := x(math.Max(rel-idle, 0))
				p.Bands = append(p.Bands, tsgBand{X: px(x0), W: px(math.Max(xx-x0, 1)), Class: "idle",
					Label: "idle " + FormatMicros(int64(idle)) + " → restart", LabelX: px(x0 + 3), LabelY: px(tsgTop + 12), LabelOK: xx-x0 > 60,
					Title: "idle period before the slow-start restart"})
			}
		case kindSlowStart:
			flights := evNums(f.Evidence["flights"])
			var base int64 = -1
			for _, q := range data {
				if float64(q.TRelUS) >= rel && q.Kind == SeqData {
					base = q.RelSeq
					break
				}
			}
			if base < 0 {
				continue
			}
			cum := float64(base)
			for k, fl := range flights {
				for _, q := range data {
					if float64(q.RelSeq) >= cum && q.Kind == SeqData {
						qx := x(float64(q.TRelUS))
						p.Rounds = append(p.Rounds, tsgMark{X: px(qx), Y: px(y(float64(q.RelSeq))), LabelY: px(float64(tsgTop + ph - 18)),
							Label: "R" + strconv.Itoa(k+1), Title: fmt.Sprintf("slow-start round %d: %s in flight", k+1, seqLabel(fl))})
						break
					}
				}
				cum += fl
			}
		}
	}
}

// nagleBands shades the Nagle + delayed-ACK stalls of one direction: a
// segment smaller than the MSS, then no data of this direction until the
// peer's ACK of it at least 20 ms later, and the next data right after
// that ACK (within 5 ms: the sender was holding it).
func nagleBands(data, acks []SeqPoint, x func(float64) float64, mss int) []tsgBand {
	if mss <= 0 {
		mss = 1460
	}
	var out []tsgBand
	ai := 0
	for i := 0; i+1 < len(data); i++ {
		s1, s2 := data[i], data[i+1]
		if s1.Len >= mss || s2.TRelUS-s1.TRelUS < stallGapUS {
			continue
		}
		end := s1.RelSeq + int64(s1.Len)
		for ai < len(acks) && acks[ai].TRelUS < s1.TRelUS {
			ai++
		}
		for j := ai; j < len(acks) && acks[j].TRelUS <= s2.TRelUS; j++ {
			a := acks[j]
			if a.Ack < end {
				continue
			}
			if a.TRelUS-s1.TRelUS >= stallGapUS && s2.TRelUS-a.TRelUS <= 5000 {
				x0, x1 := x(float64(s1.TRelUS)), x(float64(s2.TRelUS))
				out = append(out, tsgBand{X: px(x0), W: px(math.Max(x1-x0, 2)), Class: "stall",
					Label: "Nagle/delayed-ACK " + FormatMicros(s2.TRelUS-s1.TRelUS), LabelX: px(x0 + 2),
					LabelY: px(tsgTop + 12), LabelOK: x1-x0 > 90,
					Title: fmt.Sprintf("%d-byte segment held its successor until the delayed ACK %s later", s1.Len, FormatMicros(a.TRelUS-s1.TRelUS))})
			}
			break
		}
	}
	return out
}
