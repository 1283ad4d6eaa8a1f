// Package peers builds the peer table of the report: one row per (client
// host, server endpoint) pair with its connection count, the most
// connections open at once, the connection rate, the client ports used, the
// requests carried and how the connections closed.
//
// Events: ConnOpened, ConnClosed, Exchange. Findings: none (detectors that
// judge concurrency or churn read the rows from the report). Output:
// report.Peers and Summary.MaxParallelConnections. Concurrency: one
// goroutine (Prepare, which builds the rows, may run beside other
// analysers'; see analysis.Preparer). Limits: at most Config.MaxPeers pairs
// are tracked; each pair keeps the start and duration of its connections
// (a packed analysis.History row each, full pages in Config.Pages when
// set, judged in one pass in order of
// start holding the ends of the connections open at once) and a set of
// client ports (at most 65,536).
package peers
