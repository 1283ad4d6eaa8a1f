// Package lab produces the committed real-traffic captures under
// testdata/pcaps by running real programs (nginx, curl, ab, wrk, nc and small
// Go clients and servers) between two network namespaces joined by a veth
// pair, and recording the client side with tcpdump.
//
// Single job: turn a named Scenario into one capture file.
//
// Inputs: a Scenario from Scenarios (server setup, client workload, client
// sysctls, expected tshark counts) and an output directory. The runner needs
// root, iproute2 with `ip netns`, tcpdump and the workload programs; Check
// reports what is missing before anything is created.
//
// Outputs: <dir>/<scenario>.pcap, or <scenario>.pcap.gz when the scenario asks
// for gzip or the capture is larger than GzipThreshold; the other variant of the
// same name is removed so only one file per name exists. Scenarios with
// ServerCapture write <scenario>_client and <scenario>_server files from one
// run. Verify counts
// connections, HTTP requests/responses, SYNs and RSTs with tshark and checks
// them against the scenario's Expect ranges.
//
// Topology: namespaces "<prefix>c" (192.0.2.1) and "<prefix>s" (192.0.2.2,
// TEST-NET-1, RFC 5737) joined by one veth pair, or, with PathOptions, each
// joined to a router namespace "<prefix>r" where the "delayline" helper
// bridges the two veths in user space with a fixed delay and seeded loss
// (this kernel has no sch_netem). Offloads are off (tx checksum, TSO, GSO,
// GRO) so one frame is one TCP segment with a valid checksum; congestion
// control is cubic per route. No traffic leaves the namespaces. Every
// namespace, process and temporary directory a run creates is removed by
// Env.Close, also after errors and interrupts.
//
// Helpers: the same binary is re-executed inside the namespaces with
// "helper <name>" (see RunHelper) to play the small custom clients and
// servers a scenario needs (RST on unread data, canned framings, Nagle
// client, port churn client, idle/race/repeat clients, and the delay line). Every helper has a bounded
// number of iterations and a wall-clock limit.
//
// Concurrency: one scenario runs at a time; Env is not safe for concurrent
// use. Buffer ownership: nothing is shared; captures are written to a
// temporary file and renamed into place.
//
// Limits: every external command runs under a timeout (Step.Timeout, default
// 30 s) and every helper loop has an explicit iteration bound. This package is
// a lab tool, not part of the analyser: it reads the wall clock to pace
// workloads and never touches packet timestamps.
package lab
