package main

import (
	"bytes"
	"os"
	"testing"
)

// TestEncoderCurrent fails when the committed report/encode_gen.go differs
// from what the report types generate now.
func TestEncoderCurrent(t *testing.T) {
	got, err := Generate()
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	committed, err := os.ReadFile("../../encode_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Fatal("report/encode_gen.go is stale: run go generate ./report")
	}
}
