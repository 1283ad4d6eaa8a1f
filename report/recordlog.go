package report

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/klauspost/compress/s2"
)

// DefaultRecordLogMemory is how many bytes of encoded records a RecordLog
// keeps in memory before it moves them to its spill file. Each spill is a
// chunk of the file, read back by a merge; smaller spills cost nothing
// measurable (2 and 8 MiB took the same time on 818 MB of records) and
// the budget is live heap for the whole run, doubled in peak RSS by the
// collector.
const DefaultRecordLogMemory = 2 << 20

// RecordLog holds the connection records and transactions of a run in
// encoded form, so that a report of millions of connections does not hold
// millions of structs. Each connection and transaction is encoded once,
// after it is added, exactly as the JSON writer writes it as a list
// element (indented, terminal-safe); past a memory budget the encoded
// records move, compressed, to an unlinked temporary file, so memory stays
// bounded by the budget (plus, while the log is read, up to 1 MiB of
// decompressed blocks for each of the file's two streams read, and 512
// bytes per spill for each stream read), 80 bytes per spill (of about the
// budget's bytes of records: a spill's index is in the file too, read back
// a few hundred bytes at a time), sixteen bytes per record in memory and
// the patches below.
// A report whose records are in a log (Report.Deferred) is written by
// WriteJSON and WriteNDJSON straight from the log; the other writers
// decode it first (Materialize).
//
// What is only known at the end of a run is kept beside the encoded
// records and applied when they are read: finding links (LinkFindings)
// and patches of single connections (PatchConnections: DNS attribution,
// time series).
//
// A RecordLog is used from one goroutine at a time; it encodes on a
// goroutine of its own, which every method but Add, Len and Transactions
// waits for (on the caller's after EncodeInline). If the
// spill file cannot be created or written, the log keeps every record in
// memory instead (Spilled reports the error) and loses nothing.
type RecordLog struct {
	limit    int
	dir      string
	mem      []byte
	file     *os.File
	memIdx   []memEntry // the records in memory (spill and each sort it by id)
	sortTmp  []memEntry // sortMem's scratch
	chunks   []chunkIndex
	n, nTx   int
	spillErr error
	encErr   error

	// Records are encoded on a goroutine of their own (started by Add,
	// ended by sync) in the order they were added; every other method
	// waits for it first. With inline (EncodeInline) Add encodes them
	// itself, a batch at a time.
	batch  []logJob
	inline bool
	jobs   chan []logJob
	free   chan []logJob
	done   chan struct{}

	// The spill file holds two streams of blocks, written by spills, one
	// chunk each (chunks): the connections' and the transactions'; and
	// each chunk's index. fend is the bytes they take in the file. The
	// rest is scratch space.
	conns, txs blockStream
	fend       int64
	cbuf, comp []byte
	hdr, ids   []byte
	txIDs      []byte
	// decompressed counts the blocks decompressed.
	decompressed int

	// el encodes on the encoding goroutine while it runs, on the
	// caller's after sync; scr, parts and list are scratch space.
	el            elemEncoder
	scr, list     []byte
	parts         []txPart
	removeOnClose string

	connFindings map[uint32][]int
	txFindings   map[txKey][]int
	patches      map[uint32][]func(*Connection)
}

// memEntry locates a record in memory: n bytes at offset at of l.mem
// (txOnly: transactions ahead of their connection's record; hasTxs: it
// holds transactions).
type memEntry struct {
	id, n          uint32
	at             int
	txOnly, hasTxs bool
}

// sortMem sorts the records in memory by id, stably, so that a
// connection's transactions added ahead of it stay ahead. It is a radix
// sort on the id's offset from the least one, a byte a pass over the
// bytes the offsets span (two for up to 65 536 ids): the records of a
// spill are not nearly sorted but two interleaved streams (transactions
// at settling, connections a linger later) with stragglers among them,
// which cost a comparison sort ten times more.
func (l *RecordLog) sortMem() {
	es := l.memIdx
	if len(es) < 2 {
		return
	}
	lo, hi := es[0].id, es[0].id
	for _, e := range es[1:] {
		lo, hi = min(lo, e.id), max(hi, e.id)
	}
	if cap(l.sortTmp) < len(es) {
		l.sortTmp = make([]memEntry, len(es))
	}
	src, dst := es, l.sortTmp[:len(es)]
	for shift := uint(0); shift < 32 && (hi-lo)>>shift != 0; shift += 8 {
		var count [256]int
		for _, e := range src {
			count[byte((e.id-lo)>>shift)]++
		}
		at := 0
		for i, n := range count {
			count[i] = at
			at += n
		}
		for _, e := range src {
			b := byte((e.id - lo) >> shift)
			dst[count[b]] = e
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &es[0] {
		copy(es, src)
	}
}

// chunkIndex locates the records of one spill: sorted by id, their
// connections follow each other in the connections' stream (conns),
// their groups of transactions in the transactions' stream (txs; a
// connection may have several groups, in several chunks: those added
// ahead of it with AddTransactions).
type chunkIndex struct {
	conns, txs chunkStream
}

// chunkStream is a chunk's part of one stream: its records from stream
// offset start on, and its index, written to the spill file after its
// blocks and read back in order, so that memory holds a few bytes per
// chunk whatever the number of records. As the records follow each other,
// only their ids and lengths need keeping: recs packs them as uvarints of
// each id's difference from the one before and of the length (about three
// bytes per record). blocks packs the chunk's blocks of the stream, which
// follow each other from start too: per block, uvarints of its gap in the
// file after the chunk's block before (from offset 0 for the first), its
// compressed length and its length (about five bytes per block).
type chunkStream struct {
	start        int64
	recs, blocks fileRange
}

// fileRange is n bytes at offset off of the spill file.
type fileRange struct {
	off, n int64
}

type txKey struct {
	conn  uint32
	index int
}

// txPart is one transaction inside a record.
type txPart struct {
	index, n int
	data     []byte
}

// NewRecordLog returns an empty log that keeps up to memLimit bytes of
// encoded records in memory (0: DefaultRecordLogMemory; negative: no
// limit, never spill) and spills the rest to a file in dir ("" : the
// system's temporary directory).
func NewRecordLog(memLimit int, dir string) *RecordLog {
	if memLimit == 0 {
		memLimit = DefaultRecordLogMemory
	}
	return &RecordLog{limit: memLimit, dir: dir}
}

// EncodeInline makes the log encode records on the caller's goroutine
// (in Add, a batch at a time) rather than on one of its own: for a run
// kept to one core. The encoded bytes are the same. Call it before the
// first Add.
func (l *RecordLog) EncodeInline() { l.inline = true }

// logJob is one record handed to the encoding goroutine: a connection
// with its (last) transactions, or with txOnly transactions of a
// connection still to come (only c.ID is set).
type logJob struct {
	c      Connection
	txs    []Transaction
	txOnly bool
}

// Len returns the number of connections in the log.
func (l *RecordLog) Len() int { return l.n }

// Transactions returns the number of transactions in the log.
func (l *RecordLog) Transactions() int { return l.nTx }

// Spilled returns the error that kept the log from using its spill file,
// if any.
func (l *RecordLog) Spilled() error {
	l.sync()
	return l.spillErr
}

// emptyInts encodes as [] where the contract wants an empty list.
var emptyInts = []int{}

// Add appends a finished connection record with its transactions, which
// must all belong to it, and takes ownership of txs (sorted by index,
// stably). Transactions of the connection added before with
// AddTransactions come before these. c.Findings is written as it is ([]
// when nil); later links come from LinkFindings. Nothing reachable from c
// or txs may change afterwards (the record is encoded on another
// goroutine).
func (l *RecordLog) Add(c *Connection, txs []Transaction) error {
	if err := l.addJob(logJob{c: *c, txs: txs}); err != nil {
		return err
	}
	l.n++
	return nil
}

// AddTransactions appends transactions of connection conn, which has not
// been added yet, ahead of its record (Add): a long-lived connection's
// transactions need not wait in memory until it closes. They must all
// belong to conn and come, in index order, before those of any later
// AddTransactions or Add of conn. The log takes ownership of txs.
func (l *RecordLog) AddTransactions(conn uint32, txs []Transaction) error {
	if len(txs) == 0 {
		return nil
	}
	return l.addJob(logJob{c: Connection{ID: conn}, txs: txs, txOnly: true})
}

// addJob checks a job's transactions and hands it to the encoder.
func (l *RecordLog) addJob(j logJob) error {
	for i := range j.txs {
		if j.txs[i].Connection != j.c.ID {
			return fmt.Errorf("record log: transaction of connection %d added with connection %d", j.txs[i].Connection, j.c.ID)
		}
	}
	if !slices.IsSortedFunc(j.txs, func(a, b Transaction) int { return a.Index - b.Index }) {
		slices.SortStableFunc(j.txs, func(a, b Transaction) int { return a.Index - b.Index })
	}
	l.batch = append(l.batch, j)
	l.nTx += len(j.txs)
	if len(l.batch) == logBatch {
		l.send()
	}
	return nil
}

// logBatch is how many records go to the encoding goroutine at a time:
// one hand-over per record would cost more in wake-ups than the encoding.
const logBatch = 256

// send hands the batch of records added to the encoding goroutine,
// starting it if needed.
func (l *RecordLog) send() {
	if len(l.batch) == 0 {
		return
	}
	if l.inline {
		l.encodeBatch(l.batch)
		l.batch = l.batch[:0]
		return
	}
	if l.jobs == nil {
		l.jobs = make(chan []logJob, 4)
		l.done = make(chan struct{})
		if l.free == nil {
			l.free = make(chan []logJob, 6)
		}
		go l.encodeLoop(l.jobs, l.free, l.done)
	}
	l.jobs <- l.batch
	select {
	case b := <-l.free:
		l.batch = b
	default:
		l.batch = make([]logJob, 0, logBatch)
	}
}

// sync waits until every record added has been encoded.
func (l *RecordLog) sync() {
	l.send()
	if l.jobs == nil {
		return
	}
	close(l.jobs)
	<-l.done
	l.jobs, l.done = nil, nil
}

// encodeLoop encodes the batches of jobs and hands each back, emptied,
// through free (when it has room) for Add to fill again.
func (l *RecordLog) encodeLoop(jobs <-chan []logJob, free chan<- []logJob, done chan<- struct{}) {
	defer close(done)
	for b := range jobs {
		l.encodeBatch(b)
		select {
		case free <- b[:0]:
		default:
		}
	}
}

// encodeBatch encodes a batch of records in order and clears it: what
// the records point to is garbage then.
func (l *RecordLog) encodeBatch(b []logJob) {
	for i := range b {
		if err := l.encodeRecord(&b[i].c, b[i].txs, b[i].txOnly); err != nil && l.encErr == nil {
			l.encErr = err
		}
	}
	clear(b)
}

// encodeRecord appends one record: a header (connection length,
// transaction count, then each transaction's index and length) and the
// objects, each as the streaming JSON writer writes a list element:
// indented for a list in the report's top level, terminal-safe. With
// txOnly the record has no connection object (length 0): transactions
// of connection c.ID ahead of its record.
func (l *RecordLog) encodeRecord(c *Connection, txs []Transaction, txOnly bool) error {
	if l.mem == nil && l.limit > 0 {
		// The whole budget at once: growing by doubling would overshoot it.
		l.mem = make([]byte, 0, l.limit+64<<10)
	}
	// The objects are encoded straight into l.mem, after room for the
	// largest header; the header then goes just before them. The few
	// bytes of room it does not use stay unused, rather than the record
	// being copied.
	start := len(l.mem)
	room := (2 + 2*len(txs)) * binary.MaxVarintLen64
	l.mem = slices.Grow(l.mem, room)[:start+room]
	body := len(l.mem)
	var err error
	if !txOnly {
		f := c.Findings
		if f == nil {
			c.Findings = emptyInts
		}
		l.mem, err = l.appendObject(l.mem, c)
		c.Findings = f
		if err != nil {
			l.mem = l.mem[:start]
			return err
		}
	}
	connLen := len(l.mem) - body
	parts := l.parts[:0]
	for i := range txs {
		n := len(l.mem)
		if l.mem, err = l.appendObject(l.mem, &txs[i]); err != nil {
			l.mem = l.mem[:start]
			return err
		}
		parts = append(parts, txPart{index: txs[i].Index, n: len(l.mem) - n})
	}
	hdr := appendHeader(l.scr[:0], connLen, parts)
	l.scr, l.parts = hdr, parts
	at := body - len(hdr)
	copy(l.mem[at:body], hdr)
	l.memIdx = append(l.memIdx, memEntry{id: c.ID, n: uint32(len(l.mem) - at), at: at, txOnly: txOnly, hasTxs: len(txs) > 0})
	if l.limit > 0 && len(l.mem) >= l.limit && l.spillErr == nil {
		l.spill()
	}
	return nil
}

// listPrefix is the line prefix of a list element of the report's top
// level in the streaming writer.
const listPrefix = "    "

// appendObject appends v as a list element of the streaming writer.
func (l *RecordLog) appendObject(dst []byte, v any) ([]byte, error) {
	out, err := l.el.put(dst, v, listPrefix)
	if err != nil {
		return dst, fmt.Errorf("record log: %w", err)
	}
	return out, nil
}

// spill moves the records in memory to the spill file as one chunk:
// sorted by id, each record's connection going to the connections' stream
// and its transactions to the transactions' stream, both compressed block
// by block.
func (l *RecordLog) spill() {
	if l.file == nil {
		f, err := os.CreateTemp(l.dir, "connscope-records-*")
		if err != nil {
			l.spillErr = err
			return
		}
		// Unlinked at once: the space is freed when the file is closed,
		// whatever way the process ends (where the system allows it).
		if os.Remove(f.Name()) != nil {
			l.removeOnClose = f.Name()
		}
		l.file = f
	}
	l.sortMem()
	ch := chunkIndex{conns: chunkStream{start: l.conns.end}, txs: chunkStream{start: l.txs.end}}
	sp := spillState{
		buf: l.cbuf[:0], fend: l.fend,
		conn: spillStream{blk: l.conns.blk[:0], blocks: l.conns.blocks[:0], off: l.conns.end},
		tx:   spillStream{blk: l.txs.blk[:0], blocks: l.txs.blocks[:0], off: l.txs.end},
	}
	connIdx, txIdx := l.ids[:0], l.txIDs[:0]
	var parts []txPart
	var err error
	prevConn, prevTx := uint32(0), uint32(0)
	for _, e := range l.memIdx {
		var conn []byte
		conn, parts, err = parse(l.mem[e.at:e.at+int(e.n)], parts)
		if err != nil {
			break
		}
		// The connection: a record without transactions.
		if !e.txOnly {
			at := sp.conn.pos()
			hdr := appendHeader(l.hdr[:0], len(conn), nil)
			if err = l.put(&sp, &sp.conn, hdr); err == nil {
				err = l.put(&sp, &sp.conn, conn)
			}
			connIdx = binary.AppendUvarint(connIdx, uint64(e.id-prevConn))
			connIdx = binary.AppendUvarint(connIdx, uint64(sp.conn.pos()-at))
			prevConn = e.id
			l.hdr = hdr
		}
		// The transactions, if any: a record without a connection.
		if len(parts) > 0 && err == nil {
			at := sp.tx.pos()
			hdr := appendHeader(l.hdr[:0], 0, parts)
			err = l.put(&sp, &sp.tx, hdr)
			for i := range parts {
				if err == nil {
					err = l.put(&sp, &sp.tx, parts[i].data)
				}
			}
			txIdx = binary.AppendUvarint(txIdx, uint64(e.id-prevTx))
			txIdx = binary.AppendUvarint(txIdx, uint64(sp.tx.pos()-at))
			prevTx = e.id
			l.hdr = hdr
		}
		if err != nil {
			break
		}
	}
	for _, st := range []*spillStream{&sp.conn, &sp.tx} {
		if err == nil && len(st.blk) > 0 {
			err = l.putBlock(&sp, st)
		}
	}
	// The chunk's index, after its blocks.
	ch.conns.recs, ch.conns.blocks = sp.appendIndex(connIdx), sp.appendIndex(sp.conn.blocks)
	ch.txs.recs, ch.txs.blocks = sp.appendIndex(txIdx), sp.appendIndex(sp.tx.blocks)
	if err == nil && len(sp.buf) > 0 {
		err = l.writeBlocks(&sp)
	}
	l.ids, l.txIDs, l.cbuf = connIdx[:0], txIdx[:0], sp.buf[:0]
	l.conns.blk, l.txs.blk = sp.conn.blk[:0], sp.tx.blk[:0]
	l.conns.blocks, l.txs.blocks = sp.conn.blocks[:0], sp.tx.blocks[:0]
	if err != nil {
		// Keep the records in memory; the file's chunks stay as they were.
		l.spillErr = err
		return
	}
	l.chunks = append(l.chunks, ch)
	l.conns.end, l.txs.end, l.fend = sp.conn.off, sp.tx.off, sp.fend
	l.mem, l.memIdx = l.mem[:0], l.memIdx[:0]
}

// blockStream is one stream of compressed blocks in the spill file: its
// length once decompressed (end); while a spill writes, the block being
// filled (blk) and the packed index of the blocks written (blocks); while
// the log is read, the blocks last decompressed (cache, with the
// clock of their reads) and a record across blocks (span).
type blockStream struct {
	end         int64
	blk, blocks []byte
	cache       []cachedBlock
	clock       uint64
	span        []byte
}

// spillState is a spill in progress: the compressed bytes not written yet
// (buf, to go at file offset fend) and the two streams being written.
type spillState struct {
	buf      []byte
	fend     int64
	conn, tx spillStream
}

// appendIndex appends a packed index to the bytes to write and returns
// where it goes in the file.
func (sp *spillState) appendIndex(b []byte) fileRange {
	r := fileRange{off: sp.fend + int64(len(sp.buf)), n: int64(len(b))}
	sp.buf = append(sp.buf, b...)
	return r
}

// spillStream is one stream being written: the block being filled (blk,
// at stream offset off) and the packed index of the chunk's blocks so far
// (blocks; the last one ends at file offset last).
type spillStream struct {
	blk, blocks []byte
	off, last   int64
}

// pos is the stream offset of the next byte put.
func (st *spillStream) pos() int64 { return st.off + int64(len(st.blk)) }

// put appends b to stream st, compressing each block it fills.
func (l *RecordLog) put(sp *spillState, st *spillStream, b []byte) error {
	for len(b) > 0 {
		n := min(len(b), spillBlockSize-len(st.blk))
		st.blk = append(st.blk, b[:n]...)
		b = b[n:]
		if len(st.blk) == spillBlockSize {
			if err := l.putBlock(sp, st); err != nil {
				return err
			}
		}
	}
	return nil
}

// putBlock compresses the block being filled of st, and writes the
// compressed bytes pending when they are enough.
func (l *RecordLog) putBlock(sp *spillState, st *spillStream) error {
	foff := sp.fend + int64(len(sp.buf))
	sp.buf = slices.Grow(sp.buf, s2.MaxEncodedLen(len(st.blk)))
	enc := s2.Encode(sp.buf[len(sp.buf):], st.blk)
	sp.buf = sp.buf[:len(sp.buf)+len(enc)]
	st.blocks = binary.AppendUvarint(st.blocks, uint64(foff-st.last))
	st.blocks = binary.AppendUvarint(st.blocks, uint64(len(enc)))
	st.blocks = binary.AppendUvarint(st.blocks, uint64(len(st.blk)))
	st.last = foff + int64(len(enc))
	st.off += int64(len(st.blk))
	st.blk = st.blk[:0]
	if len(sp.buf) >= spillWrite {
		return l.writeBlocks(sp)
	}
	return nil
}

// writeBlocks writes the compressed bytes pending.
func (l *RecordLog) writeBlocks(sp *spillState) error {
	if _, err := l.file.WriteAt(sp.buf, sp.fend); err != nil {
		return err
	}
	sp.fend += int64(len(sp.buf))
	sp.buf = sp.buf[:0]
	return nil
}

// Close releases the spill file. The log must not be read afterwards.
func (l *RecordLog) Close() error {
	if l == nil {
		return nil
	}
	l.sync()
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	if l.removeOnClose != "" {
		os.Remove(l.removeOnClose)
	}
	l.file = nil
	return err
}

// errCorrupt is returned for a record whose header does not parse, which
// only a bug or a modified spill file can cause.
var errCorrupt = errors.New("record log: corrupt record")

// appendHeader appends a record's header to dst: the connection object's
// length, the number of transactions, then each one's index and length
// (parse reads it back).
func appendHeader(dst []byte, connLen int, parts []txPart) []byte {
	dst = binary.AppendUvarint(dst, uint64(connLen))
	dst = binary.AppendUvarint(dst, uint64(len(parts)))
	for i := range parts {
		dst = binary.AppendUvarint(dst, uint64(parts[i].index))
		dst = binary.AppendUvarint(dst, uint64(parts[i].n))
	}
	return dst
}

// parse splits a record into its connection and transactions (parts is
// reused for the result).
func parse(rec []byte, parts []txPart) (conn []byte, txs []txPart, err error) {
	bad := false
	next := func() int {
		v, n := binary.Uvarint(rec)
		if n <= 0 || v > 1<<31 {
			bad = true
			return 0
		}
		rec = rec[n:]
		return int(v)
	}
	cl := next()
	nt := next()
	txs = parts[:0]
	for i := 0; i < nt && !bad; i++ {
		ix := next()
		txs = append(txs, txPart{index: ix, n: next()})
	}
	if bad || cl > len(rec) {
		return nil, nil, errCorrupt
	}
	conn, rec = rec[:cl], rec[cl:]
	for i := range txs {
		n := txs[i].n
		if n > len(rec) {
			return nil, nil, errCorrupt
		}
		txs[i].data, rec = rec[:n], rec[n:]
	}
	return conn, txs, nil
}

// The spill file: each time the records in memory pass the budget they
// are sorted by id and moved to the file as one chunk, the connections'
// objects to one stream and their transactions' to another (a JSON report
// lists all connections, then all transactions: each pass reads one
// stream), each stream cut into blocks of spillBlockSize bytes (records
// may cross block boundaries), each block compressed on its own with S2
// (github.com/klauspost/compress/s2).
// Encoded records are repetitive JSON and shrink about twenty times, so the
// file holds a few percent of the JSON's bytes, and compressing and
// decompressing them costs less than copying the JSON into the page cache
// and back.
//
// Records are read in id order: a merge of the chunks, each stream of a
// chunk read from its start to its end (a chunk's connections, and its
// groups of transactions, are in id order; a connection with groups in
// several chunks has them read in chunk order). Each stream keeps up to
// blockCacheSize blocks decompressed, the least recently read going
// first: a run reads its blocks in order, and at any point of the merge
// only a few runs are read from (the chunk that holds most of the ids
// there, and those with connections that closed later), so each block is
// decompressed about once per pass over the records. Memory stays
// bounded by the slots, not by the number of chunks.
const (
	spillBlockSize = 32 << 10
	blockCacheSize = 32
	// spillWrite is how many compressed bytes spill writes at a time.
	spillWrite = 1 << 20
)

// maxBlockLen bounds a compressed block's length as its index gives it.
var maxBlockLen = s2.MaxEncodedLen(spillBlockSize)

// cachedBlock is a decompressed block of the spill file: block seq of
// its stream in chunk, last read at used (blockStream.clock).
type cachedBlock struct {
	chunk uint32
	seq   int
	used  uint64
	data  []byte
}

// packedReader reads the uvarints of a packed index in the spill file,
// packedRead bytes at a time.
type packedReader struct {
	f        *os.File
	off, end int64 // the part of the index not read from the file yet
	buf      []byte
	pos      int
}

const packedRead = 256

func (l *RecordLog) packedReader(r fileRange) packedReader {
	return packedReader{f: l.file, off: r.off, end: r.off + r.n}
}

// uvarint returns the next value of the index; ok is false at its end.
func (p *packedReader) uvarint() (v uint64, ok bool, err error) {
	if len(p.buf)-p.pos < binary.MaxVarintLen64 && p.off < p.end {
		if p.buf == nil {
			p.buf = make([]byte, 0, packedRead)
		}
		n := copy(p.buf[:cap(p.buf)], p.buf[p.pos:])
		k := int(min(int64(cap(p.buf)-n), p.end-p.off))
		if _, err := p.f.ReadAt(p.buf[n:n+k], p.off); err != nil {
			return 0, false, fmt.Errorf("record log: read: %w", err)
		}
		p.buf, p.pos, p.off = p.buf[:n+k], 0, p.off+int64(k)
	}
	if p.pos == len(p.buf) {
		return 0, false, nil
	}
	v, n := binary.Uvarint(p.buf[p.pos:])
	if n <= 0 {
		return 0, false, errCorrupt
	}
	p.pos += n
	return v, true, nil
}

// blockCursor walks the blocks of one stream of a chunk in order: the
// block at hand is the chunk's number seq (none while seq is 0), n bytes
// from stream offset off, flen bytes at file offset foff.
type blockCursor struct {
	idx       packedReader
	seq       int
	off, foff int64
	flen, n   int
}

// holds reports whether the block at hand holds stream offset off.
func (c *blockCursor) holds(off int64) bool {
	return c.seq > 0 && c.off <= off && off < c.off+int64(c.n)
}

// seek moves on to the block holding stream offset off, which must be at
// or after the block at hand.
func (c *blockCursor) seek(off int64) error {
	for !c.holds(off) {
		if err := c.next(); err != nil {
			return err
		}
	}
	return nil
}

// next moves to the chunk's next block; there must be one.
func (c *blockCursor) next() error {
	var v [3]uint64
	for i := range v {
		x, ok, err := c.idx.uvarint()
		if err != nil {
			return err
		}
		if !ok {
			return errCorrupt
		}
		v[i] = x
	}
	gap, flen, n := v[0], v[1], v[2]
	if gap > 1<<40 || flen == 0 || flen > uint64(maxBlockLen) || n == 0 || n > spillBlockSize {
		return errCorrupt
	}
	c.off += int64(c.n)
	c.foff += int64(c.flen) + int64(gap)
	c.flen, c.n = int(flen), int(n)
	c.seq++
	return nil
}

// readRun returns the record at hand of run r, read from stream s (valid
// until the next read of s).
func (l *RecordLog) readRun(s *blockStream, r *logRun) ([]byte, error) {
	b := &r.blocks
	off, end := r.off, r.off+int64(r.n)
	if err := b.seek(off); err != nil {
		return nil, err
	}
	if end <= b.off+int64(b.n) {
		data, err := l.blockData(s, r)
		if err != nil {
			return nil, err
		}
		return data[off-b.off : end-b.off], nil
	}
	// A record across blocks.
	s.span = s.span[:0]
	for off < end {
		if err := b.seek(off); err != nil {
			return nil, err
		}
		data, err := l.blockData(s, r)
		if err != nil {
			return nil, err
		}
		hi := min(end, b.off+int64(b.n))
		s.span = append(s.span, data[off-b.off:hi-b.off]...)
		off = hi
	}
	return s.span, nil
}

// blockData returns the block at hand of run r, decompressed from stream
// s, valid until the next call for s.
func (l *RecordLog) blockData(s *blockStream, r *logRun) ([]byte, error) {
	b, chunk := &r.blocks, uint32(r.rank)
	s.clock++
	if r.slot < len(s.cache) {
		if c := &s.cache[r.slot]; c.chunk == chunk && c.seq == b.seq {
			c.used = s.clock
			return c.data, nil
		}
	}
	// Another run's block, or in a free slot, or in the least recently
	// read one.
	victim := -1
	for i := range s.cache {
		c := &s.cache[i]
		if c.chunk == chunk && c.seq == b.seq {
			c.used, r.slot = s.clock, i
			return c.data, nil
		}
		if victim < 0 || c.used < s.cache[victim].used {
			victim = i
		}
	}
	if len(s.cache) < blockCacheSize {
		s.cache = append(s.cache, cachedBlock{})
		victim = len(s.cache) - 1
	}
	c := &s.cache[victim]
	// Not valid until decompressed (block numbers start at 1).
	c.seq = 0
	l.comp = slices.Grow(l.comp[:0], b.flen)[:b.flen]
	if _, err := l.file.ReadAt(l.comp, b.foff); err != nil {
		return nil, fmt.Errorf("record log: read: %w", err)
	}
	if n, err := s2.DecodedLen(l.comp); err != nil || n != b.n {
		return nil, errCorrupt
	}
	data, err := s2.Decode(c.data[:0], l.comp)
	if err != nil {
		return nil, errCorrupt
	}
	c.chunk, c.seq, c.used, c.data = chunk, b.seq, s.clock, data
	r.slot = victim
	l.decompressed++
	return data, nil
}

// What a pass over the log reads (each).
const (
	readConns = 1 << iota
	readTxs
)

// each calls fn with every record in id order: the connection's object
// and its transactions' as the log holds them (valid during the call
// only), of each what want says (readConns, readTxs): a pass over the
// connections alone decompresses only their stream of the spill file, and
// one over the transactions alone only theirs. fn is called once per group
// of transactions (a connection's may be in several: those added ahead
// of it), in order, first set on the first call for a connection; with
// both, a connection without transactions gets one call with none.
//
// Each chunk of the spill file and the records in memory are runs sorted
// by id, of connections and of groups of transactions; each merges them,
// the earlier run first for equal ids.
func (l *RecordLog) each(want int, fn func(id uint32, conn []byte, txs []txPart, first bool) error) error {
	l.sync()
	if l.encErr != nil {
		return l.encErr
	}
	// The decompressed blocks of a stream this pass does not read are
	// let go.
	if want&readConns == 0 {
		l.conns.cache = nil
	}
	if want&readTxs == 0 {
		l.txs.cache = nil
	}
	l.sortMem()
	var conns, txs *logMerge
	var err error
	if want&readConns != 0 {
		if conns, err = l.merge(false); err != nil {
			return err
		}
	}
	if want&readTxs != 0 {
		if txs, err = l.merge(true); err != nil {
			return err
		}
	}
	var parts []txPart
	if conns == nil {
		// The groups of transactions alone.
		prev, started := uint32(0), false
		for txs.more() {
			r := txs.top()
			if parts, err = l.txsOf(r, parts); err != nil {
				return err
			}
			first := !started || r.id != prev
			prev, started = r.id, true
			if err := fn(r.id, nil, parts, first); err != nil {
				return err
			}
			if err := txs.next(); err != nil {
				return err
			}
		}
		return nil
	}
	for conns.more() {
		r := conns.top()
		conn, err := l.connOf(r)
		if err != nil {
			return err
		}
		id, first := r.id, true
		// The connection's groups of transactions (the two streams have
		// buffers of their own: conn stays valid). Groups of smaller ids
		// have no connection (never the case when every connection was
		// added) and are passed over.
		for txs != nil && txs.more() && txs.top().id <= id {
			if g := txs.top(); g.id == id {
				if parts, err = l.txsOf(g, parts); err != nil {
					return err
				}
				if err := fn(id, conn, parts, first); err != nil {
					return err
				}
				first = false
			}
			if err := txs.next(); err != nil {
				return err
			}
		}
		if first {
			if err := fn(id, conn, nil, true); err != nil {
				return err
			}
		}
		if err := conns.next(); err != nil {
			return err
		}
	}
	return nil
}

// recordAt returns the record at hand of r: in memory, or read from
// stream s (valid until the next read of s).
func (l *RecordLog) recordAt(r *logRun, s *blockStream) ([]byte, error) {
	if r.inMem {
		return l.mem[r.at : r.at+int(r.n)], nil
	}
	return l.readRun(s, r)
}

// connOf returns the connection object of the record at hand of r.
func (l *RecordLog) connOf(r *logRun) ([]byte, error) {
	rec, err := l.recordAt(r, &l.conns)
	if err != nil {
		return nil, err
	}
	conn, _, err := parse(rec, nil)
	return conn, err
}

// txsOf returns the transactions of the group at hand of r (parts is
// reused for the result).
func (l *RecordLog) txsOf(r *logRun, parts []txPart) ([]txPart, error) {
	rec, err := l.recordAt(r, &l.txs)
	if err != nil {
		return nil, err
	}
	_, parts, err = parse(rec, parts)
	return parts, err
}

// chunkRun returns a run over chunk i's connections, or with txs its
// groups of transactions.
func (l *RecordLog) chunkRun(i int, txs bool) logRun {
	cs := &l.chunks[i].conns
	if txs {
		cs = &l.chunks[i].txs
	}
	return logRun{
		rank: i, next: cs.start, recs: l.packedReader(cs.recs),
		blocks: blockCursor{idx: l.packedReader(cs.blocks), off: cs.start},
	}
}

// logMerge merges runs by the id of their record at hand.
type logMerge struct {
	runs []logRun
	h    runHeap
}

// merge starts a merge of the connections' runs, or with txs of the
// transactions' groups.
func (l *RecordLog) merge(txs bool) (*logMerge, error) {
	m := &logMerge{runs: make([]logRun, 0, len(l.chunks)+1)}
	for i := range l.chunks {
		m.runs = append(m.runs, l.chunkRun(i, txs))
	}
	if len(l.memIdx) > 0 {
		m.runs = append(m.runs, logRun{rank: len(l.chunks), inMem: true, mem: l.memIdx, memTxs: txs})
	}
	for i := range m.runs {
		if err := m.runs[i].advance(); err != nil {
			return nil, err
		}
		if !m.runs[i].done {
			m.h = append(m.h, &m.runs[i])
		}
	}
	heap.Init(&m.h)
	return m, nil
}

func (m *logMerge) more() bool   { return len(m.h) > 0 }
func (m *logMerge) top() *logRun { return m.h[0] }

// next moves past the record at hand.
func (m *logMerge) next() error {
	r := m.h[0]
	if err := r.advance(); err != nil {
		return err
	}
	if r.done {
		heap.Pop(&m.h)
	} else {
		heap.Fix(&m.h, 0)
	}
	return nil
}

// logRun is a cursor over one sorted run of records: a chunk of the spill
// file (its packed index and the stream offset of the record at hand) or
// the records in memory.
type logRun struct {
	rank  int // the run's place in the log (a chunk's number): ties of ids go to the earlier
	slot  int // the cache slot of the block it read last
	done  bool
	id, n uint32
	// A chunk: the record at hand is at off in its stream, the next one
	// at next; recs reads the chunk's index of records, blocks its
	// blocks.
	off, next int64
	recs      packedReader
	blocks    blockCursor
	// The records in memory: the one at hand at offset at of l.mem, the
	// rest in mem; memTxs: the run is of their transactions.
	inMem  bool
	memTxs bool
	at     int
	mem    []memEntry
}

// advance moves r to its next record, or sets r.done. A run of
// connections in memory passes over the groups of transactions added
// ahead of their connection, and a run of transactions over the records
// without any.
func (r *logRun) advance() error {
	if r.inMem {
		for len(r.mem) > 0 && (r.memTxs && !r.mem[0].hasTxs || !r.memTxs && r.mem[0].txOnly) {
			r.mem = r.mem[1:]
		}
		if len(r.mem) == 0 {
			r.done = true
			return nil
		}
		e := r.mem[0]
		r.mem = r.mem[1:]
		r.id, r.n, r.at = e.id, e.n, e.at
		return nil
	}
	d, ok, err := r.recs.uvarint()
	if err != nil {
		return err
	}
	if !ok {
		r.done = true
		return nil
	}
	n, ok, err := r.recs.uvarint()
	if err != nil {
		return err
	}
	if !ok || d > 1<<32-1 || n > 1<<32-1 {
		return errCorrupt
	}
	r.id += uint32(d)
	r.n = uint32(n)
	r.off = r.next
	r.next += int64(n)
	return nil
}

// runHeap orders runs by the id of their record at hand.
type runHeap []*logRun

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if h[i].id != h[j].id {
		return h[i].id < h[j].id
	}
	return h[i].rank < h[j].rank
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*logRun)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// findingsSuffix ends every connection object the log holds (Findings is
// the last field of Connection and has no omitempty), so linking findings
// to a connection without other patches rewrites only that list.
const findingsSuffix = "\"findings\": []\n" + listPrefix + "}"

// connJSON returns the final form of connection id (as the streaming
// writer writes it) with its links and patches applied: conn itself when
// they change nothing, else bytes built in *scratch (reused).
func (l *RecordLog) connJSON(scratch *[]byte, id uint32, conn []byte) ([]byte, error) {
	fs := l.connFindings[id]
	if len(l.patches[id]) == 0 {
		if len(fs) == 0 {
			return conn, nil
		}
		if bytes.HasSuffix(conn, []byte(findingsSuffix)) {
			dst := append((*scratch)[:0], conn[:len(conn)-len(findingsSuffix)]...)
			dst = append(dst, `"findings": `...)
			list := strconv.AppendInt(append(l.list[:0], '['), int64(fs[0]), 10)
			for _, f := range fs[1:] {
				list = strconv.AppendInt(append(list, ','), int64(f), 10)
			}
			l.list = append(list, ']')
			dst = appendIndented(dst, l.list, listPrefix+"  ")
			*scratch = append(dst, "\n"+listPrefix+"}"...)
			return *scratch, nil
		}
	}
	c, err := l.decodeConn(id, conn)
	if err != nil {
		return nil, err
	}
	out, err := l.appendObject((*scratch)[:0], c)
	*scratch = out
	return out, err
}

// decodeConn decodes a connection object and applies its links and
// patches.
func (l *RecordLog) decodeConn(id uint32, conn []byte) (*Connection, error) {
	c := &Connection{}
	if err := json.Unmarshal(conn, c); err != nil {
		return nil, fmt.Errorf("record log: connection %d: %w", id, err)
	}
	for _, p := range l.patches[id] {
		p(c)
	}
	c.Findings = append(c.Findings, l.connFindings[id]...)
	if c.Findings == nil {
		c.Findings = []int{}
	}
	slices.Sort(c.Findings)
	return c, nil
}

// txJSON returns the final form of a transaction of connection id:
// tx.data itself when it has no links, else bytes built in *scratch
// (reused).
func (l *RecordLog) txJSON(scratch *[]byte, id uint32, tx *txPart) ([]byte, error) {
	if len(l.txFindings[txKey{id, tx.index}]) == 0 {
		return tx.data, nil
	}
	t, err := l.decodeTx(id, tx)
	if err != nil {
		return nil, err
	}
	out, err := l.appendObject((*scratch)[:0], t)
	*scratch = out
	return out, err
}

func (l *RecordLog) decodeTx(id uint32, tx *txPart) (*Transaction, error) {
	t := &Transaction{}
	if err := json.Unmarshal(tx.data, t); err != nil {
		return nil, fmt.Errorf("record log: transaction %d/%d: %w", id, tx.index, err)
	}
	t.Findings = append(t.Findings, l.txFindings[txKey{id, tx.index}]...)
	slices.Sort(t.Findings)
	return t, nil
}

// linkFinding records that finding i names connection conn and, when tx
// is not nil, its transaction *tx.
func (l *RecordLog) linkFinding(i int, conn uint32, tx *int) {
	if l.connFindings == nil {
		l.connFindings = map[uint32][]int{}
		l.txFindings = map[txKey][]int{}
	}
	l.connFindings[conn] = append(l.connFindings[conn], i)
	if tx != nil {
		k := txKey{conn, *tx}
		l.txFindings[k] = append(l.txFindings[k], i)
	}
}

// patch records fn to be applied to connection id when it is read.
func (l *RecordLog) patch(id uint32, fn func(*Connection)) {
	if l.patches == nil {
		l.patches = map[uint32][]func(*Connection){}
	}
	l.patches[id] = append(l.patches[id], fn)
}

// decodeAll decodes every record in id order, links and patches applied.
func (l *RecordLog) decodeAll() ([]Connection, []Transaction, error) {
	conns := make([]Connection, 0, l.n)
	txs := make([]Transaction, 0, l.nTx)
	err := l.each(readConns|readTxs, func(id uint32, conn []byte, parts []txPart, first bool) error {
		if first {
			c, err := l.decodeConn(id, conn)
			if err != nil {
				return err
			}
			conns = append(conns, *c)
		}
		for i := range parts {
			t, err := l.decodeTx(id, &parts[i])
			if err != nil {
				return err
			}
			txs = append(txs, *t)
		}
		return nil
	})
	return conns, txs, err
}

// LinkFindings adds to every connection and transaction the indexes of the
// findings that name it (Finding.Connection and Finding.Transaction), in
// increasing order. Call it once, after the findings are in their final
// order.
func (r *Report) LinkFindings() {
	if r.Deferred != nil {
		for i := range r.Findings {
			if f := &r.Findings[i]; f.Connection != nil {
				r.Deferred.linkFinding(i, *f.Connection, f.Transaction)
			}
		}
	}
	connIdx := make(map[uint32]int, len(r.Connections))
	for i := range r.Connections {
		connIdx[r.Connections[i].ID] = i
	}
	txIdx := make(map[txKey]int, len(r.Transactions))
	for i := range r.Transactions {
		t := &r.Transactions[i]
		txIdx[txKey{t.Connection, t.Index}] = i
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Connection == nil {
			continue
		}
		if ci, ok := connIdx[*f.Connection]; ok {
			r.Connections[ci].Findings = append(r.Connections[ci].Findings, i)
		}
		if f.Transaction != nil {
			if ti, ok := txIdx[txKey{*f.Connection, *f.Transaction}]; ok {
				r.Transactions[ti].Findings = append(r.Transactions[ti].Findings, i)
			}
		}
	}
}

// PatchConnections applies fns[id] to the connection with that id: now
// for the connections in r.Connections, when it is read for those in
// r.Deferred (each connection has at most one patch per call; patches of
// several calls apply in call order).
func (r *Report) PatchConnections(fns map[uint32]func(*Connection)) {
	if len(fns) == 0 {
		return
	}
	var done map[uint32]bool
	for i := range r.Connections {
		if fn := fns[r.Connections[i].ID]; fn != nil {
			fn(&r.Connections[i])
			if r.Deferred != nil {
				if done == nil {
					done = map[uint32]bool{}
				}
				done[r.Connections[i].ID] = true
			}
		}
	}
	if r.Deferred != nil {
		// Map order does not reach the output: each id gets its one
		// patch of this call, after those of earlier calls.
		for id, fn := range fns {
			if !done[id] {
				r.Deferred.patch(id, fn)
			}
		}
	}
}

// EachConnection calls fn for every connection: those in r.Connections in
// their order, then those of r.Deferred in id order, decoded one at a time
// with links and patches applied (fn must not keep c).
func (r *Report) EachConnection(fn func(c *Connection) error) error {
	for i := range r.Connections {
		if err := fn(&r.Connections[i]); err != nil {
			return err
		}
	}
	if r.Deferred == nil {
		return nil
	}
	return r.Deferred.each(readConns, func(id uint32, conn []byte, _ []txPart, _ bool) error {
		c, err := r.Deferred.decodeConn(id, conn)
		if err != nil {
			return err
		}
		return fn(c)
	})
}

// Materialize moves the records of r.Deferred into r.Connections and
// r.Transactions (decoded, links and patches applied) and clears
// r.Deferred, whose spill file it closes.
func (r *Report) Materialize() error {
	log := r.Deferred
	m, err := materialized(r)
	if err != nil {
		return err
	}
	*r = *m
	return log.Close()
}

// materialized returns r itself, or when r has a record log a copy of r
// with the log's records decoded into the copy's lists (r unchanged).
func materialized(r *Report) (*Report, error) {
	if r == nil || r.Deferred == nil {
		return r, nil
	}
	conns, txs, err := r.Deferred.decodeAll()
	if err != nil {
		return nil, err
	}
	cp := *r
	cp.Connections = append(slices.Clip(r.Connections), conns...)
	cp.Transactions = append(slices.Clip(r.Transactions), txs...)
	cp.Deferred = nil
	return &cp, nil
}

// writeList writes the connections (or, with txs, the transactions) of the
// log as the elements of a JSON list in the streaming writer's layout:
// each on a new line, indented by four spaces, terminal-safe.
func (l *RecordLog) writeList(bw *bufio.Writer, txs bool) error {
	var obj []byte
	first := true
	put := func(o []byte) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n" + listPrefix)
		_, err := bw.Write(o)
		return err
	}
	want := readConns
	if txs {
		want = readTxs
	}
	return l.each(want, func(id uint32, conn []byte, parts []txPart, _ bool) error {
		if !txs {
			out, err := l.connJSON(&obj, id, conn)
			if err != nil {
				return err
			}
			return put(out)
		}
		for i := range parts {
			out, err := l.txJSON(&obj, id, &parts[i])
			if err != nil {
				return err
			}
			if err := put(out); err != nil {
				return err
			}
		}
		return nil
	})
}

// onlyInLog reports whether every record of r is in its record log, so
// that a streaming writer can write them from there.
func onlyInLog(r *Report) bool {
	return r != nil && r.Deferred != nil && len(r.Connections) == 0 && len(r.Transactions) == 0
}

// normalizedAll is normalized for the writers that need every record as a
// struct: a report with a record log is materialized (in a copy) first.
func normalizedAll(r *Report) (*Report, error) {
	m, err := materialized(r)
	if err != nil {
		return nil, err
	}
	return normalized(m), nil
}
