// Package demo embeds the small capture of real traffic that `connscope
// demo` analyses, so a new user sees every section of the report without a
// capture of their own.
//
// demo.pcapng.gz merges lab captures from testdata/pcaps (all recorded
// client-side from real programs; see testdata/pcaps/README.md), made with
//
//	mergecap -F pcapng -w demo.pcapng curl_reuse.pcap ab_close.pcap \
//	  refused.pcap truncated_cl.pcap pipelined_post.pcap parallel6.pcap \
//	  nagle_on.pcap idle_close_race.pcap close_delimited.pcap chunked.pcap \
//	  websocket_echo.pcap tls_nginx.pcap dns_lookup.pcap rst_unread.pcap \
//	  lossy_download_client.pcap && gzip -9 demo.pcapng
//
// (the .gz captures decompressed first). It shows reuse and its absence,
// parallel connections, pipelining, a truncated body, an idle-close race,
// a Nagle stall, a refused connection, a reset with unread data,
// retransmissions, WebSocket, TLS and a slow DNS lookup.
//
// Inputs: none. Outputs: a reader over the embedded bytes. Concurrency:
// Open may be called from any goroutine; each call returns a new reader.
// Buffers and limits: the capture is a read-only byte slice in the binary.
package demo
