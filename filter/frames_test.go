package filter

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"connscope/internal/pcapgen"
)

// testLink is a link type of the differential test with its tcpdump -y name.
type testLink struct {
	name string // tcpdump -y DLT name
	lt   uint16
}

var testLinks = []testLink{
	{"EN10MB", LinkTypeEthernet},
	{"LINUX_SLL", LinkTypeLinuxSLL},
	{"LINUX_SLL2", LinkTypeLinuxSLL2},
	{"RAW", LinkTypeRaw},
	{"IPV4", LinkTypeIPv4},
	{"IPV6", LinkTypeIPv6},
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// ipPackets builds the IP packets of the synthetic corpus: IPv4 and IPv6,
// TCP, UDP, ICMP, ICMPv6 and SCTP, many ports and addresses, IPv4 options,
// IPv4 first and later fragments, IPv6 Fragment and Hop-by-Hop headers.
// The second result marks packets whose every prefix is also tried.
func ipPackets() (pkts [][]byte, prefixes []bool) {
	add := func(p []byte, pre bool) {
		pkts = append(pkts, p)
		prefixes = append(prefixes, pre)
	}
	v4 := []string{"10.0.0.1", "10.0.0.2", "192.168.1.1", "10.1.2.3", "172.16.5.4"}
	v6 := []string{"[2001:db8::1]", "[2001:db8::2]", "[fe80::1]", "[::1]", "[2001:db8:ff::7]"}
	tcpPorts := [][2]string{{"40000", "80"}, {"80", "40000"}, {"443", "9"}, {"53", "53"}, {"8080", "1"}, {"1", "2"}, {"9", "40000"}, {"22", "8000"}, {"81", "82"}}
	udpPorts := [][2]string{{"5353", "53"}, {"53", "40000"}, {"123", "123"}, {"55", "1024"}}
	for fam, addrs := range [][]string{v4, v6} {
		for i, sp := range tcpPorts {
			src, dst := addrs[i%len(addrs)], addrs[(i+1)%len(addrs)]
			s := pcapgen.TCP(ap(src+":"+sp[0]), ap(dst+":"+sp[1]), 1, 2, pcapgen.ACK, 100, []byte("payload"))
			add(s.IPPacket(), i < 2)
			if i%3 == 0 {
				// Same addresses both ways, and the reverse direction.
				s2 := pcapgen.TCP(ap(src+":"+sp[0]), ap(src+":"+sp[1]), 1, 2, pcapgen.SYN, 100, nil)
				add(s2.IPPacket(), false)
				s3 := pcapgen.TCP(ap(dst+":"+sp[1]), ap(src+":"+sp[0]), 1, 2, pcapgen.SYN|pcapgen.ACK, 100, nil)
				add(s3.IPPacket(), false)
			}
		}
		for i, up := range udpPorts {
			src, dst := addrs[(i+2)%len(addrs)], addrs[(i+3)%len(addrs)]
			u := pcapgen.UDP(ap(src+":"+up[0]), ap(dst+":"+up[1]), []byte("dns?"))
			add(u.IPPacket(), i == 0)
		}
		a, b := addrs[0], addrs[1]
		// Fragments: the first (MF set), a later one (offset 10), and
		// DF set.
		first := pcapgen.TCP(ap(a+":40000"), ap(b+":80"), 1, 2, pcapgen.ACK, 100, []byte("abcdefghijklmnop"))
		first.MoreFragments = true
		add(first.IPPacket(), fam == 1)
		later := first
		later.MoreFragments, later.FragOffset = false, 10
		add(later.IPPacket(), false)
		laterMF := first
		laterMF.FragOffset = 3
		add(laterMF.IPPacket(), false)
		df := pcapgen.UDP(ap(a+":53"), ap(b+":53"), []byte("x"))
		df.DontFragment = true
		add(df.IPPacket(), false)
		if fam == 1 {
			hbh := pcapgen.TCP(ap(a+":40000"), ap(b+":80"), 1, 2, pcapgen.ACK, 100, nil)
			hbh.IPv6Ext = []uint8{pcapgen.ExtHopByHop}
			add(hbh.IPPacket(), false)
			fragUDP := pcapgen.UDP(ap(a+":53"), ap(b+":53"), []byte("fragment"))
			fragUDP.IPv6Ext = []uint8{pcapgen.ExtFragment}
			add(fragUDP.IPPacket(), false)
		}
		// Other protocols: the UDP packet with its protocol number changed
		// (ICMP, ICMPv6, SCTP, GRE).
		for _, proto := range []byte{1, 58, 132, 47} {
			p := pcapgen.UDP(ap(a+":80"), ap(b+":53"), []byte("other")).IPPacket()
			if fam == 0 {
				p[9] = proto
			} else {
				p[6] = proto
			}
			add(p, false)
		}
	}
	// IPv4 with options (IHL 6): ports sit 4 bytes later.
	p := pcapgen.TCP(ap("10.0.0.1:40000"), ap("10.0.0.2:80"), 1, 2, pcapgen.ACK, 100, nil).IPPacket()
	opt := append(append(append([]byte{}, p[:20]...), 1, 1, 1, 0), p[20:]...)
	opt[0] = 0x46
	binary.BigEndian.PutUint16(opt[2:], uint16(len(opt)))
	add(opt, true)
	// A packet whose version nibble is neither 4 nor 6.
	bad := append([]byte{}, p...)
	bad[0] = 0x55
	add(bad, false)
	return pkts, prefixes
}

// arpBody is an Ethernet/IPv4 ARP request (RFC 826) from 10.0.0.1 for
// 10.0.0.2.
func arpBody(spa, tpa string) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], 1)      // hardware type Ethernet
	binary.BigEndian.PutUint16(b[2:], 0x0800) // protocol type IPv4
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], 1) // request
	s, t := netip.MustParseAddr(spa).As4(), netip.MustParseAddr(tpa).As4()
	copy(b[14:], s[:])
	copy(b[24:], t[:])
	return b
}

// withEtherType returns the frame of link l around body with the EtherType
// (or SLL protocol) set to et.
func withEtherType(l pcapgen.Link, body []byte, et uint16, vlans ...uint16) []byte {
	f := pcapgen.Encap(l, append([]byte{0x45}, make([]byte, len(body)-1)...), vlans...)
	off := len(f) - len(body) - 2
	if l == pcapgen.SLL2 {
		off = 0
	}
	binary.BigEndian.PutUint16(f[off:], et)
	copy(f[len(f)-len(body):], body)
	return f
}

// syntheticFrames returns the generated frames for link type lt: every IP
// packet in each encapsulation of the link type (Ethernet with 0-3 VLAN
// tags of the three tag types), ARP and RARP, a few non-IP frames, and
// every prefix of the marked frames (to exercise out-of-range loads).
func syntheticFrames(lt uint16) [][]byte {
	pkts, prefixes := ipPackets()
	var frames [][]byte
	addPrefixes := func(f []byte) {
		for n := 0; n < len(f); n++ {
			frames = append(frames, f[:n])
		}
	}
	type encap struct {
		l     pcapgen.Link
		vlans []uint16
		tpid  uint16 // rewrite the first tag's TPID
	}
	var encs []encap
	switch lt {
	case LinkTypeEthernet:
		encs = []encap{
			{l: pcapgen.Ethernet}, {l: pcapgen.EthernetVLAN, vlans: []uint16{100}},
			{l: pcapgen.EthernetVLAN, vlans: []uint16{200}}, {l: pcapgen.QinQ, vlans: []uint16{200, 100}},
			{l: pcapgen.EthernetVLAN, vlans: []uint16{100, 200, 5}}, {l: pcapgen.EthernetVLAN, vlans: []uint16{7}, tpid: 0x9100},
		}
	case LinkTypeLinuxSLL:
		encs = []encap{{l: pcapgen.SLL}}
	case LinkTypeLinuxSLL2:
		encs = []encap{{l: pcapgen.SLL2}}
	default:
		encs = []encap{{l: pcapgen.Raw}}
	}
	for _, e := range encs {
		for i, p := range pkts {
			f := pcapgen.Encap(e.l, p, e.vlans...)
			if e.tpid != 0 {
				binary.BigEndian.PutUint16(f[12:], e.tpid)
			}
			frames = append(frames, f)
			if prefixes[i] {
				addPrefixes(f)
			}
		}
		if e.l == pcapgen.Raw {
			continue
		}
		for _, et := range []uint16{0x0806, 0x8035} {
			for _, pair := range [][2]string{{"10.0.0.1", "10.0.0.2"}, {"192.168.1.1", "10.0.0.1"}, {"172.16.5.4", "172.16.5.5"}} {
				f := withEtherType(e.l, arpBody(pair[0], pair[1]), et, e.vlans...)
				if e.tpid != 0 {
					binary.BigEndian.PutUint16(f[12:], e.tpid)
				}
				frames = append(frames, f)
			}
		}
		// Non-IP frames: LLDP and an IPv4 EtherType with a short body.
		frames = append(frames, withEtherType(e.l, make([]byte, 40), 0x88cc, e.vlans...))
		frames = append(frames, withEtherType(e.l, []byte{0x45, 0, 0, 20}, 0x0800, e.vlans...))
		addPrefixes(withEtherType(e.l, arpBody("10.0.0.1", "10.0.0.2"), 0x0806, e.vlans...))
	}
	return frames
}

// repoRoot returns the module root (the directory above this package).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// corpusDir returns the third-party corpus directory, or "" when absent.
func corpusDir() string {
	dir := os.Getenv("CONNSCOPE_CORPUS")
	if dir == "" {
		dir = filepath.Join(repoRoot(), "..", "shared", "corpus")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return ""
	}
	return dir
}

// readFrames appends up to limit frames of path to out by link type. Read
// errors end the file quietly: what was read is kept.
func readFrames(path string, limit int, out map[uint16][][]byte) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	br := r.(*bufio.Reader)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return
		}
		br = bufio.NewReader(zr)
	}
	head, _ := br.Peek(4)
	if len(head) < 4 {
		return
	}
	next := func() ([]byte, uint16, error) { return nil, 0, io.EOF }
	if binary.BigEndian.Uint32(head) == 0x0a0d0d0a {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return
		}
		next = func() ([]byte, uint16, error) {
			d, ci, err := ng.ReadPacketData()
			lt := uint16(0xffff)
			if len(ci.AncillaryData) > 0 {
				if l, ok := ci.AncillaryData[0].(layers.LinkType); ok {
					lt = uint16(l)
				}
			}
			return d, lt, err
		}
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return
		}
		next = func() ([]byte, uint16, error) {
			d, _, err := pr.ReadPacketData()
			return d, uint16(pr.LinkType()), err
		}
	}
	for n := 0; n < limit; n++ {
		d, lt, err := next()
		if err != nil {
			return // io.EOF or a damaged file: keep what was read
		}
		out[lt] = append(out[lt], d)
	}
}

// fileFrames returns frames of the committed captures and, when present,
// of the corpus captures whose link type the filter handles, by link type.
// Each file gives at most perFile frames.
func fileFrames(perFile int) (map[uint16][][]byte, int) {
	out := map[uint16][][]byte{}
	files, _ := filepath.Glob(filepath.Join(repoRoot(), "testdata", "pcaps", "*.pcap*"))
	if dir := corpusDir(); dir != "" {
		if m, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv")); err == nil {
			want := map[string]bool{"ether": true, "linux-sll": true, "linux-sll2": true, "rawip": true, "rawip4": true, "rawip6": true, "per-packet": true}
			for _, line := range strings.Split(string(m), "\n")[1:] {
				f := strings.Split(line, "\t")
				if len(f) > 6 && want[f[5]] {
					files = append(files, filepath.Join(dir, f[0]))
				}
			}
		}
	}
	sort.Strings(files)
	for _, f := range files {
		readFrames(f, perFile, out)
	}
	// Raw link types as numbered on some BSDs are raw IP.
	for _, alias := range []uint16{LinkTypeRawBSD, LinkTypeRawBSDOS} {
		out[LinkTypeRaw] = append(out[LinkTypeRaw], out[alias]...)
	}
	return out, len(files)
}
