package capture

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// tcpPortFilter assembles "tcp port P" for IPv4 over Ethernet or raw IP,
// as tcpdump compiles it (tcpdump -d 'ip and tcp port P').
func tcpPortFilter(t testing.TB, lt layers.LinkType, port uint16) []bpf.RawInstruction {
	t.Helper()
	off := uint32(14)
	var prog []bpf.Instruction
	if lt == layers.LinkTypeEthernet {
		prog = append(prog,
			bpf.LoadAbsolute{Off: 12, Size: 2},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 10},
		)
	} else {
		off = 0
		prog = append(prog,
			bpf.LoadAbsolute{Off: 0, Size: 1},
			bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x40, SkipFalse: 10},
		)
	}
	prog = append(prog,
		bpf.LoadAbsolute{Off: off + 9, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipFalse: 8},
		bpf.LoadAbsolute{Off: off + 6, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 6},
		bpf.LoadMemShift{Off: off},
		bpf.LoadIndirect{Off: off, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipTrue: 2},
		bpf.LoadIndirect{Off: off + 2, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipFalse: 1},
		bpf.RetConstant{Val: 262144},
		bpf.RetConstant{Val: 0},
	)
	raw, err := bpf.Assemble(prog)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
