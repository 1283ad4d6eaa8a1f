// Package archtest holds tests that keep the architecture true: every
// package documents its job, and the import rules of ARCHITECTURE.md hold
// (analysis never sees gopacket or reassembly; report and httpdecode use only
// the standard library, report also S2 compression for its record log; tcell
// only in tui; the wall clock is not read below the pipeline).
//
// It has no non-test code. Inputs: the module's packages as listed by
// `go list`. Outputs: test failures. Concurrency, buffers and limits: not
// applicable.
package archtest
