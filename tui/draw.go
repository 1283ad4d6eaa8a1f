package tui

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"

	"connscope/report"
)

var (
	styleBase     = tcell.StyleDefault
	styleStatus   = tcell.StyleDefault.Reverse(true)
	styleHeader   = tcell.StyleDefault.Bold(true).Underline(true)
	styleSelected = tcell.StyleDefault.Reverse(true)
	styleTitle    = tcell.StyleDefault.Bold(true)
	styleError    = tcell.StyleDefault.Foreground(tcell.ColorRed)
	styleWarning  = tcell.StyleDefault.Foreground(tcell.ColorYellow)
	styleDim      = tcell.StyleDefault.Dim(true)
)

// columnCaps are the widest each column grows; client and server also
// shrink first when the screen is narrow.
var columnCaps = [NumColumns]int{6, 47, 47, 12, 14, 5, 9, 17, 4}

const columnGap = 2

// draw renders the model on the screen and shows it.
func draw(s tcell.Screen, m *model) {
	w, h := s.Size()
	m.resize(w, h)
	m.refresh()
	m.clamp()
	s.SetStyle(styleBase)
	s.Clear()
	s.HideCursor()
	status := StatusText(m.rep, m.mode, m.done)
	if m.rep != nil {
		status += fmt.Sprintf("  rows %d/%d  sort %s", len(m.rows), len(m.ix.rows), m.sort)
	}
	fillLine(s, 0, w, status, styleStatus)
	switch m.view {
	case viewHelp:
		drawLines(s, 1, h-2, WrapLines(HelpLines(), w), 0)
		putText(s, 0, h-1, w, "Esc or ? back  q quit", styleDim)
	case viewDetail:
		drawLines(s, 1, h-2, m.detailLines(), m.detailTop)
		putText(s, 0, h-1, w, "Esc back  Up/Down PgUp/PgDn scroll  ? help  q quit", styleDim)
	default:
		drawTable(s, m)
	}
	s.Show()
}

// drawLines draws lines from first on rows top..top+n-1.
func drawLines(s tcell.Screen, top, n int, lines []string, first int) {
	w, _ := s.Size()
	for i := 0; i < n && first+i < len(lines); i++ {
		st := styleBase
		l := lines[first+i]
		if l != "" && l[0] != ' ' {
			st = styleTitle
		}
		putText(s, 0, top+i, w, l, st)
	}
}

func drawTable(s tcell.Screen, m *model) {
	w, _ := s.Size()
	a := m.layout()
	widths := m.ix.columnWidths(w)
	if a.tableTop-1 < a.bottom {
		x := 0
		for c := Column(0); c < NumColumns; c++ {
			putText(s, x, a.tableTop-1, widths[c], c.String(), styleHeader)
			x += widths[c] + columnGap
		}
	}
	switch {
	case len(m.rows) == 0 && m.rep == nil:
		putText(s, 1, a.tableTop, w-1, "waiting for the first snapshot...", styleDim)
	case len(m.rows) == 0 && m.filter != "":
		putText(s, 1, a.tableTop, w-1, "no connection matches the filter", styleDim)
	case len(m.rows) == 0:
		putText(s, 1, a.tableTop, w-1, "no connections yet", styleDim)
	}
	for i := 0; i < a.tableRows && m.top+i < len(m.rows); i++ {
		r := &m.rows[m.top+i]
		y := a.tableTop + i
		st := styleBase
		if m.top+i == m.sel {
			st = styleSelected
			fillLine(s, y, w, "", st)
		}
		cells := r.Cells()
		x := 0
		for c := Column(0); c < NumColumns; c++ {
			putText(s, x, y, widths[c], cells[c], st)
			x += widths[c] + columnGap
		}
	}
	if a.findingsTop >= 0 {
		drawFindings(s, m, a)
	}
	drawBottom(s, m, a.bottom, w)
}

func drawFindings(s tcell.Screen, m *model, a areas) {
	w, _ := s.Size()
	n := m.findingCount()
	putText(s, 0, a.findingsTop, w, fmt.Sprintf("FINDINGS  %d (most severe first)", n), styleTitle)
	if m.rep == nil {
		return
	}
	lines, order := m.ix.findingLines()
	rows := a.findingsRows
	if len(lines) > rows && rows > 0 {
		rows-- // room for the "more" line
	}
	for i := 0; i < rows && i < len(lines); i++ {
		st := styleBase
		switch m.rep.Findings[order[i]].Severity {
		case report.SeverityError:
			st = styleError
		case report.SeverityWarning:
			st = styleWarning
		}
		putText(s, 1, a.findingsTop+1+i, w-1, lines[i], st)
	}
	if len(lines) > rows && a.findingsRows > 0 {
		putText(s, 1, a.findingsTop+1+rows, w-1, fmt.Sprintf("... %d more (Enter on a connection shows its findings)", len(lines)-rows), styleDim)
	}
}

func drawBottom(s tcell.Screen, m *model, y, w int) {
	if y < 1 {
		return
	}
	if m.editing {
		text := "/" + report.Escape(m.filter)
		n := putText(s, 0, y, w, text, styleBase)
		s.ShowCursor(n, y)
		putText(s, n+2, y, w-n-2, "Enter keep  Esc clear", styleDim)
		return
	}
	hint := "? help  / filter  s sort  r reverse  Enter details  q quit"
	if m.filter != "" {
		hint = "filter: " + report.Escape(m.filter) + " (Esc clears)  " + hint
	}
	putText(s, 0, y, w, hint, styleDim)
}

// columnWidths sizes the columns that hold names (id, client, server,
// protocol, close) to their widest text over all rows of the snapshot,
// within their caps, so widths do not jump while filtering or scrolling;
// measure columns have fixed widths. Client and server then narrow (to no
// less than 15) when the row is wider than the screen.
func (ix *index) columnWidths(screen int) [NumColumns]int {
	if !ix.hasWidths {
		for c := Column(0); c < NumColumns; c++ {
			ix.widths[c] = textWidth(c.String())
		}
		ix.widths[ColRTT] = max(ix.widths[ColRTT], 8)
		ix.widths[ColRequests] = max(ix.widths[ColRequests], 4)
		var maxID uint32
		for i := range ix.rows {
			c := ix.rows[i].Conn
			maxID = max(maxID, c.ID)
			// Escape does not allocate for clean text.
			ix.widths[ColClient] = max(ix.widths[ColClient], textWidth(report.Escape(c.Client)))
			ix.widths[ColServer] = max(ix.widths[ColServer], textWidth(report.Escape(c.Server)))
			ix.widths[ColProtocol] = max(ix.widths[ColProtocol], textWidth(report.Escape(c.Protocol)))
			cl := textWidth(report.Escape(c.Close.Kind))
			if c.Close.Initiator != "" && c.Close.Initiator != "none" {
				cl += 1 + textWidth(report.Escape(c.Close.Initiator))
			}
			ix.widths[ColClose] = max(ix.widths[ColClose], cl)
		}
		ix.widths[ColID] = max(ix.widths[ColID], len(strconv.FormatUint(uint64(maxID), 10)))
		for c := Column(0); c < NumColumns; c++ {
			ix.widths[c] = min(ix.widths[c], max(columnCaps[c], textWidth(c.String())))
		}
		ix.hasWidths = true
	}
	w := ix.widths
	total := 0
	for _, n := range w {
		total += n + columnGap
	}
	for over := total - screen; over > 0; over-- {
		switch {
		case w[ColClient] >= w[ColServer] && w[ColClient] > 15:
			w[ColClient]--
		case w[ColServer] > 15:
			w[ColServer]--
		default:
			return w
		}
	}
	return w
}

// textWidth approximates the cells a string takes (one per rune); putText
// clips by the real grapheme widths.
func textWidth(s string) int { return utf8.RuneCountInString(s) }

// putText draws text from column x on row y within width cells, ending it
// with "…" when it does not fit, and returns the cells used. text must be
// escaped already.
func putText(s tcell.Screen, x, y, width int, text string, st tcell.Style) int {
	if width <= 0 {
		return 0
	}
	x0, limit := x, x+width
	for text != "" && x < limit {
		rest, n := s.Put(x, y, text, st)
		if rest == text {
			break
		}
		if n < 1 {
			n = 1
		}
		switch {
		case x+n > limit:
			// A wide grapheme crosses the limit.
			s.SetContent(x, y, '…', nil, st)
			return limit - x0
		case rest != "" && x+n >= limit:
			s.SetContent(limit-1, y, '…', nil, st)
			return limit - x0
		}
		x += n
		text = rest
	}
	return x - x0
}

// fillLine fills row y with st and draws text on it.
func fillLine(s tcell.Screen, y, w int, text string, st tcell.Style) {
	for x := 0; x < w; x++ {
		s.SetContent(x, y, ' ', nil, st)
	}
	putText(s, 0, y, w, text, st)
}
