package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// recordLogCase builds a report of n connections (added in a shuffled,
// nearly-id order like closes) with transactions, and findings naming some
// connections and transactions, in memory.
func recordLogCase(n int) *Report {
	rng := rand.New(rand.NewPCG(5, 6))
	r := &Report{Tool: Tool{Name: "connscope", Version: "test"}}
	for i := range n {
		id := uint32(i + 1)
		c := Connection{ID: id, Transport: "tcp", Client: fmt.Sprintf("10.0.0.1:%d", 1024+i), Server: "10.0.0.2:80",
			Start: "2024-05-01T12:00:00.000000001Z", Protocol: "http/1.1", Anomalies: map[string]int{"x\u009b": i % 3}}
		if i%4 == 0 {
			c.HTTP = &ConnHTTP{Requests: i % 3}
		}
		r.Connections = append(r.Connections, c)
		for j := range i % 3 {
			r.Transactions = append(r.Transactions, Transaction{Connection: id, Index: j, Method: "GET", Target: fmt.Sprintf("/%d/%d<&>", i, j)})
		}
	}
	for i := range n / 3 {
		id := uint32(rng.IntN(n) + 1)
		f := Finding{Kind: "k", Severity: SeverityInfo, Connection: &id, Summary: fmt.Sprint(i), Evidence: map[string]any{}}
		if id%3 == 2 {
			tx := 1
			f.Transaction = &tx
		}
		r.Findings = append(r.Findings, f)
	}
	return r
}

// deferredCopy moves r's records into a record log with the given memory
// budget, adding them in an order shuffled within small windows.
func deferredCopy(t testing.TB, r *Report, memLimit int) *Report {
	t.Helper()
	return deferredCopyDir(t, r, memLimit, t.TempDir(), false)
}

// deferredCopyDir is deferredCopy with the spill file in dir, the records
// encoded on the caller's goroutine when inline.
func deferredCopyDir(t testing.TB, r *Report, memLimit int, dir string, inline bool) *Report {
	t.Helper()
	cp := *r
	cp.Connections, cp.Transactions = nil, nil
	log := NewRecordLog(memLimit, dir)
	if inline {
		log.EncodeInline()
	}
	cp.Deferred = log
	t.Cleanup(func() { log.Close() })
	order := make([]int, len(r.Connections))
	for i := range order {
		order[i] = i
	}
	for i := 0; i+1 < len(order); i += 3 {
		order[i], order[i+1] = order[i+1], order[i]
	}
	for _, i := range order {
		c := r.Connections[i]
		var txs []Transaction
		for _, tx := range r.Transactions {
			if tx.Connection == c.ID {
				txs = append([]Transaction{tx}, txs...) // reversed: Add sorts by index
			}
		}
		if err := cp.Deferred.Add(&c, txs); err != nil {
			t.Fatal(err)
		}
	}
	return &cp
}

// TestRecordLogWritesLikeMemory: a report whose records are in a record
// log (in memory, or spilled to a file a few records at a time; encoded on
// the log's goroutine or inline) writes the same JSON, text and NDJSON as
// the same report holding them in its lists, with finding links and
// connection patches.
func TestRecordLogWritesLikeMemory(t *testing.T) {
	for _, n := range []int{0, 1, 7, 700} {
		for _, c := range []struct {
			limit  int
			inline bool
		}{{-1, false}, {1, false}, {4096, false}, {1, true}, {4096, true}} {
			limit := c.limit
			t.Run(fmt.Sprintf("n=%d/limit=%d/inline=%v", n, limit, c.inline), func(t *testing.T) {
				mem := recordLogCase(n)
				def := deferredCopyDir(t, mem, limit, t.TempDir(), c.inline)
				if c.inline && def.Deferred.jobs != nil {
					t.Fatal("an inline log started its encoding goroutine")
				}
				patch := map[uint32]func(*Connection){}
				for id := uint32(1); id <= uint32(n); id += 5 {
					patch[id] = func(c *Connection) { c.DNS = &ConnDNS{Name: fmt.Sprint("n", c.ID), LookupUS: int64(c.ID)} }
				}
				for _, r := range []*Report{mem, def} {
					r.PatchConnections(patch)
					r.LinkFindings()
					Normalize(r)
				}
				if err := def.Deferred.Spilled(); err != nil {
					t.Fatal(err)
				}
				if limit == 1 && n > 0 && def.Deferred.conns.end == 0 {
					t.Fatal("nothing was spilled")
				}
				sameOutput(t, "JSON", WriteJSON, mem, def)
				sameOutput(t, "text", func(w io.Writer, r *Report) error { return WriteText(w, r, TextOptions{}) }, mem, def)
				sameOutput(t, "NDJSON", WriteNDJSON, mem, def)
				seen := 0
				if err := def.EachConnection(func(c *Connection) error {
					if seen < len(mem.Connections) && c.ID != mem.Connections[seen].ID {
						return fmt.Errorf("EachConnection: %d at %d", c.ID, seen)
					}
					seen++
					return nil
				}); err != nil || seen != n {
					t.Fatalf("EachConnection: %v, %d of %d", err, seen, n)
				}
				if err := def.Materialize(); err != nil {
					t.Fatal(err)
				}
				sameOutput(t, "JSON of the materialized report", WriteJSON, mem, def)
			})
		}
	}
}

// TestRecordLogTransactionsAhead: transactions added ahead of their
// connection (AddTransactions, in up to three batches, the last with Add,
// interleaved with other connections' records and spread over several
// spills) are read back as if added with their connection: JSON, NDJSON,
// text and the materialized report are those of the report holding them.
func TestRecordLogTransactionsAhead(t *testing.T) {
	for _, limit := range []int{-1, 1, 4096, 64 << 10} {
		t.Run(fmt.Sprint("limit=", limit), func(t *testing.T) {
			mem, plan := aheadCase()
			def := *mem
			def.Connections, def.Transactions = nil, nil
			l := NewRecordLog(limit, t.TempDir())
			def.Deferred = l
			t.Cleanup(func() { l.Close() })
			for _, a := range plan {
				var err error
				if a.ahead {
					err = l.AddTransactions(a.c.ID, slices.Clone(a.txs))
				} else {
					c := *a.c
					err = l.Add(&c, slices.Clone(a.txs))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range []*Report{mem, &def} {
				r.LinkFindings()
				Normalize(r)
			}
			if err := l.Spilled(); err != nil {
				t.Fatal(err)
			}
			if l.Len() != len(mem.Connections) || l.Transactions() != len(mem.Transactions) {
				t.Fatalf("%d connections and %d transactions, want %d and %d", l.Len(), l.Transactions(), len(mem.Connections), len(mem.Transactions))
			}
			if limit == 4096 && len(l.chunks) < 10 {
				t.Fatalf("%d spills", len(l.chunks))
			}
			sameOutput(t, "JSON", WriteJSON, mem, &def)
			sameOutput(t, "NDJSON", WriteNDJSON, mem, &def)
			sameOutput(t, "text", func(w io.Writer, r *Report) error { return WriteText(w, r, TextOptions{}) }, mem, &def)
			if err := def.Materialize(); err != nil {
				t.Fatal(err)
			}
			sameOutput(t, "JSON of the materialized report", WriteJSON, mem, &def)
		})
	}
}

// aheadAction is one addition to a record log: a connection's record with
// its last transactions, or transactions ahead of it.
type aheadAction struct {
	pos   int
	c     *Connection
	txs   []Transaction
	ahead bool
}

// aheadCase builds a report of 600 connections, every seventh with many
// transactions, findings naming some of them, and the order to add them
// to a record log: a split connection's batches in order, the later ones
// after other connections' records.
func aheadCase() (*Report, []aheadAction) {
	rng := rand.New(rand.NewPCG(21, 22))
	mem := &Report{Tool: Tool{Name: "connscope", Version: "test"}}
	byConn := map[uint32][]Transaction{}
	for i := range 600 {
		id := uint32(i + 1)
		mem.Connections = append(mem.Connections, Connection{ID: id, Transport: "tcp", Client: fmt.Sprintf("10.0.0.1:%d", 1024+i),
			Server: "10.0.0.2:80", Start: "2024-05-01T12:00:00.000000001Z", Protocol: "http/1.1"})
		n := i % 3
		if i%7 == 0 {
			n = 5 + rng.IntN(40)
		}
		for j := range n {
			tx := Transaction{Connection: id, Index: j, Method: "GET", Target: fmt.Sprintf("/%d/%d", i, j)}
			mem.Transactions = append(mem.Transactions, tx)
			byConn[id] = append(byConn[id], tx)
		}
		if rng.IntN(4) == 0 && n > 0 {
			tx := rng.IntN(n)
			mem.Findings = append(mem.Findings, Finding{Kind: "k", Severity: SeverityInfo, Connection: &id, Transaction: &tx,
				Summary: fmt.Sprint(i), Evidence: map[string]any{}})
		}
	}
	var plan []aheadAction
	for i := range mem.Connections {
		c := &mem.Connections[i]
		txs, pos := byConn[c.ID], i*10
		for len(txs) >= 4 && rng.IntN(2) == 0 {
			k := 1 + rng.IntN(len(txs)-1)
			plan = append(plan, aheadAction{pos: pos, c: c, txs: txs[:k], ahead: true})
			txs = txs[k:]
			pos += 10*rng.IntN(60) + 1
		}
		plan = append(plan, aheadAction{pos: pos, c: c, txs: txs})
	}
	slices.SortStableFunc(plan, func(a, b aheadAction) int { return cmp.Compare(a.pos, b.pos) })
	return mem, plan
}

// TestRecordLogCorrupt: a damaged record is an error, not a panic.
func TestRecordLogCorrupt(t *testing.T) {
	for _, rec := range [][]byte{nil, {0x80}, {5, 0}, {1, 2, 0, 9, 'x'}, {2, 1, 0, 1, '{', '}'}} {
		if _, _, err := parse(rec, nil); err == nil {
			t.Errorf("parse(%q): no error", rec)
		}
	}
	if c, txs, err := parse([]byte{2, 1, 0, 1, '{', '}', 'x'}, nil); err != nil || string(c) != "{}" || len(txs) != 1 || string(txs[0].data) != "x" {
		t.Errorf("parse of a good record: %q %v %v", c, txs, err)
	}
}

// TestRecordLogSpillFailure: when the spill file cannot be created the log
// keeps the records in memory, says so, and writes the same report.
func TestRecordLogSpillFailure(t *testing.T) {
	mem := recordLogCase(50)
	bad := deferredCopyDir(t, mem, 1, filepath.Join(t.TempDir(), "missing", "dir"), false)
	for _, r := range []*Report{mem, bad} {
		r.LinkFindings()
		Normalize(r)
	}
	if err := bad.Deferred.Spilled(); err == nil {
		t.Fatal("no spill error with a missing directory")
	}
	sameOutput(t, "JSON of the in-memory fallback", WriteJSON, mem, bad)
}

// sameOutput fails the test when write renders want and got differently.
func sameOutput(t *testing.T, what string, write func(io.Writer, *Report) error, want, got *Report) {
	t.Helper()
	var a, b bytes.Buffer
	if err := write(&a, want); err != nil {
		t.Fatal(err)
	}
	if err := write(&b, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("%s differs:\nwant:\n%s\ngot:\n%s", what, a.Bytes(), b.Bytes())
	}
}

// addRecord adds connection i of r, with its transactions, to l.
func addRecord(t testing.TB, l *RecordLog, r *Report, i int) {
	t.Helper()
	c := r.Connections[i]
	var txs []Transaction
	for _, tx := range r.Transactions {
		if tx.Connection == c.ID {
			txs = append(txs, tx)
		}
	}
	if err := l.Add(&c, txs); err != nil {
		t.Fatal(err)
	}
}

// TestRecordLogSpillBlocks: records larger than a spill block, records
// across block boundaries, records added in a random order, more chunks
// than cache slots, and records added after the log was read, read back as
// they were written.
func TestRecordLogSpillBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	r := &Report{Tool: Tool{Name: "connscope", Version: "test"}}
	const n = 400
	for i := range n {
		id := uint32(i + 1)
		r.Connections = append(r.Connections, Connection{ID: id, Transport: "tcp", Client: fmt.Sprintf("10.0.0.1:%d", 1024+i), Server: "10.0.0.2:80"})
		if i%37 == 0 {
			// Larger than a block, and not very compressible.
			big := make([]byte, spillBlockSize+rng.IntN(3*spillBlockSize))
			for k := range big {
				big[k] = 'a' + byte(rng.IntN(26))
			}
			r.Transactions = append(r.Transactions, Transaction{Connection: id, Method: "GET", Target: "/" + string(big)})
		}
	}
	for _, limit := range []int{1, 3000, 100 << 10} {
		t.Run(fmt.Sprint("limit=", limit), func(t *testing.T) {
			cp := *r
			cp.Connections, cp.Transactions = nil, nil
			log := NewRecordLog(limit, t.TempDir())
			cp.Deferred = log
			t.Cleanup(func() { log.Close() })
			for k, i := range rng.Perm(n) {
				if k == n/2 {
					// Reading sorts the index; records added after it
					// must still be found.
					if err := log.each(readConns|readTxs, func(uint32, []byte, []txPart, bool) error { return nil }); err != nil {
						t.Fatal(err)
					}
				}
				addRecord(t, log, r, i)
			}
			mem := *r
			for _, x := range []*Report{&mem, &cp} {
				x.LinkFindings()
				Normalize(x)
			}
			sameOutput(t, "JSON", WriteJSON, &mem, &cp)
			blocks := spilledBlocks(t, log, false)
			if err := log.Spilled(); err != nil || len(blocks) < 2 {
				t.Fatalf("spill: %v, %d blocks", err, len(blocks))
			}
			crossing := 0
			for _, e := range spilledRecords(t, log) {
				i, _ := slices.BinarySearchFunc(blocks, e.off, func(b blockCursor, off int64) int { return cmp.Compare(b.off, off) })
				if i < len(blocks) && blocks[i].off != e.off || i == len(blocks) {
					i--
				}
				if e.off+int64(e.n) > blocks[i].off+int64(blocks[i].n) {
					crossing++
				}
			}
			if limit > spillBlockSize && crossing == 0 {
				t.Error("no record crosses a block boundary")
			}
		})
	}
}

// TestRecordLogCompressed: the spill file of ordinary records is a small
// fraction of the records' bytes.
func TestRecordLogCompressed(t *testing.T) {
	def := deferredCopy(t, recordLogCase(2000), 64<<10)
	l := def.Deferred
	if err := l.Spilled(); err != nil {
		t.Fatal(err)
	}
	st, err := l.file.Stat()
	if err != nil {
		t.Fatal(err)
	}
	spilled := l.conns.end + l.txs.end
	if spilled < 256<<10 || st.Size() != l.fend || l.fend*4 > spilled {
		t.Fatalf("spill file: %d bytes (%d counted) for %d bytes of records", st.Size(), l.fend, spilled)
	}
}

// TestRecordLogIndexSize: the index of spilled records takes a few bytes
// per record (ids close together, lengths of a few hundred bytes), not an
// entry of its own each.
func TestRecordLogIndexSize(t *testing.T) {
	def := deferredCopy(t, recordLogCase(3000), 64<<10)
	l := def.Deferred
	l.sync()
	spilled := len(spilledRecords(t, l))
	packed := 0
	for _, ch := range l.chunks {
		packed += int(ch.conns.recs.n)
	}
	if len(l.chunks) < 4 || spilled+len(l.memIdx) != l.Len() || packed > 4*spilled {
		t.Fatalf("%d chunks, %d records spilled and %d in memory of %d, %d bytes of index", len(l.chunks), spilled, len(l.memIdx), l.Len(), packed)
	}
}

// TestRecordLogReadsBlocksOnce: records added out of id order as
// connections close (a little out of order, and a few long after the
// connections opened after them) are read back in id order decompressing
// each block of the spill file once per pass, with more chunks than cache
// slots; a pass over the connections or the transactions alone
// decompresses only the blocks of their stream.
func TestRecordLogReadsBlocksOnce(t *testing.T) {
	mem := recordLogCase(3000)
	var late []Connection
	conns := mem.Connections[:0]
	for i, c := range mem.Connections {
		if i%97 == 0 {
			late = append(late, c)
		} else {
			conns = append(conns, c)
		}
	}
	mem.Connections = append(conns, late...)
	def := deferredCopy(t, mem, 96<<10)
	l := def.Deferred
	l.sync()
	nc, nt := len(spilledBlocks(t, l, false)), len(spilledBlocks(t, l, true))
	if chunks := len(l.chunks); chunks <= blockCacheSize || nc <= chunks || nt < chunks {
		t.Fatalf("%d chunks, %d and %d blocks", chunks, nc, nt)
	}
	for _, c := range []struct {
		want, blocks int
		name         string
	}{{readConns | readTxs, nc + nt, "both"}, {readConns, nc, "connections"}, {readTxs, nt, "transactions"}} {
		before := l.decompressed
		conns, txs := 0, 0
		if err := l.each(c.want, func(_ uint32, conn []byte, parts []txPart, _ bool) error {
			if len(conn) > 0 {
				conns++
			}
			txs += len(parts)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		wantConns, wantTxs := 0, 0
		if c.want&readConns != 0 {
			wantConns = len(mem.Connections)
		}
		if c.want&readTxs != 0 {
			wantTxs = len(mem.Transactions)
		}
		if len(l.conns.cache) > blockCacheSize || len(l.txs.cache) > blockCacheSize {
			t.Errorf("%s: %d and %d blocks cached", c.name, len(l.conns.cache), len(l.txs.cache))
		}
		if got := l.decompressed - before; got != c.blocks || conns != wantConns || txs != wantTxs {
			t.Errorf("%s: %d blocks decompressed, want %d; %d connections and %d transactions, want %d and %d",
				c.name, got, c.blocks, conns, txs, wantConns, wantTxs)
		}
	}
}

// TestRecordLogWriteFailure: when writing to the spill file fails, the
// records of that spill stay in memory, those spilled before are still
// read from the file, and the report is the same.
func TestRecordLogWriteFailure(t *testing.T) {
	mem := recordLogCase(400)
	cp := *mem
	cp.Connections, cp.Transactions = nil, nil
	l := NewRecordLog(4096, t.TempDir())
	cp.Deferred = l
	t.Cleanup(func() { l.Close() })
	for i := range mem.Connections {
		if i == 200 {
			l.sync()
			if l.file == nil {
				t.Fatal("nothing spilled")
			}
			// The same file, read-only: later writes fail.
			ro, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", l.file.Fd()))
			if err != nil {
				t.Skip(err)
			}
			l.file.Close()
			l.file = ro
		}
		addRecord(t, l, mem, i)
	}
	if l.Spilled() == nil || l.conns.end == 0 {
		t.Fatalf("spill error %v, %d bytes spilled", l.Spilled(), l.conns.end)
	}
	for _, r := range []*Report{mem, &cp} {
		r.LinkFindings()
		Normalize(r)
	}
	sameOutput(t, "JSON", WriteJSON, mem, &cp)
}

// TestRecordLogDamagedSpill: a spill file changed under the log makes
// writing the report fail with an error, not a panic.
func TestRecordLogDamagedSpill(t *testing.T) {
	for _, damage := range []func(l *RecordLog){
		func(l *RecordLog) { l.file.WriteAt(bytes.Repeat([]byte{0xff}, int(l.fend)), 0) },
		func(l *RecordLog) { l.file.WriteAt([]byte{0x01}, 0) }, // a block's length
		func(l *RecordLog) { l.file.Truncate(l.fend / 2) },
		// The index: the last chunk's of records and of blocks, and a
		// gap past any file in the first chunk's blocks.
		func(l *RecordLog) {
			r := l.chunks[len(l.chunks)-1].conns.recs
			l.file.WriteAt(bytes.Repeat([]byte{0xff}, int(r.n)), r.off)
		},
		func(l *RecordLog) {
			r := l.chunks[len(l.chunks)-1].txs.blocks
			l.file.WriteAt(make([]byte, r.n), r.off)
		},
		func(l *RecordLog) {
			r := l.chunks[0].conns.blocks
			l.file.WriteAt([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, r.off)
		},
	} {
		def := deferredCopy(t, recordLogCase(300), 4096)
		if err := def.Deferred.Spilled(); err != nil {
			t.Fatal(err)
		}
		damage(def.Deferred)
		def.LinkFindings()
		Normalize(def)
		if err := WriteJSON(io.Discard, def); err == nil {
			t.Error("no error from a damaged spill file")
		}
	}
}

// FuzzRecordLogDamagedSpill: whatever bytes of the spill file change
// under the log (records, blocks, the index), writing the report ends,
// with an error or without, and never panics.
func FuzzRecordLogDamagedSpill(f *testing.F) {
	def := deferredCopy(f, recordLogCase(300), 4096)
	l := def.Deferred
	if err := l.Spilled(); err != nil {
		f.Fatal(err)
	}
	def.LinkFindings()
	Normalize(def)
	orig := make([]byte, l.fend)
	if _, err := l.file.ReadAt(orig, 0); err != nil {
		f.Fatal(err)
	}
	for _, ch := range []chunkIndex{l.chunks[0], l.chunks[len(l.chunks)-1]} {
		for _, r := range []fileRange{ch.conns.recs, ch.conns.blocks, ch.txs.recs, ch.txs.blocks} {
			f.Add(uint32(r.off), []byte{0xff, 0xff})
			f.Add(uint32(r.off), []byte{0})
		}
	}
	f.Add(uint32(0), []byte{1})
	f.Fuzz(func(t *testing.T, at uint32, b []byte) {
		if _, err := l.file.WriteAt(orig, 0); err != nil {
			t.Fatal(err)
		}
		if len(b) > len(orig) {
			b = b[:len(orig)]
		}
		if _, err := l.file.WriteAt(b, int64(at)%int64(len(orig)-len(b)+1)); err != nil {
			t.Fatal(err)
		}
		l.conns.cache, l.txs.cache = nil, nil
		WriteJSON(io.Discard, def)
	})
}

// spilledRecords returns where the records of l's chunks are in the
// connections' stream, read from the chunks' packed indexes.
func spilledRecords(t *testing.T, l *RecordLog) []logRun {
	t.Helper()
	var out []logRun
	for i := range l.chunks {
		r := l.chunkRun(i, false)
		for {
			if err := r.advance(); err != nil {
				t.Fatal(err)
			}
			if r.done {
				break
			}
			out = append(out, r)
		}
	}
	return out
}

// spilledBlocks returns the blocks of the connections' stream, or with txs
// of the transactions', read from the chunks' packed indexes, in stream
// order, and checks that they follow each other.
func spilledBlocks(t *testing.T, l *RecordLog, txs bool) []blockCursor {
	t.Helper()
	var out []blockCursor
	end := int64(0)
	for i := range l.chunks {
		r := l.chunkRun(i, txs)
		for r.blocks.idx.off < r.blocks.idx.end || r.blocks.idx.pos < len(r.blocks.idx.buf) {
			if err := r.blocks.next(); err != nil {
				t.Fatal(err)
			}
			b := r.blocks
			if b.off != end || b.foff+int64(b.flen) > l.fend {
				t.Fatalf("chunk %d: block %d at stream offset %d, file offset %d+%d; the stream was at %d, the file has %d bytes", i, b.seq, b.off, b.foff, b.flen, end, l.fend)
			}
			end = b.off + int64(b.n)
			out = append(out, b)
		}
	}
	if want := map[bool]int64{false: l.conns.end, true: l.txs.end}[txs]; end != want {
		t.Fatalf("the blocks end at %d, the stream at %d", end, want)
	}
	return out
}

// TestSortMem: the radix sort of the records in memory orders them as a
// stable sort by id does, whatever the span of the ids: a spill's two
// interleaved streams, ties (a connection's transactions added ahead of
// it), ids far apart, and the ends of the id space.
func TestSortMem(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	gen := map[string]func(i int) uint32{
		"interleaved": func(i int) uint32 {
			if i%2 == 0 {
				return 5000 + uint32(i/2) // transactions at settling
			}
			return 1000 + uint32(i/2) + uint32(rng.IntN(50)) // connections later
		},
		"ties":      func(int) uint32 { return 7 + uint32(rng.IntN(3)) },
		"one id":    func(int) uint32 { return 42 },
		"wide":      func(int) uint32 { return rng.Uint32() },
		"top":       func(int) uint32 { return math.MaxUint32 - uint32(rng.IntN(300)) },
		"span 2^16": func(i int) uint32 { return uint32(i%2) << 16 },
	}
	for name, id := range gen {
		for _, n := range []int{0, 1, 2, 300, 2000} {
			l := &RecordLog{}
			for i := range n {
				l.memIdx = append(l.memIdx, memEntry{id: id(i), at: i})
			}
			want := slices.Clone(l.memIdx)
			slices.SortStableFunc(want, func(a, b memEntry) int { return cmpUint32(a.id, b.id) })
			for range 2 { // the scratch is reused
				l.sortMem()
				if !slices.Equal(l.memIdx, want) {
					t.Fatalf("%s, %d records: sorted differently from a stable sort by id", name, n)
				}
			}
		}
	}
}
