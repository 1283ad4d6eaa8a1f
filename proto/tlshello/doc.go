// Package tlshello reads the cleartext start of a TLS connection: the
// ClientHello and ServerHello handshake messages (RFC 8446 §4.1.2, §4.1.3;
// RFC 5246 §7.4.1) and the record types that follow.
//
// Single job: from the two in-order byte streams of a TCP connection, find
// the first handshake message of each direction and report the server name
// (SNI, RFC 6066 §3), the ALPN list offered and the protocol selected where
// visible (RFC 7301; TLS 1.3 moves the selection into encrypted extensions),
// the versions offered (supported_versions, RFC 8446 §4.2.1) and selected,
// Encrypted Client Hello presence (extension 0xfe0d), and the times of the
// two hellos and of the first application-data record per direction.
//
// Inputs: Conn.Data, Gap and End per direction (0 client, 1 server) with
// packet times in nanoseconds; or ParseClientHello / ParseServerHello on one
// handshake message body. Outputs: Conn.Result and anomaly tokens
// (Anomaly* constants) with counts.
//
// A hello may span several TCP segments and several records (post-quantum
// key shares make ClientHellos larger than one segment): handshake bytes are
// accumulated across records up to MaxHello bytes.
//
// Concurrency: a Conn is used by one goroutine. Buffer ownership: bytes
// passed to Data are not retained; up to MaxHello handshake bytes per
// direction are copied until the hello is parsed, then released. Limits:
// MaxHello (16 KiB) per hello; a direction stops after a gap, a record that
// cannot be TLS, or its first application-data record. Malformed input
// becomes an anomaly, never a panic.
package tlshello
