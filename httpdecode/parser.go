package httpdecode

import "bytes"

// Default limits (see Limits).
const (
	DefaultMaxHeaderBytes = 64 << 10
	DefaultMaxLineBytes   = 8 << 10
	DefaultMaxHeaders     = 256
	DefaultMaxPending     = 100
)

// carryKeep is the largest carry-over buffer a Parser keeps between
// messages; a larger one (a head that crossed many segments) is released.
const carryKeep = 4 << 10

// WithDefaults returns l with every zero or negative field replaced by its
// default, and MaxLineBytes capped at MaxHeaderBytes.
func (l Limits) WithDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = DefaultMaxLineBytes
	}
	if l.MaxLineBytes > l.MaxHeaderBytes {
		l.MaxLineBytes = l.MaxHeaderBytes
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	if l.MaxPending <= 0 {
		l.MaxPending = DefaultMaxPending
	}
	return l
}

// Field is one header field of a Head, as a view into the parser's input.
type Field struct {
	Name, Value []byte
}

// Head is a parsed message head passed to ParserHandler.Head. Every byte
// slice (and Fields) is a view valid only during the call: copy what must be
// kept.
type Head struct {
	Request bool
	// Method, Target and Version of a request line; Version, Status and
	// Reason of a status line. Version is "HTTP/1.x" as sent.
	Method, Target []byte
	Status         int
	Reason         []byte
	Version        []byte
	// Fields are the header fields in order, names as sent, values with
	// surrounding whitespace removed and obs-folds joined by one space.
	Fields []Field
	// HeaderBytes is the size of the head from the first byte of the start
	// line to the end of the empty line.
	HeaderBytes int
	// ContentLength is the valid declared length, or -1.
	ContentLength int64
	// Framing is the framing the parser derived (RFC 9112 §6.3) assuming
	// the response answers a GET; see ParserHandler.Head.
	Framing Framing
	// Start is the time of the first byte of the start line, End of the
	// last byte of the head.
	Start, End int64
	// Skipped counts the bytes skipped while resynchronising before this
	// message (0 in an intact stream).
	Skipped int64
}

// Done describes the end of a message (ParserHandler.Done).
type Done struct {
	Framing Framing
	// BodyBytes counts body data bytes seen; BodyWireBytes all bytes seen
	// after the head (chunk framing and trailers included); GapBytes body
	// bytes missing from the capture.
	BodyBytes, BodyWireBytes, GapBytes int64
	// Complete: the body ended where its framing said (close-delimited:
	// the direction ended). Truncated: the direction ended first.
	Complete, Truncated bool
	// End is the time of the last byte of the message that was seen.
	End int64
	// TailLost: the message ended in a capture gap (its last bytes, or its
	// chunk framing, were never seen), so it really ended after End, at
	// the latest when the gap was reported.
	TailLost bool
}

// ParserHandler receives the events of a Parser, synchronously from Feed,
// Gap, End and StartTunnel. Byte slices are valid only during the call.
type ParserHandler interface {
	// Head is called when a message head is complete. It returns the
	// framing to use for the body: normally h.Framing, or FramingNone for a
	// response to HEAD, or FramingTunnel for a 2xx response to CONNECT.
	Head(h *Head) Framing
	// Body passes body data bytes (chunk framing excluded).
	Body(p []byte, t int64)
	// Done is called once per message that reached Head, when it ends.
	Done(d *Done)
	// Tunnel passes the bytes that follow a switch of protocol.
	Tunnel(p []byte, t int64)
	// Anomaly reports one of the Anomaly* tokens.
	Anomaly(token string)
}

// Stats are the counters of one Parser.
type Stats struct {
	// Bytes counts bytes fed; GapBytes bytes announced missing.
	Bytes, GapBytes int64
	// Messages counts messages that reached Done.
	Messages int64
	// Resyncs counts resynchronisations; SkippedBytes the bytes dropped
	// by them (including abandoned partial heads).
	Resyncs, SkippedBytes int64
	// TunnelBytes counts bytes passed to Tunnel.
	TunnelBytes int64
}

type pstate uint8

const (
	stHead        pstate = iota // before or inside a head
	stBodyCL                    // Content-Length body
	stChunkSize                 // chunk-size digits
	stChunkExt                  // rest of the chunk-size line
	stChunkData                 // chunk data
	stChunkDataCR               // CRLF after chunk data, expecting CR
	stChunkDataLF               // CRLF after chunk data, expecting LF
	stTrailer                   // trailer section
	stClose                     // close-delimited body
	stTunnel                    // after a protocol switch
	stResync                    // scanning for a start line
	stEnded                     // End was called
)

// Parser is an incremental push parser for one direction of HTTP/1.x:
// requests (client to server) or responses. It is fed synchronously and
// reports through a ParserHandler. It scans the caller's slices in place and
// copies only a head that crosses Feed calls into a carry-over buffer capped
// by Limits.MaxHeaderBytes; bodies are counted, never stored. In steady
// state it allocates nothing per message.
//
// A Parser is not safe for concurrent use.
type Parser struct {
	h       ParserHandler
	lim     Limits
	request bool
	state   pstate

	// Head scanning.
	carry     []byte // partial head, or a resync candidate line
	inHead    bool   // the first byte of a start line was seen
	scanFrom  int    // start of the first unfinished line in carry
	lines     int    // field lines seen
	lineEnds  []int  // offset after each complete line's LF
	firstDone bool   // start line validated into sl
	sl        startLine
	start     int64
	skipped   int64 // bytes skipped before the next head

	head   Head
	fields []Field
	fold   []byte

	// Body.
	done        Done
	bareLF      bool // AnomalyBareLF raised for the current message
	resyncAfter bool // resynchronise once the current message is done
	remain      int64
	csize       uint64
	cdigits     int
	lineLen     int
	trailer     int
	lastCR      bool
	lastT       int64
	candT       int64

	stats Stats
}

// NewParser returns a Parser for requests (request true) or responses,
// reporting to h. Zero fields of lim take their defaults.
func NewParser(request bool, h ParserHandler, lim Limits) *Parser {
	p := &Parser{}
	p.Reset(request, h, lim)
	return p
}

// Reset makes p a fresh parser with the given settings; it keeps its buffers.
func (p *Parser) Reset(request bool, h ParserHandler, lim Limits) {
	carry, fields, fold, lineEnds := p.carry[:0], p.fields[:0], p.fold[:0], p.lineEnds[:0]
	*p = Parser{h: h, lim: lim.WithDefaults(), request: request, carry: carry, fields: fields, fold: fold, lineEnds: lineEnds}
}

// Stats returns the parser's counters.
func (p *Parser) Stats() Stats { return p.stats }

// Buffered returns the capacity of the parser's carry-over buffer, which
// Limits bound (MaxHeaderBytes+2 at most).
func (p *Parser) Buffered() int { return cap(p.carry) }

// Feed parses the next bytes b of the direction, seen at time t
// (nanoseconds). b is not retained.
func (p *Parser) Feed(b []byte, t int64) {
	if p.state == stEnded {
		return
	}
	p.stats.Bytes += int64(len(b))
	for len(b) > 0 {
		switch p.state {
		case stHead:
			b = p.feedHead(b, t)
		case stBodyCL:
			b = p.feedCL(b, t)
		case stChunkData:
			b = p.feedChunkData(b, t)
		case stChunkSize, stChunkExt, stChunkDataCR, stChunkDataLF, stTrailer:
			b = p.feedChunkFraming(b, t)
		case stClose:
			p.body(b, t)
			b = nil
		case stTunnel:
			p.stats.TunnelBytes += int64(len(b))
			p.h.Tunnel(b, t)
			b = nil
		case stResync:
			b = p.feedResync(b, t)
		default:
			return
		}
	}
}

// Gap reports that n bytes of the direction are missing at time t. Inside a
// Content-Length body, chunk data or a close-delimited body the gap is
// counted in Done.GapBytes and parsing continues; anywhere else the parser
// resynchronises.
func (p *Parser) Gap(n int, t int64) {
	if n <= 0 || p.state == stEnded {
		return
	}
	p.stats.GapBytes += int64(n)
	rem := int64(n)
	for rem > 0 {
		switch p.state {
		case stBodyCL:
			g := min(rem, p.remain)
			p.done.GapBytes += g
			p.remain -= g
			rem -= g
			if p.remain == 0 {
				p.done.TailLost = true
				p.finish(p.lastT, true)
			}
		case stChunkData:
			g := min(rem, p.remain)
			p.done.GapBytes += g
			p.remain -= g
			rem -= g
			if p.remain == 0 {
				p.state = stChunkDataCR
			}
		case stChunkSize, stChunkExt, stChunkDataCR, stChunkDataLF, stTrailer:
			// The chunk framing is lost: the message cannot be followed.
			p.resyncAfter = true
			p.done.TailLost = true
			p.finish(p.lastT, false)
		case stClose:
			p.done.GapBytes += rem
			rem = 0
		case stTunnel:
			if g, ok := p.h.(interface{ TunnelGap(n int, t int64) }); ok {
				g.TunnelGap(int(rem), t)
			}
			rem = 0
		case stHead:
			p.skip(int64(len(p.carry)))
			p.enterResync("")
		default: // stResync: a candidate spanning the gap is void.
			p.skip(int64(len(p.carry)))
			p.carry = p.carry[:0]
			rem = 0
		}
	}
}

// End reports that the direction ended at time t (FIN, RST or end of
// capture). A message whose body was not complete is reported truncated; a
// close-delimited body is complete.
func (p *Parser) End(t int64) {
	switch p.state {
	case stEnded:
		return
	case stHead:
		if p.inHead {
			p.h.Anomaly(AnomalyTruncatedHead)
			p.skip(int64(len(p.carry)))
		}
	case stBodyCL, stChunkSize, stChunkExt, stChunkData, stChunkDataCR, stChunkDataLF, stTrailer:
		p.h.Anomaly(AnomalyTruncatedBody)
		p.done.Truncated = true
		p.finish(p.lastT, false)
	case stClose:
		p.finish(p.lastT, true)
	}
	p.state = stEnded
	p.carry = nil
}

// StartTunnel switches the direction to tunnel mode at time t: every later
// byte goes to ParserHandler.Tunnel. A message in progress ends incomplete;
// bytes of an unfinished head are passed to Tunnel. Conn calls it on the
// request direction when the response direction switched protocols.
func (p *Parser) StartTunnel(t int64) {
	switch p.state {
	case stEnded, stTunnel:
		return
	case stHead, stResync:
		if len(p.carry) > 0 {
			p.stats.TunnelBytes += int64(len(p.carry))
			p.h.Tunnel(p.carry, t)
		}
	default:
		p.finish(t, false)
	}
	p.resetHead()
	p.resyncAfter = false
	p.state = stTunnel
}

func (p *Parser) skip(n int64) {
	p.stats.SkippedBytes += n
	p.skipped += n
}

func (p *Parser) resetHead() {
	p.inHead, p.scanFrom, p.lines, p.firstDone = false, 0, 0, false
	p.lineEnds = p.lineEnds[:0]
	if cap(p.carry) > carryKeep {
		p.carry = nil
	} else {
		p.carry = p.carry[:0]
	}
}

// enterResync raises tok (if any) and AnomalyResync, drops the partial head
// and starts scanning for a start line.
func (p *Parser) enterResync(tok string) {
	if tok != "" {
		p.h.Anomaly(tok)
	}
	p.h.Anomaly(AnomalyResync)
	p.stats.Resyncs++
	p.resetHead()
	p.state = stResync
}

// finish ends the current message.
func (p *Parser) finish(t int64, complete bool) {
	p.done.Complete = complete
	p.done.End = t
	p.h.Done(&p.done)
	p.stats.Messages++
	p.bareLF = false
	p.state = stHead
	p.resetHead()
	if p.resyncAfter {
		p.resyncAfter = false
		p.enterResync("")
	}
}

func (p *Parser) body(b []byte, t int64) {
	if len(b) == 0 {
		return
	}
	p.done.BodyBytes += int64(len(b))
	p.done.BodyWireBytes += int64(len(b))
	p.lastT = t
	p.h.Body(b, t)
}

func (p *Parser) raiseBareLF() {
	if !p.bareLF {
		p.bareLF = true
		p.h.Anomaly(AnomalyBareLF)
	}
}

// ---- heads ----

func (p *Parser) feedHead(b []byte, t int64) []byte {
	if !p.inHead {
		// RFC 9112 §2.2: empty lines before a start line are ignored.
		i := 0
		for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
			i++
		}
		b = b[i:]
		if len(b) == 0 {
			return nil
		}
		p.inHead = true
		p.start = t
		p.scanFrom, p.lines, p.firstDone = 0, 0, false
		p.lineEnds = p.lineEnds[:0]
	}
	if len(p.carry) == 0 {
		// Zero-copy path: the head may be complete in b.
		end, fail, resume := p.scanHead(b)
		if end > 0 {
			p.parseHead(b[:end], t)
			return b[end:]
		}
		if fail != "" {
			p.skip(int64(resume))
			p.enterResync(fail)
			return b[resume:]
		}
		p.appendCarry(b)
		return nil
	}
	old := len(p.carry)
	take := min(len(b), p.lim.MaxHeaderBytes+1-old)
	p.appendCarry(b[:take])
	end, fail, resume := p.scanHead(p.carry)
	if end > 0 {
		p.parseHead(p.carry[:end], t)
		if p.state != stResync {
			p.resetCarryKeepState()
		}
		return b[end-old:]
	}
	if fail != "" {
		p.skip(int64(resume))
		p.enterResync(fail)
		return b[resume-old:]
	}
	return b[take:]
}

// appendCarry appends b to the carry-over buffer, growing it to at most
// MaxHeaderBytes+2 bytes of capacity (callers never need more).
func (p *Parser) appendCarry(b []byte) {
	need := len(p.carry) + len(b)
	if need > cap(p.carry) {
		n := min(max(2*cap(p.carry), need, 512), p.lim.MaxHeaderBytes+2)
		n = max(n, need)
		buf := make([]byte, len(p.carry), n)
		copy(buf, p.carry)
		p.carry = buf
	}
	p.carry = append(p.carry, b...)
}

// resetCarryKeepState empties the carry buffer after a head parsed from it
// (the head views are no longer referenced).
func (p *Parser) resetCarryKeepState() {
	if cap(p.carry) > carryKeep {
		p.carry = nil
	} else {
		p.carry = p.carry[:0]
	}
}

// scanHead looks for the end of the head in buf from p.scanFrom, checking
// the limits and validating the start line as soon as it is complete. It
// returns the end offset (after the empty line), or a failure token and the
// offset where scanning may resume, or zeros when more bytes are needed.
func (p *Parser) scanHead(buf []byte) (end int, fail string, resume int) {
	i := p.scanFrom
	for {
		rel := bytes.IndexByte(buf[i:], '\n')
		avail := rel // bytes of the line before its LF
		if rel < 0 {
			avail = len(buf) - i
		}
		// The resume offsets are where a byte-at-a-time feed would notice
		// the excess, so that results do not depend on how bytes were split.
		if tok, at := p.limitHit(i, avail, rel >= 0); tok != "" {
			return 0, tok, at
		}
		if rel < 0 {
			p.scanFrom = i
			return 0, "", 0
		}
		lineEnd := i + rel + 1
		line := buf[i : i+rel]
		switch {
		case !p.firstDone:
			ln := trimCR(line)
			if p.request {
				if !parseRequestLine(ln, &p.sl) {
					return 0, AnomalyBadRequestLine, lineEnd
				}
			} else if !parseStatusLine(ln, &p.sl) {
				return 0, AnomalyBadStatusLine, lineEnd
			}
			p.firstDone = true
		case rel == 0 || rel == 1 && line[0] == '\r':
			p.lineEnds = append(p.lineEnds, lineEnd)
			return lineEnd, "", 0
		default:
			p.lines++
			if p.lines > p.lim.MaxHeaders {
				return 0, AnomalyTooManyHeaders, lineEnd
			}
		}
		p.lineEnds = append(p.lineEnds, lineEnd)
		i = lineEnd
	}
}

// limitHit checks the line starting at offset i of a head, of which avail
// bytes (before any LF) are known, against MaxLineBytes and MaxHeaderBytes.
// It returns the failure token and the offset just after the first byte
// that exceeded a limit, or "".
func (p *Parser) limitHit(i, avail int, lf bool) (string, int) {
	lineAt := i + p.lim.MaxLineBytes + 1 // byte that makes the line too long
	headAt := p.lim.MaxHeaderBytes + 1   // byte that makes the head too large
	lineHit := avail > p.lim.MaxLineBytes
	end := i + avail
	if lf {
		end++
	}
	headHit := end > p.lim.MaxHeaderBytes
	switch {
	case lineHit && (!headHit || lineAt <= headAt):
		return AnomalyLineTooLong, lineAt
	case headHit:
		return AnomalyHeaderTooLarge, headAt
	}
	return "", 0
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

func trimOWS(b []byte) []byte {
	for len(b) > 0 && isOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseHead parses a complete head buf (start line validated by scanHead),
// reports it and sets up the body state.
func (p *Parser) parseHead(buf []byte, t int64) {
	h := &p.head
	sl := &p.sl
	*h = Head{Request: p.request, HeaderBytes: len(buf), Start: p.start, End: t, Skipped: p.skipped, ContentLength: -1}
	p.skipped = 0
	if p.request {
		h.Method, h.Target, h.Version = buf[sl.a0:sl.a1], buf[sl.b0:sl.b1], buf[sl.c0:sl.c1]
		if sl.space {
			p.h.Anomaly(AnomalySpaceInTarget)
		}
	} else {
		h.Version, h.Status, h.Reason = buf[sl.a0:sl.a1], sl.status, buf[sl.b0:sl.b1]
	}
	// scanHead recorded the end of every line: the start line, the field
	// lines and the empty line.
	i := p.lineEnds[0]
	bare := i < 2 || buf[i-2] != '\r'
	fields := p.fields[:0]
	p.fold = p.fold[:0]
	foldStart := -1 // start in p.fold of the last field's folded value
	for _, end := range p.lineEnds[1:] {
		line := buf[i : end-1]
		i = end
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		} else {
			bare = true
		}
		if len(line) == 0 {
			break
		}
		if isOWS(line[0]) {
			if len(fields) == 0 {
				// RFC 9112 §2.2: whitespace before the first field.
				p.h.Anomaly(AnomalyBadHeaderLine)
				continue
			}
			// RFC 9112 §5.2: replace the obs-fold by one SP.
			p.h.Anomaly(AnomalyObsFold)
			f := &fields[len(fields)-1]
			if foldStart < 0 {
				if cap(p.fold) < len(buf) {
					p.fold = make([]byte, 0, len(buf))
				}
				foldStart = len(p.fold)
				p.fold = append(p.fold, f.Value...)
			}
			if cont := trimOWS(line); len(cont) > 0 {
				if len(p.fold) > foldStart {
					p.fold = append(p.fold, ' ')
				}
				p.fold = append(p.fold, cont...)
			}
			f.Value = p.fold[foldStart:len(p.fold):len(p.fold)]
			continue
		}
		foldStart = -1
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			p.h.Anomaly(AnomalyBadHeaderLine)
			continue
		}
		name := line[:colon]
		if isOWS(name[len(name)-1]) {
			p.h.Anomaly(AnomalySpaceBeforeColon)
			for len(name) > 0 && isOWS(name[len(name)-1]) {
				name = name[:len(name)-1]
			}
		}
		if !isToken(name) {
			p.h.Anomaly(AnomalyBadHeaderLine)
			continue
		}
		fields = append(fields, Field{Name: name, Value: trimOWS(line[colon+1:])})
	}
	if bare {
		p.raiseBareLF()
	}
	p.fields = fields
	h.Fields = fields
	h.Framing = p.framing(h)
	f := p.h.Head(h)
	if f == FramingContentLength && h.ContentLength < 0 {
		f = FramingNone
	}
	h.Framing = f
	p.done = Done{Framing: f}
	p.lastT = t
	switch f {
	case FramingContentLength:
		if h.ContentLength == 0 {
			p.finish(t, true)
			return
		}
		p.remain = h.ContentLength
		p.state = stBodyCL
	case FramingChunked:
		p.state = stChunkSize
		p.csize, p.cdigits, p.lineLen, p.lastCR = 0, 0, 0, false
	case FramingCloseDelimited:
		p.state = stClose
	case FramingTunnel:
		p.resyncAfter = false
		p.finish(t, true)
		p.state = stTunnel
	default:
		p.finish(t, true)
	}
}

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return true
}

// equalFoldLower compares b to the lower-case ASCII string s ignoring case.
func equalFoldLower(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// framing derives the body framing of h (RFC 9112 §6.3) and the declared
// Content-Length, raising the framing anomalies. Responses are framed as if
// they answered a GET; ParserHandler.Head corrects for HEAD and CONNECT.
func (p *Parser) framing(h *Head) Framing {
	var (
		cl                      int64 = -1
		clSeen, clBad, clDiffer bool
		clCount                 int
		teSeen, teChunked       bool
	)
	for i := range h.Fields {
		f := &h.Fields[i]
		switch len(f.Name) {
		case 14:
			if !equalFoldLower(f.Name, "content-length") {
				continue
			}
			clSeen = true
			// RFC 9110 §8.6: a list of identical values is acceptable.
			v := f.Value
			for {
				c := bytes.IndexByte(v, ',')
				elem := v
				if c >= 0 {
					elem = v[:c]
				}
				n, ok := parseDecimal(trimOWS(elem))
				switch {
				case !ok:
					clBad = true
				case clCount > 0 && n != cl:
					clDiffer = true
				}
				if ok && clCount == 0 {
					cl = n
				}
				clCount++
				if c < 0 {
					break
				}
				v = v[c+1:]
			}
		case 17:
			if !equalFoldLower(f.Name, "transfer-encoding") {
				continue
			}
			teSeen = true
			if last := lastListElem(f.Value); len(last) > 0 {
				teChunked = equalFoldLower(last, "chunked")
			}
		}
	}
	switch {
	case clBad:
		p.h.Anomaly(AnomalyBadContentLength)
	case clDiffer:
		p.h.Anomaly(AnomalyConflictingContentLength)
	case clCount > 1:
		p.h.Anomaly(AnomalyDuplicateContentLength)
	}
	clValid := clSeen && !clBad && !clDiffer
	if clValid {
		h.ContentLength = cl
	}
	if !p.request {
		s := h.Status
		if clSeen && (s < 200 || s == 204) {
			p.h.Anomaly(AnomalyForbiddenContentLength)
		}
		switch {
		case s == 101:
			return FramingTunnel
		case s < 200 || s == 204 || s == 304:
			return FramingNone
		}
	}
	if teSeen {
		if clSeen {
			p.h.Anomaly(AnomalyContentLengthAndTransferEncoding)
		}
		if teChunked {
			return FramingChunked
		}
		if p.request {
			p.h.Anomaly(AnomalyBadTransferEncoding)
			p.resyncAfter = true
			return FramingNone
		}
		return FramingCloseDelimited
	}
	if clSeen {
		if clValid {
			return FramingContentLength
		}
		if p.request {
			p.resyncAfter = true
			return FramingNone
		}
		return FramingCloseDelimited
	}
	if p.request {
		return FramingNone
	}
	return FramingCloseDelimited
}

// parseDecimal parses a Content-Length value: 1 to 18 decimal digits.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// lastListElem returns the last non-empty element of a comma-separated
// list, without parameters and surrounding whitespace.
func lastListElem(v []byte) []byte {
	for len(v) > 0 {
		c := bytes.LastIndexByte(v, ',')
		elem := trimOWS(v[c+1:])
		if sc := bytes.IndexByte(elem, ';'); sc >= 0 {
			elem = trimOWS(elem[:sc])
		}
		if len(elem) > 0 || c < 0 {
			return elem
		}
		v = v[:c]
	}
	return nil
}

// ---- bodies ----

func (p *Parser) feedCL(b []byte, t int64) []byte {
	n := min(int64(len(b)), p.remain)
	p.body(b[:n], t)
	p.remain -= n
	if p.remain == 0 {
		p.finish(t, true)
	}
	return b[n:]
}

func (p *Parser) feedChunkData(b []byte, t int64) []byte {
	n := min(int64(len(b)), p.remain)
	p.body(b[:n], t)
	p.remain -= n
	if p.remain == 0 {
		p.state = stChunkDataCR
	}
	return b[n:]
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// chunkFail ends the chunked message incomplete and resynchronises.
func (p *Parser) chunkFail(tok string, t int64) {
	p.h.Anomaly(tok)
	p.resyncAfter = true
	p.finish(t, false)
}

// feedChunkFraming parses chunk-size lines, the CRLF after chunk data and
// the trailer section (RFC 9112 §7.1). It returns the unconsumed bytes.
func (p *Parser) feedChunkFraming(b []byte, t int64) []byte {
	i := 0
	for i < len(b) {
		switch p.state {
		case stChunkSize:
			c := b[i]
			if v := unhex(c); v >= 0 {
				if p.cdigits >= 15 {
					p.wire(i, t)
					p.chunkFail(AnomalyBadChunkSize, t)
					return b[i:]
				}
				p.csize = p.csize<<4 | uint64(v)
				p.cdigits++
				p.lineLen++
				p.lastCR = false
				i++
				continue
			}
			if p.cdigits == 0 {
				p.wire(i, t)
				p.chunkFail(AnomalyBadChunkSize, t)
				return b[i:]
			}
			p.state = stChunkExt
		case stChunkExt:
			// Skip BWS and chunk extensions up to the LF.
			j := bytes.IndexByte(b[i:], '\n')
			avail := j
			if j < 0 {
				avail = len(b) - i
			}
			if p.lineLen+avail > p.lim.MaxLineBytes {
				i += p.lim.MaxLineBytes + 1 - p.lineLen
				p.wire(i, t)
				p.chunkFail(AnomalyLineTooLong, t)
				return b[i:]
			}
			if j < 0 {
				p.lineLen += avail
				p.lastCR = b[len(b)-1] == '\r'
				i = len(b)
				continue
			}
			p.lineLen += j
			cr := j > 0 && b[i+j-1] == '\r' || j == 0 && p.lastCR
			i += j + 1
			if !cr {
				p.raiseBareLF()
			}
			p.lineLen, p.lastCR = 0, false
			if p.csize == 0 {
				p.state = stTrailer
				p.trailer = 0
				continue
			}
			p.remain = int64(p.csize)
			p.state = stChunkData
			p.wire(i, t)
			return b[i:]
		case stChunkDataCR:
			switch b[i] {
			case '\r':
				p.state = stChunkDataLF
				i++
			case '\n':
				p.raiseBareLF()
				i++
				p.nextChunk()
			default:
				p.wire(i, t)
				p.chunkFail(AnomalyBadChunkFraming, t)
				return b[i:]
			}
		case stChunkDataLF:
			if b[i] != '\n' {
				p.wire(i, t)
				p.chunkFail(AnomalyBadChunkFraming, t)
				return b[i:]
			}
			i++
			p.nextChunk()
		case stTrailer:
			j := bytes.IndexByte(b[i:], '\n')
			avail := j
			if j < 0 {
				avail = len(b) - i
			}
			if fail, n := p.trailerLimits(avail, j >= 0); fail != "" {
				i += n
				p.wire(i, t)
				p.chunkFail(fail, t)
				return b[i:]
			}
			if j < 0 {
				p.lineLen += avail
				p.trailer += avail
				p.lastCR = b[len(b)-1] == '\r'
				i = len(b)
				continue
			}
			cr := j > 0 && b[i+j-1] == '\r' || j == 0 && p.lastCR
			content := p.lineLen + j
			if cr {
				content--
			}
			p.lineLen += j
			p.trailer += j + 1
			i += j + 1
			if !cr {
				p.raiseBareLF()
			}
			p.lineLen, p.lastCR = 0, false
			if content == 0 {
				p.wire(i, t)
				p.finish(t, true)
				return b[i:]
			}
		default:
			return b[i:]
		}
	}
	p.wire(i, t)
	return nil
}

// trailerLimits checks the next avail bytes of a trailer line (plus its LF
// when lf) against the limits. It returns the failure token and how many of
// those bytes a byte-at-a-time feed would have consumed when it noticed.
func (p *Parser) trailerLimits(avail int, lf bool) (string, int) {
	lineN := p.lim.MaxLineBytes + 1 - p.lineLen // bytes to exceed the line
	headN := p.lim.MaxHeaderBytes + 1 - p.trailer
	lineHit := p.lineLen+avail > p.lim.MaxLineBytes
	total := avail
	if lf {
		total++
	}
	headHit := p.trailer+total > p.lim.MaxHeaderBytes
	switch {
	case lineHit && (!headHit || lineN <= headN):
		return AnomalyLineTooLong, lineN
	case headHit:
		return AnomalyHeaderTooLarge, headN
	}
	return "", 0
}

// wire counts n framing bytes seen at time t.
func (p *Parser) wire(n int, t int64) {
	if n > 0 {
		p.done.BodyWireBytes += int64(n)
		p.lastT = t
	}
}

func (p *Parser) nextChunk() {
	p.state = stChunkSize
	p.csize, p.cdigits, p.lineLen, p.lastCR = 0, 0, 0, false
}

// ---- resynchronisation ----

const (
	candNone = iota
	candPartial
	candValid
)

// feedResync scans for the next plausible start line: for requests a known
// method, SP, a target, SP and "HTTP/1.x"; for responses "HTTP/1.x NNN". A
// candidate whose line is not complete is kept in the carry buffer (at most
// MaxLineBytes).
func (p *Parser) feedResync(b []byte, t int64) []byte {
	if len(p.carry) == 0 {
		pos, st := p.findCandidate(b)
		p.skip(int64(pos))
		switch st {
		case candValid:
			p.state = stHead
			return b[pos:]
		case candPartial:
			p.appendCarry(b[pos:])
			p.candT = t
		}
		return nil
	}
	take := len(b)
	if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
		take = nl + 1
	}
	take = min(take, p.lim.MaxLineBytes+2-len(p.carry))
	p.appendCarry(b[:take])
	b = b[take:]
	pos, st := p.findCandidate(p.carry)
	p.skip(int64(pos))
	switch st {
	case candValid:
		n := copy(p.carry, p.carry[pos:])
		p.carry = p.carry[:n]
		p.state = stHead
		p.inHead = true
		p.start = p.candT
		p.scanFrom, p.lines, p.firstDone = 0, 0, false
		p.lineEnds = p.lineEnds[:0]
	case candPartial:
		n := copy(p.carry, p.carry[pos:])
		p.carry = p.carry[:n]
	default:
		p.carry = p.carry[:0]
	}
	return b
}

// findCandidate returns the offset of the first plausible start line in buf
// and whether it is valid (complete line) or partial (buf ends first). With
// candNone the offset is len(buf).
func (p *Parser) findCandidate(buf []byte) (int, int) {
	lineEnd := -1 // offset of the LF ending the line that contains i, or len(buf)
	lastBad := -1 // last control character of that line
	suffixOK := false
	var sl startLine
	for i := 0; i < len(buf); i++ {
		c := buf[i]
		var m int
		if p.request {
			if !methodFirst[c] {
				continue
			}
			m = matchMethod(buf[i:])
		} else {
			if c != 'H' {
				j := bytes.IndexByte(buf[i:], 'H')
				if j < 0 {
					return len(buf), candNone
				}
				i += j
			}
			m = matchStatus(buf[i:])
		}
		switch m {
		case matchNo:
			continue
		case matchPartial:
			return i, candPartial
		}
		if i > lineEnd {
			// Examine the line containing i once for all its candidates.
			nl := bytes.IndexByte(buf[i:], '\n')
			if nl < 0 {
				if len(buf)-i <= p.lim.MaxLineBytes {
					return i, candPartial
				}
				// Too long whatever follows: try the candidates that could
				// still end within MaxLineBytes.
				i = len(buf) - p.lim.MaxLineBytes - 1
				continue
			}
			lineEnd = i + nl
			line := trimCR(buf[i:lineEnd])
			suffixOK = !p.request || len(line) >= 9 &&
				string(line[len(line)-9:len(line)-1]) == " HTTP/1." && isDigit(line[len(line)-1])
			lastBad = -1
			for k := len(line) - 1; k >= 0; k-- {
				if d := line[k]; d < ' ' && d != '\t' || d == 0x7f {
					lastBad = i + k
					break
				}
			}
		}
		if !suffixOK {
			i = lineEnd // no candidate on this line can be valid
			continue
		}
		if lastBad >= i {
			i = lastBad // a control character after i makes i invalid
			continue
		}
		if lineEnd-i > p.lim.MaxLineBytes {
			continue
		}
		line := trimCR(buf[i:lineEnd])
		ok := false
		if p.request {
			ok = parseRequestLine(line, &sl)
		} else {
			ok = parseStatusLine(line, &sl)
		}
		if ok {
			return i, candValid
		}
	}
	return len(buf), candNone
}
