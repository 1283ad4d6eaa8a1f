package report

import (
	"math"
	"slices"
	"strconv"
)

// timeAxis maps capture times (µs since the capture start) to x pixels. Idle
// stretches between busy intervals that are long compared with the busy
// time are compressed to a fixed share of the width, so a peer whose
// connections come in bursts minutes apart stays readable.
type timeAxis struct {
	segs        []axisSeg
	left, width float64
	eff         float64 // total effective length
}

// axisSeg is one piece of the axis: real times [from, to] drawn from the
// effective offset effFrom with scale effective units per µs.
type axisSeg struct {
	from, to int64
	effFrom  float64
	scale    float64
	gap      bool
}

// axisGap is a compressed idle stretch in pixels, with its real length.
type axisGap struct {
	x, w float64
	real int64
}

// gapShare is the effective length of a compressed gap, as a share of the
// busy time; gapMinShare is the share of the whole span an idle stretch
// must exceed to be compressed.
const (
	gapShare    = 0.03
	gapMinShare = 0.05
)

func newTimeAxis(busy [][2]int64, left, width float64) *timeAxis {
	a := &timeAxis{left: left, width: width}
	if len(busy) == 0 {
		busy = [][2]int64{{0, 1}}
	}
	iv := slices.Clone(busy)
	slices.SortFunc(iv, func(p, q [2]int64) int {
		switch {
		case p[0] < q[0]:
			return -1
		case p[0] > q[0]:
			return 1
		}
		return 0
	})
	var merged [][2]int64
	for _, v := range iv {
		v[1] = max(v[1], v[0])
		if n := len(merged); n > 0 && v[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], v[1])
			continue
		}
		merged = append(merged, v)
	}
	var busyLen int64
	for _, m := range merged {
		busyLen += m[1] - m[0]
	}
	busyLen = max(busyLen, 1)
	span := max(merged[len(merged)-1][1]-merged[0][0], 1)
	gapEff := math.Max(float64(busyLen)*gapShare, 1)
	eff := 0.0
	for i, m := range merged {
		if i > 0 {
			g0, g1 := merged[i-1][1], m[0]
			gl := float64(g1 - g0)
			if gl > gapEff && gl > float64(span)*gapMinShare {
				a.segs = append(a.segs, axisSeg{from: g0, to: g1, effFrom: eff, scale: gapEff / gl, gap: true})
				eff += gapEff
			} else {
				a.segs = append(a.segs, axisSeg{from: g0, to: g1, effFrom: eff, scale: 1})
				eff += gl
			}
		}
		a.segs = append(a.segs, axisSeg{from: m[0], to: m[1], effFrom: eff, scale: 1})
		eff += float64(m[1] - m[0])
	}
	a.eff = math.Max(eff, 1)
	return a
}

// x maps a capture time to a pixel.
func (a *timeAxis) x(us int64) float64 {
	segs := a.segs
	e := 0.0
	switch {
	case us <= segs[0].from:
		e = float64(us-segs[0].from) * segs[0].scale
	default:
		i, _ := slices.BinarySearchFunc(segs, us, func(s axisSeg, t int64) int {
			if s.to < t {
				return -1
			}
			return 1
		})
		if i == len(segs) {
			last := segs[len(segs)-1]
			e = last.effFrom + float64(us-last.from)*last.scale
		} else {
			s := segs[i]
			e = s.effFrom + float64(us-s.from)*s.scale
		}
	}
	return a.left + e/a.eff*a.width
}

// ticks returns about n ticks at round capture times, labelled with the
// offset from the capture start, outside compressed gaps and at least 60
// pixels apart.
func (a *timeAxis) ticks(n int) []tick {
	var real float64
	for _, s := range a.segs {
		if !s.gap {
			real += float64(s.to - s.from)
		}
	}
	step := int64(math.Max(1, niceStep(math.Max(real, 1), n)))
	var out []tick
	lastX := math.Inf(-1)
	for _, s := range a.segs {
		if s.gap {
			continue
		}
		first := int64(math.Ceil(float64(s.from)/float64(step))) * step
		for v := first; v <= s.to; v += step {
			xx := a.x(v)
			if xx-lastX < 60 {
				continue
			}
			lastX = xx
			out = append(out, tick{Pos: px(xx), Label: fmtTick(v, step)})
			if len(out) > 60 {
				return out
			}
		}
	}
	if len(out) == 0 {
		out = append(out, tick{Pos: px(a.x(a.segs[0].from)), Label: fmtTick(a.segs[0].from, step)})
	}
	return out
}

// gaps returns the compressed idle stretches.
func (a *timeAxis) gaps() []axisGap {
	var out []axisGap
	for _, s := range a.segs {
		if s.gap {
			x0 := a.x(s.from)
			out = append(out, axisGap{x: x0, w: a.x(s.to) - x0, real: s.to - s.from})
		}
	}
	return out
}

// fmtTick labels an axis time (µs since the capture start) with a sign and
// as many decimals of a second as the tick step needs to tell ticks apart.
func fmtTick(v, step int64) string {
	sign := "+"
	if v < 0 {
		sign, v = "-", -v
	}
	if v < 1_000_000 {
		return sign + FormatMicros(v)
	}
	dec := int(math.Ceil(-math.Log10(float64(max(step, 1)) / 1e6)))
	dec = min(max(dec, 0), 6)
	return sign + strconv.FormatFloat(float64(v)/1e6, 'f', dec, 64) + "s"
}
