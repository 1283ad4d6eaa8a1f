// Package capture turns capture files into decoded packets.
//
// Its single job is to read pcap and pcapng files (plain or gzip-compressed,
// from disk or standard input) and yield, in timestamp order, the IPv4 and
// IPv6 packets that carry TCP or UDP, as [Packet] values with the fields the
// TCP and HTTP analysis needs.
//
// # Inputs
//
// [OpenFiles] takes file paths ("-" is standard input) and detects each
// file's format from its first bytes, never from its name: gzip (1f 8b,
// decompressed and detected again), pcap (all four magics: µs or ns
// timestamps, either byte order; version 2.4 only) and pcapng (version 1.0;
// several sections, several interfaces with different link types and
// if_tsresol; each packet takes the link type of its interface). pcap
// records are read straight out of the input's read-ahead buffer
// (pcapread.go: the same records and errors as gopacket's pcapgo.Reader,
// compared by the tests, without its second buffer and copy); pcapng
// files through pcapgo's NgReader with zero-copy reads. Files that are not
// captures, or whose headers are corrupt or of an unsupported version, are
// refused with a one-line error naming the file. Several files are merged in
// timestamp order by a k-way merge; ties go to the file given first.
//
// Link types decoded: Ethernet (1) with stacked 802.1Q/QinQ tags
// (0x8100, 0x88a8, 0x9100), Linux SLL (113) and SLL2 (276), raw IP (101, and
// 12/14 as some systems number it; the version nibble picks IPv4 or IPv6),
// bare IPv4 (228) and IPv6 (229), BSD NULL (0) and LOOP (108) in either byte
// order. IPv6 extension headers (Hop-by-Hop, Routing, Destination Options,
// atomic Fragment) are skipped.
//
// [OpenLive] captures on a Linux network interface ("any" for all) through
// a memory-mapped TPACKET_V3 ring, or a plain AF_PACKET socket when the ring
// cannot be set up, with no cgo. A kernel filter drops the second (outgoing)
// copy AF_PACKET delivers of every loopback packet, applies the caller's
// classic BPF program and cuts frames to the snap length. Ethernet and
// loopback interfaces are read with their link header; "any" and other
// interfaces from the network header on, as raw IP ([LiveLinkType]). Live
// packets are decoded exactly as file records; [ErrTimeout] marks a read
// that found no packet in time, and the kernel's drops are Stats.Dropped.
// Built with -tags libpcap (cgo), OpenLive goes through libpcap instead
// (live_pcap.go), with the link type libpcap reports. Only the files named
// live* read the wall clock.
//
// # Outputs
//
// [Source.Next] returns one [Packet] per TCP or UDP packet. PayloadLen comes
// from the IP length fields, not from the captured length, so a frame cut by
// the snap length still tells how much sequence space it covers. Records
// that are not IP, or IP without TCP/UDP, are counted in [Stats] (NonIP,
// OtherIP) and skipped. Malformed or odd input never becomes a panic or a Go
// error: it is counted under an anomaly token (the Anomaly* constants) and
// the record skipped or, where noted, still decoded. Go errors are kept for
// operational problems: a file that cannot be opened or is not a capture,
// and read errors in the middle of a file (other than the file ending inside
// a record, which counts [AnomalyCaptureTruncatedFile] and ends that file).
//
// # Concurrency
//
// A Source is not safe for concurrent use; one goroutine calls Next, Stats
// and Close. [Prefetch] reads a Source on a goroutine of its own, in
// batches, a few ahead of its caller (the offline pipeline uses it so that
// reading and decoding run on another core than the analysis); it hands
// over exactly the Source's packets, end and counters, and after Stop the
// rest of the batch being read, so the counters are those of the packets
// handed over.
//
// # Buffer ownership
//
// The *Packet returned by Next and its Payload are owned by the Source and
// valid only until the next call to Next; copy what must be kept. When
// several files are merged, each file's current record is copied into a
// per-file buffer that is reused. Reading and decoding allocate nothing per
// packet in the steady state (pcapng packets on interfaces whose link type
// number is 256 or more, such as SLL2, cost one small allocation inside
// pcapgo; IPv6 Hop-by-Hop options and malformed headers allocate in
// gopacket).
//
// # Limits
//
// IP fragments are not reassembled (counted as [AnomalyIPFragment] and
// skipped). Records longer than 256 KiB or than the file's snap length, when
// that is larger, are refused as corrupt (as pcapgo does). Tunnels (GRE, IP-in-IP,
// VXLAN) are not decapsulated: the outer packet counts as OtherIP. A pcapng
// Simple Packet Block has no timestamp and takes the previous record's.
// For pcapng interfaces with a binary if_tsresol (2^-n s), pcapgo scales
// the fraction with an integer factor, so sub-second times can be off by up
// to 0.07%.
// Standard input can be given only once.
package capture
