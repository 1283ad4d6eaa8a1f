// Package dnstime flags slow DNS resolution: lookups that took long, were
// retried after a resolver timeout, or were never answered
// (detection-methods §5).
//
// Events: none; Finish reads report.DNSLookups (filled by the DNS decoder:
// query/response pairs with their round-trip time, retries and rcode) and
// the connections' dns links.
//
// Rule: a lookup is slow when its round trip is at least SlowLookup
// (100 ms), when it was retried (the same client asked the same name and
// type again while unanswered), or when no response was seen. One
// dns_slow_lookup finding (warning) per (client host, DNS server) pair that
// had slow lookups, count = slow lookups. Evidence: lookups, slow_lookups,
// retried, unanswered, worst_rtt_us, worst_total_us, worst_name,
// worst_type, threshold_us, connections_delayed (connections whose
// preceding lookup cost at least the threshold).
//
// Concurrency: one goroutine. Buffer ownership: reads the report only.
// Limits: one small record per (client, server) pair with a slow lookup.
package dnstime
