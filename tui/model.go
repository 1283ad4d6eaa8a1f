package tui

import (
	"github.com/gdamore/tcell/v2"

	"connscope/report"
)

// view is the screen the UI shows.
type view int

const (
	viewTable view = iota
	viewDetail
	viewHelp
)

// model is the UI state: the latest snapshot, what is shown and how. It
// never touches a screen; draw renders it.
type model struct {
	mode Mode
	done bool

	rep *report.Report
	ix  *index

	view view
	// back is the view help returns to.
	back view

	filter  string
	editing bool
	sort    Sort

	rows  []Row
	stale bool // rows must be rebuilt from ix

	// sel is the selected row; selID keeps the selection on the same
	// connection across snapshots, sorts and filters.
	sel    int
	selID  uint32
	hasSel bool
	top    int // first table row shown

	detailID  uint32
	detail    []string
	detailTop int

	width, height int
}

func newModel(mode Mode) *model {
	return &model{mode: mode, ix: newIndex(nil), stale: true}
}

// setSnapshot makes rep the snapshot shown. The work on it is deferred to
// the next refresh, so snapshots arriving faster than the screen is drawn
// cost nothing.
func (m *model) setSnapshot(rep *report.Report) {
	m.rep = rep
	m.ix = nil
	m.stale = true
}

// setDone records that no more snapshots will come.
func (m *model) setDone() { m.done = true }

func (m *model) resize(w, h int) { m.width, m.height = w, h }

// refresh rebuilds the rows when the snapshot, filter or sort changed and
// keeps the selection on the same connection when it is still listed.
func (m *model) refresh() {
	if m.ix == nil {
		m.ix = newIndex(m.rep)
		if m.view == viewDetail || (m.view == viewHelp && m.back == viewDetail) {
			m.detail = m.ix.detail(m.detailID)
			m.detailTop = min(m.detailTop, max(len(m.detail)-1, 0))
		}
	}
	if !m.stale {
		return
	}
	m.stale = false
	m.rows = m.ix.filtered(m.filter, m.sort)
	if m.hasSel {
		for i := range m.rows {
			if m.rows[i].Conn.ID == m.selID {
				m.sel = i
				m.clamp()
				return
			}
		}
	}
	m.clamp()
}

// clamp keeps the selection and scroll inside the rows and the table area.
func (m *model) clamp() {
	if len(m.rows) == 0 {
		m.sel, m.top, m.hasSel = 0, 0, false
		return
	}
	m.sel = min(max(m.sel, 0), len(m.rows)-1)
	m.selID, m.hasSel = m.rows[m.sel].Conn.ID, true
	page := max(m.layout().tableRows, 1)
	if m.sel < m.top {
		m.top = m.sel
	}
	if m.sel >= m.top+page {
		m.top = m.sel - page + 1
	}
	m.top = min(max(m.top, 0), max(len(m.rows)-page, 0))
}

// handleKey applies a key and reports whether the UI should quit.
func (m *model) handleKey(ev *tcell.EventKey) bool {
	if ev.Key() == tcell.KeyCtrlC {
		return true
	}
	m.refresh()
	if m.editing {
		m.editKey(ev)
		return false
	}
	if ev.Key() == tcell.KeyRune {
		switch ev.Rune() {
		case 'q':
			return true
		case '?':
			if m.view == viewHelp {
				m.view = m.back
			} else {
				m.back, m.view = m.view, viewHelp
			}
			return false
		}
	}
	switch m.view {
	case viewHelp:
		if ev.Key() == tcell.KeyEscape || ev.Key() == tcell.KeyBackspace || ev.Key() == tcell.KeyBackspace2 {
			m.view = m.back
		}
	case viewDetail:
		m.detailKey(ev)
	default:
		m.tableKey(ev)
	}
	return false
}

func (m *model) editKey(ev *tcell.EventKey) {
	switch ev.Key() {
	case tcell.KeyEnter:
		m.editing = false
	case tcell.KeyEscape:
		m.editing = false
		m.filter = ""
		m.stale = true
	case tcell.KeyBackspace, tcell.KeyBackspace2:
		if r := []rune(m.filter); len(r) > 0 {
			m.filter = string(r[:len(r)-1])
			m.stale = true
		}
	case tcell.KeyCtrlU:
		m.filter = ""
		m.stale = true
	case tcell.KeyRune:
		if len(m.filter) < 256 {
			m.filter += string(ev.Rune())
			m.stale = true
		}
	}
	m.refresh()
}

func (m *model) tableKey(ev *tcell.EventKey) {
	page := max(m.layout().tableRows, 1)
	switch ev.Key() {
	case tcell.KeyUp:
		m.sel--
	case tcell.KeyDown:
		m.sel++
	case tcell.KeyPgUp:
		m.sel -= page
	case tcell.KeyPgDn:
		m.sel += page
	case tcell.KeyHome:
		m.sel = 0
	case tcell.KeyEnd:
		m.sel = len(m.rows) - 1
	case tcell.KeyEnter:
		if len(m.rows) > 0 {
			m.openDetail(m.rows[m.sel].Conn.ID)
		}
		return
	case tcell.KeyEscape:
		if m.filter != "" {
			m.filter = ""
			m.stale = true
			m.refresh()
		}
		return
	case tcell.KeyRune:
		switch ev.Rune() {
		case 'k':
			m.sel--
		case 'j':
			m.sel++
		case 'g':
			m.sel = 0
		case 'G':
			m.sel = len(m.rows) - 1
		case '/':
			m.editing = true
			return
		case 's':
			m.sort = m.sort.Next()
			m.stale = true
			m.refresh()
			return
		case 'r':
			m.sort.Desc = !m.sort.Desc
			m.stale = true
			m.refresh()
			return
		default:
			return
		}
	default:
		return
	}
	m.clamp()
}

func (m *model) openDetail(id uint32) {
	m.view, m.detailID, m.detailTop = viewDetail, id, 0
	m.detail = m.ix.detail(id)
}

func (m *model) detailKey(ev *tcell.EventKey) {
	page := max(m.height-2, 1)
	switch ev.Key() {
	case tcell.KeyEscape, tcell.KeyBackspace, tcell.KeyBackspace2:
		m.view = viewTable
		return
	case tcell.KeyUp:
		m.detailTop--
	case tcell.KeyDown:
		m.detailTop++
	case tcell.KeyPgUp:
		m.detailTop -= page
	case tcell.KeyPgDn:
		m.detailTop += page
	case tcell.KeyHome:
		m.detailTop = 0
	case tcell.KeyEnd:
		m.detailTop = len(m.detailLines())
	case tcell.KeyRune:
		switch ev.Rune() {
		case 'k':
			m.detailTop--
		case 'j':
			m.detailTop++
		case 'g':
			m.detailTop = 0
		case 'G':
			m.detailTop = len(m.detailLines())
		}
	}
	m.detailTop = min(max(m.detailTop, 0), max(len(m.detailLines())-page, 0))
}

// detailLines is the detail view wrapped to the screen width.
func (m *model) detailLines() []string { return WrapLines(m.detail, m.width) }

// areas is where the table view's parts go on a screen of the model's size.
type areas struct {
	tableTop     int // first row of table rows (the header is the row above)
	tableRows    int
	findingsTop  int // the findings pane's title row; -1 when no room
	findingsRows int // rows for finding lines under the title
	bottom       int // the key hint or filter line
}

// layout splits the screen: status line, table header and rows, the
// findings pane (up to a third of the screen, at least 3 rows when the
// screen is tall enough) and the bottom line.
func (m *model) layout() areas {
	h := m.height
	a := areas{tableTop: 2, bottom: h - 1, findingsTop: -1}
	body := h - 3 // status, header, bottom line
	if body <= 0 {
		return a
	}
	fr := 0
	if body >= 10 {
		fr = max(body/3, 3)
		if nf := m.findingCount(); nf+1 < fr {
			fr = max(nf+1, 2)
		}
	}
	a.tableRows = body - fr
	if fr > 0 {
		a.findingsTop = a.tableTop + a.tableRows
		a.findingsRows = fr - 1
	}
	return a
}

func (m *model) findingCount() int {
	if m.rep == nil {
		return 0
	}
	return len(m.rep.Findings)
}
