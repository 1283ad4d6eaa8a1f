package capture

// Source yields decoded packets from one or more capture files or a live
// interface.
type Source interface {
	// Next returns the next IPv4/IPv6 TCP or UDP packet in time order, or
	// io.EOF when the input is exhausted. Records that are not IP, not TCP or
	// UDP, or malformed are counted in Stats and skipped. The returned packet
	// and its Payload are owned by the Source and valid only until the next
	// call to Next.
	Next() (*Packet, error)
	// Stats returns the counters so far.
	Stats() Stats
	// Close releases the inputs.
	Close() error
}

// Stats are the counters of a Source.
type Stats struct {
	// Sources are the input names (file base names, "-" for stdin, or
	// interface names), in the order given.
	Sources []string
	// Formats are the distinct input formats seen: "pcap", "pcapng", "live".
	Formats []string
	// LinkTypes are the distinct link-type names seen (e.g. "ethernet",
	// "linux_sll2"), sorted.
	LinkTypes []string
	// Packets and Bytes count every record read (Bytes sums wire lengths).
	Packets, Bytes uint64
	// Decoded counts records returned by Next.
	Decoded uint64
	// Filtered counts records rejected by Options.Filter (they are
	// counted in Packets and Bytes, not decoded).
	Filtered uint64
	// First and Last are the smallest and largest record timestamps (ns
	// since the epoch; 0 when no record was read).
	First, Last int64
	// Dropped is the number of packets the kernel or ring dropped (live).
	Dropped uint64
	// NonIP counts records whose link layer carries something other than
	// IPv4 or IPv6 (ARP, LLC, ...). They are skipped, not anomalies.
	NonIP uint64
	// OtherIP counts IP packets that carry neither TCP nor UDP (ICMP,
	// tunnels, ESP, ...). They are skipped, not anomalies.
	OtherIP uint64
	// Interfaces counts interface descriptions read: one per pcap file, one
	// per pcapng Interface Description Block (over all sections).
	Interfaces uint64
	// Anomalies counts malformed or odd input by token (see the Anomaly*
	// constants). Tokens with a zero count are absent.
	Anomalies map[string]uint64
}
