// Package pipeline wires the stages together: a capture.Source feeds the
// reassembly.Tracker, whose in-order bytes go to one httpdecode.Conn per TCP
// connection, and every result becomes an analysis event for the Engine;
// at the end it assembles the report.Report.
//
// It is the only package that knows every stage, and with the CLI and the
// terminal UI the only place where the wall clock may be read (live runs
// only). Offline runs are deterministic: the same input gives the same
// report, byte for byte.
//
// Inputs: a capture.Source and a Config. Outputs: a *report.Report.
// Concurrency: Run reads and decodes the input a few batches ahead on a
// goroutine of its own (capture.Prefetch), tracks connections, decodes
// their protocols and builds their records on the calling goroutine, and
// runs the analysers on a third (stage.go: events handed over in batches,
// in the order they were produced, so each analyser sees what it would on
// one goroutine); the record log encodes on a fourth. With Config.Workers
// 1 (or GOMAXPROCS 1) Run does all of it on the calling goroutine. Replay runs everything on the calling
// goroutine; RunLive reads the capture on a goroutine of its own into a
// bounded queue of batches and runs every stage after it on the calling
// goroutine (live.go, snapshot.go).
// Buffer ownership: packet payloads are handed down by reference and never
// retained (live payloads are first copied into recycled batch arenas);
// snapshots share no mutable memory with the run; transactions
// and connection records are owned copies. With a record log, a
// connection hands its transaction records on every 64
// (RecordLogConfig.TransactionsAhead) rather than holding them until it
// closes. The analysers have a connection closed by FIN both ways when
// the tracker settles it (run.ConnSettled, 100 ms after both FINs were
// acknowledged) and its record when it leaves the table a quiet linger
// later, so they hold no state through that linger. Limits: those of the tracker
// (connections, out-of-order bytes), the HTTP parser (header sizes,
// pipelining depth) and the analysers (peers), all set through Config.
package pipeline
