package filter

import "golang.org/x/net/bpf"

// itemKind is the kind of one item of generated code.
type itemKind uint8

const (
	itemInsn  itemKind = iota // a straight-line instruction
	itemJump                  // a conditional jump to labels t and f
	itemJa                    // an unconditional jump to label t
	itemLabel                 // the definition of label t
)

type item struct {
	kind itemKind
	ins  bpf.Instruction
	cond bpf.JumpTest
	val  uint32
	t, f int
	// long marks a conditional jump whose targets are too far for the
	// 8-bit offsets: it becomes "jcond 0, 1; ja t; ja f".
	long bool
}

// codegen emits short-circuit code: every predicate jumps to a true and a
// false label. Labels are always defined after the jumps that use them, so
// all jumps go forward, as classic BPF requires.
type codegen struct {
	items  []item
	labels int
}

func (g *codegen) label() int { g.labels++; return g.labels - 1 }

func (g *codegen) place(l int) { g.items = append(g.items, item{kind: itemLabel, t: l}) }

func (g *codegen) insn(ins bpf.Instruction) {
	g.items = append(g.items, item{kind: itemInsn, ins: ins})
}

func (g *codegen) jump(cond bpf.JumpTest, val uint32, t, f int) {
	g.items = append(g.items, item{kind: itemJump, cond: cond, val: val, t: t, f: f})
}

func (g *codegen) load(ld pLoad) {
	if ld.ind {
		g.insn(bpf.LoadIndirect{Off: ld.off, Size: ld.size})
		return
	}
	g.insn(bpf.LoadAbsolute{Off: ld.off, Size: ld.size})
}

func (g *codegen) emit(p pred, t, f int) {
	switch p := p.(type) {
	case pConst:
		l := f
		if p {
			l = t
		}
		g.items = append(g.items, item{kind: itemJa, t: l})
	case pAnd:
		m := g.label()
		g.emit(p.a, m, f)
		g.place(m)
		g.emit(p.b, t, f)
	case pOr:
		m := g.label()
		g.emit(p.a, t, m)
		g.place(m)
		g.emit(p.b, t, f)
	case pNot:
		g.emit(p.a, f, t)
	case pCmp:
		g.load(p.ld)
		if p.mask != 0 {
			g.insn(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: p.mask})
		}
		for i, v := range p.vals {
			if i == len(p.vals)-1 {
				g.jump(bpf.JumpEqual, v, t, f)
				break
			}
			m := g.label()
			g.jump(bpf.JumpEqual, v, t, m)
			g.place(m)
		}
	case pRange:
		g.load(p.ld)
		m := g.label()
		g.jump(bpf.JumpGreaterOrEqual, p.lo, m, f)
		g.place(m)
		g.jump(bpf.JumpGreaterThan, p.hi, f, t)
	case pBits:
		g.load(p.ld)
		g.jump(bpf.JumpBitsSet, p.bits, t, f)
	case pWithX:
		g.insn(bpf.LoadMemShift{Off: p.off})
		g.emit(p.body, t, f)
	default:
		panic("filter: unknown predicate")
	}
}

// assemble generates the program for p: accept with AcceptLen, reject with
// 0.
func assemble(p pred) []bpf.Instruction {
	g := &codegen{}
	accept, reject := g.label(), g.label()
	g.emit(p, accept, reject)
	g.place(accept)
	g.insn(bpf.RetConstant{Val: AcceptLen})
	g.place(reject)
	g.insn(bpf.RetConstant{Val: 0})
	g.dropFallThroughs()
	return g.layout()
}

// dropFallThroughs removes unconditional jumps to a label that follows
// them with no instruction in between.
func (g *codegen) dropFallThroughs() {
	out := g.items[:0]
	for i, it := range g.items {
		if it.kind == itemJa && fallsThrough(g.items[i+1:], it.t) {
			continue
		}
		out = append(out, it)
	}
	g.items = out
}

func fallsThrough(rest []item, l int) bool {
	for _, it := range rest {
		if it.kind != itemLabel {
			return false
		}
		if it.t == l {
			return true
		}
	}
	return false
}

// layout resolves labels to instruction offsets. Conditional jumps whose
// distance exceeds 255 are widened through unconditional jumps (32-bit
// offsets), repeating until every offset fits; jumps only ever grow, so
// this ends.
func (g *codegen) layout() []bpf.Instruction {
	addr := make([]int, len(g.items)) // address of each item
	at := make([]int, g.labels)       // address of each label
	for {
		pc := 0
		for i, it := range g.items {
			addr[i] = pc
			switch {
			case it.kind == itemLabel:
				at[it.t] = pc
			case it.kind == itemJump && it.long:
				pc += 3
			default:
				pc++
			}
		}
		changed := false
		for i := range g.items {
			it := &g.items[i]
			if it.kind != itemJump || it.long {
				continue
			}
			if at[it.t]-addr[i]-1 > 255 || at[it.f]-addr[i]-1 > 255 {
				it.long = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	var out []bpf.Instruction
	for i, it := range g.items {
		a := addr[i]
		switch it.kind {
		case itemInsn:
			out = append(out, it.ins)
		case itemJa:
			out = append(out, bpf.Jump{Skip: uint32(at[it.t] - a - 1)})
		case itemJump:
			if it.long {
				out = append(out,
					bpf.JumpIf{Cond: it.cond, Val: it.val, SkipTrue: 0, SkipFalse: 1},
					bpf.Jump{Skip: uint32(at[it.t] - a - 2)},
					bpf.Jump{Skip: uint32(at[it.f] - a - 3)})
				continue
			}
			out = append(out, bpf.JumpIf{Cond: it.cond, Val: it.val,
				SkipTrue: uint8(at[it.t] - a - 1), SkipFalse: uint8(at[it.f] - a - 1)})
		}
	}
	return out
}
