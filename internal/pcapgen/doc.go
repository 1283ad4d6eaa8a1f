// Package pcapgen builds small, deterministic packet captures for tests.
//
// Its single job is to turn a description of TCP/UDP traffic into the bytes
// of a pcap or pcapng file, so that tests of the capture reader, TCP
// reassembly, HTTP decoding and the pipeline can state their scenario in a
// few lines instead of committing binary files.
//
// # Inputs and outputs
//
//   - [Segment] (or [TCP] / [UDP]) describes one IPv4 or IPv6 packet; its
//     IPPacket method serialises it with correct lengths and checksums, and
//     [Encap] wraps an IP packet in a link-layer header ([Link]).
//   - [Writer] writes pcap (µs or ns timestamps, either byte order) or
//     pcapng with one interface of the chosen link type, to an io.Writer or
//     to memory ([New], Bytes, WriteFile).
//   - [NgWriter] writes pcapng with several sections and several interfaces
//     of different link types and timestamp resolutions.
//   - [Conn] plays a TCP conversation (handshake, data split by MSS, FIN,
//     RST) into a Writer, advancing sequence numbers and packet time, and
//     exposes the raw numbers so tests can craft retransmissions, reordering,
//     gaps, sequence wrap-around and missing handshakes.
//
// Serialisation is hand-written (not gopacket's), so reading a generated
// file with the capture package checks one implementation against another.
//
// # Concurrency
//
// Writers and Conns are not safe for concurrent use.
//
// # Buffer ownership
//
// Frames and packets returned are freshly allocated and owned by the caller.
// Writers copy nothing they are given beyond the call.
//
// # Limits
//
// Output is deterministic: nothing depends on the wall clock or on
// randomness. Only test code should import this package. Write errors are
// sticky: the first one is returned by every later call and by Err.
package pcapgen
