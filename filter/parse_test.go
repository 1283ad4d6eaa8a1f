package filter

import (
	"strings"
	"testing"

	"connscope/internal/pcapgen"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, expr string
		want       string // exact error text, or a substring when partial
		partial    bool
	}{
		{"unsupported primitive", "gateway foo", `filter: unsupported primitive "gateway" at offset 0`, false},
		{"unsupported after and", "tcp and ether host 00:11:22:33:44:55", `filter: unsupported primitive "ether" at offset 8`, false},
		{"proto keyword", "ip proto tcp", `filter: unsupported primitive "proto" at offset 3`, false},
		{"greater", "greater 100", `filter: unsupported primitive "greater" at offset 0`, false},
		{"upper case", "TCP", `filter: unsupported primitive "TCP" at offset 0`, false},
		{"byte offset", "tcp[13] & 2 != 0", `filter: unsupported character "[" in "[13]" at offset 3`, false},
		{"single ampersand", "tcp & udp", `filter: unsupported operator "&" at offset 4`, false},
		{"not equal", "tcp != 1", `filter: unsupported operator "!=" at offset 4`, false},
		{"zone", "host fe80::1%eth0", `unsupported character "%"`, true},
		{"empty", "  ", "filter: empty expression", false},
		{"dangling or", "tcp port 80 or", "filter: expression ends at offset 14 where a primitive was expected", false},
		{"dangling not", "not", "filter: expression ends at offset 3 where a primitive was expected", false},
		{"missing value", "tcp port", "filter: expression ends at offset 8 where a value was expected", false},
		{"missing value after dir", "src or dst", "filter: expression ends at offset 10 where a value was expected", false},
		{"unbalanced open", "(tcp", `filter: unbalanced "(" at offset 0`, false},
		{"unbalanced close", "tcp)", `filter: unbalanced ")" at offset 3`, false},
		{"empty parens", "tcp and ()", "filter: empty parentheses at offset 8", false},
		{"double and", "tcp and and udp", `filter: unexpected "and" at offset 8`, false},
		{"juxtaposed", "tcp udp", `filter: unexpected "udp" at offset 4 (missing and/or?)`, false},
		{"bare value first", "1.2.3.4", `filter: value "1.2.3.4" at offset 0 has no qualifier`, true},
		{"bare value after proto", "tcp or 80", `filter: value "80" at offset 7 has no qualifier`, true},
		{"bare value after vlan", "vlan 5 or 6", `filter: value "6" at offset 10 has no qualifier`, true},
		{"proto then value", "tcp 80", `missing host, net, port or portrange between "tcp" and "80"`, true},
		{"host name", "host example.com", `filter: unsupported value "example.com" at offset 5`, true},
		{"service name", "port http", `filter: unsupported value "http" at offset 5`, true},
		{"port inherits into address", "port 80 or 1.2.3.4", `filter: bad port number "1.2.3.4" at offset 11`, true},
		{"port too big", "port 70000", `filter: port number "70000" at offset 5 is out of range (0-65535)`, false},
		{"octal port", "port 080", `filter: bad port number "080" at offset 5`, true},
		{"hex port", "port 0x50", `filter: bad port number "0x50" at offset 5`, true},
		{"range missing end", "portrange 1-", `filter: bad port number "" at offset 12`, true},
		{"range bad end", "portrange 1-x", `filter: bad port number "x" at offset 12`, true},
		{"vlan too big", "vlan 4096", `filter: VLAN id "4096" at offset 5 is out of range (0-4095)`, false},
		{"dir with number", "src 80", `filter: value "80" at offset 4 needs host, net, port or portrange before it`, false},
		{"dir with prefix", "src 10.0.0.0/8", `filter: prefix "10.0.0.0/8" at offset 4 needs net before it`, false},
		{"host with prefix", "host 10.0.0.0/8", "has a prefix length (use net)", true},
		{"abbreviated net", "net 10.1", `filter: bad address "10.1" at offset 4`, true},
		{"host bits", "net 10.0.0.1/8", `filter: non-network bits set in "10.0.0.1/8" at offset 4`, false},
		{"host bits mask", "net 1.2.3.4 mask 255.0.255.0", `filter: non-network bits set in "1.2.3.4" at offset 4`, false},
		{"prefix too long", "net 10.0.0.0/33", `filter: bad prefix length in "10.0.0.0/33" at offset 4 (want 0-32)`, false},
		{"mask after prefix", "net 10.0.0.0/8 mask 255.0.0.0", `filter: "mask" at offset 15 after a prefix length`, false},
		{"ipv6 mask", "net ::1 mask ffff::", `filter: "mask" at offset 8 applies only to IPv4 networks`, false},
		{"bad mask", "net 10.0.0.0 mask 8", `filter: bad netmask "8" at offset 18`, true},
		{"ip with v6 host", "ip host ::1", `filter: "ip" qualifier applied to IPv6 address "::1" at offset 8`, false},
		{"ip6 with v4 host", "ip6 host 1.2.3.4", `filter: "ip6" qualifier applied to IPv4 address "1.2.3.4" at offset 9`, false},
		{"tcp host", "tcp host 1.2.3.4", `filter: "tcp" qualifier cannot apply to host "1.2.3.4" at offset 9`, false},
		{"ip port", "ip port 80", `filter: "ip" qualifier cannot apply to port "80" at offset 8`, false},
		{"icmp port", "icmp port 1", `filter: "icmp" qualifier cannot apply to port`, true},
		{"qualifier order", "src tcp port 80", `unsupported value "tcp" at offset 4`, true},
		{"dir twice", "dst src host 1.2.3.4", `unsupported qualifier order or combination at "src", offset 4`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.expr)
			if err == nil {
				t.Fatalf("Parse(%q) accepted an expression outside the subset", tc.expr)
			}
			if tc.partial && !strings.Contains(err.Error(), tc.want) || !tc.partial && err.Error() != tc.want {
				t.Fatalf("Parse(%q) error\n got: %v\nwant: %s", tc.expr, err, tc.want)
			}
		})
	}
}

func TestCompileLinkErrors(t *testing.T) {
	tests := []struct {
		name, expr string
		lt         uint16
		want       string
	}{
		{"vlan on sll", "tcp and vlan", LinkTypeLinuxSLL, `filter: "vlan" at offset 8 is not supported on link type linux_sll`},
		{"vlan on raw", "vlan", LinkTypeRaw, `filter: "vlan" at offset 0 is not supported on link type raw`},
		{"null", "tcp", LinkTypeNull, "filter: link type null (0) is not supported (supported: ethernet, linux_sll, linux_sll2, raw, ipv4, ipv6)"},
		{"loop", "tcp", LinkTypeLoop, "filter: link type loop (108) is not supported"},
		{"802.11", "tcp", 105, "filter: link type linktype_105 (105) is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.expr, tc.lt)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Compile(%q, %d) = %v, want %s", tc.expr, tc.lt, err, tc.want)
			}
		})
	}
}

// verdictFrames are a few Ethernet frames whose expected verdicts the
// accepted-forms table states by hand.
func verdictFrames() map[string][]byte {
	tcp4 := pcapgen.TCP(ap("10.0.0.1:40000"), ap("10.0.0.2:80"), 1, 2, pcapgen.ACK, 100, []byte("x")).IPPacket()
	udp6 := pcapgen.UDP(ap("[2001:db8::1]:5353"), ap("[2001:db8::2]:53"), []byte("q")).IPPacket()
	frag := pcapgen.TCP(ap("10.0.0.1:40000"), ap("10.0.0.2:80"), 1, 2, pcapgen.ACK, 100, []byte("0123456789abcdef"))
	frag.FragOffset = 10
	return map[string][]byte{
		"tcp4":  pcapgen.Encap(pcapgen.Ethernet, tcp4),
		"udp6":  pcapgen.Encap(pcapgen.Ethernet, udp6),
		"vlan4": pcapgen.Encap(pcapgen.EthernetVLAN, tcp4, 100),
		"frag4": pcapgen.Encap(pcapgen.Ethernet, frag.IPPacket()),
		"arp":   withEtherType(pcapgen.Ethernet, arpBody("10.0.0.1", "10.0.0.9"), 0x0806),
	}
}

func TestAcceptedForms(t *testing.T) {
	frames := verdictFrames()
	tests := []struct {
		expr  string
		match []string // frames that match; the others must not
	}{
		{"tcp", []string{"tcp4", "frag4"}},
		{"udp", []string{"udp6"}},
		{"ip6", []string{"udp6"}},
		{"ip", []string{"tcp4", "frag4"}},
		{"port 80", []string{"tcp4"}}, // not the later fragment
		{"tcp port 80", []string{"tcp4"}},
		{"udp port 80", nil},
		{"dst port 53", []string{"udp6"}},
		{"src port 53", nil},
		{"src or dst port 5353", []string{"udp6"}},
		{"src and dst port 53", nil},
		{"portrange 50-60", []string{"udp6"}},
		{"portrange 60-50", []string{"udp6"}},
		{"port 80 or 53", []string{"tcp4", "udp6"}},
		{"tcp port 80 or 53", []string{"tcp4"}}, // 53 inherits "tcp port"
		{"host 10.0.0.1", []string{"tcp4", "frag4", "arp"}},
		{"ip host 10.0.0.1", []string{"tcp4", "frag4"}},
		{"dst host 10.0.0.9", []string{"arp"}},
		{"src 10.0.0.1", []string{"tcp4", "frag4", "arp"}},
		{"host 10.0.0.1 and not 10.0.0.2", []string{"arp"}},
		{"net 10.0.0.0/8", []string{"tcp4", "frag4", "arp"}},
		{"net 10.0.0.0 mask 255.255.255.0", []string{"tcp4", "frag4", "arp"}},
		{"net 2001:db8::/32", []string{"udp6"}},
		{"src host 2001:db8::1", []string{"udp6"}},
		{"dst host 2001:db8::1", nil},
		{"vlan", []string{"vlan4"}},
		{"vlan 100 and tcp port 80", []string{"vlan4"}},
		{"vlan 200", nil},
		{"vlan and tcp", []string{"vlan4"}},
		{"not vlan and tcp", nil},                    // tcp is read after the tag, as in libpcap
		{"tcp or udp and port 53", []string{"udp6"}}, // and/or have equal precedence
		{"tcp or (udp and port 53)", []string{"tcp4", "frag4", "udp6"}},
		{"!tcp && !udp", []string{"vlan4", "arp"}},
		{"not (tcp || udp)", []string{"vlan4", "arp"}},
		{"port 80 and (81 or not 82)", []string{"tcp4"}},
		{"ip and ip6", nil},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			p, err := Compile(tc.expr, LinkTypeEthernet)
			if err != nil {
				t.Fatal(err)
			}
			for name, f := range frames {
				want := false
				for _, m := range tc.match {
					want = want || m == name
				}
				if got := p.Match(f); got != want {
					t.Errorf("%q on %s: got %v, want %v", tc.expr, name, got, want)
				}
			}
		})
	}
}

// TestLongProgram checks the widening of conditional jumps beyond 255
// instructions: a long chain of alternatives still matches exactly its
// members.
func TestLongProgram(t *testing.T) {
	var b strings.Builder
	b.WriteString("port 1000")
	for p := 1001; p < 1080; p++ {
		b.WriteString(" or " + itoa(p))
	}
	b.WriteString(" or host 10.9.9.9")
	p, err := Compile(b.String(), LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() < 512 {
		t.Fatalf("program has %d instructions; the test needs more than 512 to exercise long jumps", p.Len())
	}
	for _, tc := range []struct {
		name  string
		port  uint16
		match bool
	}{
		{"first", 1000, true}, {"middle", 1040, true}, {"last", 1079, true}, {"past", 1080, false}, {"below", 999, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ip := pcapgen.TCP(ap("10.0.0.1:40000"), ap("10.0.0.2:"+itoa(int(tc.port))), 1, 2, pcapgen.ACK, 100, nil).IPPacket()
			if got := p.Match(pcapgen.Encap(pcapgen.Ethernet, ip)); got != tc.match {
				t.Fatalf("port %d: got %v, want %v", tc.port, got, tc.match)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
