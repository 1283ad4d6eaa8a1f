package pcapgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Format is a capture file format.
type Format uint8

// Formats.
const (
	// PcapMicro is pcap with microsecond timestamps (magic 0xa1b2c3d4).
	PcapMicro Format = iota
	// PcapNano is pcap with nanosecond timestamps (magic 0xa1b23c4d).
	PcapNano
	// PcapNG is pcapng with one section and one interface.
	PcapNG
)

// DefaultSnaplen is the snap length written when Options.Snaplen is 0.
const DefaultSnaplen = 262144

// Options configure a Writer.
type Options struct {
	Format Format
	Link   Link
	// BigEndian writes the file headers in big-endian byte order.
	BigEndian bool
	// Snaplen is the snap length in the file header; frames longer than it
	// are cut (captured length < wire length). 0 means DefaultSnaplen.
	Snaplen int
	// TSResol is the pcapng if_tsresol value (6 = µs, 9 = ns, 0x80|n =
	// 2^-n). 0 omits the option, which means µs.
	TSResol uint8
	// VLANs are the tag IDs used for EthernetVLAN and QinQ (see Encap).
	VLANs []uint16
}

// Writer writes a capture with one link type. Errors are sticky.
type Writer struct {
	w    io.Writer
	mem  *bytes.Buffer
	opts Options
	bo   binary.ByteOrder
	ng   *NgWriter
	err  error
	// Records is the number of records written.
	Records int
}

// New returns a Writer that writes into memory; see Bytes and WriteFile.
func New(opts Options) *Writer {
	var buf bytes.Buffer
	w := NewWriter(&buf, opts)
	w.mem = &buf
	return w
}

// NewWriter returns a Writer that writes to dst, starting with the file
// header.
func NewWriter(dst io.Writer, opts Options) *Writer {
	if opts.Snaplen == 0 {
		opts.Snaplen = DefaultSnaplen
	}
	w := &Writer{w: dst, opts: opts, bo: binary.LittleEndian}
	if opts.BigEndian {
		w.bo = binary.BigEndian
	}
	switch opts.Format {
	case PcapMicro, PcapNano:
		magic := uint32(0xa1b2c3d4)
		if opts.Format == PcapNano {
			magic = 0xa1b23c4d
		}
		h := make([]byte, 24)
		w.bo.PutUint32(h[0:], magic)
		w.bo.PutUint16(h[4:], 2)
		w.bo.PutUint16(h[6:], 4)
		w.bo.PutUint32(h[16:], uint32(opts.Snaplen))
		w.bo.PutUint32(h[20:], uint32(opts.Link.LinkType()))
		_, w.err = dst.Write(h)
	case PcapNG:
		w.ng = NewNgWriter(dst, opts.BigEndian)
		w.ng.AddInterface(opts.Link.LinkType(), opts.TSResol, uint32(opts.Snaplen))
		w.err = w.ng.Err()
	default:
		w.err = fmt.Errorf("pcapgen: unknown format %d", opts.Format)
	}
	return w
}

// WritePacket writes one frame (already link-encapsulated) captured at ts,
// cutting it to the snap length.
func (w *Writer) WritePacket(ts time.Time, frame []byte) error {
	return w.WriteRecord(ts, frame, len(frame))
}

// WriteRecord writes one record whose wire length is wireLen; data is cut
// to the snap length. A wireLen larger than len(data) describes a frame of
// which only data was captured.
func (w *Writer) WriteRecord(ts time.Time, data []byte, wireLen int) error {
	if w.err != nil {
		return w.err
	}
	if len(data) > w.opts.Snaplen {
		data = data[:w.opts.Snaplen]
	}
	if w.ng != nil {
		w.err = w.ng.WritePacket(0, ts, data, wireLen)
	} else {
		h := make([]byte, 16, 16+len(data))
		w.bo.PutUint32(h[0:], uint32(ts.Unix()))
		frac := uint32(ts.Nanosecond())
		if w.opts.Format == PcapMicro {
			frac /= 1000
		}
		w.bo.PutUint32(h[4:], frac)
		w.bo.PutUint32(h[8:], uint32(len(data)))
		w.bo.PutUint32(h[12:], uint32(wireLen))
		_, w.err = w.w.Write(append(h, data...))
	}
	if w.err == nil {
		w.Records++
	}
	return w.err
}

// Frame encapsulates an IP packet for the Writer's link type and VLANs.
func (w *Writer) Frame(ip []byte) []byte { return Encap(w.opts.Link, ip, w.opts.VLANs...) }

// WriteSegment serialises s, encapsulates it and writes it at ts.
func (w *Writer) WriteSegment(ts time.Time, s Segment) error {
	return w.WritePacket(ts, w.Frame(s.IPPacket()))
}

// Err returns the first write error.
func (w *Writer) Err() error { return w.err }

// Bytes returns the capture written so far by a Writer made with New.
func (w *Writer) Bytes() []byte {
	if w.mem == nil {
		return nil
	}
	return w.mem.Bytes()
}

// WriteFile writes the capture of a Writer made with New to path.
func (w *Writer) WriteFile(path string) error {
	if w.err != nil {
		return w.err
	}
	if w.mem == nil {
		return errors.New("pcapgen: WriteFile needs a Writer made with New")
	}
	return os.WriteFile(path, w.mem.Bytes(), 0o644)
}

// NgWriter writes pcapng (RFC draft-ietf-opsawg-pcapng) with any number of
// sections and interfaces. Errors are sticky.
type NgWriter struct {
	w      io.Writer
	bo     binary.ByteOrder
	ifaces []uint8 // if_tsresol per interface of the current section
	err    error
}

// NewNgWriter starts a pcapng stream with a Section Header Block in the
// given byte order.
func NewNgWriter(dst io.Writer, bigEndian bool) *NgWriter {
	n := &NgWriter{w: dst}
	n.NewSection(bigEndian)
	return n
}

// NewSection starts a new section (a new Section Header Block, possibly in
// the other byte order). Interfaces of the previous section are forgotten.
func (n *NgWriter) NewSection(bigEndian bool) error {
	if n.err != nil {
		return n.err
	}
	n.bo = binary.LittleEndian
	if bigEndian {
		n.bo = binary.BigEndian
	}
	n.ifaces = n.ifaces[:0]
	body := make([]byte, 16)
	n.bo.PutUint32(body[0:], 0x1a2b3c4d)
	n.bo.PutUint16(body[4:], 1)
	n.bo.PutUint16(body[6:], 0)
	n.bo.PutUint64(body[8:], ^uint64(0)) // section length unknown
	return n.block(0x0a0d0d0a, body)
}

// AddInterface writes an Interface Description Block and returns the
// interface ID to use in WritePacket. tsresol is if_tsresol (0 omits the
// option: microseconds).
func (n *NgWriter) AddInterface(linkType uint16, tsresol uint8, snaplen uint32) int {
	body := make([]byte, 8)
	n.bo.PutUint16(body[0:], linkType)
	n.bo.PutUint32(body[4:], snaplen)
	if tsresol != 0 {
		opt := make([]byte, 8)
		n.bo.PutUint16(opt[0:], 9) // if_tsresol
		n.bo.PutUint16(opt[2:], 1)
		opt[4] = tsresol
		body = append(body, opt...)
		body = append(body, 0, 0, 0, 0) // opt_endofopt
	}
	n.block(1, body)
	n.ifaces = append(n.ifaces, tsresol)
	return len(n.ifaces) - 1
}

// WritePacket writes an Enhanced Packet Block on interface iface with the
// timestamp expressed in that interface's resolution.
func (n *NgWriter) WritePacket(iface int, ts time.Time, data []byte, wireLen int) error {
	if n.err != nil {
		return n.err
	}
	if iface < 0 || iface >= len(n.ifaces) {
		n.err = fmt.Errorf("pcapgen: interface %d not in section", iface)
		return n.err
	}
	t := tsUnits(ts, n.ifaces[iface])
	body := make([]byte, 20, 20+len(data)+3)
	n.bo.PutUint32(body[0:], uint32(iface))
	n.bo.PutUint32(body[4:], uint32(t>>32))
	n.bo.PutUint32(body[8:], uint32(t))
	n.bo.PutUint32(body[12:], uint32(len(data)))
	n.bo.PutUint32(body[16:], uint32(wireLen))
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return n.block(6, body)
}

// WriteSimplePacket writes a Simple Packet Block (no timestamp, interface
// 0).
func (n *NgWriter) WriteSimplePacket(data []byte, wireLen int) error {
	body := make([]byte, 4, 4+len(data)+3)
	n.bo.PutUint32(body[0:], uint32(wireLen))
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return n.block(3, body)
}

// Err returns the first write error.
func (n *NgWriter) Err() error { return n.err }

// block writes one block: type, total length, body, total length.
func (n *NgWriter) block(typ uint32, body []byte) error {
	if n.err != nil {
		return n.err
	}
	total := uint32(12 + len(body))
	b := make([]byte, 8, total)
	n.bo.PutUint32(b[0:], typ)
	n.bo.PutUint32(b[4:], total)
	b = append(b, body...)
	b = b[:len(b)+4]
	n.bo.PutUint32(b[len(b)-4:], total)
	_, n.err = n.w.Write(b)
	return n.err
}

// tsUnits converts ts to a count of if_tsresol units since the epoch.
func tsUnits(ts time.Time, resol uint8) uint64 {
	if resol == 0 {
		resol = 6
	}
	ns := uint64(ts.UnixNano())
	if resol&0x80 != 0 {
		// 2^-e seconds per unit.
		e := uint(resol & 0x7f)
		sec := ns / 1e9
		frac := ns % 1e9
		return sec<<e | (frac<<e)/1e9
	}
	e := int(resol)
	if e >= 9 {
		for i := 9; i < e; i++ {
			ns *= 10
		}
		return ns
	}
	for i := e; i < 9; i++ {
		ns /= 10
	}
	return ns
}
