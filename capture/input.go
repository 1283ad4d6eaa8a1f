package capture

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// input is one opened capture file.
type input struct {
	idx    int    // position in the argument list
	path   string // as given by the user, for errors
	format string // "pcap" or "pcapng"
	closer io.Closer
	gz     *gzip.Reader

	pcap *pcapReader
	ng   *pcapgo.NgReader
	link layers.LinkType // pcap only: the file's link type

	// interfaces counts interface descriptions of finished pcapng sections
	// (or 1 for pcap).
	interfaces uint64
	lastTS     int64 // timestamp of the previous record

	// Current record. With several inputs the frame is copied into buf,
	// which is reused for every record of this input.
	buf  []byte
	rec  record
	done bool
}

// record is one capture record as read from a file.
type record struct {
	data []byte
	ts   int64
	wire int
	link layers.LinkType
	// noTS marks a pcapng Simple Packet Block (no timestamp of its own).
	noTS bool
}

// errTruncated reports that the file ended inside a record.
var errTruncated = errors.New("file ends in the middle of a record")

// read reads the next record of in. It returns io.EOF at the end of the
// file, errTruncated when the file ends inside a record, or another error
// naming the file. rec.data aliases the reader's buffer.
func (in *input) read() (rec record, err error) {
	if in.pcap != nil {
		// next refuses a capture length above the original length.
		rec.data, rec.ts, rec.wire, err = in.pcap.next()
		if err != nil {
			if err == errTruncated {
				return rec, err
			}
			return rec, in.wrapErr(err)
		}
		rec.link = in.link
		in.lastTS = rec.ts
		return rec, nil
	}
	data, c, err := in.ng.ZeroCopyReadPacketData()
	if err != nil {
		return rec, in.wrapErr(err)
	}
	rec.wire = c.Length
	if len(c.AncillaryData) > 0 {
		if lt, ok := c.AncillaryData[0].(layers.LinkType); ok {
			rec.link = lt
		}
	}
	rec.noTS = c.Timestamp.IsZero()
	rec.data = data
	if rec.noTS {
		rec.ts = in.lastTS
	} else {
		rec.ts = c.Timestamp.UnixNano()
	}
	in.lastTS = rec.ts
	if rec.wire < len(data) {
		// A record longer on disk than on the wire is corrupt; treat the
		// captured bytes as the frame.
		rec.wire = len(data)
	}
	return rec, nil
}

// wrapErr maps reader errors: clean end, end inside a record, or a read
// error that names the file.
func (in *input) wrapErr(err error) error {
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errTruncated
	default:
		return fmt.Errorf("capture: read %q: %w", in.path, err)
	}
}

// fill reads the next record into in.rec, copying the frame into in.buf.
func (in *input) fill() error {
	rec, err := in.read()
	if err != nil {
		return err
	}
	if cap(in.buf) < len(rec.data) {
		in.buf = make([]byte, len(rec.data), max(len(rec.data), 2048))
	}
	in.buf = in.buf[:len(rec.data)]
	copy(in.buf, rec.data)
	rec.data = in.buf
	in.rec = rec
	return nil
}

// totalInterfaces returns the interface descriptions read so far.
func (in *input) totalInterfaces() uint64 {
	if in.ng != nil {
		return in.interfaces + uint64(in.ng.NInterfaces())
	}
	return in.interfaces
}

func (in *input) close() error {
	var err error
	if in.gz != nil {
		err = in.gz.Close()
	}
	if in.closer != nil {
		if e := in.closer.Close(); err == nil {
			err = e
		}
	}
	in.closer = nil
	return err
}
