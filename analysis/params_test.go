package analysis

import (
	"strings"
	"testing"
	"time"
)

type testOptions struct {
	WarnMinStalls int
	OOOWindow     time.Duration
	RTTFactor     int
	MaxCV         float64
	Bytes         int64
	Name          string // not a threshold
	hidden        int
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"WarnMinStalls": "warn_min_stalls", "OOOWindow": "ooo_window", "RTTFactor": "rtt_factor",
		"MaxCV": "max_cv", "MinRTT": "min_rtt", "TLPMin": "tlp_min", "Epsilon": "epsilon", "Window2X": "window2_x",
		"PreconnectRTTs": "preconnect_rtts", "RTTsMax": "rtts_max",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParams(t *testing.T) {
	o := testOptions{WarnMinStalls: 2, OOOWindow: 3 * time.Millisecond, RTTFactor: 4, MaxCV: 0.25, Bytes: 9}
	got := Params("x", &o)
	want := []Param{
		{"x.bytes", "int", "9"}, {"x.max_cv", "float", "0.25"}, {"x.ooo_window", "duration", "3ms"},
		{"x.rtt_factor", "int", "4"}, {"x.warn_min_stalls", "int", "2"},
	}
	if len(got) != len(want) {
		t.Fatalf("Params = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Params[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestApplyParams(t *testing.T) {
	o := testOptions{WarnMinStalls: 2, RTTFactor: 4}
	err := ApplyParams(map[string]string{
		"x.warn_min_stalls": "5", "x.ooo_window": "250us", "x.max_cv": "0.5", "x.bytes": "1000",
		"y.warn_min_stalls": "9", // another detector's
	}, "x", &o)
	if err != nil {
		t.Fatal(err)
	}
	if o.WarnMinStalls != 5 || o.OOOWindow != 250*time.Microsecond || o.MaxCV != 0.5 || o.Bytes != 1000 || o.RTTFactor != 4 {
		t.Errorf("options after ApplyParams: %+v", o)
	}
	for _, bad := range []map[string]string{
		{"x.ooo_window": "5"}, {"x.ooo_window": "-1ms"}, {"x.rtt_factor": "2.5"},
		{"x.rtt_factor": "-3"}, {"x.max_cv": "NaN"}, {"x.max_cv": "Inf"}, {"x.max_cv": "0"}, {"x.ooo_window": "0s"}, {"x.max_cv": "many"},
	} {
		before := o
		err := ApplyParams(bad, "x", &o)
		var name string
		for k := range bad {
			name = k
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("ApplyParams(%v) error %v, want one naming %s", bad, err, name)
		}
		if o != before {
			t.Errorf("ApplyParams(%v) changed the options on error", bad)
		}
	}
}
