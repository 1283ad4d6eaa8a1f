package filter

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// Program is a classic BPF program ready to run in the userspace VM or to
// be attached to a socket. It is immutable; Match is safe for concurrent
// use.
type Program struct {
	insns []bpf.Instruction
	raw   []bpf.RawInstruction
	vm    *bpf.VM
}

// newProgram checks insns with the VM (jumps in range, ends in a return,
// only implemented extensions) and wraps them.
func newProgram(insns []bpf.Instruction, raw []bpf.RawInstruction) (*Program, error) {
	vm, err := bpf.NewVM(insns)
	if err != nil {
		return nil, fmt.Errorf("filter: invalid program: %w", err)
	}
	return &Program{insns: insns, raw: raw, vm: vm}, nil
}

// FromRaw wraps raw instructions (for example from ParseDDD) in a Program.
// It fails for programs the userspace VM cannot run: unknown opcodes,
// jumps past the end, no final return, division by a zero constant, or
// kernel extensions other than the packet length.
func FromRaw(raw []bpf.RawInstruction) (*Program, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("filter: empty program")
	}
	if len(raw) > MaxInstructions {
		return nil, fmt.Errorf("filter: program has %d instructions, more than %d", len(raw), MaxInstructions)
	}
	insns, ok := bpf.Disassemble(raw)
	if !ok {
		for i, ins := range insns {
			if r, isRaw := ins.(bpf.RawInstruction); isRaw {
				return nil, fmt.Errorf("filter: instruction %d (code 0x%x) is not supported", i, r.Op)
			}
		}
	}
	return newProgram(insns, slices.Clone(raw))
}

// Raw returns a copy of the program's raw instructions, the form a socket
// filter (SO_ATTACH_FILTER) takes.
func (p *Program) Raw() []bpf.RawInstruction { return slices.Clone(p.raw) }

// Instructions returns a copy of the program's instructions.
func (p *Program) Instructions() []bpf.Instruction { return slices.Clone(p.insns) }

// Len returns the number of instructions.
func (p *Program) Len() int { return len(p.insns) }

// Match runs the program over frame (starting at the link-layer header of
// the link type it was compiled for) and reports whether it accepts it.
// Loads past the end of frame reject the packet, as in the kernel. It
// allocates nothing.
func (p *Program) Match(frame []byte) bool {
	n, err := p.vm.Run(frame)
	return err == nil && n > 0
}

// ForLinkType returns Match for any link type: a raw program was compiled
// for one link type by its author and cannot be checked here. Its signature
// fits capture.Options.Filter.
func (p *Program) ForLinkType(uint16) (func(frame []byte) bool, error) { return p.Match, nil }

// String returns the program in tcpdump -ddd form.
func (p *Program) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(p.raw)))
	b.WriteByte('\n')
	for _, r := range p.raw {
		fmt.Fprintf(&b, "%d %d %d %d\n", r.Op, r.Jt, r.Jf, r.K)
	}
	return b.String()
}

// ParseDDD parses the output of tcpdump -ddd: a first line with the
// instruction count, then one line per instruction with four decimal
// numbers "code jt jf k". Blank lines and surrounding spaces are ignored;
// anything else (a count that does not match, out-of-range fields, extra
// text) is an error naming the line.
func ParseDDD(text string) ([]bpf.RawInstruction, error) {
	var (
		raw   []bpf.RawInstruction
		count = -1
	)
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		lineNo := i + 1
		f := strings.Fields(line)
		if count < 0 {
			n, err := strconv.Atoi(line)
			if err != nil || len(f) != 1 || n < 1 || n > MaxInstructions {
				return nil, fmt.Errorf("filter: bpf line %d: want the instruction count (1-%d), got %q", lineNo, MaxInstructions, line)
			}
			count = n
			raw = make([]bpf.RawInstruction, 0, n)
			continue
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("filter: bpf line %d: want \"code jt jf k\", got %q", lineNo, line)
		}
		var v [4]uint64
		for j, bits := range [4]int{16, 8, 8, 32} {
			n, err := strconv.ParseUint(f[j], 10, bits)
			if err != nil {
				return nil, fmt.Errorf("filter: bpf line %d: bad field %q (want a decimal number of %d bits)", lineNo, f[j], bits)
			}
			v[j] = n
		}
		if len(raw) == count {
			return nil, fmt.Errorf("filter: bpf line %d: more instructions than the count %d", lineNo, count)
		}
		raw = append(raw, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	if count < 0 {
		return nil, fmt.Errorf("filter: bpf program is empty")
	}
	if len(raw) != count {
		return nil, fmt.Errorf("filter: bpf program has %d instructions, its first line says %d", len(raw), count)
	}
	return raw, nil
}
