package pipeline

import "connscope/report"

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
