package dns

import (
	"sort"
	"time"

	"connscope/flow"
)

// Config bounds a Tracker.
type Config struct {
	// MaxPending caps unanswered queries kept (default 10,000).
	MaxPending int
	// QueryTimeout is how long a query waits for its response, in packet
	// time, before it is reported unanswered (default 30 s).
	QueryTimeout time.Duration
	// RetryWindow is how long after an unanswered query the same client
	// asking the same name and type again counts as a retry (default 10 s,
	// above the 5 s resolver timeout of glibc).
	RetryWindow time.Duration
}

// Defaults.
const (
	DefaultMaxPending   = 10000
	DefaultQueryTimeout = 30 * time.Second
	DefaultRetryWindow  = 10 * time.Second
)

func (c Config) withDefaults() Config {
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = DefaultQueryTimeout
	}
	if c.RetryWindow <= 0 {
		c.RetryWindow = DefaultRetryWindow
	}
	return c
}

// Lookup is one question answered (or not): the first query, the last
// query sent (retries re-send it) and the response.
type Lookup struct {
	Name string
	Type uint16
	// Client and Server are the endpoints of the answered (or last) query.
	Client, Server flow.Endpoint
	// FirstQuery is the time of the first query, Query of the last one
	// (they differ when Retries > 0); Response is 0 when NoResponse.
	FirstQuery, Query, Response flow.Time
	// QueryIndex is the frame index of the first query.
	QueryIndex uint64
	Retries    int
	NoResponse bool
	RCode      uint8
	Truncated  bool
	// Answers are the answer records (at most MaxAnswers).
	Answers []Record
	// key is the pending-table key of the last query.
	key pairKey
}

// RTT is the last query's round trip (0 without a response).
func (l *Lookup) RTT() time.Duration {
	if l.NoResponse {
		return 0
	}
	return time.Duration(l.Response - l.Query)
}

// Total is first query to response: what the client waited, retries
// included (0 without a response).
func (l *Lookup) Total() time.Duration {
	if l.NoResponse {
		return 0
	}
	return time.Duration(l.Response - l.FirstQuery)
}

type pairKey struct {
	client, server flow.Endpoint
	id             uint16
	name           string
	qtype          uint16
}

type chainKey struct {
	client flow.Addr
	name   string
	qtype  uint16
}

// Tracker pairs the queries and responses of one capture.
type Tracker struct {
	cfg       Config
	pending   map[pairKey]*Lookup
	chains    map[chainKey]*Lookup
	done      []Lookup
	anoms     map[string]uint64
	lastSweep flow.Time
}

// NewTracker returns an empty tracker.
func NewTracker(cfg Config) *Tracker {
	return &Tracker{
		cfg:     cfg.withDefaults(),
		pending: map[pairKey]*Lookup{},
		chains:  map[chainKey]*Lookup{},
		anoms:   map[string]uint64{},
	}
}

// Port is the DNS port (RFC 1035 §4.2.1).
const Port = 53

// Datagram processes one UDP datagram; p is valid during the call only.
// Datagrams without port 53 on either side are ignored.
func (t *Tracker) Datagram(ts flow.Time, index uint64, src, dst flow.Endpoint, p []byte) {
	if src.Port != Port && dst.Port != Port {
		return
	}
	if ts-t.lastSweep >= flow.Time(time.Second) {
		t.sweep(ts)
		t.lastSweep = ts
	}
	m, a := Parse(p)
	if a != "" {
		t.anoms[a]++
		return
	}
	if m.Opcode != 0 || len(m.Questions) == 0 {
		return // only standard queries with a question are lookups
	}
	q := m.Questions[0]
	if !m.Response {
		if dst.Port != Port {
			return
		}
		t.query(ts, index, src, dst, m.ID, q)
		return
	}
	if src.Port != Port {
		return
	}
	k := pairKey{client: dst, server: src, id: m.ID, name: q.Name, qtype: q.Type}
	l := t.pending[k]
	if l == nil {
		t.anoms[AnomalyUnmatchedResponse]++
		return
	}
	delete(t.pending, k)
	ck := chainKey{client: dst.Addr, name: q.Name, qtype: q.Type}
	if t.chains[ck] == l {
		delete(t.chains, ck)
	}
	l.Client, l.Server = dst, src
	l.Response = ts
	l.RCode, l.Truncated = m.RCode, m.Truncated
	l.Answers = m.Answers
	t.done = append(t.done, *l)
}

func (t *Tracker) query(ts flow.Time, index uint64, src, dst flow.Endpoint, id uint16, q Question) {
	k := pairKey{client: src, server: dst, id: id, name: q.Name, qtype: q.Type}
	ck := chainKey{client: src.Addr, name: q.Name, qtype: q.Type}
	if prev := t.chains[ck]; prev != nil && ts-prev.Query <= flow.Time(t.cfg.RetryWindow) {
		// A retry: the lookup continues under the new query's key.
		delete(t.pending, prev.key)
		prev.key = k
		prev.Retries++
		prev.Query = ts
		prev.Client, prev.Server = src, dst
		t.pending[k] = prev
		return
	}
	if old := t.pending[k]; old != nil {
		// Same id, name and type re-sent after the retry window: the old
		// one was never answered.
		t.expire(k, old)
	}
	if len(t.pending) >= t.cfg.MaxPending {
		t.anoms[AnomalyPendingLimit]++
		return
	}
	l := &Lookup{Name: q.Name, Type: q.Type, Client: src, Server: dst, FirstQuery: ts, Query: ts, QueryIndex: index, key: k}
	t.pending[k] = l
	t.chains[ck] = l
}

func (t *Tracker) expire(k pairKey, l *Lookup) {
	delete(t.pending, k)
	ck := chainKey{client: k.client.Addr, name: k.name, qtype: k.qtype}
	if t.chains[ck] == l {
		delete(t.chains, ck)
	}
	l.NoResponse = true
	t.done = append(t.done, *l)
}

// sweep reports queries unanswered for longer than the query timeout.
func (t *Tracker) sweep(now flow.Time) {
	var old []pairKey
	for k, l := range t.pending {
		if now-l.Query > flow.Time(t.cfg.QueryTimeout) {
			old = append(old, k)
		}
	}
	for _, k := range old {
		t.expire(k, t.pending[k])
	}
}

// Finish reports the queries still unanswered and returns every lookup in
// order of first query (then frame index), with the anomaly counts.
func (t *Tracker) Finish() ([]Lookup, map[string]uint64) {
	for k, l := range t.pending {
		t.expire(k, l)
	}
	sort.Slice(t.done, func(i, j int) bool {
		a, b := &t.done[i], &t.done[j]
		if a.FirstQuery != b.FirstQuery {
			return a.FirstQuery < b.FirstQuery
		}
		return a.QueryIndex < b.QueryIndex
	})
	return t.done, t.anoms
}
