package report

import (
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// timeLayout is RFC 3339 with a fixed nine-digit fraction, so that report
// times of one capture sort the same as strings and as instants.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// FormatTime renders a packet timestamp (nanoseconds since the Unix epoch)
// as RFC 3339 in UTC with nanoseconds, e.g. "2024-05-01T12:00:00.123456789Z".
// It returns "" for 0, which the model uses for "unknown".
func FormatTime(ns int64) string {
	if ns == 0 {
		return ""
	}
	// What Format(timeLayout) writes (an int64 of nanoseconds is always a
	// four-digit year), without interpreting the layout: records carry
	// several times each.
	t := time.Unix(0, ns).UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	var b [len(timeLayout) - len("Z07:00") + 1]byte
	put := func(at, v, digits int) {
		for k := at + digits - 1; k >= at; k-- {
			b[k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, t.Nanosecond(), 9)
	b[29] = 'Z'
	return string(b[:])
}

// ParseTime reads a time written by FormatTime (or any RFC 3339 time). ok is
// false for "" and for unparseable text.
func ParseTime(s string) (t time.Time, ok bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// compareTime orders two report times chronologically; unparseable or empty
// times sort first, and ties fall back to the text.
func compareTime(a, b string) int {
	ta, oka := ParseTime(a)
	tb, okb := ParseTime(b)
	switch {
	case oka && okb:
		if c := ta.Compare(tb); c != 0 {
			return c
		}
	case oka:
		return 1
	case okb:
		return -1
	}
	return strings.Compare(a, b)
}

// Normalize puts r into the canonical form every writer relies on, in place:
//   - connections sorted by id, transactions by (connection, index), peers by
//     (client, server), DNS lookups by time (then name, type, client, server);
//   - connection and transaction finding indexes sorted ascending;
//   - nil slices and maps that the JSON contract requires become empty ones,
//     so they serialise as [] and {} rather than null;
//   - an empty schema_version becomes SchemaVersion, a finding count below 1
//     becomes 1 (a finding stands for at least one occurrence);
//   - NaN and infinite floats (peer rates, top-level evidence values), which
//     JSON cannot carry, become 0.
//
// Top-level findings are not reordered: connections and transactions refer
// to them by index. Normalize is idempotent. It mutates r, so call it before
// r is shared; the writers normalise a private copy and never modify their
// input.
func Normalize(r *Report) {
	if r == nil {
		return
	}
	if r.SchemaVersion == "" {
		r.SchemaVersion = SchemaVersion
	}
	c := &r.Capture
	c.Sources = nonNil(c.Sources)
	c.Formats = nonNil(c.Formats)
	c.LinkTypes = nonNil(c.LinkTypes)
	if c.Anomalies == nil {
		c.Anomalies = map[string]uint64{}
	}
	if r.Summary.Findings == nil {
		r.Summary.Findings = map[string]int{}
	}

	r.Connections = nonNil(r.Connections)
	for i := range r.Connections {
		cn := &r.Connections[i]
		cn.Findings = nonNil(cn.Findings)
		slices.Sort(cn.Findings)
	}
	slices.SortStableFunc(r.Connections, func(a, b Connection) int {
		return cmpUint32(a.ID, b.ID)
	})

	r.Transactions = nonNil(r.Transactions)
	for i := range r.Transactions {
		slices.Sort(r.Transactions[i].Findings)
	}
	slices.SortStableFunc(r.Transactions, func(a, b Transaction) int {
		if c := cmpUint32(a.Connection, b.Connection); c != 0 {
			return c
		}
		return a.Index - b.Index
	})

	r.Findings = nonNil(r.Findings)
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Count < 1 {
			f.Count = 1
		}
		if f.Evidence == nil {
			f.Evidence = map[string]any{}
		}
		for k, v := range f.Evidence {
			if fv, ok := v.(float64); ok && !finite(fv) {
				f.Evidence[k] = float64(0)
			}
			if fv, ok := v.(float32); ok && !finite(float64(fv)) {
				f.Evidence[k] = float32(0)
			}
		}
	}

	r.Peers = nonNil(r.Peers)
	for i := range r.Peers {
		if !finite(r.Peers[i].ConnectionRatePerS) {
			r.Peers[i].ConnectionRatePerS = 0
		}
	}
	slices.SortStableFunc(r.Peers, func(a, b Peer) int {
		if c := strings.Compare(a.Client, b.Client); c != 0 {
			return c
		}
		return strings.Compare(a.Server, b.Server)
	})

	r.DNSLookups = nonNil(r.DNSLookups)
	for i := range r.DNSLookups {
		r.DNSLookups[i].Answers = nonNil(r.DNSLookups[i].Answers)
	}
	slices.SortStableFunc(r.DNSLookups, func(a, b DNSLookup) int { return compareDNS(&a, &b) })
}

// compareDNS orders DNS lookups by time, then name, type, client, server.
func compareDNS(a, b *DNSLookup) int {
	if c := compareTime(a.At, b.At); c != 0 {
		return c
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := strings.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	if c := strings.Compare(a.Client, b.Client); c != 0 {
		return c
	}
	return strings.Compare(a.Server, b.Server)
}

// normalized returns a normalised copy of r that shares nothing Normalize
// would modify, so writers can run on a snapshot other goroutines read.
func normalized(r *Report) *Report {
	if r == nil {
		r = &Report{}
	}
	cp := *r
	cp.Capture.Sources = slices.Clone(r.Capture.Sources)
	cp.Capture.Formats = slices.Clone(r.Capture.Formats)
	cp.Capture.LinkTypes = slices.Clone(r.Capture.LinkTypes)
	cp.Connections = slices.Clone(r.Connections)
	for i := range cp.Connections {
		cp.Connections[i].Findings = slices.Clone(cp.Connections[i].Findings)
	}
	cp.Transactions = slices.Clone(r.Transactions)
	for i := range cp.Transactions {
		cp.Transactions[i].Findings = slices.Clone(cp.Transactions[i].Findings)
	}
	cp.Findings = slices.Clone(r.Findings)
	for i := range cp.Findings {
		cp.Findings[i].Evidence = maps.Clone(cp.Findings[i].Evidence)
	}
	cp.Peers = slices.Clone(r.Peers)
	cp.DNSLookups = slices.Clone(r.DNSLookups)
	Normalize(&cp)
	return &cp
}

// nonNil returns s, or an empty non-nil slice when s is nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func cmpUint32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
