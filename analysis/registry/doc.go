// Package registry lists the analysers connscope runs, in the order they
// run. It is the one place that knows every detector package: adding a
// detector means one package and one line here.
//
// Inputs: none. Outputs: factories. Concurrency and buffers: not applicable;
// the list is built fresh on each call, so callers may modify it.
package registry
