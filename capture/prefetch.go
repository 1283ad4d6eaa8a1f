package capture

import (
	"errors"
	"sync"
)

// Prefetcher reads a Source on a goroutine of its own, a few batches of
// packets ahead of its caller, so that reading and decoding the input run
// on another core than the analysis. The caller sees exactly the packets,
// errors and counters of the Source, in the same order.
//
// Next, Stats, Buffered, Stop and Close are for one goroutine: the
// Prefetcher's caller. The Source must not be used by anyone else while the
// Prefetcher runs.
type Prefetcher struct {
	src  Source
	full chan *prefetchBatch
	free chan *prefetchBatch
	stop chan struct{}
	done chan struct{} // closed when the reading goroutine has returned

	// arena is the source's, when it reads its records into chunks the
	// batches hold (fileSource.arena): the payloads are not copied.
	arena *arena

	cur   *prefetchBatch
	i     int   // next packet of cur
	err   error // the error that ended the input, once cur has none left
	stats Stats // the counters as of the last batch handed over
	once  sync.Once
}

// Batches of the Prefetcher: a batch ends after prefetchPackets packets or
// once its payload bytes reach prefetchBytes, and prefetchBatches of them
// are in flight, so at most about prefetchBatches·prefetchBytes of payload
// (plus one packet per batch) is held.
const (
	prefetchPackets = 512
	prefetchBytes   = 512 << 10
	prefetchBatches = 4
)

type prefetchBatch struct {
	pkts []Packet
	offs []int // where each packet's payload starts in data (-1: nil payload)
	data []byte
	// chunks hold the payloads instead of data when the source has an
	// arena; released when the batch is filled again.
	chunks []*chunk
	err    error // set on the last batch: what Next of the Source returned
	stats  Stats // the Source's counters after this batch was read
}

// ErrStopped is what Next returns after Stop, once the packets already
// handed over in the current batch are exhausted.
var ErrStopped = errors.New("capture: reading stopped")

// Prefetch starts reading src on a new goroutine and returns the
// Prefetcher. Stop or Close must be called to end it.
func Prefetch(src Source) *Prefetcher {
	p := &Prefetcher{
		src:  src,
		full: make(chan *prefetchBatch, prefetchBatches),
		free: make(chan *prefetchBatch, prefetchBatches),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	if fs, ok := src.(*fileSource); ok {
		p.arena = fs.arena()
	}
	for range prefetchBatches {
		b := &prefetchBatch{pkts: make([]Packet, 0, prefetchPackets)}
		if p.arena == nil {
			b.offs = make([]int, 0, prefetchPackets)
			b.data = make([]byte, 0, prefetchBytes+4096)
		}
		p.free <- b
	}
	go p.read()
	return p
}

// read is the reading goroutine: it fills free batches and hands them over
// until the Source ends or Stop is called.
func (p *Prefetcher) read() {
	defer close(p.done)
	defer close(p.full)
	for {
		var b *prefetchBatch
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		b.fill(p.src, p.arena)
		select {
		case p.full <- b:
		case <-p.stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// fill reads packets from src into b, copying their payloads (the Source
// owns them only until its next Next), or, with the source's arena a,
// taking the chunks that hold them.
func (b *prefetchBatch) fill(src Source, a *arena) {
	if a != nil {
		b.fillArena(src, a)
		return
	}
	b.pkts, b.offs, b.data, b.err = b.pkts[:0], b.offs[:0], b.data[:0], nil
	for len(b.pkts) < prefetchPackets && len(b.data) < prefetchBytes {
		pk, err := src.Next()
		if err != nil {
			b.err = err
			break
		}
		off := -1
		if pk.Payload != nil {
			off = len(b.data)
			b.data = append(b.data, pk.Payload...)
		}
		b.pkts = append(b.pkts, *pk)
		b.offs = append(b.offs, off)
	}
	// Point the payloads into data only now: appending may have moved it.
	for i, off := range b.offs {
		if off >= 0 {
			n := len(b.pkts[i].Payload)
			b.pkts[i].Payload = b.data[off : off+n : off+n]
		}
	}
	b.stats = src.Stats()
}

// fillArena is fill for a source that reads into the chunks of a: the
// packets keep their payloads where they are, and the batch holds the
// chunks they are in until it is filled again, so that the source does
// not read into them while the packets are in use.
func (b *prefetchBatch) fillArena(src Source, a *arena) {
	a.release(b.chunks)
	clear(b.chunks)
	b.pkts, b.chunks, b.err = b.pkts[:0], b.chunks[:0], nil
	bytes := 0
	for len(b.pkts) < prefetchPackets && bytes < prefetchBytes {
		pk, err := src.Next()
		if err != nil {
			b.err = err
			break
		}
		bytes += len(pk.Payload)
		b.pkts = append(b.pkts, *pk)
	}
	b.chunks = a.pin(b.chunks)
	b.stats = src.Stats()
}

// Next implements Source: the next packet, valid until the following call
// to Next.
func (p *Prefetcher) Next() (*Packet, error) {
	for {
		if b := p.cur; b != nil {
			if p.i < len(b.pkts) {
				p.i++
				return &b.pkts[p.i-1], nil
			}
			if b.err != nil {
				p.err = b.err
			}
			p.cur = nil
			if p.err == nil {
				p.free <- b // never blocks: there are prefetchBatches slots
			}
		}
		if p.err != nil {
			return nil, p.err
		}
		b, ok := <-p.full
		if !ok {
			p.err = ErrStopped
			return nil, p.err
		}
		p.cur, p.i, p.stats = b, 0, b.stats
	}
}

// Buffered returns how many packets of the batch being read Next still
// holds: after Stop, Next returns these and then ErrStopped.
func (p *Prefetcher) Buffered() int {
	if p.cur == nil {
		return 0
	}
	return len(p.cur.pkts) - p.i
}

// Stats implements Source: the Source's counters up to the end of the
// batch Next is in (every packet of which Next returns before its error),
// the final counters once Next returned an error. The slices and map of
// the result are shared: read them only.
func (p *Prefetcher) Stats() Stats { return p.stats }

// Stop ends the reading goroutine and waits for it: a Next of the Source
// that blocks (a pipe) delays it until that read returns. The packets of
// the batch Next is in stay readable (Buffered), then Next returns
// ErrStopped, or the Source's error when that batch was its last; batches
// read ahead and not started are dropped, so Stats stays that of the
// packets handed over. Stop does not close the Source.
func (p *Prefetcher) Stop() {
	p.once.Do(func() { close(p.stop) })
	<-p.done
	if p.err == nil && (p.cur == nil || p.cur.err == nil) {
		p.err = ErrStopped
	}
}

// Close stops the Prefetcher and closes the Source.
func (p *Prefetcher) Close() error {
	p.Stop()
	return p.src.Close()
}
