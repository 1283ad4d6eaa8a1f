package report_test

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"connscope/report"
	"connscope/report/reporttest"
)

// hostile is a request target that would run script or break out of an
// attribute if it reached the page unescaped.
const hostile = `/x"><script>alert(1)</script><img src=x onerror=alert(2)>`

// seriesSample is the sample report with a hostile target and a segment
// series on connection 1 (the Nagle stall: a 64-byte segment whose
// successor waits for the delayed ACK) and on connection 2 (a
// retransmission).
func seriesSample() *report.Report {
	r := reporttest.Sample()
	for i := range r.Transactions {
		if r.Transactions[i].Connection == 1 && r.Transactions[i].Index == 0 {
			r.Transactions[i].Target = hostile
		}
	}
	for i := range r.Connections {
		c := &r.Connections[i]
		switch c.ID {
		case 1:
			c.Series = &report.TimeSeq{MSS: 1460, Points: []report.SeqPoint{
				{TRelUS: 0, Dir: 0, RelSeq: 0, Ack: -1, Window: 64240, Kind: report.SeqAck, Flags: "S"},
				{TRelUS: 20000, Dir: 1, RelSeq: 0, Ack: 1, Window: 65160, Kind: report.SeqAck, Flags: "S"},
				{TRelUS: 2900000, Dir: 0, RelSeq: 1, Len: 64, Ack: 1, Window: 64000, Kind: report.SeqData},
				{TRelUS: 2943000, Dir: 1, RelSeq: 1, Ack: 65, Window: 65000, Kind: report.SeqAck},
				{TRelUS: 2943010, Dir: 0, RelSeq: 65, Len: 100, Ack: 1, Window: 64000, Kind: report.SeqData},
				{TRelUS: 2944000, Dir: 1, RelSeq: 1, Len: 1200, Ack: 165, Window: 65000, Kind: report.SeqData},
				{TRelUS: 4900000, Dir: 0, RelSeq: 165, Ack: 1201, Window: 64000, Kind: report.SeqAck, Flags: "F"},
			}}
		case 2:
			c.Series = &report.TimeSeq{MSS: 1400, Dropped: 3, Points: []report.SeqPoint{
				{TRelUS: 100, Dir: 1, RelSeq: 1, Len: 1400, Ack: 1, Window: 30000, Kind: report.SeqData},
				{TRelUS: 900100, Dir: 1, RelSeq: 1, Len: 1400, Ack: 1, Window: 30000, Kind: report.SeqRetransmission},
				{TRelUS: 920000, Dir: 0, RelSeq: 1, Ack: 1401, Window: 60000, Kind: report.SeqAck},
			}}
		}
	}
	return r
}

func writeHTML(t *testing.T, r *report.Report, o report.HTMLOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// walk calls f on every element of the tree under n.
func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func TestHTMLStructure(t *testing.T) {
	out := writeHTML(t, seriesSample(), report.HTMLOptions{})
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var svgs, scripts, imgs, waterfallBars, dataPaths, retransPaths, stallBands int
	ids := map[string]bool{}
	var hrefs []string
	var external []string
	walk(doc, func(n *html.Node) {
		switch n.Data {
		case "svg":
			svgs++
		case "script":
			scripts++
		case "img":
			imgs++
		case "rect":
			switch attr(n, "class") {
			case "send", "wait", "receive", "connect", "dns":
				waterfallBars++
			case "band stall":
				stallBands++
			}
		case "path":
			switch attr(n, "class") {
			case "data":
				dataPaths++
			case "retrans":
				retransPaths++
			}
		}
		if id := attr(n, "id"); id != "" {
			ids[id] = true
		}
		for _, k := range []string{"href", "src"} {
			v := attr(n, k)
			switch {
			case v == "" || n.Data == "svg":
			case strings.HasPrefix(v, "#"):
				if k == "href" {
					hrefs = append(hrefs, v)
				}
			default:
				external = append(external, v)
			}
		}
	})
	tests := []struct {
		name      string
		got, want int
	}{
		{"no script element (hostile target escaped)", scripts, 0},
		{"no img element (hostile target escaped)", imgs, 0},
		{"svg drawings: 2 waterfalls + 3 graph panels", svgs, 5},
		{"waterfall phase bars", waterfallBars, 13},
		{"data paths: conn 1 both directions, conn 2 server", dataPaths, 3},
		{"retransmission path", retransPaths, 1},
		{"Nagle stall band", stallBands, 1},
		{"external references", len(external), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %d, want %d", tc.got, tc.want)
			}
		})
	}
	t.Run("links resolve", func(t *testing.T) {
		for _, h := range hrefs {
			if !ids[strings.TrimPrefix(h, "#")] {
				t.Errorf("link %s has no target", h)
			}
		}
		for _, want := range []string{"#graph-1", "#graph-2", "#conn-3", "#peer-1"} {
			found := false
			for _, h := range hrefs {
				found = found || h == want
			}
			if !found {
				t.Errorf("no link to %s", want)
			}
		}
	})
	t.Run("hostile text visible as text", func(t *testing.T) {
		if !strings.Contains(out, "&lt;script&gt;alert(1)") {
			t.Errorf("escaped target not found")
		}
		if strings.Contains(out, "\u202e") || strings.Contains(out, "\x1b") {
			t.Errorf("bidi override or ESC reached the page")
		}
	})
}

// TestHTMLPanels: graphs go to the most troubled connections with a series,
// up to MaxGraphs.
func TestHTMLPanels(t *testing.T) {
	tests := []struct {
		name       string
		maxGraphs  int
		wantGraphs []string
		wantNot    []string
	}{
		{"default", 0, []string{`id="graph-1"`, `id="graph-2"`}, nil},
		{"one graph, most troubled", 1, []string{`id="graph-2"`}, []string{`id="graph-1"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := writeHTML(t, seriesSample(), report.HTMLOptions{MaxGraphs: tc.maxGraphs})
			for _, w := range tc.wantGraphs {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %s", w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("has %s", w)
				}
			}
		})
	}
}

func TestHTMLDeterministic(t *testing.T) {
	a := writeHTML(t, seriesSample(), report.HTMLOptions{})
	r := seriesSample()
	// Reverse every reorderable list: normalisation must hide it.
	for i, j := 0, len(r.Connections)-1; i < j; i, j = i+1, j-1 {
		r.Connections[i], r.Connections[j] = r.Connections[j], r.Connections[i]
	}
	for i, j := 0, len(r.Transactions)-1; i < j; i, j = i+1, j-1 {
		r.Transactions[i], r.Transactions[j] = r.Transactions[j], r.Transactions[i]
	}
	b := writeHTML(t, r, report.HTMLOptions{})
	if a != b {
		t.Fatalf("output depends on input order")
	}
	if c := writeHTML(t, seriesSample(), report.HTMLOptions{}); c != a {
		t.Fatalf("two runs differ")
	}
}

func TestHTMLEmptyAndCaps(t *testing.T) {
	t.Run("empty report", func(t *testing.T) {
		out := writeHTML(t, &report.Report{}, report.HTMLOptions{})
		if _, err := html.Parse(strings.NewReader(out)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "no connections") {
			t.Errorf("empty report does not say so")
		}
	})
	t.Run("row caps", func(t *testing.T) {
		r := bigReport(30)
		for i := range r.Connections {
			r.Connections[i].Client = "10.0.0.1:1000"
			r.Connections[i].Server = "10.0.0.2:80"
			r.Connections[i].Start = "2024-05-01T12:00:00.000000000Z"
			r.Connections[i].End = "2024-05-01T12:00:01.000000000Z"
		}
		r.Capture.Start = "2024-05-01T12:00:00.000000000Z"
		out := writeHTML(t, r, report.HTMLOptions{MaxWaterfallRows: 5, MaxTableRows: 7, MaxFindings: 3})
		for _, w := range []string{"25 more rows not drawn", "23 more connections not listed", "27 more findings not listed"} {
			if !strings.Contains(out, w) {
				t.Errorf("lacks %q", w)
			}
		}
	})
}

func TestHTMLDoesNotModifyInput(t *testing.T) {
	r := seriesSample()
	before := writeHTML(t, r, report.HTMLOptions{})
	want := seriesSample()
	var a, b bytes.Buffer
	if err := report.WriteJSON(&a, r); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJSON(&b, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("WriteHTML modified its input")
	}
	if after := writeHTML(t, r, report.HTMLOptions{}); after != before {
		t.Fatalf("second render differs")
	}
}
