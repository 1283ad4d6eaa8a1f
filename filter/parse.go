package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// token is one lexical token of a filter expression.
type token struct {
	text string
	off  int // byte offset in the expression
}

// punctuation tokens; every other token is a word.
const (
	tokLParen = "("
	tokRParen = ")"
	tokBang   = "!"
	tokAnd    = "&&"
	tokOr     = "||"
)

// isWordByte reports whether c may appear in a word (keywords, numbers,
// addresses, CIDR prefixes, port ranges).
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == ':' || c == '/' || c == '-' || c == '_'
}

// lex splits expr into tokens. Characters outside the subset (brackets,
// comparison and arithmetic operators, quotes, ...) are refused here.
func lex(expr string) ([]token, error) {
	var toks []token
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '!':
			if c == '!' && i+1 < len(expr) && expr[i+1] == '=' {
				return nil, fmt.Errorf("filter: unsupported operator %q at offset %d", "!=", i)
			}
			toks = append(toks, token{expr[i : i+1], i})
			i++
		case c == '&' || c == '|':
			if i+1 < len(expr) && expr[i+1] == c {
				toks = append(toks, token{expr[i : i+2], i})
				i += 2
				continue
			}
			return nil, fmt.Errorf("filter: unsupported operator %q at offset %d", string(c), i)
		case isWordByte(c):
			j := i
			for j < len(expr) && isWordByte(expr[j]) {
				j++
			}
			toks = append(toks, token{expr[i:j], i})
			i = j
		default:
			r := expr[i:]
			if n := strings.IndexAny(r, " \t\n\r"); n > 0 {
				r = r[:n]
			}
			return nil, fmt.Errorf("filter: unsupported character %q in %q at offset %d", string(c), r, i)
		}
	}
	return toks, nil
}

// Protocol qualifiers of the subset.
const (
	protoDefault = ""
	protoIP      = "ip"
	protoIP6     = "ip6"
	protoTCP     = "tcp"
	protoUDP     = "udp"
	protoSCTP    = "sctp"
	protoICMP    = "icmp"
	protoICMP6   = "icmp6"
)

// IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
var protoNumbers = map[string]uint32{
	protoTCP: 6, protoUDP: 17, protoSCTP: 132, protoICMP: 1, protoICMP6: 58,
}

// Direction qualifiers.
type direction uint8

const (
	dirDefault   direction = iota // src or dst
	dirSrc                        // src
	dirDst                        // dst
	dirSrcOrDst                   // src or dst, spelt out
	dirSrcAndDst                  // src and dst
)

// Type qualifiers.
const (
	typeDefault   = ""
	typeHost      = "host"
	typeNet       = "net"
	typePort      = "port"
	typePortrange = "portrange"
)

// qualifier is the (protocol, direction, type) triple of a primitive; a
// bare value after and/or/not inherits the previous one.
type qualifier struct {
	proto string
	dir   direction
	typ   string
}

// node is a parsed expression.
type node interface{ isNode() }

type (
	andNode struct{ a, b node }
	orNode  struct{ a, b node }
	notNode struct{ a node }
	// protoNode is a protocol alone: ip, ip6, tcp, udp, sctp, icmp, icmp6.
	protoNode struct{ proto string }
	// hostNode is host or net: addr under mask (all ones for host).
	hostNode struct {
		proto      string
		dir        direction
		addr, mask netip.Addr
	}
	// portNode is port (lo == hi) or portrange.
	portNode struct {
		proto  string
		dir    direction
		lo, hi uint16
	}
	// vlanNode is vlan with an optional id (id < 0: any); off is the
	// keyword's byte offset, for link-type errors.
	vlanNode struct{ id, off int }
)

func (andNode) isNode()   {}
func (orNode) isNode()    {}
func (notNode) isNode()   {}
func (protoNode) isNode() {}
func (hostNode) isNode()  {}
func (portNode) isNode()  {}
func (vlanNode) isNode()  {}

// Expr is a parsed filter expression, independent of any link type.
type Expr struct {
	text string
	root node
}

// String returns the expression as given to Parse.
func (e *Expr) String() string { return e.text }

// Parse parses expr, a filter in the subset of the pcap-filter language
// described in the package documentation. Anything outside the subset is
// an error naming the token and its byte offset; nothing is ever read as
// "match everything".
func Parse(expr string) (*Expr, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("filter: empty expression")
	}
	p := &parser{toks: toks, end: len(expr)}
	root, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t, ok := p.peek(); ok {
		if t.text == tokRParen {
			return nil, fmt.Errorf("filter: unbalanced %q at offset %d", t.text, t.off)
		}
		return nil, unexpected(t)
	}
	return &Expr{text: expr, root: root}, nil
}

// unexpected reports a token found where and, or or the end was due.
func unexpected(t token) error {
	if unsupportedKeywords[t.text] {
		return fmt.Errorf("filter: unsupported primitive %q at offset %d", t.text, t.off)
	}
	return fmt.Errorf("filter: unexpected %q at offset %d (missing and/or?)", t.text, t.off)
}

// parser is a recursive-descent parser over the tokens.
type parser struct {
	toks []token
	pos  int
	end  int // length of the expression, the offset reported at its end
	// last is the qualifier of the previous primitive that had a value, or
	// nil after a primitive without one (protocol alone, vlan).
	last *qualifier
}

func (p *parser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

func (p *parser) peekIs(texts ...string) bool {
	t, ok := p.peek()
	if !ok {
		return false
	}
	for _, s := range texts {
		if t.text == s {
			return true
		}
	}
	return false
}

func (p *parser) next() token {
	t := p.toks[p.pos]
	p.pos++
	return t
}

// errEnd reports an expression that ends where more was needed.
func (p *parser) errEnd(what string) error {
	return fmt.Errorf("filter: expression ends at offset %d where %s was expected", p.end, what)
}

func isAnd(s string) bool { return s == "and" || s == tokAnd }
func isOr(s string) bool  { return s == "or" || s == tokOr }
func isNot(s string) bool { return s == "not" || s == tokBang }

// expr parses operands joined by and/or. As in pcap-filter, "and" and "or"
// have the same precedence and associate to the left.
func (p *parser) expr() (node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok || !(isAnd(t.text) || isOr(t.text)) {
			return left, nil
		}
		p.pos++
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		if isAnd(t.text) {
			left = andNode{left, right}
		} else {
			left = orNode{left, right}
		}
	}
}

// unary parses not, parentheses and primitives.
func (p *parser) unary() (node, error) {
	t, ok := p.peek()
	if !ok {
		return nil, p.errEnd("a primitive")
	}
	switch {
	case isNot(t.text):
		p.pos++
		a, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notNode{a}, nil
	case t.text == tokLParen:
		p.pos++
		if p.peekIs(tokRParen) {
			return nil, fmt.Errorf("filter: empty parentheses at offset %d", t.off)
		}
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		c, ok := p.peek()
		if !ok {
			return nil, fmt.Errorf("filter: unbalanced %q at offset %d", tokLParen, t.off)
		}
		if c.text != tokRParen {
			return nil, unexpected(c)
		}
		p.pos++
		return a, nil
	case t.text == tokRParen, isAnd(t.text), isOr(t.text):
		return nil, fmt.Errorf("filter: unexpected %q at offset %d", t.text, t.off)
	}
	return p.primitive()
}

// unsupportedKeywords are pcap-filter words outside the subset; they get a
// clearer message than an unknown word.
var unsupportedKeywords = map[string]bool{
	"gateway": true, "ether": true, "arp": true, "rarp": true, "proto": true,
	"broadcast": true, "multicast": true, "less": true, "greater": true, "len": true,
	"mpls": true, "pppoed": true, "pppoes": true, "geneve": true, "vxlan": true,
	"inbound": true, "outbound": true, "ifname": true, "on": true, "rnr": true,
	"rulenum": true, "reason": true, "rset": true, "ruleset": true, "srnr": true,
	"subrulenum": true, "action": true, "wlan": true, "type": true, "subtype": true,
	"dir": true, "addr1": true, "addr2": true, "addr3": true, "addr4": true, "ra": true,
	"ta": true, "fddi": true, "tr": true, "ppp": true, "slip": true, "link": true,
	"atalk": true, "aarp": true, "decnet": true, "iso": true, "stp": true, "ipx": true,
	"netbeui": true, "lat": true, "moprc": true, "mopdl": true, "sca": true,
	"esis": true, "isis": true, "clnp": true, "igmp": true, "igrp": true, "pim": true,
	"vrrp": true, "carp": true, "ah": true, "esp": true, "llc": true, "protochain": true,
	"mask": true, "ipv4": true, "ipv6": true,
}

// primitive parses [proto] [dir] [type] value, a protocol alone, vlan, or
// a bare value inheriting the previous qualifier.
func (p *parser) primitive() (node, error) {
	t := p.next()
	switch t.text {
	case "vlan":
		p.last = nil
		id := -1
		if v, ok := p.peek(); ok && isDigits(v.text) {
			p.pos++
			n, err := parseNumber(v, 4095, "VLAN id")
			if err != nil {
				return nil, err
			}
			id = int(n)
		}
		return vlanNode{id: id, off: t.off}, nil
	case protoIP, protoIP6, protoTCP, protoUDP, protoSCTP, protoICMP, protoICMP6:
		q := qualifier{proto: t.text}
		n, ok := p.peek()
		if !ok || !(isDirWord(n.text) || isTypeWord(n.text)) {
			if ok && isValue(n.text) {
				return nil, fmt.Errorf("filter: missing host, net, port or portrange between %q and %q at offset %d", t.text, n.text, n.off)
			}
			p.last = nil
			return protoNode{t.text}, nil
		}
		return p.qualified(q)
	case "src", "dst", typeHost, typeNet, typePort, typePortrange:
		p.pos--
		return p.qualified(qualifier{})
	}
	if isValue(t.text) {
		if p.last == nil {
			return nil, fmt.Errorf("filter: value %q at offset %d has no qualifier (write host, net, port or portrange before it)", t.text, t.off)
		}
		return p.value(*p.last, t)
	}
	if unsupportedKeywords[t.text] {
		return nil, fmt.Errorf("filter: unsupported primitive %q at offset %d", t.text, t.off)
	}
	if _, err := strconv.Atoi(t.text); err == nil {
		return nil, fmt.Errorf("filter: unexpected number %q at offset %d", t.text, t.off)
	}
	return nil, fmt.Errorf("filter: unsupported primitive %q at offset %d", t.text, t.off)
}

func isDirWord(s string) bool { return s == "src" || s == "dst" }
func isTypeWord(s string) bool {
	return s == typeHost || s == typeNet || s == typePort || s == typePortrange
}

// isValue reports whether a word starts like a value (number, address,
// CIDR prefix or port range) rather than a keyword.
func isValue(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if c >= '0' && c <= '9' || c == ':' {
		return true
	}
	// IPv6 addresses may start with a hex letter ("fe80::1").
	return strings.Contains(s, ":")
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// qualified parses the rest of a primitive after its protocol qualifier:
// [dir] [type] value.
func (p *parser) qualified(q qualifier) (node, error) {
	if t, ok := p.peek(); ok && isDirWord(t.text) {
		p.pos++
		q.dir = dirSrc
		if t.text == "dst" {
			q.dir = dirDst
		}
		// "src or dst", "src and dst" (either order).
		if p.pos+1 < len(p.toks) {
			op, other := p.toks[p.pos], p.toks[p.pos+1]
			if (op.text == "or" || op.text == "and") && isDirWord(other.text) && other.text != t.text {
				p.pos += 2
				q.dir = dirSrcOrDst
				if op.text == "and" {
					q.dir = dirSrcAndDst
				}
			}
		}
	}
	if t, ok := p.peek(); ok && isTypeWord(t.text) {
		p.pos++
		q.typ = t.text
	}
	v, ok := p.peek()
	if !ok {
		return nil, p.errEnd("a value")
	}
	if !isValue(v.text) {
		if unsupportedKeywords[v.text] || isDirWord(v.text) || isTypeWord(v.text) || v.text == "vlan" {
			return nil, fmt.Errorf("filter: unsupported qualifier order or combination at %q, offset %d", v.text, v.off)
		}
		return nil, fmt.Errorf("filter: unsupported value %q at offset %d (host names and service names are not supported; use addresses and port numbers)", v.text, v.off)
	}
	p.pos++
	return p.value(q, v)
}

// value builds the primitive for value v under qualifier q and records q
// for bare values that follow.
func (p *parser) value(q qualifier, v token) (node, error) {
	typ := q.typ
	if typ == typeDefault {
		// A direction or protocol with no type: an address is a host, a
		// prefix a net.
		switch {
		case strings.Contains(v.text, "/"):
			return nil, fmt.Errorf("filter: prefix %q at offset %d needs net before it", v.text, v.off)
		case strings.Contains(v.text, ".") || strings.Contains(v.text, ":"):
			typ = typeHost
		default:
			return nil, fmt.Errorf("filter: value %q at offset %d needs host, net, port or portrange before it", v.text, v.off)
		}
	}
	var n node
	var err error
	switch typ {
	case typeHost, typeNet:
		n, err = p.hostValue(q, typ, v)
	case typePort, typePortrange:
		n, err = p.portValue(q, typ, v)
	}
	if err != nil {
		return nil, err
	}
	qq := q
	p.last = &qq
	return n, nil
}

func (p *parser) hostValue(q qualifier, typ string, v token) (node, error) {
	switch q.proto {
	case protoDefault, protoIP, protoIP6:
	default:
		return nil, fmt.Errorf("filter: %q qualifier cannot apply to %s %q at offset %d", q.proto, typ, v.text, v.off)
	}
	var addr, mask netip.Addr
	if typ == typeHost {
		if strings.Contains(v.text, "/") {
			return nil, fmt.Errorf("filter: host %q at offset %d has a prefix length (use net)", v.text, v.off)
		}
		a, err := parseAddr(v)
		if err != nil {
			return nil, err
		}
		addr, mask = a, onesMask(a.BitLen())
	} else {
		var err error
		addr, mask, err = p.parseNet(v)
		if err != nil {
			return nil, err
		}
	}
	if q.proto == protoIP && addr.Is6() {
		return nil, fmt.Errorf("filter: \"ip\" qualifier applied to IPv6 address %q at offset %d", v.text, v.off)
	}
	if q.proto == protoIP6 && addr.Is4() {
		return nil, fmt.Errorf("filter: \"ip6\" qualifier applied to IPv4 address %q at offset %d", v.text, v.off)
	}
	return hostNode{proto: q.proto, dir: q.dir, addr: addr, mask: mask}, nil
}

// parseAddr parses a complete IPv4 dotted quad or an IPv6 address (no
// zone, no abbreviated IPv4 forms, no leading zeros).
func parseAddr(v token) (netip.Addr, error) {
	a, err := netip.ParseAddr(v.text)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("filter: bad address %q at offset %d (want a dotted-quad IPv4 or an IPv6 address; host names are not supported)", v.text, v.off)
	}
	return a, nil
}

func onesMask(bits int) netip.Addr {
	b := make([]byte, bits/8)
	for i := range b {
		b[i] = 0xff
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// prefixMask returns the mask of a prefix length for an address family.
func prefixMask(bits, n int) netip.Addr {
	b := make([]byte, bits/8)
	for i := 0; i < n; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// parseNet parses "addr/len", "addr" (all bits) or "addr mask m" (IPv4).
func (p *parser) parseNet(v token) (netip.Addr, netip.Addr, error) {
	text := v.text
	var addr, mask netip.Addr
	if i := strings.IndexByte(text, '/'); i >= 0 {
		a, err := parseAddr(token{text[:i], v.off})
		if err != nil {
			return addr, mask, err
		}
		n, err := strconv.Atoi(text[i+1:])
		if err != nil || !isDigits(text[i+1:]) || n > a.BitLen() || (len(text[i+1:]) > 1 && text[i+1] == '0') {
			return addr, mask, fmt.Errorf("filter: bad prefix length in %q at offset %d (want 0-%d)", text, v.off, a.BitLen())
		}
		addr, mask = a, prefixMask(a.BitLen(), n)
		if p.peekIs("mask") {
			t := p.next()
			return addr, mask, fmt.Errorf("filter: \"mask\" at offset %d after a prefix length", t.off)
		}
	} else {
		a, err := parseAddr(v)
		if err != nil {
			return addr, mask, err
		}
		addr, mask = a, onesMask(a.BitLen())
		if p.peekIs("mask") {
			t := p.next()
			if a.Is6() {
				return addr, mask, fmt.Errorf("filter: \"mask\" at offset %d applies only to IPv4 networks", t.off)
			}
			m, ok := p.peek()
			if !ok {
				return addr, mask, p.errEnd("a netmask")
			}
			p.pos++
			ma, err := netip.ParseAddr(m.text)
			if err != nil || !ma.Is4() {
				return addr, mask, fmt.Errorf("filter: bad netmask %q at offset %d (want a dotted quad)", m.text, m.off)
			}
			mask = ma
		}
	}
	a16, m16 := addr.As16(), mask.As16()
	for i := range a16 {
		if a16[i]&^m16[i] != 0 && (addr.Is6() || i >= 12) {
			return addr, mask, fmt.Errorf("filter: non-network bits set in %q at offset %d", text, v.off)
		}
	}
	return addr, mask, nil
}

func (p *parser) portValue(q qualifier, typ string, v token) (node, error) {
	switch q.proto {
	case protoDefault, protoTCP, protoUDP, protoSCTP:
	default:
		return nil, fmt.Errorf("filter: %q qualifier cannot apply to %s %q at offset %d", q.proto, typ, v.text, v.off)
	}
	var lo, hi uint32
	var err error
	if typ == typePort {
		if lo, err = parseNumber(v, 65535, "port number"); err != nil {
			return nil, err
		}
		hi = lo
	} else {
		a, b, found := strings.Cut(v.text, "-")
		if lo, err = parseNumber(token{a, v.off}, 65535, "port number"); err != nil {
			return nil, err
		}
		hi = lo
		if found {
			if hi, err = parseNumber(token{b, v.off + len(a) + 1}, 65535, "port number"); err != nil {
				return nil, err
			}
		}
		if lo > hi {
			lo, hi = hi, lo
		}
	}
	return portNode{proto: q.proto, dir: q.dir, lo: uint16(lo), hi: uint16(hi)}, nil
}

// parseNumber parses a decimal number up to limit. Leading zeros are
// refused: pcap-filter reads them as octal.
func parseNumber(v token, limit uint32, what string) (uint32, error) {
	if !isDigits(v.text) || (len(v.text) > 1 && v.text[0] == '0') {
		return 0, fmt.Errorf("filter: bad %s %q at offset %d (want a decimal number without leading zeros; names are not supported)", what, v.text, v.off)
	}
	n, err := strconv.ParseUint(v.text, 10, 32)
	if err != nil || n > uint64(limit) {
		return 0, fmt.Errorf("filter: %s %q at offset %d is out of range (0-%d)", what, v.text, v.off, limit)
	}
	return uint32(n), nil
}
