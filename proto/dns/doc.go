// Package dns reads DNS queries and responses (RFC 1035) and pairs them
// into lookups with their round-trip times.
//
// Single job: datagrams in, one Lookup per query/response pair out.
//
// Inputs: Tracker.Datagram receives DNS messages whose source or
// destination port is 53 (the caller filters, or passes everything: other
// ports are ignored), in packet-time order: UDP payloads, or messages taken
// out of a TCP stream's length-prefixed framing (RFC 7766; the pipeline's
// TCP decoder does that). Parse decodes one message: the
// header, the questions and the answer records (A, AAAA and CNAME as text,
// other types by name), with name compression followed under loop
// protection (pointers must point backwards; names are capped at 255
// bytes).
//
// Outputs: Tracker.Finish returns the lookups in query-time order — query
// and response paired by (client endpoint, server endpoint, id, name,
// type); a query re-sent for the same name and type by the same client
// while unanswered is counted as a retry of one lookup; a query never
// answered is a lookup with NoResponse — and the anomaly counts.
//
// Concurrency: a Tracker is used from one goroutine. Buffer ownership:
// payloads are valid during the call only; names and answers are copied
// into strings.
//
// Limits: at most Config.MaxPending unanswered queries are kept (past it,
// AnomalyPendingLimit); a query unanswered for Config.QueryTimeout of
// packet time becomes a NoResponse lookup; at most MaxAnswers answers are
// kept per lookup. Malformed messages are counted as named anomalies (the
// Anomaly* constants), never a panic. No wall-clock time is read.
package dns
