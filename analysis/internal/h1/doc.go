// Package h1 holds what the HTTP/1.x connection-management detectors share:
// method semantics (safe, idempotent), the persistence decision of an
// exchange, peer naming, vantage-corrected timing helpers, and Site, which
// aggregates many occurrences of one finding into one report.Finding.
//
// Inputs: analysis events and httpdecode messages. Outputs: plain values; it
// emits nothing itself. Concurrency: no shared state; a Site belongs to one
// analyser and is used from the engine's goroutine. Buffer ownership: it
// copies what it keeps (strings of httpdecode messages are owned copies).
// Limits: none; callers bound the number of sites they keep.
package h1
