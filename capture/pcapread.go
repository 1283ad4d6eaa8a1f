package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// pcapReader reads the records of a classic pcap file straight out of the
// input's read-ahead buffer: a record that fits in it is returned as a
// slice of it (valid until the next call), so a record's bytes are copied
// once, by the read from the file, and not again. It accepts and refuses
// what pcapgo.Reader does, with the same errors (the tests compare the
// two record by record): a capture length above the snap length (or
// 262144 when that is larger) or above the original length is an error,
// and so is a file that ends inside a record (io.ErrUnexpectedEOF inside
// a record header, errTruncated inside its data).
type pcapReader struct {
	br      *bufio.Reader
	bo      binary.ByteOrder
	factor  uint32 // 1000 for µs timestamps, 1 for ns
	snaplen uint32
	skip    int    // bytes of the last record still to Discard
	big     []byte // records larger than br's buffer
	// arena, once set (startArena), is where records are read instead of
	// br's buffer.
	arena *arena
}

// startArena makes the reader read records into chunks from now on (see
// arena): a record stays where it is until the chunks holding it are
// released, not only until the next call. The bytes br holds are read
// first.
func (r *pcapReader) startArena() *arena {
	if r.arena == nil {
		if r.skip > 0 {
			r.br.Discard(r.skip)
			r.skip = 0
		}
		r.arena = &arena{}
	}
	return r.arena
}

// pcapEagerMax is pcapgo's eagerReadMax: the capture length always
// allowed, and the most bytes allocated for a record before they are read.
const pcapEagerMax = 262144

// newPcapReader reads the 24-byte file header from br (already checked by
// openPcap) and returns the reader of the records after it.
func newPcapReader(br *bufio.Reader) (*pcapReader, error) {
	hdr, err := br.Peek(24)
	if err != nil {
		return nil, fmt.Errorf("truncated pcap file header (%d of 24 bytes)", len(hdr))
	}
	r := &pcapReader{br: br}
	for _, bo := range [...]binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		if m := bo.Uint32(hdr); m == pcapMagicMicro || m == pcapMagicNano {
			r.bo, r.factor = bo, 1
			if m == pcapMagicMicro {
				r.factor = 1000
			}
			break
		}
	}
	if r.bo == nil {
		return nil, fmt.Errorf("unknown pcap magic %x", binary.LittleEndian.Uint32(hdr))
	}
	r.snaplen = r.bo.Uint32(hdr[16:20])
	br.Discard(24)
	return r, nil
}

// next returns the next record: its data, timestamp (ns since the epoch)
// and original length.
func (r *pcapReader) next() (data []byte, ts int64, wire int, err error) {
	if r.arena != nil {
		return r.nextArena()
	}
	if r.skip > 0 {
		r.br.Discard(r.skip)
		r.skip = 0
	}
	caplen, ts, wire, err := r.header(r.br.Peek(16))
	if err != nil {
		return nil, 0, 0, err
	}
	r.br.Discard(16)
	if caplen <= r.br.Size() {
		data, err = r.br.Peek(caplen)
		if len(data) < caplen {
			return nil, 0, 0, truncatedData(err)
		}
		r.skip = caplen
		return data, ts, wire, nil
	}
	if caplen <= pcapEagerMax {
		if cap(r.big) < caplen {
			r.big = make([]byte, caplen)
		}
		data = r.big[:caplen]
		if _, err := io.ReadFull(r.br, data); err != nil {
			return nil, 0, 0, truncatedData(err)
		}
		return data, ts, wire, nil
	}
	// A snap length above pcapEagerMax: grow with the bytes actually
	// there, so a short hostile file cannot make the reader allocate its
	// claimed length.
	var buf bytes.Buffer
	buf.Grow(pcapEagerMax)
	if _, err := io.CopyN(&buf, r.br, int64(caplen)); err != nil {
		return nil, 0, 0, truncatedData(err)
	}
	return buf.Bytes(), ts, wire, nil
}

// header parses a record header, hdr as read with the read's error: the
// capture length, the timestamp (ns since the epoch) and the original
// length, checked as pcapgo checks them; or the error that ends reading
// (io.EOF at the end of the file, io.ErrUnexpectedEOF inside a header).
func (r *pcapReader) header(hdr []byte, err error) (caplen int, ts int64, wire int, _ error) {
	if len(hdr) < 16 {
		if len(hdr) == 0 && (err == nil || err == io.EOF) {
			return 0, 0, 0, io.EOF
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, 0, 0, err
	}
	// As pcapgo: seconds and the fraction times the factor in 32 bits.
	ts = int64(r.bo.Uint32(hdr[0:4]))*1e9 + int64(r.bo.Uint32(hdr[4:8])*r.factor)
	caplen = int(r.bo.Uint32(hdr[8:12]))
	wire = int(r.bo.Uint32(hdr[12:16]))
	if limit := max(int(r.snaplen), pcapEagerMax); caplen > limit {
		return 0, 0, 0, fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, r.snaplen)
	}
	if caplen > wire {
		return 0, 0, 0, fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, wire)
	}
	return caplen, ts, wire, nil
}

// nextArena is next reading into the arena's chunks.
func (r *pcapReader) nextArena() (data []byte, ts int64, wire int, err error) {
	a := r.arena
	caplen, ts, wire, err := r.header(r.ensure(16))
	if err != nil {
		return nil, 0, 0, err
	}
	a.r += 16
	if caplen > arenaChunkSize {
		// A snap length above pcapEagerMax: memory of its own, grown with
		// the bytes actually there (see next), never reused.
		var buf bytes.Buffer
		buf.Grow(pcapEagerMax)
		k := min(caplen, a.w-a.r) // the bytes of the record already read
		buf.Write(a.cur.buf[a.r : a.r+k])
		a.r += k
		if _, err := io.CopyN(&buf, r.br, int64(caplen-k)); err != nil {
			return nil, 0, 0, truncatedData(err)
		}
		return buf.Bytes(), ts, wire, nil
	}
	data, err = r.ensure(caplen)
	if len(data) < caplen {
		return nil, 0, 0, truncatedData(err)
	}
	a.r += caplen
	return data[:caplen:caplen], ts, wire, nil
}

// ensure returns the arena's unread bytes once there are at least n of them
// (at most arenaChunkSize), reading from br into the current chunk as
// much as fits; fewer, with the read error, if the input ends first.
func (r *pcapReader) ensure(n int) ([]byte, error) {
	a := r.arena
	if a.cur != nil && a.w-a.r >= n {
		return a.cur.buf[a.r:a.w], nil
	}
	a.room(n)
	m, err := io.ReadAtLeast(r.br, a.cur.buf[a.w:], n-(a.w-a.r))
	a.w += m
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return a.cur.buf[a.r:a.w], err
}

// truncatedData is the error for a record's data that is not all there:
// errTruncated when the input ended, else the read error.
func truncatedData(err error) error {
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return errTruncated
	}
	return err
}
