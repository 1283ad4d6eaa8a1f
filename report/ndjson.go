package report

import (
	"fmt"
	"io"
	"sync"
)

// NDJSON record types: the value of the "type" key on each line.
const (
	RecordConnection  = "connection"
	RecordTransaction = "transaction"
	RecordFinding     = "finding"
	RecordPeer        = "peer"
	RecordDNSLookup   = "dns_lookup"
	RecordSummary     = "summary"
)

// Each NDJSON record is the JSON object of the report with a leading "type"
// key; embedding promotes the object's fields next to it.
type (
	connectionRecord struct {
		Type string `json:"type"`
		*Connection
	}
	transactionRecord struct {
		Type string `json:"type"`
		*Transaction
	}
	findingRecord struct {
		Type string `json:"type"`
		*Finding
	}
	peerRecord struct {
		Type string `json:"type"`
		*Peer
	}
	// dnsRecord spells out the lookup's fields: its own "type" (the query
	// type) would collide with the record type, so it is named query_type.
	dnsRecord struct {
		Type      string   `json:"type"`
		Name      string   `json:"name"`
		QueryType string   `json:"query_type"`
		Client    string   `json:"client"`
		Server    string   `json:"server"`
		At        string   `json:"at"`
		RTTUS     int64    `json:"rtt_us"`
		Answers   []string `json:"answers"`
	}
	// summaryRecord carries the summary counters as its own fields, plus the
	// report header and the capture object.
	summaryRecord struct {
		Type          string  `json:"type"`
		SchemaVersion string  `json:"schema_version"`
		Tool          Tool    `json:"tool"`
		Capture       Capture `json:"capture"`
		Interrupted   bool    `json:"interrupted,omitempty"`
		*Summary
	}
)

// WriteNDJSON writes r as newline-delimited JSON: one object per line, each
// with a "type" key (see the Record* constants) and otherwise the same
// fields as in the JSON report (except that a DNS lookup's query type is
// named query_type, since "type" names the record). For each connection in id order it writes the
// connection, then its transactions, then the findings about it; then the
// findings about no connection, the peers, the DNS lookups and, last, one
// summary record that also carries schema_version, tool and capture. The
// output is deterministic and r is not modified.
func WriteNDJSON(w io.Writer, r *Report) error {
	return NewNDJSONStream(w).End(r)
}

// NDJSONStream writes NDJSON records while a capture runs: Connection when a
// connection closes or times out, End once at the end. Its methods are safe
// for concurrent use. The first write error is sticky: later calls return it
// without writing.
type NDJSONStream struct {
	mu  sync.Mutex
	enc *safeEncoder
	err error
	// written holds the ids of the connections streamed by Connection: it
	// takes memory for the ids past the oldest connection not streamed,
	// not for every connection of a long live capture.
	written idSet
	// withFindings marks streamed connections whose findings were given
	// with them; the others get their findings from the final report.
	withFindings idSet
	ended        bool
}

// NewNDJSONStream returns a stream that writes to w.
func NewNDJSONStream(w io.Writer) *NDJSONStream {
	return &NDJSONStream{enc: newSafeEncoder(w, "")}
}

// Connection writes the records of one finished connection: the connection,
// then tx (sorted by index), then findings, in the order given. A connection
// id already written is written again (a caller that reports a connection
// twice gets two records); End skips every id written here, except that it
// writes the final findings of a connection streamed without findings.
func (s *NDJSONStream) Connection(c *Connection, tx []Transaction, findings []Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if c == nil {
		return fmt.Errorf("ndjson stream: nil connection")
	}
	if s.ended {
		return fmt.Errorf("ndjson stream: connection %d written after end", c.ID)
	}
	// Normalise copies so nil lists and maps still encode as [] and {}.
	one := normalized(&Report{
		Connections:  []Connection{*c},
		Transactions: tx,
		Findings:     findings,
	})
	s.written.add(c.ID)
	if len(findings) > 0 {
		s.withFindings.add(c.ID)
	}
	s.writeConn(&one.Connections[0], one.Transactions, one.Findings)
	return s.err
}

// End writes the records of every connection of r that Connection did not
// already write (with its transactions and findings), then the findings
// about no connection, the peers, the DNS lookups and the summary record. r
// is not modified. Calls after End fail.
func (s *NDJSONStream) End(r *Report) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.ended {
		return fmt.Errorf("ndjson stream: end called twice")
	}
	s.ended = true
	if onlyInLog(r) {
		return s.endFromLog(normalized(r))
	}
	n, err := normalizedAll(r)
	if err != nil {
		s.err = err
		return err
	}

	txByConn := map[uint32][]Transaction{}
	for _, t := range n.Transactions {
		txByConn[t.Connection] = append(txByConn[t.Connection], t)
	}
	findByConn, global := splitFindings(n.Findings)
	seen := map[uint32]bool{}
	for i := range n.Connections {
		c := &n.Connections[i]
		seen[c.ID] = true
		if s.written.has(c.ID) {
			// Streamed when it closed, before the analysers judged the
			// capture: its findings follow now (unless they were given
			// then).
			if !s.withFindings.has(c.ID) {
				fs := findByConn[c.ID]
				for k := range fs {
					s.put(findingRecord{RecordFinding, &fs[k]})
				}
			}
			continue
		}
		s.writeConn(c, txByConn[c.ID], findByConn[c.ID])
	}
	// Transactions and findings that name a connection the report does not
	// hold are still written, in connection order, rather than dropped: a
	// connection streamed by Connection and let go of since (a live run
	// keeps only its latest records) had its transactions written with it,
	// but its findings only if they were given then.
	for i := range n.Transactions {
		t := &n.Transactions[i]
		if !seen[t.Connection] && !s.written.has(t.Connection) {
			s.put(transactionRecord{RecordTransaction, t})
		}
	}
	for i := range n.Findings {
		f := &n.Findings[i]
		if f.Connection != nil && !seen[*f.Connection] && !s.withFindings.has(*f.Connection) {
			s.put(findingRecord{RecordFinding, f})
		}
	}
	s.endRest(n, global)
	return s.err
}

// endRest writes End's records after those of the connections: the
// findings about no connection, the peers, the DNS lookups and the summary.
func (s *NDJSONStream) endRest(n *Report, global []Finding) {
	for i := range global {
		s.put(findingRecord{RecordFinding, &global[i]})
	}
	for i := range n.Peers {
		s.put(peerRecord{RecordPeer, &n.Peers[i]})
	}
	for i := range n.DNSLookups {
		d := &n.DNSLookups[i]
		s.put(dnsRecord{
			Type: RecordDNSLookup, Name: d.Name, QueryType: d.Type,
			Client: d.Client, Server: d.Server, At: d.At, RTTUS: d.RTTUS,
			Answers: d.Answers,
		})
	}
	s.put(summaryRecord{
		Type:          RecordSummary,
		SchemaVersion: n.SchemaVersion,
		Tool:          n.Tool,
		Capture:       n.Capture,
		Interrupted:   n.Interrupted,
		Summary:       &n.Summary,
	})
}

// splitFindings groups findings by the connection they name, in order,
// and returns those that name none apart.
func splitFindings(fs []Finding) (byConn map[uint32][]Finding, global []Finding) {
	byConn = map[uint32][]Finding{}
	for _, f := range fs {
		if f.Connection == nil {
			global = append(global, f)
			continue
		}
		byConn[*f.Connection] = append(byConn[*f.Connection], f)
	}
	return byConn, global
}

// endFromLog is End for a report whose records are all in its record log:
// the connections and transactions are written from the log one at a time
// (their stored JSON made compact, behind the record type), so memory does
// not grow with them.
func (s *NDJSONStream) endFromLog(n *Report) error {
	findByConn, global := splitFindings(n.Findings)
	seen := map[uint32]bool{} // connections with findings that the log holds
	var obj, line []byte
	putStored := func(typ string, o []byte) {
		if s.err != nil {
			return
		}
		// The stored object is encoding/json's output indented: without
		// the white space it is that output again.
		line = append(line[:0], `{"type":"`...)
		line = append(line, typ...)
		line = append(line, `",`...)
		line = appendCompact(line, o[1:])
		line = append(line, '\n')
		if _, err := s.enc.w.Write(line); err != nil {
			s.err = fmt.Errorf("write ndjson record: %w", err)
		}
	}
	l := n.Deferred
	// A connection's findings follow its last transaction: they are
	// written when the next connection starts, or at the end.
	var pending []Finding
	putPending := func() {
		for k := range pending {
			s.put(findingRecord{RecordFinding, &pending[k]})
		}
		pending = nil
	}
	skip := false // a connection written before, with its transactions
	err := l.each(readConns|readTxs, func(id uint32, conn []byte, parts []txPart, first bool) error {
		if first {
			putPending()
			fs, has := findByConn[id]
			if has {
				seen[id] = true
			}
			if skip = s.written.has(id); skip {
				if !s.withFindings.has(id) {
					for k := range fs {
						s.put(findingRecord{RecordFinding, &fs[k]})
					}
				}
				return s.err
			}
			out, err := l.connJSON(&obj, id, conn)
			if err != nil {
				return err
			}
			putStored(RecordConnection, out)
			pending = fs
		}
		if skip {
			return s.err
		}
		for i := range parts {
			out, err := l.txJSON(&obj, id, &parts[i])
			if err != nil {
				return err
			}
			putStored(RecordTransaction, out)
		}
		return s.err
	})
	if err == nil {
		putPending()
	} else if s.err == nil {
		s.err = err
	}
	for i := range n.Findings {
		f := &n.Findings[i]
		if f.Connection != nil && !seen[*f.Connection] && !s.withFindings.has(*f.Connection) {
			s.put(findingRecord{RecordFinding, f})
		}
	}
	s.endRest(n, global)
	return s.err
}

// writeConn writes one connection's records; tx must be sorted by index.
func (s *NDJSONStream) writeConn(c *Connection, tx []Transaction, findings []Finding) {
	s.put(connectionRecord{RecordConnection, c})
	for i := range tx {
		s.put(transactionRecord{RecordTransaction, &tx[i]})
	}
	for i := range findings {
		s.put(findingRecord{RecordFinding, &findings[i]})
	}
}

// put encodes one record as one line, remembering the first error.
func (s *NDJSONStream) put(v any) {
	if s.err != nil {
		return
	}
	if err := s.enc.Encode(v); err != nil {
		s.err = fmt.Errorf("write ndjson record: %w", err)
	}
}
