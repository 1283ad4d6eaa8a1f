package pipeline

import (
	"net/netip"
	"slices"
	"sort"
	"time"

	"connscope/flow"
	"connscope/proto/dns"
	"connscope/report"
)

// dnsDecoder adapts dns.Tracker to UDPDecoder: lookups go to
// rep.DNSLookups, and each connection whose server address a lookup of the
// same client answered shortly before gets rc.DNS (detection-methods §5).
type dnsDecoder struct {
	tr *dns.Tracker
}

func newDNSDecoder() *dnsDecoder { return &dnsDecoder{tr: dns.NewTracker(dns.Config{})} }

// Datagram implements UDPDecoder.
func (d *dnsDecoder) Datagram(t flow.Time, index uint64, src, dst flow.Endpoint, p []byte) {
	d.tr.Datagram(t, index, src, dst, p)
}

// dnsAttachWindow is how long before a connection's first packet an
// answer may have arrived to be credited with it (detection-methods §5).
const dnsAttachWindow = 30 * time.Second

// dnsChainGap joins lookups of one name asked one after the other (A then
// AAAA) into the cost of one resolution.
const dnsChainGap = time.Second

// Records implements UDPDecoder: DNS makes no connection records.
func (d *dnsDecoder) Records(func(rc *report.Connection)) {}

// Finish implements UDPDecoder.
func (d *dnsDecoder) Finish(rep *report.Report) {
	lookups, anoms := d.tr.Finish()
	addCaptureAnomalies(rep, anoms)
	for i := range lookups {
		rep.DNSLookups = append(rep.DNSLookups, dnsRecord(&lookups[i]))
	}
	attachDNS(rep, lookups)
}

func dnsRecord(l *dns.Lookup) report.DNSLookup {
	r := report.DNSLookup{
		Name:       l.Name,
		Type:       dns.TypeName(l.Type),
		Client:     l.Client.String(),
		Server:     l.Server.String(),
		At:         report.FormatTime(int64(l.FirstQuery)),
		RTTUS:      flow.Micros(l.RTT()),
		Answers:    []string{},
		Retries:    l.Retries,
		NoResponse: l.NoResponse,
	}
	if !l.NoResponse {
		r.RCode = dns.RCodeName(l.RCode)
		if l.Retries > 0 {
			r.TotalUS = flow.Micros(l.Total())
		}
	}
	for _, a := range l.Answers {
		r.Answers = append(r.Answers, a.Data)
	}
	return r
}

type answerKey struct{ client, addr netip.Addr }

// dnsConn is what attachDNS needs of a connection record.
type dnsConn struct {
	id    uint32
	key   answerKey
	start flow.Time
	dns   bool // already attributed
}

// attachDNS sets rc.DNS on connections whose server address was in an
// answer to the same client host at most dnsAttachWindow before the
// connection's first packet; the most recent such answer wins. The
// records are read back (report.EachConnection) only when some lookup was
// answered, and patched through report.PatchConnections.
func attachDNS(rep *report.Report, lookups []dns.Lookup) {
	if !slices.ContainsFunc(lookups, func(l dns.Lookup) bool { return !l.NoResponse && len(l.Answers) > 0 }) {
		return
	}
	var conns []dnsConn
	_ = rep.EachConnection(func(rc *report.Connection) error { // a log read error fails the writer too
		if k, st, ok := connKey(rc); ok {
			conns = append(conns, dnsConn{id: rc.ID, key: k, start: st, dns: rc.DNS != nil})
		}
		return nil
	})
	rep.PatchConnections(dnsAttributions(conns, lookups))
}

// dnsAttributions returns the DNS attribution of each connection that has
// one, as patches by connection id.
func dnsAttributions(conns []dnsConn, lookups []dns.Lookup) map[uint32]func(*report.Connection) {
	byAnswer := map[answerKey][]int{}
	byName := map[string][]int{} // client host + name → lookups
	for i := range lookups {
		l := &lookups[i]
		if l.NoResponse {
			continue
		}
		c := l.Client.Addr.Netip()
		byName[c.String()+" "+l.Name] = append(byName[c.String()+" "+l.Name], i)
		for _, a := range l.Answers {
			if a.Addr.IsValid() {
				k := answerKey{c, a.Addr.Unmap()}
				if s := byAnswer[k]; len(s) == 0 || s[len(s)-1] != i {
					byAnswer[k] = append(s, i)
				}
			}
		}
	}
	if len(byAnswer) == 0 {
		return nil
	}
	for _, s := range byAnswer {
		sort.SliceStable(s, func(a, b int) bool { return lookups[s[a]].Response < lookups[s[b]].Response })
	}
	// Connection starts per (client host, server address): a resolution
	// chain never reaches back past the previous connection to the same
	// address (a browser resolving again for each connection).
	starts := map[answerKey][]flow.Time{}
	for ci := range conns {
		starts[conns[ci].key] = append(starts[conns[ci].key], conns[ci].start)
	}
	for _, s := range starts {
		sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	}
	out := map[uint32]func(*report.Connection){}
	for ci := range conns {
		dc := &conns[ci]
		if dc.dns {
			continue
		}
		key, start := dc.key, dc.start
		cands := byAnswer[key]
		// The latest answer at or before the connection's first packet.
		j := sort.Search(len(cands), func(k int) bool { return lookups[cands[k]].Response > start }) - 1
		if j < 0 {
			continue
		}
		best := &lookups[cands[j]]
		if time.Duration(start-best.Response) > dnsAttachWindow {
			continue
		}
		first, last := best.FirstQuery, best.Response
		var floor flow.Time // the previous connection to the same address
		ss := starts[key]
		if j := sort.Search(len(ss), func(k int) bool { return ss[k] >= start }); j > 0 {
			floor = ss[j-1]
		}
		// Lookups of the same name by the same client that ran just before
		// (or alongside) and answered before the connection add to its cost.
		same := byName[key.client.String()+" "+best.Name]
		for changed := true; changed; {
			changed = false
			for _, k := range same {
				o := &lookups[k]
				if o.Response > start || o.FirstQuery <= floor || o.FirstQuery >= first && o.Response <= last {
					continue
				}
				if o.Response+flow.Time(dnsChainGap) >= first && o.FirstQuery <= last+flow.Time(dnsChainGap) {
					if o.FirstQuery < first {
						first, changed = o.FirstQuery, true
					}
					if o.Response > last {
						last, changed = o.Response, true
					}
				}
			}
		}
		d := &report.ConnDNS{
			Name:        best.Name,
			LookupUS:    flow.Micros(time.Duration(last - first)),
			ToConnectUS: flow.Micros(time.Duration(start - last)),
		}
		out[dc.id] = func(rc *report.Connection) { rc.DNS = d }
	}
	return out
}

// connKey returns a connection's (client host, server address) and the
// time of its first packet.
func connKey(rc *report.Connection) (answerKey, flow.Time, bool) {
	cl, err1 := netip.ParseAddrPort(rc.Client)
	sv, err2 := netip.ParseAddrPort(rc.Server)
	st, err3 := time.Parse(time.RFC3339Nano, rc.Start)
	if err1 != nil || err2 != nil || err3 != nil {
		return answerKey{}, 0, false
	}
	return answerKey{cl.Addr().Unmap(), sv.Addr().Unmap()}, flow.Time(st.UnixNano()), true
}
