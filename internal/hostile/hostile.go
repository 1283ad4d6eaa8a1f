package hostile

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"

	"connscope/internal/pcapgen"
)

// Kind names one hostile capture.
type Kind string

// The hostile captures. Size is the n argument of Write.
const (
	// SYNFlood: n SYNs from random IPv4 sources and ports (10.0.0.0/8) to
	// one server, 1 µs apart, never answered. Exhausts the connection
	// table (tcp_conn_limit) and the peer table (analysis_peer_limit).
	SYNFlood Kind = "syn-flood"
	// EndlessHeaders: one HTTP request whose head never ends: n bytes of
	// 1000-byte header lines (http_header_too_large).
	EndlessHeaders Kind = "endless-headers"
	// EndlessChunked: one HTTP response with a chunked body of n bytes in
	// 4 KiB chunks that never gets its last chunk (http_truncated_body).
	// Bodies are counted, never stored.
	EndlessChunked Kind = "endless-chunked"
	// OverlapFlood: n out-of-order, mutually overlapping 1000-byte segments
	// above a one-byte hole that is never filled, spread over 8
	// connections (tcp_ooo_buffer_limit, tcp_ooo_total_limit).
	OverlapFlood Kind = "overlap-flood"
	// PcapngHugeBlock: a valid section and interface, one packet, then an
	// Enhanced Packet Block whose total length says 4 GiB
	// (capture_truncated_file; the reader must not allocate it).
	PcapngHugeBlock Kind = "pcapng-huge-block"
	// PcapngCaplenOverBlock: packets whose captured length exceeds their
	// block (the file is malformed from that block on).
	PcapngCaplenOverBlock Kind = "pcapng-caplen-over-block"
	// PcapngHugeOption: an Interface Description Block whose option claims
	// 65535 bytes inside a 32-byte block.
	PcapngHugeOption Kind = "pcapng-huge-option"
	// PcapngManyInterfaces: n Interface Description Blocks in one section
	// followed by one packet on the last.
	PcapngManyInterfaces Kind = "pcapng-many-interfaces"
	// PcapHugeRecord: a pcap file whose second record header claims a
	// captured length of 4 GiB - 1.
	PcapHugeRecord Kind = "pcap-huge-record"
)

// Kinds lists every Kind in a stable order.
func Kinds() []Kind {
	return []Kind{SYNFlood, EndlessHeaders, EndlessChunked, OverlapFlood,
		PcapngHugeBlock, PcapngCaplenOverBlock, PcapngHugeOption, PcapngManyInterfaces, PcapHugeRecord}
}

// T0 is the capture time of the first packet of every hostile capture.
var T0 = time.Unix(1700000000, 0).UTC()

var (
	clientAddr = netip.MustParseAddrPort("198.51.100.7:40000")
	serverAddr = netip.MustParseAddrPort("192.0.2.80:80")
)

// Write writes the capture of kind k with size n to dst.
func Write(dst io.Writer, k Kind, n int) error {
	bw := bufio.NewWriterSize(dst, 64<<10)
	var err error
	switch k {
	case SYNFlood:
		err = synFlood(bw, n)
	case EndlessHeaders:
		err = endlessHeaders(bw, n)
	case EndlessChunked:
		err = endlessChunked(bw, n)
	case OverlapFlood:
		err = overlapFlood(bw, n)
	case PcapngHugeBlock, PcapngCaplenOverBlock, PcapngHugeOption, PcapngManyInterfaces:
		err = absurdPcapng(bw, k, n)
	case PcapHugeRecord:
		err = pcapHugeRecord(bw)
	default:
		return fmt.Errorf("hostile: unknown kind %q", k)
	}
	if err != nil {
		return fmt.Errorf("hostile %s: %w", k, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("hostile %s: %w", k, err)
	}
	return nil
}

func newWriter(dst io.Writer) *pcapgen.Writer {
	return pcapgen.NewWriter(dst, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
}

func synFlood(dst io.Writer, n int) error {
	w := newWriter(dst)
	rng := rand.New(rand.NewPCG(1, 2))
	opts := pcapgen.TCPOptions(pcapgen.OptMSS(1460), pcapgen.OptSACKPermitted())
	ts := T0
	for range n {
		r := rng.Uint64()
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(r >> 8), byte(r >> 16), byte(r >> 24)}), uint16(1024+(r>>32)%64000))
		seg := pcapgen.Segment{Src: src, Dst: serverAddr, Seq: uint32(r >> 40), Flags: pcapgen.SYN, Window: 64240, Options: opts}
		if err := w.WriteSegment(ts, seg); err != nil {
			return err
		}
		ts = ts.Add(time.Microsecond)
	}
	return w.Err()
}

func endlessHeaders(dst io.Writer, n int) error {
	c := pcapgen.NewConn(newWriter(dst), clientAddr, serverAddr, T0)
	c.Handshake()
	head := []byte("GET /endless HTTP/1.1\r\nHost: hostile.example\r\n")
	line := make([]byte, 0, 1000)
	for i, total := 0, len(head); total < n; i++ {
		line = append(line[:0], "X-Pad-"...)
		line = strconv.AppendInt(line, int64(i), 10)
		line = append(line, ": "...)
		for len(line) < 998 {
			line = append(line, 'a')
		}
		line = append(line, "\r\n"...)
		head = append(head, line...)
		total += len(line)
		if len(head) >= 64<<10 || total >= n {
			if err := c.ClientSend(head); err != nil {
				return err
			}
			c.ServerACK()
			head = head[:0]
		}
	}
	return c.Err()
}

func endlessChunked(dst io.Writer, n int) error {
	c := pcapgen.NewConn(newWriter(dst), clientAddr, serverAddr, T0)
	c.Handshake()
	c.ClientSend([]byte("GET /stream HTTP/1.1\r\nHost: hostile.example\r\n\r\n"))
	c.ServerSend([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
	chunk := make([]byte, 0, 4096+16)
	chunk = append(chunk, "1000\r\n"...)
	for range 4096 {
		chunk = append(chunk, 'b')
	}
	chunk = append(chunk, "\r\n"...)
	for sent := 0; sent < n; sent += 4096 {
		if err := c.ServerSend(chunk); err != nil {
			return err
		}
		if sent%(64<<10) == 0 {
			c.ClientACK()
		}
	}
	return c.Err()
}

func overlapFlood(dst io.Writer, n int) error {
	w := newWriter(dst)
	const nconns = 8
	conns := make([]*pcapgen.Conn, nconns)
	t := T0
	for i := range conns {
		cl := netip.AddrPortFrom(clientAddr.Addr(), clientAddr.Port()+uint16(i))
		c := pcapgen.NewConn(w, cl, serverAddr, t)
		// Sequence numbers close to 2^32 so the flood wraps around.
		c.SetISN(0xFFFF0000-uint32(i)*7919, 0xFFFFF000)
		c.Handshake()
		t = c.Now
		conns[i] = c
	}
	payload := make([]byte, 1000)
	for i := range payload {
		payload[i] = 'o'
	}
	for i := range n {
		c := conns[i%nconns]
		c.Now = t
		k := i / nconns
		s := c.Segment(true)
		// Skip one byte (the hole) then climb in steps of 500, so each
		// segment overlaps the previous by half; every 16th segment
		// repeats an old range (a retransmission of buffered bytes).
		off := 1 + uint32(k%4096)*500
		if k%16 == 15 {
			off = 1 + uint32((k/16)%64)*500
		}
		s.Seq = c.ClientNext + off
		s.Payload = payload
		if err := c.Write(s); err != nil {
			return err
		}
		t = c.Now
	}
	return w.Err()
}

// pcapng block helpers (little-endian).
func ngBlock(typ uint32, body []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, uint32(12+len(body)))
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, uint32(12+len(body)))
}

func ngSHB() []byte {
	body := binary.LittleEndian.AppendUint32(nil, 0x1a2b3c4d)
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint64(body, ^uint64(0))
	return ngBlock(0x0a0d0d0a, body)
}

func ngIDB(opts []byte) []byte {
	body := binary.LittleEndian.AppendUint16(nil, 1) // Ethernet
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint32(body, 65535)
	return ngBlock(1, append(body, opts...))
}

func ngEPB(iface uint32, caplen uint32, frame []byte) []byte {
	body := binary.LittleEndian.AppendUint32(nil, iface)
	us := uint64(T0.UnixMicro())
	body = binary.LittleEndian.AppendUint32(body, uint32(us>>32))
	body = binary.LittleEndian.AppendUint32(body, uint32(us))
	body = binary.LittleEndian.AppendUint32(body, caplen)
	body = binary.LittleEndian.AppendUint32(body, uint32(len(frame)))
	body = append(body, frame...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return ngBlock(6, body)
}

// synFrame is one Ethernet frame carrying a SYN.
func synFrame() []byte {
	return pcapgen.Encap(pcapgen.Ethernet, pcapgen.Segment{Src: clientAddr, Dst: serverAddr, Seq: 1, Flags: pcapgen.SYN, Window: 1024}.IPPacket())
}

func absurdPcapng(w io.Writer, k Kind, n int) error {
	var b []byte
	b = append(b, ngSHB()...)
	frame := synFrame()
	switch k {
	case PcapngHugeBlock:
		b = append(b, ngIDB(nil)...)
		b = append(b, ngEPB(0, uint32(len(frame)), frame)...)
		huge := binary.LittleEndian.AppendUint32(nil, 6)
		huge = binary.LittleEndian.AppendUint32(huge, 0xFFFFFFF0)
		huge = append(huge, make([]byte, 64)...)
		b = append(b, huge...)
	case PcapngCaplenOverBlock:
		b = append(b, ngIDB(nil)...)
		b = append(b, ngEPB(0, uint32(len(frame)), frame)...)
		for _, caplen := range []uint32{uint32(len(frame)) + 1000, 0xFFFFFFFF, 1 << 31} {
			b = append(b, ngEPB(0, caplen, frame)...)
		}
	case PcapngHugeOption:
		opt := binary.LittleEndian.AppendUint16(nil, 9) // if_tsresol
		opt = binary.LittleEndian.AppendUint16(opt, 0xFFFF)
		opt = append(opt, 6, 0, 0, 0)
		b = append(b, ngIDB(opt)...)
		b = append(b, ngEPB(0, uint32(len(frame)), frame)...)
	case PcapngManyInterfaces:
		if _, err := w.Write(b); err != nil {
			return err
		}
		idb := ngIDB(nil)
		for range max(n, 1) {
			if _, err := w.Write(idb); err != nil {
				return err
			}
		}
		b = ngEPB(uint32(max(n, 1)-1), uint32(len(frame)), frame)
	}
	_, err := w.Write(b)
	return err
}

func pcapHugeRecord(w io.Writer) error {
	pw := newWriter(w)
	frame := synFrame()
	if err := pw.WritePacket(T0, frame); err != nil {
		return err
	}
	h := make([]byte, 16)
	binary.LittleEndian.PutUint32(h[0:], uint32(T0.Unix()))
	binary.LittleEndian.PutUint32(h[8:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(h[12:], 0xFFFFFFFF)
	if _, err := w.Write(h); err != nil {
		return err
	}
	_, err := w.Write(frame)
	return err
}
