//go:build !linux && !libpcap

package capture

import "github.com/gopacket/gopacket/layers"

// LiveLinkType returns ErrLiveUnsupported: live capture is implemented for
// Linux only.
func LiveLinkType(iface string) (layers.LinkType, error) {
	return 0, ErrLiveUnsupported
}

// OpenLive returns ErrLiveUnsupported: live capture is implemented for
// Linux only.
func OpenLive(iface string, opts LiveOptions) (Source, error) {
	return nil, ErrLiveUnsupported
}
