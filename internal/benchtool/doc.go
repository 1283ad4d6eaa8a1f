// Package benchtool measures the floor a capture analyser cannot beat: the
// cost of reading a capture file and decoding every packet down to TCP or
// UDP with one reused gopacket DecodingLayerParser, keeping one counter per
// flow in a map. It does no reassembly, no protocol parsing and no report.
//
// Inputs: an uncompressed pcap or pcapng stream. Outputs: a Floor value with
// packet, byte, decoded-packet and flow counts. scripts/bench.sh runs it
// (through cmd/benchtool) next to connscope, tshark and tcptrace.
//
// Concurrency: one goroutine per call. Buffer ownership: packet data is read
// with the zero-copy reader and aliases its buffer until the next read;
// nothing is kept. Limits: the flow map grows with the number of distinct
// flows in the file (it is a measuring tool, not a product stage).
package benchtool
