// Package registry lists the analysers connscope runs, in the order they
// run. It is the one place that knows every detector package: adding a
// detector means one package and one line here.
//
// Inputs: none. Outputs: factories. Concurrency and buffers: not applicable;
// the list is built fresh on each call, so callers may modify it.
package registry

import (
	"connscope/analysis"
	"connscope/analysis/body"
	"connscope/analysis/handshake"
	"connscope/analysis/hopbyhop"
	"connscope/analysis/keepalive"
	"connscope/analysis/parallel"
	"connscope/analysis/peers"
	"connscope/analysis/pipelining"
	"connscope/analysis/reuse"
)

// Default returns the factories of all analysers in run order. Analysers
// that read the peer table in Finish come after peers.
func Default() []analysis.Factory {
	return []analysis.Factory{
		peers.Factory(),
		handshake.Factory(),
		reuse.Factory(),
		keepalive.Factory(),
		pipelining.Factory(),
		body.Factory(),
		hopbyhop.Factory(),
		parallel.Factory(),
	}
}

// Kinds returns the documentation of every finding kind, in registry order.
func Kinds() []analysis.KindDoc {
	var out []analysis.KindDoc
	for _, f := range Default() {
		out = append(out, f.Kinds...)
	}
	return out
}
