package capture

// Anomaly tokens counted in Stats.Anomalies. They are stable snake_case
// names, prefixed by the layer that detects them, and part of the report
// contract: never rename one.
const (
	// AnomalyCaptureTruncatedFile: the file ended in the middle of a record
	// (or of a pcapng block). The packets before it are kept and the file is
	// treated as ended there.
	AnomalyCaptureTruncatedFile = "capture_truncated_file"
	// AnomalyCaptureSnaplenCut: a record's captured length is smaller than its
	// wire length. The packet is still decoded; its Payload is shorter than
	// PayloadLen.
	AnomalyCaptureSnaplenCut = "capture_snaplen_cut"
	// AnomalyCaptureHeadersCut: the snap length cut a record inside its link,
	// IP or transport header, so it cannot be decoded. The record is skipped.
	AnomalyCaptureHeadersCut = "capture_headers_cut"
	// AnomalyCaptureNoTimestamp: a pcapng Simple Packet Block, which carries
	// no timestamp. The packet takes the timestamp of the previous record of
	// the same file (0 when it is the first).
	AnomalyCaptureNoTimestamp = "capture_no_timestamp"

	// AnomalyLinkTypeUnsupported: the record's link type is not one the
	// decoder handles. The record is skipped; Stats.LinkTypes names the type
	// as "linktype_<number>".
	AnomalyLinkTypeUnsupported = "link_type_unsupported"
	// AnomalyLinkMalformed: the link-layer header (Ethernet, 802.1Q tag, SLL,
	// SLL2, BSD loopback) is too short or invalid. The record is skipped.
	AnomalyLinkMalformed = "link_malformed"
	// AnomalyLinkSLLAddrLength: a Linux cooked (SLL/SLL2) header declares a
	// link-layer address longer than its fixed 8-byte field. As libpcap and
	// Wireshark do, the length is ignored and the packet decoded.
	AnomalyLinkSLLAddrLength = "link_sll_addr_length_invalid"

	// AnomalyIPMalformed: the IPv4 or IPv6 header is invalid (too short,
	// wrong version, bad extension header). The record is skipped.
	AnomalyIPMalformed = "ip_malformed"
	// AnomalyIPBadHeaderLength: the IPv4 header length (IHL) is below 5 or
	// larger than the total length (RFC 791 §3.1). The record is skipped.
	AnomalyIPBadHeaderLength = "ip_bad_header_length"
	// AnomalyIPFragment: an IPv4 fragment (MF set or offset non-zero) or an
	// IPv6 packet with a non-atomic Fragment header (RFC 8200 §4.5).
	// Fragments are not reassembled; the record is skipped.
	AnomalyIPFragment = "ip_fragment"
	// AnomalyIPTSOLengthZero: an IPv4 total length of 0, as written by hosts
	// that capture before TCP segmentation offload, or an IPv6 payload
	// length of 0 without a jumbo option (Linux BIG TCP strips the option
	// before the capture point). The length is taken from the frame's wire
	// length instead.
	AnomalyIPTSOLengthZero = "ip_tso_length_zero"
	// AnomalyIPLengthExceedsFrame: the IP length claims more bytes than the
	// frame had on the wire. The payload length is bounded by the frame.
	AnomalyIPLengthExceedsFrame = "ip_length_exceeds_frame"

	// AnomalyTCPMalformed: the TCP header is invalid (data offset below 5 or
	// beyond the IP payload, RFC 9293 §3.1). The record is skipped.
	AnomalyTCPMalformed = "tcp_malformed"
	// AnomalyTCPOptionMalformed: a TCP option has an impossible length
	// (RFC 9293 §3.2). Options before it are kept; the packet is decoded.
	AnomalyTCPOptionMalformed = "tcp_option_malformed"
	// AnomalyUDPMalformed: the UDP header is shorter than 8 bytes or its
	// length field is below 8 (RFC 768). The record is skipped.
	AnomalyUDPMalformed = "udp_malformed"

	// AnomalyDecodePanic: decoding one record panicked. The panic is
	// recovered, the record skipped. It indicates a decoder bug and should
	// never be seen.
	AnomalyDecodePanic = "decode_panic"
)
