package filter

import (
	"strings"
	"testing"

	"golang.org/x/net/bpf"

	"connscope/internal/pcapgen"
)

// tcpPort80DDD is tcpdump -y EN10MB -ddd 'tcp port 80' (tcpdump 4.99.3,
// libpcap 1.10.3).
const tcpPort80DDD = `20
40 0 0 12
21 0 6 34525
48 0 0 20
21 0 15 6
40 0 0 54
21 12 0 80
40 0 0 56
21 10 11 80
21 0 10 2048
48 0 0 23
21 0 8 6
40 0 0 20
69 6 0 8191
177 0 0 14
72 0 0 14
21 2 0 80
72 0 0 16
21 0 1 80
6 0 0 262144
6 0 0 0
`

func TestParseDDD(t *testing.T) {
	raw, err := ParseDDD(tcpPort80DDD)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 20 || raw[0] != (bpf.RawInstruction{Op: 40, K: 12}) || raw[7] != (bpf.RawInstruction{Op: 21, Jt: 10, Jf: 11, K: 80}) {
		t.Fatalf("unexpected instructions: %v", raw)
	}
	p, err := FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The String form is -ddd again.
	if got := p.String(); got != tcpPort80DDD {
		t.Fatalf("String() =\n%s\nwant\n%s", got, tcpPort80DDD)
	}
	ours, err := Compile("tcp port 80", LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range verdictFrames() {
		if p.Match(f) != ours.Match(f) {
			t.Errorf("frame %s: tcpdump program %v, ours %v", name, p.Match(f), ours.Match(f))
		}
	}
}

func TestParseDDDErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"empty", "\n \n", "filter: bpf program is empty"},
		{"bad count", "x\n6 0 0 1\n", `filter: bpf line 1: want the instruction count (1-4096), got "x"`},
		{"zero count", "0\n", "filter: bpf line 1: want the instruction count"},
		{"short count", "2\n6 0 0 1\n", "filter: bpf program has 1 instructions, its first line says 2"},
		{"extra", "1\n6 0 0 1\n6 0 0 0\n", "filter: bpf line 3: more instructions than the count 1"},
		{"three fields", "1\n6 0 0\n", `filter: bpf line 2: want "code jt jf k", got "6 0 0"`},
		{"jt too big", "1\n21 256 0 1\n", `filter: bpf line 2: bad field "256" (want a decimal number of 8 bits)`},
		{"dd syntax", "1\n{ 0x6, 0, 0, 0x00040000 },\n", `filter: bpf line 2: want "code jt jf k"`},
		{"negative", "1\n6 0 0 -1\n", `filter: bpf line 2: bad field "-1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDDD(tc.text)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("ParseDDD error = %v, want prefix %s", err, tc.want)
			}
		})
	}
}

func TestFromRawErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  []bpf.RawInstruction
		want string
	}{
		{"empty", nil, "filter: empty program"},
		{"no return", []bpf.RawInstruction{{Op: 0x28, K: 12}}, "filter: invalid program"},
		{"jump past end", []bpf.RawInstruction{{Op: 0x15, Jt: 5, K: 1}, {Op: 0x06}}, "filter: invalid program"},
		// ld vlan_avail (SKF_AD_VLAN_TAG_PRESENT): kernel only.
		{"kernel extension", []bpf.RawInstruction{{Op: 0x20, K: 0xfffff000 + 48}, {Op: 0x06}}, "filter: invalid program: extension 48 not implemented"},
		{"unknown opcode", []bpf.RawInstruction{{Op: 0xff}, {Op: 0x06}}, "filter: instruction 0 (code 0xff) is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromRaw(tc.raw)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("FromRaw error = %v, want prefix %s", err, tc.want)
			}
		})
	}
}

func TestRawIsAssembled(t *testing.T) {
	p, err := Compile("tcp port 80", LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	want, err := bpf.Assemble(p.Instructions())
	if err != nil {
		t.Fatal(err)
	}
	raw := p.Raw()
	if len(raw) != len(want) {
		t.Fatalf("Raw has %d instructions, Instructions assemble to %d", len(raw), len(want))
	}
	for i := range raw {
		if raw[i] != want[i] {
			t.Fatalf("instruction %d: Raw %v, assembled %v", i, raw[i], want[i])
		}
	}
	// Raw returns a copy: changing it does not change the program.
	raw[0].K = 99
	if p.Raw()[0].K == 99 {
		t.Fatal("Raw shares its slice with the program")
	}
}

func TestMatchAllocs(t *testing.T) {
	p, err := Compile("vlan and tcp port 80 or host 2001:db8::1", LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	frame := verdictFrames()["vlan4"]
	if !p.Match(frame) {
		t.Fatal("frame should match")
	}
	if n := testing.AllocsPerRun(1000, func() { p.Match(frame) }); n != 0 {
		t.Fatalf("Match allocates %.1f times per packet, want 0", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, bc := range []struct {
		name, expr string
		link       pcapgen.Link
	}{
		{"tcp_port_80", "tcp port 80", pcapgen.Ethernet},
		{"host_or_net", "host 10.9.9.9 or net 192.168.0.0/16 or port 53", pcapgen.Ethernet},
		{"vlan_tcp_port", "vlan 100 and tcp port 80", pcapgen.EthernetVLAN},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p, err := Compile(bc.expr, LinkTypeEthernet)
			if err != nil {
				b.Fatal(err)
			}
			ip := pcapgen.TCP(ap("10.0.0.1:40000"), ap("10.0.0.2:80"), 1, 2, pcapgen.ACK, 100, make([]byte, 100)).IPPacket()
			frame := pcapgen.Encap(bc.link, ip, 100)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				p.Match(frame)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}
