// Package analysis turns the typed events of one capture into findings.
//
// Its single job is dispatch: the Engine hands every event (connection
// opened and closed, TCP segment, HTTP exchange) to the analysers that
// handle that event type, in capture order, on the caller's goroutine,
// hands every finished connection record to the analysers that judge
// records (RecordHandler, and TransactionHandler for the transaction
// records, in batches that may come before the connection closes), and at
// the end asks each analyser to add its
// findings and sections to the report. It also keeps the state several
// analysers share per connection (SeqState: the connection's sequence
// spaces), feeding it each segment once between the analysers that judge
// a segment against the state before it (PreSegmentHandler) and the
// others. Each detector lives in its own sub-package (analysis/<name>) and is
// listed explicitly, in a fixed order, by Default in the sub-package
// analysis/registry; there is no init() registration and no global state.
//
// Inputs: events defined in event.go (built by the pipeline from reassembly
// and httpdecode results). Outputs: report.Finding values and additions to
// report.Report. This package and its detectors never import gopacket or the
// reassembly package: they see only these events.
//
// Concurrency: an Engine and its analysers are used from one goroutine at a
// time (offline, the pipeline gives them one of their own), except that
// Engine.Finish runs the Prepare of the analysers that have one (Preparer:
// the per-peer judging of reuse, timewait and peers) concurrently, each on
// a goroutine of its own touching only its analyser's state, before the
// Finish calls.
// Buffer ownership: event pointers are valid only during the call;
// analysers copy what they keep. Limits: analysers keep per-connection state
// keyed by flow.ConnID (ConnMap) and drop it on ConnClosed, so memory
// follows the number of open connections (the engine's SeqStates too).
// The pipeline sends ConnClosed for a connection closed by FIN both ways
// shortly after both FINs were acknowledged (reassembly.Settler), not at
// the end of its quiet linger: the few packets that come later (a FIN
// sent again after its RTO) count in its record but reach no analyser,
// and ReportConn comes with the record; per-peer tables are capped by
// Config.MaxPeers. The per-peer histories a few analysers keep to the end
// (a row of a few numbers per closed connection) are History lists: rows
// packed as varint differences (about a dozen bytes for six fields), in
// pages so that appending never copies; they are judged from the packed
// rows in order of time (History.Sorted), which holds a window of them at a
// time rather than an unpacked copy of all.
package analysis
