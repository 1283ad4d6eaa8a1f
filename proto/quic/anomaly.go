package quic

// Anomaly tokens counted by this package (capture.anomalies and the
// connection's anomalies).
const (
	// AnomalyTruncated: a long header or packet ends before its fields do.
	AnomalyTruncated = "quic_truncated_packet"
	// AnomalyBadHeader: a v1/v2 long header breaks a rule (connection id
	// longer than 20 bytes, fixed bit 0).
	AnomalyBadHeader = "quic_bad_header"
	// AnomalyDecryptFailed: a client Initial did not authenticate with the
	// keys derived from its connection ids.
	AnomalyDecryptFailed = "quic_initial_decrypt_failed"
	// AnomalyBadFrame: a decrypted Initial held a malformed frame or one not
	// allowed in Initial packets.
	AnomalyBadFrame = "quic_bad_frame"
	// AnomalyClientHello: the CRYPTO stream did not hold a well-formed
	// ClientHello.
	AnomalyClientHello = "quic_client_hello_malformed"
	// AnomalyClientHelloIncomplete: CRYPTO data was seen but the
	// ClientHello never completed (a missing Initial, a hole).
	AnomalyClientHelloIncomplete = "quic_client_hello_incomplete"
	// AnomalyCryptoTooLarge: CRYPTO data went past MaxCrypto.
	AnomalyCryptoTooLarge = "quic_crypto_too_large"
	// AnomalyFlowLimit: a new QUIC flow was ignored because Config.MaxFlows
	// flows were already tracked.
	AnomalyFlowLimit = "quic_flow_limit"
)
