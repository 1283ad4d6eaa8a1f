// Package demo embeds the small capture of real traffic that `connscope
// demo` analyses, so a new user sees every section of the report without a
// capture of their own.
//
// Inputs: none. Outputs: a reader over the embedded bytes. Concurrency:
// Open may be called from any goroutine; each call returns a new reader.
// Buffers and limits: the capture is a read-only byte slice in the binary.
package demo
