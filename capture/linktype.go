package capture

import (
	"strconv"

	"connscope/flow"

	"github.com/gopacket/gopacket/layers"
)

// Link types the decoder handles, as LINKTYPE_/DLT_ numbers in capture
// files (https://www.tcpdump.org/linktypes.html).
const (
	linkNull      layers.LinkType = 0   // BSD loopback, host byte order
	linkEthernet  layers.LinkType = 1   // Ethernet, with 802.1Q/QinQ tags
	linkRawBSD    layers.LinkType = 12  // DLT_RAW as numbered on some BSDs
	linkRawBSDOS  layers.LinkType = 14  // DLT_RAW as numbered on OpenBSD
	linkRaw       layers.LinkType = 101 // LINKTYPE_RAW: bare IPv4 or IPv6
	linkLoop      layers.LinkType = 108 // OpenBSD loopback, network byte order
	linkLinuxSLL  layers.LinkType = 113 // Linux cooked capture v1
	linkIPv4      layers.LinkType = 228 // bare IPv4
	linkIPv6      layers.LinkType = 229 // bare IPv6
	linkLinuxSLL2 layers.LinkType = 276 // Linux cooked capture v2
)

// LinkTypeName returns the stable lower-case name used in Stats.LinkTypes
// for a link-type number: "null", "ethernet", "raw", "loop", "linux_sll",
// "ipv4", "ipv6", "linux_sll2", or "linktype_<n>" for a type the decoder
// does not handle.
func LinkTypeName(lt layers.LinkType) string {
	switch lt {
	case linkNull:
		return "null"
	case linkEthernet:
		return "ethernet"
	case linkRaw, linkRawBSD, linkRawBSDOS:
		return "raw"
	case linkLoop:
		return "loop"
	case linkLinuxSLL:
		return "linux_sll"
	case linkIPv4:
		return "ipv4"
	case linkIPv6:
		return "ipv6"
	case linkLinuxSLL2:
		return "linux_sll2"
	}
	return "linktype_" + strconv.Itoa(int(lt))
}

// timeOf converts nanoseconds since the epoch to a flow.Time.
func timeOf(ns int64) flow.Time { return flow.Time(ns) }
