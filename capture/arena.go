package capture

// Zero-copy reading for the Prefetcher. A classic pcap file read by one
// input can have its records read straight into chunks that the
// Prefetcher's batches hold (pcapReader.startArena): the packets of a batch
// point into the chunks, so their payloads are not copied again, and a
// chunk is read into again only once every batch that holds packets in it
// was given back. Everything here runs on the reading goroutine.

// arenaChunkSize is the size of a chunk: a record of up to pcapEagerMax
// bytes and its header fit in one, so only records of a larger snap
// length (read into memory of their own, never reused) are not in a chunk.
// A batch of the Prefetcher (up to prefetchBytes of payload) spans two or
// three chunks, so the chunks in use take about what the copying batches
// would.
const arenaChunkSize = pcapEagerMax + 4096

// chunk is a buffer records are read into.
type chunk struct {
	buf []byte
	// refs counts the batches that hold it, plus one while the reader
	// still reads into it or has not handed it to a batch yet.
	refs int
}

// arena is a pcapReader's chunks: the current one, those it left since the
// last pin, and the free ones.
type arena struct {
	cur *chunk
	// r and w delimit the bytes of cur read from the file and not yet
	// returned. The bytes before r are records returned (to a batch, or
	// skipped by the source): the reader never writes there again, it
	// reads into cur after w only.
	r, w int
	// used: a record in cur was handed out since the last pin (use).
	used bool
	// left are the chunks the reader moved on from since the last pin
	// that hold records handed out; the next pin hands them to its batch
	// with the reader's reference.
	left []*chunk
	free []*chunk
	made int // chunks allocated
}

// use marks the record returned last as handed out (the source returns
// its packet): its chunk goes to the next pin. The records the source
// skips (not IP, filtered out) do not pin their chunks, so a long run of
// them is read through a chunk or two, not held until the next packet.
func (a *arena) use() { a.used = true }

// get returns a free chunk, or a new one.
func (a *arena) get() *chunk {
	if n := len(a.free); n > 0 {
		c := a.free[n-1]
		a.free = a.free[:n-1]
		c.refs = 1
		return c
	}
	a.made++
	return &chunk{buf: make([]byte, arenaChunkSize), refs: 1}
}

// release drops one reference to each of cs.
func (a *arena) release(cs []*chunk) {
	for _, c := range cs {
		a.drop(c)
	}
}

// drop drops one reference to c; a chunk nobody holds is free.
func (a *arena) drop(c *chunk) {
	if c.refs--; c.refs == 0 {
		a.free = append(a.free, c)
	}
}

// pin appends to dst the chunks that hold the records handed out since
// the last pin, each with a reference for the batch that takes them: the
// chunks the reader left and the current one.
func (a *arena) pin(dst []*chunk) []*chunk {
	dst = append(dst, a.left...)
	clear(a.left)
	a.left = a.left[:0]
	if a.used {
		a.cur.refs++
		dst = append(dst, a.cur)
		a.used = false
	}
	return dst
}

// room makes room for n bytes (at most arenaChunkSize) from r on in a
// chunk: when the current one is too full, the unread bytes move to the
// start of a new one, and the reader leaves the current one to the next
// pin if it handed out a record in it since the last pin, else to the
// batches that hold it (or the free ones).
func (a *arena) room(n int) {
	if a.cur == nil {
		a.cur = a.get()
		return
	}
	if a.r+n <= len(a.cur.buf) {
		return
	}
	c := a.get()
	a.w = copy(c.buf, a.cur.buf[a.r:a.w])
	a.r = 0
	if a.used {
		a.left = append(a.left, a.cur)
	} else {
		a.drop(a.cur)
	}
	a.cur, a.used = c, false
}
