// Package pipeline wires the stages together: a capture.Source feeds the
// reassembly.Tracker, whose in-order bytes go to one httpdecode.Conn per TCP
// connection, and every result becomes an analysis event for the Engine;
// at the end it assembles the report.Report.
//
// It is the only package that knows every stage, and with the CLI and the
// terminal UI the only place where the wall clock may be read (live runs
// only). Offline runs are single-goroutine and deterministic: the same input
// gives the same report, byte for byte.
//
// Inputs: a capture.Source and a Config. Outputs: a *report.Report.
// Concurrency: Run and Replay use the calling goroutine; RunLive reads the
// capture on a goroutine of its own into a bounded queue of batches and runs
// every stage after it on the calling goroutine (live.go, snapshot.go).
// Buffer ownership: packet payloads are handed down by reference and never
// retained (live payloads are first copied into recycled batch arenas);
// snapshots share no mutable memory with the run; transactions
// and connection records are owned copies. Limits: those of the tracker
// (connections, out-of-order bytes), the HTTP parser (header sizes,
// pipelining depth) and the analysers (peers), all set through Config.
package pipeline
