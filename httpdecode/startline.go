package httpdecode

// knownMethods are the request methods used to recognise HTTP/1.x when
// classifying a stream and when resynchronising: RFC 9110 §9, PATCH
// (RFC 5789) and the WebDAV/CalDAV family. Any token is accepted as a method
// in a request line that is parsed in order; only these start a resync.
var knownMethods = [...]string{
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
	"PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",
	"UNLOCK", "REPORT", "MKCALENDAR", "SEARCH", "PURGE",
}

// methodFirst marks bytes that start a known method.
var methodFirst [256]bool

// tchar marks the token characters of RFC 9110 §5.6.2.
var tchar [256]bool

func init() {
	for _, m := range knownMethods {
		methodFirst[m[0]] = true
	}
	for c := '0'; c <= '9'; c++ {
		tchar[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		tchar[c] = true
		tchar[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		tchar[c] = true
	}
}

// match results of a prefix test.
const (
	matchNo      = iota // cannot be the start of the thing
	matchPartial        // p is a proper prefix of it: need more bytes
	matchFull           // it starts p
)

// matchMethod tells whether p starts with a known method followed by SP.
func matchMethod(p []byte) int {
	if len(p) == 0 {
		return matchPartial
	}
	if !methodFirst[p[0]] {
		return matchNo
	}
	res := matchNo
	for _, m := range knownMethods {
		n := len(m)
		if len(p) > n {
			if p[n] == ' ' && string(p[:n]) == m {
				return matchFull
			}
			continue
		}
		if string(p) == m[:len(p)] {
			res = matchPartial
		}
	}
	return res
}

const httpVersionPrefix = "HTTP/1."

// matchStatus tells whether p starts with "HTTP/1.x NNN" (x and N digits).
func matchStatus(p []byte) int {
	const want = "HTTP/1.d ddd"
	n := len(p)
	if n > len(want) {
		n = len(want)
	}
	for i := 0; i < n; i++ {
		if want[i] == 'd' {
			if !isDigit(p[i]) {
				return matchNo
			}
		} else if p[i] != want[i] {
			return matchNo
		}
	}
	if n < len(want) {
		return matchPartial
	}
	return matchFull
}

// LooksLikeRequest reports whether p starts with a known HTTP method
// followed by a space, as "GET " or "OPTIONS ". Leading CR and LF bytes are
// ignored. It is a cheap test for choosing roles on a connection whose
// handshake was not seen; LooksLikeRequest([]byte("GET / HTTP/1.1")) is
// true, LooksLikeRequest([]byte("PRI * HTTP/2.0")) is false.
func LooksLikeRequest(p []byte) bool {
	return matchMethod(skipEmptyLines(p)) == matchFull
}

// LooksLikeResponse reports whether p starts with "HTTP/1." (leading CR and
// LF bytes ignored), as "HTTP/1.1 200 OK".
func LooksLikeResponse(p []byte) bool {
	p = skipEmptyLines(p)
	return len(p) >= len(httpVersionPrefix) && string(p[:len(httpVersionPrefix)]) == httpVersionPrefix
}

func skipEmptyLines(p []byte) []byte {
	i := 0
	for i < len(p) && (p[i] == '\r' || p[i] == '\n') {
		i++
	}
	return p[i:]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// startLine holds offsets of the parts of a start line within the head.
type startLine struct {
	a0, a1 int // method (request) or version (response)
	b0, b1 int // target (request) or reason (response)
	c0, c1 int // version (request)
	status int
	space  bool // request-target contains whitespace
}

// parseRequestLine validates line (without CR LF) as
// "method SP request-target SP HTTP/1.x" (RFC 9112 §3).
func parseRequestLine(line []byte, sl *startLine) bool {
	sp := -1
	for i, c := range line {
		if c == ' ' {
			sp = i
			break
		}
		if !tchar[c] {
			return false
		}
	}
	if sp <= 0 {
		return false
	}
	n := len(line)
	// The version is the last 8 bytes, preceded by SP.
	if n < sp+1+1+1+8 {
		return false
	}
	v := line[n-8:]
	if line[n-9] != ' ' || string(v[:7]) != httpVersionPrefix || !isDigit(v[7]) {
		return false
	}
	t0, t1 := sp+1, n-9
	if t1 <= t0 {
		return false
	}
	space := false
	for _, c := range line[t0:t1] {
		if c <= ' ' || c == 0x7f {
			if c == ' ' || c == '\t' {
				space = true
				continue
			}
			return false
		}
	}
	if line[t0] == ' ' || line[t1-1] == ' ' {
		// Two spaces in a row after the method or before the version.
		return false
	}
	*sl = startLine{a0: 0, a1: sp, b0: t0, b1: t1, c0: n - 8, c1: n, space: space}
	return true
}

// parseStatusLine validates line (without CR LF) as
// "HTTP/1.x SP 3DIGIT [SP reason-phrase]" (RFC 9112 §4). A missing SP after
// the status code is accepted.
func parseStatusLine(line []byte, sl *startLine) bool {
	if matchStatus(line) != matchFull {
		return false
	}
	if len(line) > 12 && line[12] != ' ' {
		return false
	}
	st := int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	if st < 100 {
		return false
	}
	r0 := 12
	if len(line) > 12 {
		r0 = 13
	}
	for _, c := range line[r0:] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	*sl = startLine{a0: 0, a1: 8, b0: r0, b1: len(line), status: st}
	return true
}
