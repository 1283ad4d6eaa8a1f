package report

// SchemaVersion is the report's schema_version. It changes only on a
// breaking change of the JSON contract.
const SchemaVersion = "1"

// Report is the one model every writer renders: the JSON, NDJSON, HAR and
// text writers and the terminal UI all read it. It holds no wall-clock time,
// no absolute path and no map whose iteration order could leak into output
// (maps are serialised with sorted keys by encoding/json).
type Report struct {
	SchemaVersion string        `json:"schema_version"`
	Tool          Tool          `json:"tool"`
	Capture       Capture       `json:"capture"`
	Summary       Summary       `json:"summary"`
	Connections   []Connection  `json:"connections"`
	Transactions  []Transaction `json:"transactions"`
	Findings      []Finding     `json:"findings"`
	Peers         []Peer        `json:"peers"`
	DNSLookups    []DNSLookup   `json:"dns_lookups"`
	Interrupted   bool          `json:"interrupted,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Capture describes what was read.
type Capture struct {
	Sources    []string          `json:"sources"`
	Formats    []string          `json:"formats"`
	LinkTypes  []string          `json:"link_types"`
	Packets    uint64            `json:"packets"`
	Bytes      uint64            `json:"bytes"`
	Decoded    uint64            `json:"decoded_packets"`
	Start      string            `json:"start,omitempty"`
	End        string            `json:"end,omitempty"`
	DurationUS int64             `json:"duration_us"`
	Vantage    string            `json:"vantage"`
	Dropped    uint64            `json:"dropped"`
	Anomalies  map[string]uint64 `json:"anomalies"`
}

// Summary holds counts over the whole capture.
type Summary struct {
	TCPConnections         int            `json:"tcp_connections"`
	HTTPRequests           int            `json:"http_requests"`
	HTTPResponses          int            `json:"http_responses"`
	ReusedConnections      int            `json:"reused_connections"`
	MaxParallelConnections int            `json:"max_parallel_connections"`
	PipelinedRequests      int            `json:"pipelined_requests"`
	TLSConnections         int            `json:"tls_connections"`
	WebSocketConnections   int            `json:"websocket_connections"`
	H2Connections          int            `json:"h2_connections"`
	H2Streams              int            `json:"h2_streams"`
	QUICConnections        int            `json:"quic_connections"`
	DNSLookups             int            `json:"dns_lookups"`
	Findings               map[string]int `json:"findings"`
}

// Connection is one TCP connection incarnation.
type Connection struct {
	ID         uint32         `json:"id"`
	Transport  string         `json:"transport"`
	Client     string         `json:"client"`
	Server     string         `json:"server"`
	RoleSource string         `json:"role_source"`
	Start      string         `json:"start"`
	End        string         `json:"end"`
	DurationUS int64          `json:"duration_us"`
	Protocol   string         `json:"protocol"`
	Vantage    string         `json:"vantage"`
	Handshake  Handshake      `json:"handshake"`
	Close      Close          `json:"close"`
	Packets    DirCounts      `json:"packets"`
	Bytes      DirCounts      `json:"bytes"`
	Payload    DirCounts      `json:"payload_bytes"`
	HTTP       *ConnHTTP      `json:"http,omitempty"`
	TCP        ConnTCP        `json:"tcp"`
	TLS        *ConnTLS       `json:"tls,omitempty"`
	WebSocket  *ConnWebSocket `json:"websocket,omitempty"`
	H2         *ConnH2        `json:"h2,omitempty"`
	QUIC       *ConnQUIC      `json:"quic,omitempty"`
	DNS        *ConnDNS       `json:"dns,omitempty"`
	Anomalies  map[string]int `json:"anomalies,omitempty"`
	Findings   []int          `json:"findings"`
}

// DirCounts is a pair of per-direction counters.
type DirCounts struct {
	ClientToServer uint64 `json:"client_to_server"`
	ServerToClient uint64 `json:"server_to_client"`
}

// Handshake describes connection setup.
type Handshake struct {
	Complete      bool `json:"complete"`
	SYNSeen       bool `json:"syn_seen"`
	SYNRetries    int  `json:"syn_retries"`
	SYNACKRetries int  `json:"synack_retries"`
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
	MSS           int  `json:"mss,omitempty"`
	WindowScale   int  `json:"window_scale"`
	SACKPermitted bool `json:"sack_permitted"`
	Timestamps    bool `json:"timestamps"`
}

// Close describes how a connection ended.
type Close struct {
	Kind           string `json:"kind"`
	Initiator      string `json:"initiator"`
	TimeWaitHolder string `json:"time_wait_holder"`
	At             string `json:"at,omitempty"`
	Refused        bool   `json:"refused,omitempty"`
	HalfClosed     bool   `json:"half_closed,omitempty"`
	Simultaneous   bool   `json:"simultaneous,omitempty"`
	RSTUnreadData  bool   `json:"rst_unread_data,omitempty"`
}

// ConnHTTP is the HTTP/1.x activity on a connection.
type ConnHTTP struct {
	Requests  int  `json:"requests"`
	Responses int  `json:"responses"`
	Pipelined int  `json:"pipelined"`
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
	RTTUS            *RTT      `json:"rtt_us,omitempty"`
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
	SNI          string   `json:"sni,omitempty"`
	ALPN         []string `json:"alpn,omitempty"`
	ALPNSelected string   `json:"alpn_selected,omitempty"`
	Version      string   `json:"version,omitempty"`
}

// ConnWebSocket summarises a WebSocket session.
type ConnWebSocket struct {
	MessagesClientToServer int    `json:"messages_client_to_server"`
	MessagesServerToClient int    `json:"messages_server_to_client"`
	Pings                  int    `json:"pings"`
	Pongs                  int    `json:"pongs"`
	CloseCode              int    `json:"close_code,omitempty"`
	CloseInitiator         string `json:"close_initiator,omitempty"`
}

// ConnH2 summarises an HTTP/2 connection.
type ConnH2 struct {
	Mode                 string `json:"mode"`
	Streams              int    `json:"streams"`
	MaxConcurrentStreams int    `json:"max_concurrent_streams"`
}

// ConnQUIC summarises a QUIC connection.
type ConnQUIC struct {
	Version string   `json:"version"`
	SNI     string   `json:"sni,omitempty"`
	ALPN    []string `json:"alpn,omitempty"`
}

// ConnDNS links a connection to the DNS lookup that preceded it.
type ConnDNS struct {
	Name     string `json:"name"`
	LookupUS int64  `json:"lookup_us"`
}

// Transaction is one HTTP/1.x request/response exchange.
type Transaction struct {
	Connection        uint32      `json:"connection"`
	Index             int         `json:"index"`
	Method            string      `json:"method"`
	Target            string      `json:"target"`
	RequestVersion    string      `json:"request_version"`
	Status            int         `json:"status,omitempty"`
	Reason            string      `json:"reason,omitempty"`
	ResponseVersion   string      `json:"response_version,omitempty"`
	RequestStart      string      `json:"request_start"`
	TimingsUS         Timings     `json:"timings_us"`
	RequestBodyBytes  int64       `json:"request_body_bytes"`
	ResponseBodyBytes int64       `json:"response_body_bytes"`
	Framing           string      `json:"framing"`
	RequestFraming    string      `json:"request_framing"`
	Truncated         bool        `json:"truncated"`
	Pipelined         bool        `json:"pipelined"`
	Headers           MgmtHeaders `json:"headers"`
	Anomalies         []string    `json:"anomalies,omitempty"`
	Findings          []int       `json:"findings,omitempty"`
}

// Timings are the phases of a transaction in microseconds. Connect is set
// only on the first transaction of a connection whose handshake was seen.
type Timings struct {
	Connect *int64 `json:"connect,omitempty"`
	Send    int64  `json:"send"`
	Wait    int64  `json:"wait"`
	Receive int64  `json:"receive"`
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
	Kind        string         `json:"kind"`
	Severity    string         `json:"severity"`
	Connection  *uint32        `json:"connection,omitempty"`
	Transaction *int           `json:"transaction,omitempty"`
	Peer        string         `json:"peer,omitempty"`
	At          string         `json:"at,omitempty"`
	DurationUS  int64          `json:"duration_us,omitempty"`
	Count       int            `json:"count"`
	Summary     string         `json:"summary"`
	Evidence    map[string]any `json:"evidence"`
	Advice      string         `json:"advice"`
}

// Severity levels of findings.
const (
	SeverityInfo    = "info"
	SeverityWarning = "warning"
	SeverityError   = "error"
)

// Peer is one (client host, server endpoint) pair.
type Peer struct {
	Client             string  `json:"client"`
	Server             string  `json:"server"`
	Connections        int     `json:"connections"`
	Handshakes         int     `json:"handshakes"`
	MaxParallel        int     `json:"max_parallel"`
	ConnectionRatePerS float64 `json:"connection_rate_per_s"`
	PeakRatePerS       int     `json:"peak_connections_per_s"`
	ClientPorts        int     `json:"client_ports"`
	Requests           int     `json:"http_requests"`
	FirstSeen          string  `json:"first_seen"`
	LastSeen           string  `json:"last_seen"`
	TimeWaitClient     int     `json:"time_wait_client"`
	TimeWaitServer     int     `json:"time_wait_server"`
	Resets             int     `json:"resets"`
	Refused            int     `json:"refused"`
}

// DNSLookup is one DNS query/response pair.
type DNSLookup struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Client  string   `json:"client"`
	Server  string   `json:"server"`
	At      string   `json:"at"`
	RTTUS   int64    `json:"rtt_us"`
	Answers []string `json:"answers"`
}
