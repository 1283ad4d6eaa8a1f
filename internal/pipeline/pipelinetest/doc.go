// Package pipelinetest helps tests run the offline pipeline on the committed
// lab captures in testdata/pcaps: list them, run a chosen set of analysers
// on one, and summarise the findings.
//
// It is test support only (it takes a testing.TB and skips or fails
// through it). Inputs: capture names relative to testdata/pcaps; outputs:
// reports. Concurrency: each call is independent. Buffers and limits: those
// of the pipeline's defaults.
package pipelinetest
