package capture

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

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

// loopbackListener listens on 127.0.0.1 and returns the listener and its
// port.
func loopbackListener(t *testing.T) (net.Listener, uint16) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, uint16(ln.Addr().(*net.TCPAddr).Port)
}

// sendOnce makes one connection to ln that sends n bytes and closes; the
// server side reads everything and closes.
func sendOnce(t *testing.T, ln net.Listener, n int) {
	t.Helper()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, c)
		c.Close()
	}()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte(strings.Repeat("x", n)))
	c.Close()
}

// connCount is what countConn saw of the connection sendOnce made.
type connCount struct {
	syns, fins, payload, cut int
	other                    int // packets of other ports
}

// countConn reads src until both FINs of the connection to port were seen
// (3 s at most) and a little after, counting its SYNs, FINs, payload bytes
// and frames cut by the snap length.
func countConn(t *testing.T, src Source, port uint16) connCount {
	t.Helper()
	var n connCount
	count := func(p *Packet) {
		if p.Src.Port != port && p.Dst.Port != port {
			n.other++
			return
		}
		if p.Has(FlagSYN) && !p.Has(FlagACK) {
			n.syns++
		}
		if p.Has(FlagFIN) {
			n.fins++
		}
		n.payload += p.PayloadLen
		if p.CapLen < p.WireLen {
			n.cut++
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && n.fins < 2 {
		p, err := src.Next()
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		count(p)
	}
	// Drain what is left of the close: a duplicate would show here.
	for range 3 {
		if p, err := src.Next(); err == nil {
			count(p)
		}
	}
	return n
}
