// Package report holds the report model and renders it.
//
// Job: define the plain-data Report that the analysers fill (model.go) and
// write it as JSON (WriteJSON), NDJSON (WriteNDJSON, or NDJSONStream while
// a live capture runs), HAR 1.2 (WriteHAR), a text report for a person
// (WriteText, with a compact waterfall of the most troubled connections) and
// a self-contained HTML page with per-peer waterfalls and time-sequence
// graphs (WriteHTML); serve the committed JSON Schema of the JSON form
// (Schema). RecordLog holds the connection records of a large run encoded
// (in memory up to a budget, then in an unlinked temporary file) for
// WriteJSON to stream; Report.Deferred points at it.
//
// Inputs: a *Report. Times in it are strings made by FormatTime from packet
// timestamps; there is no wall-clock time anywhere in this package.
//
// Outputs: bytes on an io.Writer. Every writer first normalises a private
// copy of the report (Normalize), so the same report always gives the same
// bytes whatever order its producers appended in.
//
// Concurrency: the writers only read their input and may run on a report
// snapshot that other goroutines also read; the JSON writer encodes long
// lists on up to GOMAXPROCS goroutines and writes them in order. Normalize
// mutates its argument and must run before the report is shared.
// NDJSONStream serialises its own calls. A RecordLog is used from one
// goroutine; it encodes the records added on a goroutine of its own, which
// its other methods wait for.
//
// Buffers: writers keep no reference to the report or to their writer after
// returning (NDJSONStream keeps its writer until End). Schema returns a copy
// that the caller owns. RecordLog.Add and AddTransactions (a connection's
// transactions ahead of its record) take ownership of the transactions;
// the log's memory is its budget plus about 3 bytes of index per
// connection spilled (a packed list per spill) and the end-of-run
// patches; its spill file is compressed (S2), a tenth or less of the
// records' JSON.
//
// Limits: WriteHTML caps its graphs, waterfall rows and tables
// (HTMLOptions), escapes every string through html/template and fetches
// nothing. WriteText caps its tables (TextOptions) and passes every string
// from the capture through Escape, so hostile captures cannot emit terminal
// control sequences. The JSON writers escape through encoding/json; the
// connection and transaction records go through encoders generated from
// their types (encode_gen.go, by internal/encgen) that write the same
// bytes, checked against encoding/json on random records. The
// package imports only the standard library and, for the record log's
// spill file, github.com/klauspost/compress/s2: the schema generator
// (internal/schemagen) and the validator (reporttest) live apart so the
// program does not link them.
package report
