package pipeline

import (
	"slices"

	"connscope/report"
)

// recordChunk is the number of records per chunk of a recordStore.
const recordChunk = 1024

// recordStore collects the connection records and transactions of an
// offline run in fixed-size chunks. Appending to one growing slice of
// records (hundreds of bytes each) copies every earlier record several
// times over as the slice grows, and leaves the old arrays for the
// collector; chunks never move, so a record's address stays valid (the
// OnConnection callback gets a pointer into its chunk). moveTo hands the
// records to the report with one exact-size allocation per list.
type recordStore struct {
	conns [][]report.Connection
	txs   [][]report.Transaction
	nConn int
	nTx   int
}

// addConn stores rc and returns a pointer to the stored copy.
func (s *recordStore) addConn(rc *report.Connection) *report.Connection {
	if len(s.conns) == 0 || len(s.conns[len(s.conns)-1]) == recordChunk {
		s.conns = append(s.conns, make([]report.Connection, 0, recordChunk))
	}
	last := &s.conns[len(s.conns)-1]
	*last = append(*last, *rc)
	s.nConn++
	return &(*last)[len(*last)-1]
}

// addTxs stores a connection's transactions.
func (s *recordStore) addTxs(txs []report.Transaction) {
	for len(txs) > 0 {
		if len(s.txs) == 0 || len(s.txs[len(s.txs)-1]) == recordChunk {
			s.txs = append(s.txs, make([]report.Transaction, 0, recordChunk))
		}
		last := &s.txs[len(s.txs)-1]
		n := min(recordChunk-len(*last), len(txs))
		*last = append(*last, txs[:n]...)
		txs = txs[n:]
		s.nTx += n
	}
}

// moveTo appends the stored records to rep's lists (after any already
// there) and empties the store, releasing each chunk once copied.
func (s *recordStore) moveTo(rep *report.Report) {
	if s.nConn > 0 {
		conns := make([]report.Connection, len(rep.Connections), len(rep.Connections)+s.nConn)
		copy(conns, rep.Connections)
		for i := range s.conns {
			conns = append(conns, s.conns[i]...)
			s.conns[i] = nil
		}
		rep.Connections = conns
	}
	if s.nTx > 0 {
		txs := make([]report.Transaction, len(rep.Transactions), len(rep.Transactions)+s.nTx)
		copy(txs, rep.Transactions)
		for i := range s.txs {
			txs = append(txs, s.txs[i]...)
			s.txs[i] = nil
		}
		rep.Transactions = txs
	}
	*s = recordStore{}
}

// sortRecords orders rep's connections by id and its transactions by
// connection and index, keeping the order of equal keys. Records are
// hundreds of bytes and arrive in close order, which is nearly but not
// quite id order: sorting the slices themselves would swap whole records
// O(n log n) times (O(n log² n) for the stable sort). Instead the keys are
// sorted and each record is then moved once (permute); an already sorted
// list is left as it is.
func sortRecords(rep *report.Report) {
	cs := rep.Connections
	ck := make([]sortKey, len(cs))
	for i := range cs {
		ck[i] = sortKey{a: cs[i].ID, pos: int32(i)}
	}
	sortKeysAndPermute(cs, ck)
	ts := rep.Transactions
	tk := make([]sortKey, len(ts))
	for i := range ts {
		tk[i] = sortKey{a: ts[i].Connection, b: int64(ts[i].Index), pos: int32(i)}
	}
	sortKeysAndPermute(ts, tk)
}

// sortKey is the sort key of the record at pos; pos breaks ties, which
// makes the order stable.
type sortKey struct {
	a   uint32
	b   int64
	pos int32
}

func (k sortKey) less(o sortKey) bool {
	if k.a != o.a {
		return k.a < o.a
	}
	if k.b != o.b {
		return k.b < o.b
	}
	return k.pos < o.pos
}

// sortKeysAndPermute sorts keys (keys[i] describes s[i]) and rearranges s
// into the same order, moving every element at most once.
func sortKeysAndPermute[T any](s []T, keys []sortKey) {
	if slices.IsSortedFunc(keys, compareKeys) {
		return
	}
	slices.SortFunc(keys, compareKeys)
	// keys[i].pos is the element that belongs at i: follow each cycle of
	// the permutation once, marking placed slots with pos = -1.
	for i := range keys {
		if keys[i].pos < 0 || int(keys[i].pos) == i {
			continue
		}
		tmp := s[i]
		j := i
		for {
			from := int(keys[j].pos)
			keys[j].pos = -1
			if from == i {
				s[j] = tmp
				break
			}
			s[j] = s[from]
			j = from
		}
	}
}

func compareKeys(x, y sortKey) int {
	switch {
	case x.less(y):
		return -1
	case y.less(x):
		return 1
	}
	return 0
}
