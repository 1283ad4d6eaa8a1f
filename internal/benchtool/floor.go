package benchtool

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"connscope/flow"
)

// Floor holds what a decode-only pass over a capture counted.
type Floor struct {
	Packets uint64 // records read
	Bytes   uint64 // captured bytes read
	Decoded uint64 // packets decoded down to TCP or UDP
	Flows   int    // distinct canonical flow keys
}

// flowCount is the per-flow state of the floor: the least any analyser keeps.
type flowCount struct {
	packets uint64
	bytes   uint64
}

type packetReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

// pcapng section header block type (pcapng §4.1).
var ngMagic = []byte{0x0a, 0x0d, 0x0d, 0x0a}

// DecodeFloor reads a pcap or pcapng stream to the end, decodes every packet
// with one DecodingLayerParser (Ethernet, Linux SLL, IPv4, IPv6, TCP, UDP)
// and counts packets per canonical flow key.
func DecodeFloor(r io.Reader) (Floor, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		return Floor{}, fmt.Errorf("benchtool: read magic: %w", err)
	}
	var pr packetReader
	if string(magic) == string(ngMagic) {
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return Floor{}, fmt.Errorf("benchtool: open pcapng: %w", err)
		}
		pr = ng
	} else {
		pc, err := pcapgo.NewReader(br)
		if err != nil {
			return Floor{}, fmt.Errorf("benchtool: open pcap: %w", err)
		}
		pr = pc
	}

	var (
		eth  layers.Ethernet
		sll  layers.LinuxSLL
		ip4  layers.IPv4
		ip6  layers.IPv6
		tcp  layers.TCP
		udp  layers.UDP
		pl   gopacket.Payload
		seen = make([]gopacket.LayerType, 0, 8)
	)
	first := layers.LayerTypeEthernet
	switch pr.LinkType() {
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeRaw, layers.LinkTypeIPv4:
		first = layers.LayerTypeIPv4
	}
	parser := gopacket.NewDecodingLayerParser(first, &eth, &sll, &ip4, &ip6, &tcp, &udp, &pl)
	parser.IgnoreUnsupported = true
	flows := make(map[flow.Key]*flowCount)

	var f Floor
	for {
		data, ci, err := pr.ZeroCopyReadPacketData()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return f, fmt.Errorf("benchtool: read packet %d: %w", f.Packets+1, err)
		}
		f.Packets++
		f.Bytes += uint64(ci.CaptureLength)
		_ = parser.DecodeLayers(data, &seen) // truncated or odd packets just stop early
		var src, dst flow.Endpoint
		var proto uint8
		for _, lt := range seen {
			switch lt {
			case layers.LayerTypeIPv4:
				src.Addr, dst.Addr = flow.AddrFrom4(ip4.SrcIP), flow.AddrFrom4(ip4.DstIP)
			case layers.LayerTypeIPv6:
				src.Addr, dst.Addr = flow.AddrFrom16(ip6.SrcIP), flow.AddrFrom16(ip6.DstIP)
			case layers.LayerTypeTCP:
				src.Port, dst.Port, proto = uint16(tcp.SrcPort), uint16(tcp.DstPort), 6
			case layers.LayerTypeUDP:
				src.Port, dst.Port, proto = uint16(udp.SrcPort), uint16(udp.DstPort), 17
			}
		}
		if proto == 0 {
			continue
		}
		f.Decoded++
		k, _ := flow.NewKey(proto, src, dst)
		fc := flows[k]
		if fc == nil {
			fc = &flowCount{}
			flows[k] = fc
		}
		fc.packets++
		fc.bytes += uint64(len(data))
	}
	f.Flows = len(flows)
	return f, nil
}
