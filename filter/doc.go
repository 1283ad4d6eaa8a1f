// Package filter compiles capture filters written in a subset of the
// tcpdump (pcap-filter) language to classic BPF, and runs BPF programs over
// raw frames.
//
// Its single job is to turn a filter expression and a link type into a
// [Program] whose verdicts are those of tcpdump's compilation of the same
// expression, without libpcap or cgo. The same Program serves as the
// userspace filter for capture files ([Program.Match], in the
// golang.org/x/net/bpf VM) and as the kernel filter for live capture
// ([Program.Raw]). Anything outside the subset is refused with an error
// naming the token and its byte offset, for example
//
//	filter: unsupported primitive "gateway" at offset 0
//
// never compiled as "match everything" or as a weaker test.
//
// # Inputs
//
// [Parse] takes the expression; [Expr.Compile] (or [Compile]) a LINKTYPE_
// number: Ethernet (1), Linux SLL (113), Linux SLL2 (276), raw IP (101, and
// 12/14 as some systems number it; the version nibble gives the family),
// bare IPv4 (228) and IPv6 (229). Other link types, BSD NULL (0) and LOOP
// (108) included, are refused with an error naming the link type.
// [ParseDDD] reads the output of tcpdump -ddd (a count line, then "code jt
// jf k" lines) and [FromRaw] wraps such instructions, for programs compiled
// elsewhere (--bpf-file); they are applied as given, whatever the link type.
//
// # Accepted syntax
//
// Primitives, all lower case, numbers in decimal without leading zeros:
//
//	ip  ip6  tcp  udp  sctp  icmp  icmp6       protocol alone
//	[ip|ip6] [DIR] host ADDR                     IPv4 dotted quad or IPv6 address
//	[ip|ip6] [DIR] net ADDR/LEN                  CIDR prefix; no bits past LEN
//	[ip] [DIR] net A.B.C.D mask M.M.M.M          IPv4 network and netmask
//	[ip|ip6] [DIR] net ADDR                      the whole address (/32, /128)
//	[tcp|udp|sctp] [DIR] port N                  0-65535
//	[tcp|udp|sctp] [DIR] portrange LO-HI         a single N is N-N; LO > HI is swapped
//	DIR ADDR                                     DIR host ADDR
//	vlan [ID]                                    Ethernet only; ID 0-4095
//
// where DIR is src, dst, src or dst, or src and dst (either order); without
// DIR, host/net/port match either side. Operators: and or &&, or or ||, not
// or !, and parentheses. As in pcap-filter, not binds tightest and "and"
// and "or" have the SAME precedence and associate to the left: "tcp or udp
// and port 53" is "(tcp or udp) and port 53".
//
// A bare value after and/or/not (or an opening parenthesis) repeats the
// qualifiers of the previous primitive that had a value, as tcpdump does:
// "port 80 or 443" is "port 80 or port 443", "tcp dst port 80 or 443" is
// "tcp dst port 80 or tcp dst port 443", "host 10.0.0.1 and not 10.0.0.2"
// is "host 10.0.0.1 and not host 10.0.0.2". A bare value after a protocol
// alone or after vlan, or with nothing before it, is an error.
//
// Refused (a non-exhaustive list): host and service names, ether/arp/rarp
// primitives, proto, byte offsets (tcp[13]), arithmetic and comparisons,
// less/greater/len, broadcast/multicast, gateway, mpls, pppoe, geneve,
// abbreviated networks ("net 10", "net 10.1"), hexadecimal and octal
// numbers, zoned IPv6 addresses, upper-case keywords, "ip port", "tcp
// host", a prefix without net ("src 10.0.0.0/8"), and a host address given
// as a number ("src 80").
//
// # Semantics (those of libpcap 1.10)
//
//   - ip / ip6 test the EtherType (or SLL protocol, or version nibble).
//   - tcp, udp, sctp, icmp6 on IPv6 test the fixed header's Next Header,
//     and, when it is a Fragment header (44), that header's Next Header.
//     Other extension headers are not walked: an IPv6 TCP segment behind a
//     Hop-by-Hop header is not "tcp". icmp is IPv4 only, icmp6 IPv6 only.
//   - port and portrange: the protocol must be TCP, UDP or SCTP (the one
//     named, if any). IPv4 ports are read only in the first fragment
//     (fragment offset 0) at the offset given by IHL; IPv6 ports are read
//     right after the 40-byte fixed header, not behind extension headers.
//   - host and net with an IPv4 address, without "ip", also match the
//     sender and target protocol addresses of ARP and RARP frames.
//   - vlan matches a frame whose (current) EtherType is 0x8100, 0x88a8 or
//     0x9100, and ID the tag's 12-bit VID. Each vlan moves every offset
//     used by the primitives written AFTER it (in text order, whatever the
//     operators and parentheses) 4 bytes further, as libpcap does: "vlan
//     and tcp" tests TCP inside the tag, and so does the tcp of "not vlan
//     and tcp" (which therefore matches almost nothing). Write vlan first.
//   - A load past the end of a frame (for example a frame cut by the snap
//     length) rejects it, as in the kernel.
//
// These rules are tested differentially: for each expression of a table,
// on each supported link type, our program and tcpdump -ddd's are both run
// in the x/net/bpf VM over generated frames (IPv4/IPv6, TCP/UDP/ICMP/SCTP,
// fragments, extension headers, VLAN/QinQ, ARP, every prefix of some
// frames) and frames of real captures, and must give identical verdicts.
//
// # Outputs
//
// A [Program]: its instructions (Instructions, Raw for SO_ATTACH_FILTER)
// and Match. Compiled programs return [AcceptLen] for a match and 0
// otherwise. [Expr.ForLinkType] and [Program.ForLinkType] fit
// capture.Options.Filter.
//
// # Concurrency
//
// Expr and Program are immutable after construction; Match and Compile are
// safe for concurrent use.
//
// # Buffer ownership
//
// Match only reads the frame and keeps no reference to it; it allocates
// nothing. Raw and Instructions return copies.
//
// # Limits
//
// Programs are limited to [MaxInstructions] (4096) instructions. Conditional
// jumps farther than 255 instructions are widened through unconditional
// jumps. The userspace VM does not implement kernel extensions (VLAN tag
// present, packet type, ...): a -ddd program that uses them is refused by
// FromRaw. On Linux live sockets the kernel usually removes the VLAN tag
// before the filter runs, so vlan in a kernel filter does not see it.
package filter
