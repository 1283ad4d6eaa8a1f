package report

import (
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// HAR 1.2 document types (http://www.softwareishard.com/blog/har-12-spec/).
// Only what a capture of HTTP/1.x can fill is set; required members that we
// cannot know carry the spec's "unknown" values (-1, "" or empty lists).
type (
	harDoc struct {
		Log harLog `json:"log"`
	}
	harLog struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Entries []harEntry `json:"entries"`
	}
	harCreator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	harEntry struct {
		StartedDateTime string      `json:"startedDateTime"`
		Time            float64     `json:"time"`
		Request         harRequest  `json:"request"`
		Response        harResponse `json:"response"`
		Cache           struct{}    `json:"cache"`
		Timings         harTimings  `json:"timings"`
		ServerIPAddress string      `json:"serverIPAddress,omitempty"`
		Connection      string      `json:"connection"`
	}
	harRequest struct {
		Method      string  `json:"method"`
		URL         string  `json:"url"`
		HTTPVersion string  `json:"httpVersion"`
		Cookies     []harNV `json:"cookies"`
		Headers     []harNV `json:"headers"`
		QueryString []harNV `json:"queryString"`
		HeadersSize int64   `json:"headersSize"`
		BodySize    int64   `json:"bodySize"`
		Comment     string  `json:"comment,omitempty"`
	}
	harResponse struct {
		Status      int        `json:"status"`
		StatusText  string     `json:"statusText"`
		HTTPVersion string     `json:"httpVersion"`
		Cookies     []harNV    `json:"cookies"`
		Headers     []harNV    `json:"headers"`
		Content     harContent `json:"content"`
		RedirectURL string     `json:"redirectURL"`
		HeadersSize int64      `json:"headersSize"`
		BodySize    int64      `json:"bodySize"`
		Comment     string     `json:"comment,omitempty"`
	}
	harContent struct {
		Size     int64  `json:"size"`
		MimeType string `json:"mimeType"`
	}
	harNV struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	harTimings struct {
		Blocked float64 `json:"blocked"`
		DNS     float64 `json:"dns"`
		Connect float64 `json:"connect"`
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
		SSL     float64 `json:"ssl"`
	}
)

// WriteHAR writes the transactions of r as a HAR 1.2 log: one entry per
// transaction, ordered by request start (ties by connection and index).
// Each entry carries the connection id in "connection", the server address
// in "serverIPAddress", and timings converted from timings_us to
// milliseconds (connect is -1 unless the transaction's connect time is
// known; blocked, dns and ssl are always -1). Header lists hold only the
// headers the report keeps (Host and the connection-management headers),
// and headersSize is -1. The output is deterministic and r is not modified.
func WriteHAR(w io.Writer, r *Report) error {
	n, err := normalizedAll(r)
	if err != nil {
		return err
	}
	servers := make(map[uint32]string, len(n.Connections))
	for _, c := range n.Connections {
		servers[c.ID] = c.Server
	}
	txs := slices.Clone(n.Transactions)
	slices.SortStableFunc(txs, func(a, b Transaction) int {
		return compareTime(a.RequestStart, b.RequestStart)
	})
	name := n.Tool.Name
	if name == "" {
		name = "connscope"
	}
	doc := harDoc{Log: harLog{
		Version: "1.2",
		Creator: harCreator{Name: name, Version: n.Tool.Version},
		Entries: make([]harEntry, 0, len(txs)),
	}}
	for i := range txs {
		doc.Log.Entries = append(doc.Log.Entries, harEntryOf(&txs[i], servers[txs[i].Connection]))
	}
	if err := newSafeEncoder(w, "  ").Encode(doc); err != nil {
		return fmt.Errorf("write har: %w", err)
	}
	return nil
}

// harEntryOf converts one transaction; server is its connection's server
// endpoint ("" when unknown).
func harEntryOf(t *Transaction, server string) harEntry {
	tm := harTimings{
		Blocked: -1, DNS: -1, Connect: -1, SSL: -1,
		Send:    usToMS(t.TimingsUS.Send),
		Wait:    usToMS(t.TimingsUS.Wait),
		Receive: usToMS(t.TimingsUS.Receive),
	}
	total := t.TimingsUS.Send + t.TimingsUS.Wait + t.TimingsUS.Receive
	if t.TimingsUS.Connect != nil {
		tm.Connect = usToMS(*t.TimingsUS.Connect)
		total += *t.TimingsUS.Connect
	}
	h := t.Headers
	reqHeaders := harHeaders(
		"Host", t.Host,
		"Connection", h.RequestConnection,
		"Keep-Alive", h.RequestKeepAlive,
		"Proxy-Connection", h.ProxyConnection,
		"Upgrade", h.Upgrade,
		"TE", h.TE,
	)
	respHeaders := harHeaders(
		"Connection", h.ResponseConnection,
		"Keep-Alive", h.ResponseKeepAlive,
		"Content-Type", t.ResponseContentType,
	)
	e := harEntry{
		StartedDateTime: t.RequestStart,
		Time:            usToMS(total),
		Request: harRequest{
			Method:      t.Method,
			URL:         harURL(t, server),
			HTTPVersion: t.RequestVersion,
			Cookies:     []harNV{},
			Headers:     reqHeaders,
			QueryString: harQuery(t.Target),
			HeadersSize: -1,
			BodySize:    t.RequestBodyBytes,
		},
		Response: harResponse{
			Status:      t.Status,
			StatusText:  t.Reason,
			HTTPVersion: t.ResponseVersion,
			Cookies:     []harNV{},
			Headers:     respHeaders,
			Content:     harContent{Size: t.ResponseBodyBytes, MimeType: t.ResponseContentType},
			HeadersSize: -1,
			BodySize:    t.ResponseBodyBytes,
		},
		Timings:         tm,
		ServerIPAddress: hostIP(server),
		Connection:      strconv.FormatUint(uint64(t.Connection), 10),
	}
	if m := t.MissingResponse(); m != "" {
		e.Response.BodySize = -1
		e.Response.Comment = m
	}
	if t.Truncated {
		e.Response.Comment = "body truncated"
	}
	return e
}

// harHeaders builds a header list from name/value pairs, skipping empty
// values.
func harHeaders(kv ...string) []harNV {
	out := []harNV{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			out = append(out, harNV{Name: kv[i], Value: kv[i+1]})
		}
	}
	return out
}

// harURL builds the absolute URL HAR wants: an absolute-form target is used
// as is (RFC 9112 §3.2.2); otherwise the authority is the Host header, else
// the connection's server endpoint. CONNECT's authority-form target
// (RFC 9112 §3.2.3) becomes the authority itself. Captured HTTP/1.x is
// cleartext, so the scheme is http.
func harURL(t *Transaction, server string) string {
	target := t.Target
	lower := strings.ToLower(target)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return target
	}
	if strings.EqualFold(t.Method, "CONNECT") {
		return "http://" + target
	}
	authority := t.Host
	if authority == "" {
		authority = server
	}
	if authority == "" {
		return target
	}
	if !strings.HasPrefix(target, "/") {
		// asterisk-form (RFC 9112 §3.2.4) or a malformed target.
		target = "/" + target
	}
	return "http://" + authority + target
}

// harQuery splits the query of a request target into name/value pairs in
// the order sent, percent-decoding where the encoding is valid.
func harQuery(target string) []harNV {
	out := []harNV{}
	_, q, ok := strings.Cut(target, "?")
	if !ok {
		return out
	}
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q = q[:i]
	}
	for part := range strings.SplitSeq(q, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		out = append(out, harNV{Name: unescapeQuery(name), Value: unescapeQuery(value)})
	}
	return out
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// hostIP returns the IP address of an "ip:port" or "[v6]:port" endpoint,
// or "" when it is not one.
func hostIP(endpoint string) string {
	if ap, err := netip.ParseAddrPort(endpoint); err == nil {
		return ap.Addr().String()
	}
	return ""
}

// usToMS converts microseconds to milliseconds.
func usToMS(us int64) float64 { return float64(us) / 1000 }
