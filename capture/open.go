package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Options configure OpenFiles.
type Options struct {
	// Stdin is read for the path "-". Nil means os.Stdin.
	Stdin io.Reader
	// Filter, when set, selects raw frames before decoding (see
	// FilterFunc and capture/filter.go): rejected records count in
	// Stats.Filtered. A link type it cannot handle fails the open (pcap),
	// or the read that first meets an interface of that link type (pcapng,
	// whose interfaces are described inside the stream).
	Filter FilterFunc
}

// readBufferSize is the read-ahead buffer of each input. It also bounds the
// pcapng section header whose trailer is checked before reading.
const readBufferSize = 64 << 10

// maxGzipLayers bounds nested gzip compression (a gzip file inside a gzip
// file), so a hostile input cannot make detection recurse without end.
const maxGzipLayers = 2

// Magic numbers of the formats recognised by detect.
const (
	pcapMagicMicro   = 0xa1b2c3d4 // pcap, µs timestamps (read in file order)
	pcapMagicNano    = 0xa1b23c4d // pcap, ns timestamps
	pcapngSHBType    = 0x0a0d0d0a // pcapng Section Header Block type
	pcapngOrderMagic = 0x1a2b3c4d // pcapng byte-order magic
)

// OpenFile opens one capture file; it is OpenFiles with default options.
func OpenFile(path string) (Source, error) {
	return OpenFiles([]string{path}, Options{})
}

// OpenFiles opens the capture files at paths ("-" is standard input) and
// returns a Source that yields their packets merged in timestamp order (ties
// go to the file given first). The format of each file is detected from its
// first bytes, never from its name: gzip (decompressed, then detected again),
// pcap (µs or ns timestamps, either byte order) and pcapng. A file that is
// not a capture, or whose header is corrupt or of an unsupported version, is
// refused with a one-line error naming the file. On error every file opened
// so far is closed.
func OpenFiles(paths []string, opts Options) (Source, error) {
	if len(paths) == 0 {
		return nil, errors.New("capture: no input files")
	}
	s := newFileSource()
	s.filter = newFrameFilter(opts.Filter)
	stdinUsed := false
	for i, p := range paths {
		var (
			r      io.Reader
			closer io.Closer
			name   = p
		)
		if p == "-" {
			if stdinUsed {
				s.Close()
				return nil, errors.New(`capture: standard input ("-") given more than once`)
			}
			stdinUsed = true
			r = opts.Stdin
			if r == nil {
				r = os.Stdin
			}
		} else {
			f, err := os.Open(p)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("capture: open %q: %w", p, unwrapPathError(err))
			}
			r, closer = f, f
			name = filepath.Base(p)
		}
		in, err := openInput(i, p, r, closer)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.add(in, name)
		if err := s.openFilter(in); err != nil {
			return nil, err
		}
	}
	if err := s.start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenReader returns a Source over one capture held in r (for example bytes
// built in memory). name is used in errors and in Stats.Sources. Closing the
// Source closes r if it is an io.Closer.
func OpenReader(name string, r io.Reader) (Source, error) {
	return OpenReaderOptions(name, r, Options{})
}

// unwrapPathError drops the *os.PathError wrapper, whose text repeats the
// operation and the path that the caller's message already names.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// openInput detects the format of r and prepares its reader. path is the
// name given by the user, used in error messages.
func openInput(idx int, path string, r io.Reader, closer io.Closer) (*input, error) {
	in := &input{idx: idx, path: path, closer: closer}
	fail := func(format string, args ...any) (*input, error) {
		if closer != nil {
			closer.Close()
		}
		return nil, fmt.Errorf("capture: open %q: "+format, append([]any{path}, args...)...)
	}
	br := bufio.NewReaderSize(r, readBufferSize)
	for layer := 0; ; layer++ {
		head, err := br.Peek(4)
		if err != nil && !errors.Is(err, io.EOF) {
			return fail("%w", err)
		}
		switch {
		case len(head) == 0 && layer == 0:
			return fail("empty file")
		case len(head) == 0:
			return fail("empty gzip content")
		case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
			if layer >= maxGzipLayers {
				return fail("gzip nested more than %d levels", maxGzipLayers)
			}
			zr, err := gzip.NewReader(br)
			if err != nil {
				return fail("bad gzip header: %w", err)
			}
			in.gz = zr
			br = bufio.NewReaderSize(zr, readBufferSize)
			continue
		case len(head) < 4:
			return fail("not a pcap or pcapng file (only %d bytes)", len(head))
		}
		magicBE := binary.BigEndian.Uint32(head)
		magicLE := binary.LittleEndian.Uint32(head)
		switch {
		case magicBE == pcapMagicMicro || magicLE == pcapMagicMicro ||
			magicBE == pcapMagicNano || magicLE == pcapMagicNano:
			if err := in.openPcap(br); err != nil {
				return fail("%w", err)
			}
		case magicBE == pcapngSHBType:
			if err := in.openPcapng(br); err != nil {
				return fail("%w", err)
			}
		default:
			return fail("not a pcap or pcapng file (magic 0x%08x)", magicBE)
		}
		return in, nil
	}
}

// openPcap validates the 24-byte pcap file header (the checks libpcap makes)
// and creates the pcapgo reader.
func (in *input) openPcap(br *bufio.Reader) error {
	hdr, err := br.Peek(24)
	if err != nil {
		return fmt.Errorf("truncated pcap file header (%d of 24 bytes)", len(hdr))
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if m := binary.BigEndian.Uint32(hdr); m == pcapMagicMicro || m == pcapMagicNano {
		bo = binary.BigEndian
	}
	major, minor := bo.Uint16(hdr[4:6]), bo.Uint16(hdr[6:8])
	if major != 2 || minor != 4 {
		// libpcap refuses these too ("unsupported pcap savefile version").
		return fmt.Errorf("unsupported pcap version %d.%d", major, minor)
	}
	lt := bo.Uint32(hdr[20:24])
	// The link-type field keeps the type in its low 16 bits, the FCS length
	// in the top bits; bits 16-25 are reserved and must be zero (libpcap
	// LT_RESERVED1).
	if res := lt & 0x03ff0000; res != 0 {
		return fmt.Errorf("pcap link type reserved field not zero (0x%08x)", res)
	}
	r, err := newPcapReader(br)
	if err != nil {
		return fmt.Errorf("bad pcap header: %w", err)
	}
	in.pcap = r
	in.format = "pcap"
	in.link = layers.LinkType(lt & 0xffff)
	in.interfaces = 1
	return nil
}

// openPcapng validates the first Section Header Block (byte-order magic,
// block length and its copy in the trailer, version 1.0, as libpcap does)
// and creates the pcapgo reader.
func (in *input) openPcapng(br *bufio.Reader) error {
	hdr, err := br.Peek(28)
	if err != nil {
		return fmt.Errorf("truncated pcapng section header (%d of at least 28 bytes)", len(hdr))
	}
	var bo binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(hdr[8:12]) == pcapngOrderMagic:
		bo = binary.LittleEndian
	case binary.BigEndian.Uint32(hdr[8:12]) == pcapngOrderMagic:
		bo = binary.BigEndian
	default:
		return fmt.Errorf("pcapng section header has a bad byte-order magic (0x%08x)", binary.BigEndian.Uint32(hdr[8:12]))
	}
	blen := bo.Uint32(hdr[4:8])
	if blen < 28 || blen%4 != 0 {
		return fmt.Errorf("corrupt pcapng section header (block length %d)", blen)
	}
	major, minor := bo.Uint16(hdr[12:14]), bo.Uint16(hdr[14:16])
	if major != 1 || minor != 0 {
		return fmt.Errorf("unsupported pcapng version %d.%d", major, minor)
	}
	if blen <= readBufferSize {
		block, err := br.Peek(int(blen))
		if err != nil {
			return fmt.Errorf("truncated pcapng section header (%d of %d bytes)", len(block), blen)
		}
		if tr := bo.Uint32(block[blen-4:]); tr != blen {
			return fmt.Errorf("corrupt pcapng section header (block length %d, trailer %d)", blen, tr)
		}
	}
	in.format = "pcapng"
	r, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{
		WantMixedLinkType: true,
		SectionEndCallback: func(ifaces []pcapgo.NgInterface, _ pcapgo.NgSectionInfo) {
			in.interfaces += uint64(len(ifaces))
		},
	})
	if err != nil {
		return fmt.Errorf("bad pcapng header: %w", err)
	}
	in.ng = r
	return nil
}
