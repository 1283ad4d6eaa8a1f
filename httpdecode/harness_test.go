package httpdecode_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"connscope/httpdecode"
)

// step is one event of a scripted connection.
type step struct {
	d    httpdecode.Dir
	t    int64
	data string
	gap  int
	end  bool
}

func C(t int64, s string) step { return step{d: httpdecode.ClientToServer, t: t, data: s} }
func S(t int64, s string) step { return step{d: httpdecode.ServerToClient, t: t, data: s} }
func SG(t int64, n int) step   { return step{d: httpdecode.ServerToClient, t: t, gap: n} }
func CE(t int64) step          { return step{d: httpdecode.ClientToServer, t: t, end: true} }
func SE(t int64) step          { return step{d: httpdecode.ServerToClient, t: t, end: true} }

// recorder is a Handler that keeps everything it is given.
type recorder struct {
	ex        []*httpdecode.Exchange
	anomalies []string
	upgraded  []string
	tunnel    [2][]byte
	tunnelGap [2]int
}

func (r *recorder) Exchange(e *httpdecode.Exchange) { r.ex = append(r.ex, e) }
func (r *recorder) Anomaly(tok string)              { r.anomalies = append(r.anomalies, tok) }
func (r *recorder) Upgraded(proto string, e *httpdecode.Exchange) {
	r.upgraded = append(r.upgraded, fmt.Sprintf("%s@%d", proto, e.Index))
}
func (r *recorder) Tunnel(d httpdecode.Dir, t int64, p []byte) {
	r.tunnel[d] = append(r.tunnel[d], p...)
}
func (r *recorder) TunnelGap(d httpdecode.Dir, t int64, n int) { r.tunnelGap[d] += n }

// splitter cuts the data of one step into Feed calls.
type splitter func(s string) []string

func whole(s string) []string { return []string{s} }

func byteByByte(s string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i : i+1]
	}
	return out
}

func splitAt(k int) splitter {
	return func(s string) []string {
		if k <= 0 || k >= len(s) {
			return []string{s}
		}
		return []string{s[:k], s[k:]}
	}
}

// run feeds steps to a new Conn and closes it after the last step. Every
// fed slice is overwritten after the call, so a parser that kept a view
// would produce garbage.
func run(steps []step, lim httpdecode.Limits, split splitter) (*recorder, *httpdecode.Conn) {
	r := &recorder{}
	c := httpdecode.NewConn(r, lim)
	var tmax int64
	for _, s := range steps {
		switch {
		case s.end:
			c.End(s.d, s.t)
		case s.gap > 0:
			c.Gap(s.d, s.t, s.gap)
		default:
			for _, piece := range split(s.data) {
				b := []byte(piece)
				c.Feed(s.d, s.t, b)
				for i := range b {
					b[i] = 0xAA
				}
			}
		}
		tmax = max(tmax, s.t)
	}
	c.Close(tmax + 1)
	return r, c
}

// dump renders everything a recorder saw, for exact comparison.
func dump(r *recorder) string {
	var b strings.Builder
	for _, e := range r.ex {
		fmt.Fprintf(&b, "exchange %d pipelined=%v interim=%d\n", e.Index, e.Pipelined, e.Interim)
		for _, m := range []*httpdecode.Message{e.Request, e.Response} {
			if m == nil {
				b.WriteString("  <nil>\n")
				continue
			}
			fmt.Fprintf(&b, "  %+v\n", *m)
		}
	}
	fmt.Fprintf(&b, "anomalies %q\nupgraded %q\ntunnel %q %q gaps %v\n",
		r.anomalies, r.upgraded, r.tunnel[0], r.tunnel[1], r.tunnelGap)
	return b.String()
}

// msgSum is a one-line summary of a message for table expectations.
func msgSum(m *httpdecode.Message) string {
	if m == nil {
		return "-"
	}
	var b strings.Builder
	if m.Request {
		fmt.Fprintf(&b, "%s %s %s", m.Method, m.Target, m.Version)
	} else {
		fmt.Fprintf(&b, "%d %s", m.Status, m.Version)
	}
	fmt.Fprintf(&b, " %s body=%d", m.Framing, m.BodyBytes)
	switch {
	case m.Truncated:
		b.WriteString(" truncated")
	case m.Complete:
		b.WriteString(" complete")
	default:
		b.WriteString(" incomplete")
	}
	if m.GapBytes > 0 {
		b.WriteString(" gap=" + strconv.FormatInt(m.GapBytes, 10))
	}
	if len(m.Anomalies) > 0 {
		b.WriteString(" [" + strings.Join(m.Anomalies, ",") + "]")
	}
	return b.String()
}

func exSum(e *httpdecode.Exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d", e.Index)
	if e.Pipelined {
		b.WriteString(" pipelined")
	}
	if e.Interim > 0 {
		fmt.Fprintf(&b, " interim=%d", e.Interim)
	}
	b.WriteString(" " + msgSum(e.Request) + " => " + msgSum(e.Response))
	return b.String()
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
