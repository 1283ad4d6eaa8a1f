// Package flow holds the small value types every stage shares: IP endpoints,
// the canonical connection key, connection ids, directions and packet time.
//
// Inputs and outputs: none; it is vocabulary only and imports nothing from
// the project. Concurrency: all types are plain comparable values, safe to
// copy between goroutines. Buffer ownership: no type here holds a slice, so
// nothing aliases packet memory. Limits: addresses are fixed 16-byte arrays
// (IPv4 stored IPv4-mapped), so keys never allocate.
package flow
