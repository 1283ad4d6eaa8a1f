package registry

import (
	"connscope/analysis"
	"connscope/analysis/body"
	"connscope/analysis/dnstime"
	"connscope/analysis/h2hol"
	"connscope/analysis/handshake"
	"connscope/analysis/hopbyhop"
	"connscope/analysis/keepalive"
	"connscope/analysis/loss"
	"connscope/analysis/nagle"
	"connscope/analysis/parallel"
	"connscope/analysis/peers"
	"connscope/analysis/pipelining"
	"connscope/analysis/polling"
	"connscope/analysis/quicdetect"
	"connscope/analysis/reset"
	"connscope/analysis/reuse"
	"connscope/analysis/rtt"
	"connscope/analysis/slowstart"
	"connscope/analysis/timewait"
	"connscope/analysis/tsg"
	"connscope/analysis/upgrade"
)

// Default returns the factories of all analysers in run order. Analysers
// that read the peer table in Finish come after peers.
func Default() []analysis.Factory {
	return []analysis.Factory{
		peers.Factory(),
		rtt.Factory(),
		loss.Factory(),
		nagle.Factory(),
		slowstart.Factory(),
		reset.Factory(),
		timewait.Factory(),
		handshake.Factory(),
		reuse.Factory(),
		keepalive.Factory(),
		pipelining.Factory(),
		body.Factory(),
		hopbyhop.Factory(),
		parallel.Factory(),
		upgrade.Factory(),
		h2hol.Factory(),
		tsg.Factory(),
		polling.Factory(),
		quicdetect.Factory(),
		dnstime.Factory(),
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
