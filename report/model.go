package report

// SchemaVersion is the report's schema_version. It changes only on a
// breaking change of the JSON contract.
const SchemaVersion = "1"

// Report is the one model every writer renders: the JSON, NDJSON, HAR and
// text writers and the terminal UI all read it. It holds no wall-clock time,
// no absolute path and no map whose iteration order could leak into output
// (maps are serialised with sorted keys by encoding/json).
type Report struct {
	// SchemaVersion is "1" until a breaking change of the contract.
	SchemaVersion string `json:"schema_version"`
	// Tool names the program that wrote the report.
	Tool Tool `json:"tool"`
	// Capture describes what was read.
	Capture Capture `json:"capture"`
	// Summary holds counts over the whole capture.
	Summary Summary `json:"summary"`
	// Connections holds one object per TCP connection incarnation (or QUIC
	// connection), sorted by id.
	Connections []Connection `json:"connections"`
	// Transactions holds one object per HTTP/1.x request/response exchange,
	// sorted by connection and index.
	Transactions []Transaction `json:"transactions"`
	// Findings holds one object per detected behaviour; connections and
	// transactions refer to them by index.
	Findings []Finding `json:"findings"`
	// Peers holds one object per (client host, server endpoint) pair,
	// sorted by client then server.
	Peers []Peer `json:"peers"`
	// DNSLookups holds one object per DNS query/response pair, in time
	// order.
	DNSLookups []DNSLookup `json:"dns_lookups"`
	// Interrupted is true when the run stopped before the end of its input
	// (a live capture cancelled, a read error): counts are then partial.
	Interrupted bool `json:"interrupted,omitempty"`
	// Deferred, when set, holds connections and transactions in encoded
	// form beside (usually instead of) the two lists above, which is how
	// an offline run of millions of connections keeps its memory bounded:
	// see RecordLog. It is not part of the JSON contract; the writers
	// render its records as if they were in the lists.
	Deferred *RecordLog `json:"-"`
}

// Tool names the program that wrote the report.
type Tool struct {
	// Name is "connscope".
	Name string `json:"name"`
	// Version is the program's version.
	Version string `json:"version"`
}

// Capture describes what was read.
type Capture struct {
	// Sources are the file base names or interface names read.
	Sources []string `json:"sources"`
	// Formats are the input formats: pcap, pcapng, live.
	Formats []string `json:"formats"`
	// LinkTypes are the link-layer types of the inputs.
	LinkTypes []string `json:"link_types"`
	// Packets is the number of packets read.
	Packets uint64 `json:"packets"`
	// Bytes is the number of captured bytes read.
	Bytes uint64 `json:"bytes"`
	// Decoded is the number of packets decoded down to TCP or UDP.
	Decoded uint64 `json:"decoded_packets"`
	// Start is the time of the first packet (RFC 3339, UTC, nanoseconds).
	Start string `json:"start,omitempty"`
	// End is the time of the last packet (RFC 3339, UTC, nanoseconds).
	End string `json:"end,omitempty"`
	// DurationUS is End minus Start in microseconds.
	DurationUS int64 `json:"duration_us"`
	// Vantage is where the capture was taken, inferred from handshakes:
	// client, server, middle, mixed or unknown.
	Vantage string `json:"vantage"`
	// Dropped counts kernel or ring drops (live capture only).
	Dropped uint64 `json:"dropped"`
	// Anomalies maps an anomaly token (malformed or odd input) to its count.
	Anomalies map[string]uint64 `json:"anomalies"`
}

// Summary holds counts over the whole capture.
type Summary struct {
	// TCPConnections counts connection incarnations seen, with or without
	// a handshake.
	TCPConnections int `json:"tcp_connections"`
	// HTTPRequests counts HTTP/1.x requests parsed.
	HTTPRequests int `json:"http_requests"`
	// HTTPResponses counts HTTP/1.x final responses parsed (interim 1xx not
	// counted; a 101 that switches protocol is).
	HTTPResponses int `json:"http_responses"`
	// ReusedConnections counts connections that carried two or more HTTP
	// requests.
	ReusedConnections int `json:"reused_connections"`
	// MaxParallelConnections is the highest number of simultaneously open
	// connections between one client host and one server endpoint.
	MaxParallelConnections int `json:"max_parallel_connections"`
	// PipelinedRequests counts requests sent before the response to the
	// previous request on the same connection had fully arrived.
	PipelinedRequests    int `json:"pipelined_requests"`
	TLSConnections       int `json:"tls_connections"`
	WebSocketConnections int `json:"websocket_connections"`
	H2Connections        int `json:"h2_connections"`
	H2Streams            int `json:"h2_streams"`
	QUICConnections      int `json:"quic_connections"`
	DNSLookups           int `json:"dns_lookups"`
	// Findings maps a finding kind to its occurrences (the sum of count
	// over the findings of that kind).
	Findings map[string]int `json:"findings"`
}

// Connection is one TCP connection incarnation.
type Connection struct {
	// ID is the connection's small integer id, in capture order.
	ID uint32 `json:"id"`
	// Transport is tcp, or udp for QUIC.
	Transport string `json:"transport"`
	// Client is the client endpoint, "ip:port" or "[v6]:port".
	Client string `json:"client"`
	// Server is the server endpoint, "ip:port" or "[v6]:port".
	Server string `json:"server"`
	// RoleSource tells how the client and server roles were decided: syn,
	// syn_ack, protocol or port.
	RoleSource string `json:"role_source"`
	// Start is the time of the connection's first packet.
	Start string `json:"start"`
	// End is the time of the connection's last packet.
	End string `json:"end"`
	// DurationUS is End minus Start in microseconds.
	DurationUS int64 `json:"duration_us"`
	// Protocol is what the connection carried: http/1.0, http/1.1, h2c,
	// websocket, tls, quic, unknown, ...
	Protocol string `json:"protocol"`
	// Vantage is where this connection was seen from: client, server,
	// middle or unknown.
	Vantage   string    `json:"vantage"`
	Handshake Handshake `json:"handshake"`
	Close     Close     `json:"close"`
	// Packets counts packets per direction.
	Packets DirCounts `json:"packets"`
	// Bytes counts bytes per direction.
	Bytes DirCounts `json:"bytes"`
	// Payload counts transport payload bytes per direction.
	Payload   DirCounts      `json:"payload_bytes"`
	HTTP      *ConnHTTP      `json:"http,omitempty"`
	TCP       ConnTCP        `json:"tcp"`
	TLS       *ConnTLS       `json:"tls,omitempty"`
	WebSocket *ConnWebSocket `json:"websocket,omitempty"`
	H2        *ConnH2        `json:"h2,omitempty"`
	QUIC      *ConnQUIC      `json:"quic,omitempty"`
	DNS       *ConnDNS       `json:"dns,omitempty"`
	// Series is the connection's segment time series (time-sequence
	// graph data), recorded only when asked for and only for the most
	// troubled connections.
	Series *TimeSeq `json:"series,omitempty"`
	// Anomalies maps an anomaly token seen on this connection to its count.
	Anomalies map[string]int `json:"anomalies,omitempty"`
	// Findings are indexes into the report's findings.
	Findings []int `json:"findings"`
}

// DirCounts is a pair of per-direction counters.
type DirCounts struct {
	ClientToServer uint64 `json:"client_to_server"`
	ServerToClient uint64 `json:"server_to_client"`
}

// Handshake describes connection setup.
type Handshake struct {
	// Complete is true when SYN, SYN/ACK and ACK were all seen.
	Complete bool `json:"complete"`
	// SYNSeen is true when the client's SYN was seen.
	SYNSeen bool `json:"syn_seen"`
	// SYNRetries counts retransmitted SYNs.
	SYNRetries int `json:"syn_retries"`
	// SYNACKRetries counts retransmitted SYN/ACKs.
	SYNACKRetries int `json:"synack_retries"`
	// RTTUS is SYN→ACK (the sum of the halves); ServerHalfUS is SYN→SYN/ACK
	// and ClientHalfUS SYN/ACK→ACK, as seen at the capture point.
	RTTUS        int64       `json:"rtt_us,omitempty"`
	ServerHalfUS int64       `json:"server_half_us,omitempty"`
	ClientHalfUS int64       `json:"client_half_us,omitempty"`
	Client       *TCPOptions `json:"client_options,omitempty"`
	Server       *TCPOptions `json:"server_options,omitempty"`
	// MSS, WindowScale, SACK and Timestamps summarise the negotiated options
	// (WindowScale is -1 when not negotiated; SACK and Timestamps are true
	// only when both sides offered them).
	MSS         int  `json:"mss,omitempty"`
	WindowScale int  `json:"window_scale"`
	SACK        bool `json:"sack"`
	Timestamps  bool `json:"timestamps"`
}

// TCPOptions are the options one side announced in its SYN or SYN/ACK.
type TCPOptions struct {
	MSS int `json:"mss,omitempty"`
	// WindowScale is the shift announced, -1 when the option was absent.
	WindowScale   int  `json:"window_scale"`
	SACKPermitted bool `json:"sack_permitted"`
	Timestamps    bool `json:"timestamps"`
}

// Close describes how a connection ended.
type Close struct {
	// Kind is fin, rst, open or idle_timeout.
	Kind string `json:"kind"`
	// Initiator is the side that closed first: client, server or none.
	Initiator string `json:"initiator"`
	// TimeWaitHolder is the side that sent the first FIN (and so holds
	// TIME_WAIT): client, server or none.
	TimeWaitHolder string `json:"time_wait_holder"`
	// At is the time of the first FIN or RST.
	At string `json:"at,omitempty"`
	// Refused is true when the server answered the SYN with a RST.
	Refused bool `json:"refused,omitempty"`
	// HalfClosed is true when one side closed and the other kept sending.
	HalfClosed bool `json:"half_closed,omitempty"`
	// Simultaneous is true when both sides sent FIN before seeing the
	// other's.
	Simultaneous bool `json:"simultaneous,omitempty"`
	// RSTUnreadData is true when a RST followed data the closing side had
	// not read.
	RSTUnreadData bool `json:"rst_unread_data,omitempty"`
}

// ConnHTTP is the HTTP/1.x activity on a connection.
type ConnHTTP struct {
	Requests  int `json:"requests"`
	Responses int `json:"responses"`
	// Pipelined counts requests sent before the previous response ended.
	Pipelined int `json:"pipelined"`
	// KeepAlive is true when the connection stayed open for another
	// request after the first exchange.
	KeepAlive bool `json:"keep_alive"`
}

// ConnTCP holds TCP health counters of a connection.
type ConnTCP struct {
	Retransmissions  DirCounts `json:"retransmissions"`
	RetransBytes     DirCounts `json:"retransmitted_bytes"`
	OutOfOrder       DirCounts `json:"out_of_order"`
	Gaps             DirCounts `json:"gaps"`
	GapBytes         DirCounts `json:"gap_bytes"`
	DupAcks          DirCounts `json:"dup_acks"`
	KeepAlives       DirCounts `json:"keep_alives"`
	ZeroWindowEvents DirCounts `json:"zero_window_events"`
	// RTTUS summarises data→ACK round-trip samples, when there were any.
	RTTUS *RTT `json:"rtt_us,omitempty"`
}

// RTT summarises round-trip-time samples in microseconds.
type RTT struct {
	Min     int64 `json:"min"`
	P50     int64 `json:"p50"`
	Max     int64 `json:"max"`
	Samples int   `json:"samples"`
}

// ConnTLS is what the TLS handshake revealed.
type ConnTLS struct {
	// SNI is the server name the client asked for.
	SNI string `json:"sni,omitempty"`
	// ALPN lists the protocols the client offered, in its order.
	ALPN []string `json:"alpn,omitempty"`
	// ALPNSelected is the protocol the server chose, where visible.
	ALPNSelected string `json:"alpn_selected,omitempty"`
	// Version is the version the server selected when its ServerHello was
	// seen, else the highest the client offered ("TLS 1.3", "TLS 1.2", …).
	Version string `json:"version,omitempty"`
	// VersionOffered is the highest version the client offered
	// (supported_versions, else the ClientHello's version field).
	VersionOffered string `json:"version_offered,omitempty"`
	// ECH is true when the ClientHello carried Encrypted Client Hello
	// (extension 0xfe0d): SNI is then the outer, public name.
	ECH bool `json:"ech,omitempty"`
	// ServerHelloSeen is true when the server's ServerHello was parsed.
	ServerHelloSeen bool `json:"server_hello_seen"`
	// HandshakeUS is ClientHello → ServerHello (or → the first
	// application-data record when no ServerHello was read), as seen at the
	// capture point; 0 when unknown.
	HandshakeUS int64 `json:"handshake_us,omitempty"`
}

// ConnWebSocket summarises a WebSocket session.
type ConnWebSocket struct {
	// MessagesClientToServer counts data messages (fragments joined).
	MessagesClientToServer int `json:"messages_client_to_server"`
	// MessagesServerToClient counts data messages (fragments joined).
	MessagesServerToClient int    `json:"messages_server_to_client"`
	Pings                  int    `json:"pings"`
	Pongs                  int    `json:"pongs"`
	CloseCode              int    `json:"close_code,omitempty"`
	CloseInitiator         string `json:"close_initiator,omitempty"`
	// HandshakeValid is true when Sec-WebSocket-Accept matched the
	// client's Sec-WebSocket-Key (RFC 6455 §4.2.2).
	HandshakeValid bool `json:"handshake_valid"`
	// MaskingViolations counts unmasked client frames and masked server
	// frames (RFC 6455 §5.3).
	MaskingViolations int `json:"masking_violations"`
	// BytesClientToServer and BytesServerToClient count data-frame payload
	// bytes.
	BytesClientToServer int64 `json:"bytes_client_to_server"`
	BytesServerToClient int64 `json:"bytes_server_to_client"`
	// PongRTTUS is the median ping→pong round trip, where pongs answered
	// pings.
	PongRTTUS int64 `json:"pong_rtt_us,omitempty"`
	// Gaps counts capture gaps after which a direction was no longer
	// parsed.
	Gaps int `json:"gaps,omitempty"`
}

// ConnH2 summarises an HTTP/2 connection.
type ConnH2 struct {
	// Mode is prior_knowledge, upgrade or alpn.
	Mode                 string `json:"mode"`
	Streams              int    `json:"streams"`
	MaxConcurrentStreams int    `json:"max_concurrent_streams"`
	// SettingsMaxConcurrentStreams is the SETTINGS_MAX_CONCURRENT_STREAMS
	// the server announced, -1 when it announced none.
	SettingsMaxConcurrentStreams int64 `json:"settings_max_concurrent_streams"`
	// RSTStreams counts RST_STREAM frames; GoAwayCode is the error code of
	// the first GOAWAY (absent without one).
	RSTStreams int     `json:"rst_streams"`
	GoAwayCode *uint32 `json:"goaway_code,omitempty"`
	// HPACKPoisoned is true when a gap hit a header block, so later header
	// fields of that direction are unknown rather than guessed.
	HPACKPoisoned bool `json:"hpack_poisoned,omitempty"`
	// Gaps counts capture gaps in the HTTP/2 bytes.
	Gaps int `json:"gaps,omitempty"`
	// Exchanges lists up to 1000 streams in the order they opened;
	// ExchangesDropped counts the rest.
	Exchanges        []H2Exchange `json:"exchanges,omitempty"`
	ExchangesDropped int          `json:"exchanges_dropped,omitempty"`
	// HOLEvents are TCP head-of-line events: bytes that arrived beyond a
	// hole in the sequence space and waited for it (up to 100).
	HOLEvents []H2HOLEvent `json:"hol_events,omitempty"`
}

// H2Exchange is one HTTP/2 stream's request and response.
type H2Exchange struct {
	Stream    uint32 `json:"stream"`
	Method    string `json:"method,omitempty"`
	Authority string `json:"authority,omitempty"`
	Path      string `json:"path,omitempty"`
	// Status is the final :status, 0 when none was seen.
	Status int `json:"status,omitempty"`
	// Pushed is true for a server push (PUSH_PROMISE).
	Pushed bool `json:"pushed,omitempty"`
	// Start and End are the first and last frame of the stream.
	Start string `json:"start"`
	End   string `json:"end"`
	// RequestBytes and ResponseBytes count DATA payload (padding excluded).
	RequestBytes  int64 `json:"request_bytes"`
	ResponseBytes int64 `json:"response_bytes"`
	// ResetCode is the RST_STREAM error code and ResetBy its sender, when
	// the stream was reset.
	ResetCode *uint32 `json:"reset_code,omitempty"`
	ResetBy   string  `json:"reset_by,omitempty"`
	// HeadersUnknown is true when a header block of the stream could not be
	// decoded (HPACK poisoned by a gap).
	HeadersUnknown bool `json:"headers_unknown,omitempty"`
}

// H2HOLEvent is one TCP head-of-line event on an HTTP/2 connection.
type H2HOLEvent struct {
	// Direction is client_to_server or server_to_client.
	Direction string `json:"direction"`
	// At is when the hole was filled; HoldUS how long the first byte beyond
	// it waited.
	At     string `json:"at"`
	HoldUS int64  `json:"hold_us"`
	// HeldBytes is the number of bytes released by the fill.
	HeldBytes int `json:"held_bytes"`
	// Streams are the streams whose frames were in the held bytes.
	Streams []uint32 `json:"streams"`
	// Cause is retransmission (the fill was captured) or capture_gap.
	Cause string `json:"cause"`
}

// ConnQUIC summarises a QUIC connection.
type ConnQUIC struct {
	// Version is "1", "2" (RFC 9369), "draft-NN", "grease" or
	// "unknown-xxxxxxxx": the version of the client's latest Initial.
	Version string `json:"version"`
	// SNI and ALPN come from the ClientHello in the client's Initial
	// packets (decrypted with the keys every observer can derive).
	SNI  string   `json:"sni,omitempty"`
	ALPN []string `json:"alpn,omitempty"`
	// DCID is the client's first Destination Connection ID, SCID its
	// Source Connection ID, ServerSCID the server's (hex).
	DCID       string `json:"dcid,omitempty"`
	SCID       string `json:"scid,omitempty"`
	ServerSCID string `json:"server_scid,omitempty"`
	// ClientHello is true when the ClientHello was read in full.
	ClientHello bool `json:"client_hello"`
	// ECH is true when the ClientHello offered encrypted_client_hello.
	ECH bool `json:"ech,omitempty"`
	// ServerResponded is true when the server sent a long-header packet.
	ServerResponded bool `json:"server_responded"`
	// Retry is true when the server answered with a Retry packet.
	Retry bool `json:"retry,omitempty"`
	// VersionNegotiation is true when the server sent a Version
	// Negotiation packet.
	VersionNegotiation bool `json:"version_negotiation,omitempty"`
}

// ConnDNS links a connection to the DNS lookup that preceded it.
type ConnDNS struct {
	// Name is the name whose answer held the server address.
	Name string `json:"name"`
	// LookupUS is what the lookup cost the client in microseconds: its
	// first query to the last answer for that name before the connection
	// (A and AAAA asked one after the other add up).
	LookupUS int64 `json:"lookup_us"`
	// ToConnectUS is the answer to the connection's first packet (SYN).
	ToConnectUS int64 `json:"to_connect_us"`
}

// anomalyResponseLost is httpdecode.AnomalyResponseLost (report depends on
// the standard library only; TestCaptureDrops in analysis/internal/h1
// checks the two agree on a real capture).
const anomalyResponseLost = "http_response_lost"

// MissingResponse says in words why a transaction has no response, for
// the writers that list transactions: "" when it has one, "response lost
// in capture" when the server answered but the capture lost the answer
// (anomaly http_response_lost: a later response on the connection answered
// a later request), else "no response".
func (t *Transaction) MissingResponse() string {
	if t.Status != 0 {
		return ""
	}
	for _, a := range t.Anomalies {
		if a == anomalyResponseLost {
			return "response lost in capture"
		}
	}
	return "no response"
}

// Transaction is one HTTP/1.x request/response exchange.
type Transaction struct {
	// Connection is the id of the connection that carried it.
	Connection uint32 `json:"connection"`
	// Index is the 0-based position on its connection.
	Index  int    `json:"index"`
	Method string `json:"method"`
	// Target is the request target as sent.
	Target string `json:"target"`
	// Host is the request's Host header as sent ("" when absent).
	Host string `json:"host,omitempty"`
	// RequestVersion is "HTTP/1.0" or "HTTP/1.1" as sent.
	RequestVersion string `json:"request_version"`
	// Status is the final response's status code, absent without one.
	Status          int    `json:"status,omitempty"`
	Reason          string `json:"reason,omitempty"`
	ResponseVersion string `json:"response_version,omitempty"`
	// RequestStart is the time of the request's first byte.
	RequestStart string  `json:"request_start"`
	TimingsUS    Timings `json:"timings_us"`
	// RequestBodyBytes counts request body bytes (after de-chunking).
	RequestBodyBytes int64 `json:"request_body_bytes"`
	// ResponseBodyBytes counts response body bytes (after de-chunking).
	ResponseBodyBytes int64 `json:"response_body_bytes"`
	// ResponseContentType is the response's Content-Type header as sent.
	ResponseContentType string `json:"response_content_type,omitempty"`
	// Framing is how the response body was delimited: content_length,
	// chunked, close_delimited or none.
	Framing string `json:"framing"`
	// RequestFraming is how the request body was delimited.
	RequestFraming string `json:"request_framing"`
	// Truncated is true when a body ended before its framing said it would.
	Truncated bool `json:"truncated"`
	// Pipelined is true when the request was sent before the previous
	// response on the connection had fully arrived.
	Pipelined bool        `json:"pipelined"`
	Headers   MgmtHeaders `json:"headers"`
	// Anomalies are the HTTP anomaly tokens raised by this exchange.
	Anomalies []string `json:"anomalies,omitempty"`
	// Findings are indexes into the report's findings.
	Findings []int `json:"findings,omitempty"`
}

// Timings are the phases of a transaction in microseconds. Connect is set
// only on the first transaction of a connection whose handshake was seen.
type Timings struct {
	// Connect is the handshake time, SYN to the ACK of the SYN/ACK.
	Connect *int64 `json:"connect,omitempty"`
	// Send is the request's first byte to its last.
	Send int64 `json:"send"`
	// Wait is the request's last byte to the response's first.
	Wait int64 `json:"wait"`
	// Receive is the response's first byte to its last.
	Receive int64 `json:"receive"`
}

// MgmtHeaders are the connection-management headers as sent.
type MgmtHeaders struct {
	RequestConnection  string `json:"request_connection,omitempty"`
	ResponseConnection string `json:"response_connection,omitempty"`
	RequestKeepAlive   string `json:"request_keep_alive,omitempty"`
	ResponseKeepAlive  string `json:"response_keep_alive,omitempty"`
	ProxyConnection    string `json:"proxy_connection,omitempty"`
	Upgrade            string `json:"upgrade,omitempty"`
	TE                 string `json:"te,omitempty"`
}

// Finding is one detected behaviour.
type Finding struct {
	// Kind is a stable snake_case token from the finding catalogue.
	Kind string `json:"kind"`
	// Severity is info, warning or error.
	Severity string `json:"severity" jsonschema:"enum=info,enum=warning,enum=error"`
	// Connection is the connection id, absent for findings about a peer
	// pair or the whole capture.
	Connection *uint32 `json:"connection,omitempty"`
	// Transaction is the transaction index on that connection, where it
	// applies.
	Transaction *int `json:"transaction,omitempty"`
	// Peer names the peer pair a finding is about, for findings that are
	// not about one connection.
	Peer string `json:"peer,omitempty"`
	// At is the time of the evidence.
	At string `json:"at,omitempty"`
	// DurationUS is the time lost or spanned, where it applies.
	DurationUS int64 `json:"duration_us,omitempty"`
	// Count is how many occurrences this finding stands for (at least 1).
	Count int `json:"count" jsonschema:"minimum=1"`
	// Summary is one line a person can read.
	Summary string `json:"summary"`
	// Evidence holds the measured values that triggered the finding.
	Evidence map[string]any `json:"evidence"`
	// Advice says what to change.
	Advice string `json:"advice"`
}

// Severity levels of findings.
const (
	SeverityInfo    = "info"
	SeverityWarning = "warning"
	SeverityError   = "error"
)

// Peer is one (client host, server endpoint) pair.
type Peer struct {
	// Client is the client host address.
	Client string `json:"client"`
	// Server is the server endpoint.
	Server string `json:"server"`
	// Connections counts connection incarnations between the pair.
	Connections int `json:"connections"`
	// Handshakes counts those whose handshake was seen.
	Handshakes int `json:"handshakes"`
	// MaxParallel is the highest number of simultaneously open connections.
	MaxParallel int `json:"max_parallel"`
	// ConnectionRatePerS is new connections per second over the pair's
	// span (0 when it is under a second).
	ConnectionRatePerS float64 `json:"connection_rate_per_s"`
	// PeakRatePerS is the most connections opened in any one second.
	PeakRatePerS int `json:"peak_connections_per_s"`
	// ClientPorts counts distinct client ports used.
	ClientPorts int `json:"client_ports"`
	// Requests counts HTTP requests between the pair.
	Requests  int    `json:"http_requests"`
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
	// TimeWaitClient counts connections whose client sent the first FIN.
	TimeWaitClient int `json:"time_wait_client"`
	// TimeWaitServer counts connections whose server sent the first FIN.
	TimeWaitServer int `json:"time_wait_server"`
	// Resets counts connections that ended with a RST.
	Resets int `json:"resets"`
	// Refused counts connections refused with a RST to the SYN.
	Refused int `json:"refused"`
	// TimeWaitPeak is the most client ports the client held in TIME_WAIT
	// towards the server at one instant (assumed TIME_WAIT duration).
	TimeWaitPeak int `json:"time_wait_peak,omitempty"`
	// TimeWaitReuse counts SYNs that reused a 4-tuple whose previous
	// connection closed less than the TIME_WAIT duration earlier.
	TimeWaitReuse int `json:"time_wait_reuse,omitempty"`
}

// DNSLookup is one DNS query/response pair.
type DNSLookup struct {
	// Name is the queried name.
	Name string `json:"name"`
	// Type is the query type (A, AAAA, ...).
	Type   string `json:"type"`
	Client string `json:"client"`
	Server string `json:"server"`
	// At is the time of the query.
	At string `json:"at"`
	// RTTUS is query to response in microseconds.
	RTTUS int64 `json:"rtt_us"`
	// Answers are the answer records' data as text.
	Answers []string `json:"answers"`
	// RCode is the response code (NOERROR, NXDOMAIN, SERVFAIL, ...),
	// absent without a response.
	RCode string `json:"rcode,omitempty"`
	// Retries counts queries re-sent for the same name and type while
	// unanswered; TotalUS is first query to response (retries included).
	Retries int   `json:"retries,omitempty"`
	TotalUS int64 `json:"total_us,omitempty"`
	// NoResponse is true when no response was seen.
	NoResponse bool `json:"no_response,omitempty"`
}
