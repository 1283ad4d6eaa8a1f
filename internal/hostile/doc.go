// Package hostile generates synthetic hostile captures: traffic and files
// built to exhaust the analyser's buffers (connection table, out-of-order
// buffers, HTTP head limits, peer table) or its file reader (absurd pcapng
// block lengths).
//
// Its single job is to write such captures, deterministically, so that tests
// can check that every cap holds, with the expected named anomaly and a
// bounded memory footprint. Inputs: a Kind and a size (how many SYNs, how
// many header or body bytes, how many segments). Outputs: the bytes of a
// pcap or pcapng file written to an io.Writer (streamed: the generator keeps
// nothing but the current packet, so a million-SYN capture costs no memory
// to produce). The command internal/hostile/cmd/hostilegen writes them to
// files.
//
// Concurrency: each call is independent; nothing is shared. Buffer
// ownership: the generator owns its packet buffers; the writer receives
// them for the duration of Write only. Limits: none of its own; sizes are
// the caller's. Randomness comes from a fixed-seed PCG, so the same
// arguments give the same bytes.
package hostile
