package report

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestFormatTime(t *testing.T) {
	tests := []struct {
		name string
		ns   int64
		want string
	}{
		{"zero is unknown", 0, ""},
		{"whole second keeps nine digits", 1714564800e9, "2024-05-01T12:00:00.000000000Z"},
		{"nanoseconds", 1714564800e9 + 123456789, "2024-05-01T12:00:00.123456789Z"},
		{"before epoch", -1, "1969-12-31T23:59:59.999999999Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := FormatTime(tc.ns)
			if got != tc.want {
				t.Errorf("FormatTime(%d) = %q, want %q", tc.ns, got, tc.want)
			}
			if tc.ns != 0 {
				back, ok := ParseTime(got)
				if !ok || back.UnixNano() != tc.ns {
					t.Errorf("round trip of %q = %v, %v", got, back.UnixNano(), ok)
				}
			}
		})
	}
}

// TestFormatTimeLikeFormat: FormatTime writes what time.Format does with
// the layout, over the whole range of int64 nanoseconds.
func TestFormatTimeLikeFormat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ns := []int64{math.MinInt64, math.MaxInt64, 1, 951782400e9 - 1, 951782400e9, 4107542400e9 + 86399e9}
	for range 100000 {
		ns = append(ns, int64(rng.Uint64()), rng.Int64N(4e18))
	}
	for _, n := range ns {
		if n == 0 {
			continue
		}
		if got, want := FormatTime(n), time.Unix(0, n).UTC().Format(timeLayout); got != want {
			t.Fatalf("FormatTime(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	one := uint32(1)
	r := &Report{
		Connections:  []Connection{{ID: 3, Findings: []int{2, 0}}, {ID: 1}, {ID: 2}},
		Transactions: []Transaction{{Connection: 2, Index: 1}, {Connection: 1, Index: 5}, {Connection: 2, Index: 0}},
		Findings: []Finding{
			{Kind: "b", Connection: &one, Evidence: map[string]any{"nan": math.NaN(), "inf": float32(math.Inf(1)), "ok": 1.5}},
			{Kind: "a"},
		},
		Peers: []Peer{{Client: "b", Server: "a"}, {Client: "a", Server: "z"}, {Client: "a", Server: "b", ConnectionRatePerS: math.Inf(1)}},
		DNSLookups: []DNSLookup{
			{Name: "late", At: FormatTime(2e9)},
			// Same instant written with fewer fraction digits: sorted as time.
			{Name: "early", At: "1970-01-01T00:00:01.5Z"},
			{Name: "no time"},
		},
	}
	Normalize(r)
	var ids []uint32
	for _, c := range r.Connections {
		ids = append(ids, c.ID)
	}
	var tx [][2]int
	for _, t := range r.Transactions {
		tx = append(tx, [2]int{int(t.Connection), t.Index})
	}
	var peers, dns []string
	for _, p := range r.Peers {
		peers = append(peers, p.Client+">"+p.Server)
	}
	for _, d := range r.DNSLookups {
		dns = append(dns, d.Name)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"connections by id", ids, []uint32{1, 2, 3}},
		{"transactions by connection and index", tx, [][2]int{{1, 5}, {2, 0}, {2, 1}}},
		{"peers by client and server", peers, []string{"a>b", "a>z", "b>a"}},
		{"dns by time", dns, []string{"no time", "early", "late"}},
		{"finding order kept", []string{r.Findings[0].Kind, r.Findings[1].Kind}, []string{"b", "a"}},
		{"finding indexes sorted", r.Connections[2].Findings, []int{0, 2}},
		{"nil finding list", r.Connections[0].Findings, []int{}},
		{"nil evidence", r.Findings[1].Evidence, map[string]any{}},
		{"count raised", r.Findings[1].Count, 1},
		{"nan evidence", r.Findings[0].Evidence, map[string]any{"nan": 0.0, "inf": float32(0), "ok": 1.5}},
		{"inf rate", r.Peers[0].ConnectionRatePerS, 0.0},
		{"nil answers", r.DNSLookups[0].Answers, []string{}},
		{"nil sources", r.Capture.Sources, []string{}},
		{"nil anomalies", r.Capture.Anomalies, map[string]uint64{}},
		{"nil summary findings", r.Summary.Findings, map[string]int{}},
		{"schema version", r.SchemaVersion, SchemaVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
	t.Run("idempotent", func(t *testing.T) {
		again := *r
		again.Connections = slices.Clone(r.Connections)
		Normalize(&again)
		if !reflect.DeepEqual(&again, r) {
			t.Errorf("second Normalize changed the report")
		}
	})
	t.Run("nil report", func(t *testing.T) { Normalize(nil) })
}
