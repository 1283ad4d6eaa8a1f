// Package quicdetect reports the QUIC connections the UDP decoder found:
// one quic_detected finding per connection, naming the version, the server
// name and ALPN list read from the client's decrypted Initial packets, and
// whether the connection carries HTTP/3 (ALPN "h3", RFC 9114 §3.1).
//
// Events: none; Finish reads the report's connections with a quic object
// (transport "udp", detection-methods §4.3). Finding: quic_detected (info).
// Evidence: version, sni, alpn, h3, client_hello (the ClientHello was read
// in full), server_responded, retry, version_negotiation.
//
// Concurrency: one goroutine. Buffer ownership: reads the report only.
// Limits: no state besides the report.
package quicdetect
