package pcapgen

import (
	"net/netip"
	"time"
)

// Defaults of a new Conn.
const (
	DefaultClientISN uint32 = 1000
	DefaultServerISN uint32 = 5000
	DefaultStep             = 100 * time.Microsecond
	DefaultRTT              = time.Millisecond
	DefaultMSS              = 1460
	DefaultWindow    uint16 = 65535
)

// Conn plays one TCP connection into a Writer. It keeps the packet clock
// (Now) and the next sequence number of each side; every method writes its
// packets at Now and then advances Now by Step. Fields may be changed
// between calls to craft unusual traffic. All numbers are raw (absolute)
// sequence numbers.
type Conn struct {
	W              *Writer
	Client, Server netip.AddrPort
	// Now is the timestamp of the next packet.
	Now time.Time
	// Step is the time between consecutive packets.
	Step time.Duration
	// RTT is the handshake round trip used when Handshake gets none.
	RTT time.Duration
	// MSS bounds the payload of each segment written by ClientSend and
	// ServerSend.
	MSS int
	// ClientISN and ServerISN are the initial sequence numbers; use SetISN
	// to change them.
	ClientISN, ServerISN uint32
	// ClientNext and ServerNext are the next sequence numbers each side
	// sends (and the other side acknowledges).
	ClientNext, ServerNext uint32
	// ClientWindow and ServerWindow are the advertised (unscaled) windows.
	ClientWindow, ServerWindow uint16
}

// NewConn returns a Conn between client and server whose first packet is at
// t0. Sequence numbers start as if the handshake had happened (ISN+1), so a
// capture that starts mid-stream is made by not calling Handshake.
func NewConn(w *Writer, client, server netip.AddrPort, t0 time.Time) *Conn {
	c := &Conn{
		W: w, Client: client, Server: server, Now: t0,
		Step: DefaultStep, RTT: DefaultRTT, MSS: DefaultMSS,
		ClientWindow: DefaultWindow, ServerWindow: DefaultWindow,
	}
	c.SetISN(DefaultClientISN, DefaultServerISN)
	return c
}

// SetISN sets both initial sequence numbers and resets the next sequence
// numbers to ISN+1 (wrapping modulo 2^32).
func (c *Conn) SetISN(client, server uint32) {
	c.ClientISN, c.ServerISN = client, server
	c.ClientNext, c.ServerNext = client+1, server+1
}

// Advance moves the packet clock forward by d.
func (c *Conn) Advance(d time.Duration) { c.Now = c.Now.Add(d) }

// Segment returns a segment template from the client (fromClient) or the
// server carrying the current sequence and acknowledgment numbers, the ACK
// flag and the sender's window. Write it with Write after changing fields.
func (c *Conn) Segment(fromClient bool) Segment {
	if fromClient {
		return Segment{Src: c.Client, Dst: c.Server, Seq: c.ClientNext, Ack: c.ServerNext, Flags: ACK, Window: c.ClientWindow}
	}
	return Segment{Src: c.Server, Dst: c.Client, Seq: c.ServerNext, Ack: c.ClientNext, Flags: ACK, Window: c.ServerWindow}
}

// Write writes s at Now and advances Now by Step. It changes no sequence
// number: use it for retransmissions, out-of-order or crafted segments.
func (c *Conn) Write(s Segment) error {
	err := c.W.WriteSegment(c.Now, s)
	c.Now = c.Now.Add(c.Step)
	return err
}

// Send writes one segment from the client or the server with the given
// flags and payload at the current numbers, then advances that side's
// sequence number by the payload length plus one for SYN and for FIN.
func (c *Conn) Send(fromClient bool, flags uint8, payload []byte, opts ...[]byte) error {
	s := c.Segment(fromClient)
	s.Flags = flags
	s.Payload = payload
	s.Options = TCPOptions(opts...)
	n := uint32(len(payload))
	if flags&SYN != 0 {
		n++
	}
	if flags&FIN != 0 {
		n++
	}
	if fromClient {
		c.ClientNext += n
	} else {
		c.ServerNext += n
	}
	return c.Write(s)
}

// synOptions are the options of both handshake SYNs.
func synOptions() [][]byte {
	return [][]byte{OptMSS(DefaultMSS), OptSACKPermitted(), OptNOP(), OptWScale(7)}
}

// Handshake writes SYN, SYN-ACK and ACK. The SYN-ACK comes rtt (default
// c.RTT) after the SYN and the ACK Step after the SYN-ACK, as seen from the
// client side. Both SYNs carry MSS 1460, SACK-permitted and window scale 7.
func (c *Conn) Handshake(rtt ...time.Duration) error {
	r := c.RTT
	if len(rtt) > 0 {
		r = rtt[0]
	}
	c.ClientNext, c.ServerNext = c.ClientISN, c.ServerISN
	syn := c.Segment(true)
	syn.Flags, syn.Ack, syn.Options = SYN, 0, TCPOptions(synOptions()...)
	c.ClientNext++
	if err := c.W.WriteSegment(c.Now, syn); err != nil {
		return err
	}
	c.Now = c.Now.Add(r)
	if err := c.Send(false, SYN|ACK, nil, synOptions()...); err != nil {
		return err
	}
	return c.Send(true, ACK, nil)
}

// ClientSend writes data from the client, split into segments of at most
// MSS bytes; the last carries PSH.
func (c *Conn) ClientSend(data []byte) error { return c.sendData(true, data) }

// ServerSend writes data from the server, split like ClientSend.
func (c *Conn) ServerSend(data []byte) error { return c.sendData(false, data) }

func (c *Conn) sendData(fromClient bool, data []byte) error {
	mss := c.MSS
	if mss <= 0 {
		mss = DefaultMSS
	}
	for len(data) > 0 {
		n := min(len(data), mss)
		flags := ACK
		if n == len(data) {
			flags |= PSH
		}
		if err := c.Send(fromClient, flags, data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// ClientACK writes a pure ACK from the client.
func (c *Conn) ClientACK() error { return c.Send(true, ACK, nil) }

// ServerACK writes a pure ACK from the server.
func (c *Conn) ServerACK() error { return c.Send(false, ACK, nil) }

// ClientFIN writes FIN+ACK from the client.
func (c *Conn) ClientFIN() error { return c.Send(true, FIN|ACK, nil) }

// ServerFIN writes FIN+ACK from the server.
func (c *Conn) ServerFIN() error { return c.Send(false, FIN|ACK, nil) }

// ClientRST writes RST+ACK from the client.
func (c *Conn) ClientRST() error { return c.Send(true, RST|ACK, nil) }

// Close writes the usual client-initiated close: client FIN, server FIN
// (acknowledging it), client ACK.
func (c *Conn) Close() error {
	if err := c.ClientFIN(); err != nil {
		return err
	}
	if err := c.ServerFIN(); err != nil {
		return err
	}
	return c.ClientACK()
}

// Err returns the Writer's first error.
func (c *Conn) Err() error { return c.W.Err() }
