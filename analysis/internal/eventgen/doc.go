// Package eventgen builds synthetic analysis event sequences for the tests
// of the TCP detectors: a scripted connection (handshake, data, ACKs,
// retransmissions, window changes, close) is turned into ConnInfo, Segment
// and ConnClosed events with consistent sequence and acknowledgment numbers
// and dispatched to an analysis.Engine, and the closed connections are
// recorded in a report.Report so that Engine.Finish can link findings.
//
// Inputs: method calls with times as offsets from a fixed epoch. Outputs:
// events delivered synchronously to the engine. Concurrency: one goroutine.
// Buffer ownership: event values are reused between calls, as the pipeline
// does. Limits: test use only; no validation of impossible scripts.
package eventgen
