package analysis

import "time"

// Vantage names where a capture was taken relative to one connection,
// inferred from the two halves of its handshake (detection-methods §1.3):
// serverHalf = SYN→SYN/ACK (capture point to server and back) and
// clientHalf = SYN/ACK→ACK (capture point to client and back).
//
// It returns "client" when the client half is under 1 ms and under a tenth
// of the whole, "server" for the symmetric case, "middle" when neither half
// is small, and "unknown" when either half is missing or the whole round
// trip is under 2 ms (loopback or LAN, where the distinction does not
// matter).
func Vantage(serverHalf, clientHalf time.Duration) string {
	if serverHalf <= 0 && clientHalf <= 0 {
		return "unknown"
	}
	total := serverHalf + clientHalf
	if total < 2*time.Millisecond {
		return "unknown"
	}
	switch {
	case clientHalf < time.Millisecond && clientHalf*10 < total:
		return "client"
	case serverHalf < time.Millisecond && serverHalf*10 < total:
		return "server"
	}
	return "middle"
}

// CaptureVantage combines per-connection vantages into one for the capture:
// the common value when all known ones agree, "mixed" when they differ, and
// "unknown" when none is known.
func CaptureVantage(vs map[string]int) string {
	known := ""
	for v, n := range vs {
		if v == "unknown" || n == 0 {
			continue
		}
		if known != "" && known != v {
			return "mixed"
		}
		known = v
	}
	if known == "" {
		return "unknown"
	}
	return known
}
