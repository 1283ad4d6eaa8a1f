package filter

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"golang.org/x/net/bpf"
)

// Link types the compiler handles, as LINKTYPE_ numbers in capture files
// (https://www.tcpdump.org/linktypes.html).
const (
	LinkTypeNull      uint16 = 0
	LinkTypeEthernet  uint16 = 1
	LinkTypeRawBSD    uint16 = 12
	LinkTypeRawBSDOS  uint16 = 14
	LinkTypeRaw       uint16 = 101
	LinkTypeLoop      uint16 = 108
	LinkTypeLinuxSLL  uint16 = 113
	LinkTypeIPv4      uint16 = 228
	LinkTypeIPv6      uint16 = 229
	LinkTypeLinuxSLL2 uint16 = 276
)

// AcceptLen is the value a compiled program returns for a matching packet
// (tcpdump's default snap length); a non-matching packet returns 0.
const AcceptLen = 262144

// MaxInstructions is the longest program accepted (the Linux kernel's
// BPF_MAXINSNS).
const MaxInstructions = 4096

// EtherTypes (IEEE 802 numbers) and the IPv6 Fragment header (RFC 8200 §4.5).
const (
	etherIPv4   = 0x0800
	etherARP    = 0x0806
	etherRARP   = 0x8035
	etherIPv6   = 0x86dd
	ether8021Q  = 0x8100
	ether8021AD = 0x88a8
	ether9100   = 0x9100
	ip6Fragment = 44
)

// layout gives the offsets of one link type. vlan primitives move ethType
// and nl forward by 4 for everything compiled after them, as libpcap does.
type layout struct {
	name    string
	ethType int  // offset of the EtherType field; -1 when there is none
	nl      int  // offset of the network-layer header
	rawIP   bool // no link header: the version nibble gives the family
	only4   bool // every packet is IPv4
	only6   bool // every packet is IPv6
	vlan    bool // vlan tags are possible
}

func linkName(lt uint16) string {
	switch lt {
	case LinkTypeNull:
		return "null"
	case LinkTypeEthernet:
		return "ethernet"
	case LinkTypeRaw, LinkTypeRawBSD, LinkTypeRawBSDOS:
		return "raw"
	case LinkTypeLoop:
		return "loop"
	case LinkTypeLinuxSLL:
		return "linux_sll"
	case LinkTypeIPv4:
		return "ipv4"
	case LinkTypeIPv6:
		return "ipv6"
	case LinkTypeLinuxSLL2:
		return "linux_sll2"
	}
	return "linktype_" + strconv.Itoa(int(lt))
}

func layoutFor(lt uint16) (layout, error) {
	l := layout{name: linkName(lt)}
	switch lt {
	case LinkTypeEthernet:
		l.ethType, l.nl, l.vlan = 12, 14, true
	case LinkTypeLinuxSLL:
		l.ethType, l.nl = 14, 16
	case LinkTypeLinuxSLL2:
		l.ethType, l.nl = 0, 20
	case LinkTypeRaw, LinkTypeRawBSD, LinkTypeRawBSDOS:
		l.ethType, l.rawIP = -1, true
	case LinkTypeIPv4:
		l.ethType, l.only4 = -1, true
	case LinkTypeIPv6:
		l.ethType, l.only6 = -1, true
	default:
		return l, fmt.Errorf("filter: link type %s (%d) is not supported (supported: ethernet, linux_sll, linux_sll2, raw, ipv4, ipv6)", l.name, lt)
	}
	return l, nil
}

// Compile parses expr and compiles it for frames of link type linkType.
func Compile(expr string, linkType uint16) (*Program, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	return e.Compile(linkType)
}

// Compile compiles e to a classic BPF program for frames of link type
// linkType. It fails for link types outside the supported set and for
// primitives the link type cannot carry (vlan off Ethernet).
func (e *Expr) Compile(linkType uint16) (*Program, error) {
	lay, err := layoutFor(linkType)
	if err != nil {
		return nil, err
	}
	c := &compiler{lay: lay}
	pr, err := c.node(e.root)
	if err != nil {
		return nil, err
	}
	insns := assemble(pr)
	if len(insns) > MaxInstructions {
		return nil, fmt.Errorf("filter: %q compiles to %d instructions, more than %d", e.text, len(insns), MaxInstructions)
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("filter: assemble %q: %w", e.text, err)
	}
	return newProgram(insns, raw)
}

// ForLinkType compiles e for linkType and returns the program's Match; its
// signature fits capture.Options.Filter.
func (e *Expr) ForLinkType(linkType uint16) (func(frame []byte) bool, error) {
	p, err := e.Compile(linkType)
	if err != nil {
		return nil, err
	}
	return p.Match, nil
}

// Predicates: the compiled form of a primitive before code generation.
type (
	pred   interface{}
	pConst bool
	pAnd   struct{ a, b pred }
	pOr    struct{ a, b pred }
	pNot   struct{ a pred }
	// pLoad loads size bytes (1, 2, 4) at off, relative to X when ind.
	pLoad struct {
		size int
		off  uint32
		ind  bool
	}
	// pCmp is true when (load & mask) equals one of vals (mask 0: none).
	pCmp struct {
		ld   pLoad
		mask uint32
		vals []uint32
	}
	// pRange is true when lo <= load <= hi.
	pRange struct {
		ld     pLoad
		lo, hi uint32
	}
	// pBits is true when load & bits is not zero.
	pBits struct {
		ld   pLoad
		bits uint32
	}
	// pWithX loads X = 4*(byte at off & 0xf) (the IPv4 header length),
	// then evaluates body.
	pWithX struct {
		off  uint32
		body pred
	}
)

// and, or and not fold constants where the result cannot depend on the
// other operand; a load that may fall outside the packet rejects it, so
// "x or true" is not folded.
func and(a, b pred) pred {
	if c, ok := a.(pConst); ok {
		if !c {
			return pConst(false)
		}
		return b
	}
	if c, ok := b.(pConst); ok && !bool(c) {
		return pConst(false)
	}
	return pAnd{a, b}
}

func or(a, b pred) pred {
	if c, ok := a.(pConst); ok {
		if c {
			return pConst(true)
		}
		return b
	}
	if c, ok := b.(pConst); ok && !bool(c) {
		return a
	}
	return pOr{a, b}
}

func not(a pred) pred {
	if c, ok := a.(pConst); ok {
		return !c
	}
	return pNot{a}
}

func ldb(off int) pLoad { return pLoad{size: 1, off: uint32(off)} }
func ldh(off int) pLoad { return pLoad{size: 2, off: uint32(off)} }
func ldw(off int) pLoad { return pLoad{size: 4, off: uint32(off)} }

func eq(ld pLoad, vals ...uint32) pred { return pCmp{ld: ld, vals: vals} }

// compiler turns nodes into predicates in source order, so that a vlan
// shifts the offsets of what follows it.
type compiler struct {
	lay layout
}

func (c *compiler) node(n node) (pred, error) {
	switch n := n.(type) {
	case andNode:
		a, err := c.node(n.a)
		if err != nil {
			return nil, err
		}
		b, err := c.node(n.b)
		if err != nil {
			return nil, err
		}
		return and(a, b), nil
	case orNode:
		a, err := c.node(n.a)
		if err != nil {
			return nil, err
		}
		b, err := c.node(n.b)
		if err != nil {
			return nil, err
		}
		return or(a, b), nil
	case notNode:
		a, err := c.node(n.a)
		if err != nil {
			return nil, err
		}
		return not(a), nil
	case protoNode:
		return c.proto(n.proto), nil
	case hostNode:
		return c.host(n), nil
	case portNode:
		return c.port(n), nil
	case vlanNode:
		return c.vlan(n)
	}
	return nil, fmt.Errorf("filter: internal error: unknown node %T", n)
}

func (c *compiler) isIP4() pred {
	l := c.lay
	switch {
	case l.only4:
		return pConst(true)
	case l.only6:
		return pConst(false)
	case l.rawIP:
		return pCmp{ld: ldb(l.nl), mask: 0xf0, vals: []uint32{0x40}}
	}
	return eq(ldh(l.ethType), etherIPv4)
}

func (c *compiler) isIP6() pred {
	l := c.lay
	switch {
	case l.only6:
		return pConst(true)
	case l.only4:
		return pConst(false)
	case l.rawIP:
		return pCmp{ld: ldb(l.nl), mask: 0xf0, vals: []uint32{0x60}}
	}
	return eq(ldh(l.ethType), etherIPv6)
}

// proto compiles ip, ip6 and the transport protocols. As libpcap does, an
// IPv6 transport test looks at the fixed header's Next Header and, when that
// is a Fragment header, at the Fragment header's Next Header; other
// extension headers are not walked.
func (c *compiler) proto(p string) pred {
	nl := c.lay.nl
	switch p {
	case protoIP:
		return c.isIP4()
	case protoIP6:
		return c.isIP6()
	}
	num := protoNumbers[p]
	var v4, v6 pred = pConst(false), pConst(false)
	if p != protoICMP6 {
		v4 = and(c.isIP4(), eq(ldb(nl+9), num))
	}
	if p != protoICMP {
		v6 = and(c.isIP6(), or(eq(ldb(nl+6), num), and(eq(ldb(nl+6), ip6Fragment), eq(ldb(nl+40), num))))
	}
	return or(v4, v6)
}

// dirPred combines the source and destination tests for a direction; the
// source test always comes first.
func dirPred(d direction, src, dst func() pred) pred {
	switch d {
	case dirSrc:
		return src()
	case dirDst:
		return dst()
	case dirSrcAndDst:
		return and(src(), dst())
	}
	return or(src(), dst())
}

// maskedWords compares the 32-bit words at off with addr under mask,
// skipping words whose mask is zero.
func maskedWords(off int, addr, mask []byte) pred {
	var p pred = pConst(true)
	for i := 0; i+4 <= len(addr); i += 4 {
		m := binary.BigEndian.Uint32(mask[i:])
		if m == 0 {
			continue
		}
		a := binary.BigEndian.Uint32(addr[i:])
		cmp := pCmp{ld: ldw(off + i), vals: []uint32{a}}
		if m != 0xffffffff {
			cmp.mask = m
		}
		p = and(p, cmp)
	}
	return p
}

// host compiles host and net. An IPv4 test without the ip qualifier also
// matches the sender and target protocol addresses of ARP and RARP on links
// with an EtherType, as libpcap does.
func (c *compiler) host(n hostNode) pred {
	nl := c.lay.nl
	if n.addr.Is6() {
		a, m := n.addr.As16(), n.mask.As16()
		return and(c.isIP6(), dirPred(n.dir,
			func() pred { return maskedWords(nl+8, a[:], m[:]) },
			func() pred { return maskedWords(nl+24, a[:], m[:]) }))
	}
	a, m := n.addr.As4(), n.mask.As4()
	p := and(c.isIP4(), dirPred(n.dir,
		func() pred { return maskedWords(nl+12, a[:], m[:]) },
		func() pred { return maskedWords(nl+16, a[:], m[:]) }))
	if n.proto == protoDefault && c.lay.ethType >= 0 {
		// RFC 826: sender protocol address at 14, target at 24 for
		// Ethernet/IPv4 ARP.
		arp := and(eq(ldh(c.lay.ethType), etherARP, etherRARP), dirPred(n.dir,
			func() pred { return maskedWords(nl+14, a[:], m[:]) },
			func() pred { return maskedWords(nl+24, a[:], m[:]) }))
		p = or(p, arp)
	}
	return p
}

// port compiles port and portrange. The protocol must be TCP, UDP or SCTP
// (one of them when qualified). IPv4 ports are only tested on the first
// fragment (fragment offset zero), the header length taken from IHL; IPv6
// ports are read right after the fixed header, as libpcap does.
func (c *compiler) port(n portNode) pred {
	nl := c.lay.nl
	protos := []uint32{132, 6, 17}
	if n.proto != protoDefault {
		protos = []uint32{protoNumbers[n.proto]}
	}
	test := func(ld pLoad) pred {
		if n.lo == n.hi {
			return eq(ld, uint32(n.lo))
		}
		return pRange{ld: ld, lo: uint32(n.lo), hi: uint32(n.hi)}
	}
	v6 := and(c.isIP6(), and(eq(ldb(nl+6), protos...), dirPred(n.dir,
		func() pred { return test(ldh(nl + 40)) },
		func() pred { return test(ldh(nl + 42)) })))
	ind := func(off int) pLoad { return pLoad{size: 2, off: uint32(off), ind: true} }
	v4 := and(c.isIP4(), and(eq(ldb(nl+9), protos...), and(
		not(pBits{ld: ldh(nl + 6), bits: 0x1fff}),
		pWithX{off: uint32(nl), body: dirPred(n.dir,
			func() pred { return test(ind(nl)) },
			func() pred { return test(ind(nl + 2)) })})))
	return or(v6, v4)
}

// vlan compiles vlan [id] on Ethernet: the EtherType is one of the tag
// protocol identifiers 0x8100 (802.1Q), 0x88a8 (802.1ad) or 0x9100, and
// the VID (low 12 bits of the TCI) equals id. Everything compiled after it
// sees the link header 4 bytes longer.
func (c *compiler) vlan(n vlanNode) (pred, error) {
	if !c.lay.vlan {
		return nil, fmt.Errorf("filter: \"vlan\" at offset %d is not supported on link type %s", n.off, c.lay.name)
	}
	et := c.lay.ethType
	p := eq(ldh(et), ether8021Q, ether8021AD, ether9100)
	if n.id >= 0 {
		p = and(p, pCmp{ld: ldh(et + 2), mask: 0x0fff, vals: []uint32{uint32(n.id)}})
	}
	c.lay.ethType += 4
	c.lay.nl += 4
	return p, nil
}
