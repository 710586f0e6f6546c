package httpapi

import (
	"container/heap"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// appendSecondsBuckets are the upper bounds of the append latency histogram.
var appendSecondsBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// metrics is a small Prometheus text exporter: counters, one histogram and
// gauges read at scrape time. The ledger needs no more than this.
type metrics struct {
	mu             sync.Mutex
	appends        uint64
	rejections     map[string]uint64
	requests       map[requestKey]uint64
	appendBuckets  []uint64
	appendSum      float64
	appendCount    uint64
	appendFailures uint64
}

func newMetrics() *metrics {
	return &metrics{rejections: map[string]uint64{}, requests: map[requestKey]uint64{}, appendBuckets: make([]uint64, len(appendSecondsBuckets))}
}

func (m *metrics) appended() {
	m.mu.Lock()
	m.appends++
	m.mu.Unlock()
}

func (m *metrics) rejection(reason string) {
	m.mu.Lock()
	m.rejections[reason]++
	m.mu.Unlock()
}

func (m *metrics) observeAppend(elapsed time.Duration, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seconds := elapsed.Seconds()
	for i, bound := range appendSecondsBuckets {
		if seconds <= bound {
			m.appendBuckets[i]++
		}
	}
	m.appendSum += seconds
	m.appendCount++
	if !ok {
		m.appendFailures++
	}
}

// requestKey counts the requests of one route that ended with one status.
// A struct, not a formatted string, so that counting a request allocates
// nothing: the string form is only made when the metrics are scraped.
type requestKey struct {
	route  string
	status int
}

func (m *metrics) observeRequest(route string, status int, _ time.Duration) {
	m.mu.Lock()
	m.requests[requestKey{route: route, status: status}]++
	m.mu.Unlock()
}

// sortedRequestKeys orders the request counters as their labels read,
// route then status as text, which is the order the scrape has always
// listed them in.
func sortedRequestKeys(requests map[requestKey]uint64) []requestKey {
	keys := make([]requestKey, 0, len(requests))
	for key := range requests {
		keys = append(keys, key)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].route != keys[j].route {
			return keys[i].route < keys[j].route
		}
		return strconv.Itoa(keys[i].status) < strconv.Itoa(keys[j].status)
	})
	return keys
}

// writeRequests writes the request counters, one line a route and status;
// the caller holds m.mu.
func (m *metrics) writeRequests(out *strings.Builder) {
	for _, key := range sortedRequestKeys(m.requests) {
		fmt.Fprintf(out, "ledger_http_requests_total{route=%q,status=%q} %d\n", key.route, strconv.Itoa(key.status), m.requests[key])
	}
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ identity) error {
	var out strings.Builder
	m := s.metrics
	m.mu.Lock()
	fmt.Fprintf(&out, "# HELP ledger_appends_total Events written through the API.\n# TYPE ledger_appends_total counter\nledger_appends_total %d\n", m.appends)
	fmt.Fprintf(&out, "# HELP ledger_rejections_total Requests refused, by reason (the error code).\n# TYPE ledger_rejections_total counter\n")
	for _, reason := range sortedKeys(m.rejections) {
		fmt.Fprintf(&out, "ledger_rejections_total{reason=%q} %d\n", reason, m.rejections[reason])
	}
	fmt.Fprintf(&out, "# HELP ledger_append_seconds Time to record one request of events.\n# TYPE ledger_append_seconds histogram\n")
	for i, bound := range appendSecondsBuckets {
		fmt.Fprintf(&out, "ledger_append_seconds_bucket{le=\"%g\"} %d\n", bound, m.appendBuckets[i])
	}
	fmt.Fprintf(&out, "ledger_append_seconds_bucket{le=\"+Inf\"} %d\nledger_append_seconds_sum %g\nledger_append_seconds_count %d\n",
		m.appendCount, m.appendSum, m.appendCount)
	fmt.Fprintf(&out, "# HELP ledger_http_requests_total HTTP requests by route and status.\n# TYPE ledger_http_requests_total counter\n")
	m.writeRequests(&out)
	m.mu.Unlock()
	fmt.Fprintf(&out, "# HELP ledger_live_clients Live (SSE) clients connected.\n# TYPE ledger_live_clients gauge\nledger_live_clients %d\n", s.hub.clientCount())
	fmt.Fprintf(&out, "# HELP ledger_live_clients_dropped_total Live clients dropped for reading too slowly.\n# TYPE ledger_live_clients_dropped_total counter\nledger_live_clients_dropped_total %d\n", s.hub.droppedCount())
	if status, err := s.options.Ledger.ProjectionStatus(r.Context()); err == nil {
		fmt.Fprintf(&out, "# HELP ledger_projection_lag_events Events the projection is behind the log head.\n# TYPE ledger_projection_lag_events gauge\nledger_projection_lag_events{projection=%q} %d\n", status.Name, status.LagEvents)
		fmt.Fprintf(&out, "# HELP ledger_projection_lag_seconds Recorded time the projection is behind the log head.\n# TYPE ledger_projection_lag_seconds gauge\nledger_projection_lag_seconds{projection=%q} %g\n", status.Name, status.LagSeconds)
		fmt.Fprintf(&out, "# HELP ledger_log_head Position of the last event in the log.\n# TYPE ledger_log_head gauge\nledger_log_head %d\n", status.Head)
	}
	if position, ok := s.options.Ledger.IndexPosition(); ok {
		fmt.Fprintf(&out, "# HELP ledger_entity_index_position Last log position the entity index (audit, trace) has taken in.\n# TYPE ledger_entity_index_position gauge\nledger_entity_index_position %d\n", position)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, err := w.Write([]byte(out.String()))
	return err
}

func sortedKeys[V any](values map[string]V) []string {
	keys := make([]string, 0, len(values))
	for key := range values {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// limiter is a token bucket per key: per API token, and per remote
// address for failed logins.
type limiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	clock   func() time.Time
	buckets map[string]*bucket
	// byFull orders the buckets by the instant each holds a full burst
	// again, the soonest first: the bucket evicted when there is no room.
	byFull bucketHeap
	// bucketsMax bounds the buckets kept (limiterBucketsMax).
	bucketsMax int
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
	// full is when the bucket holds a full burst again; from then on it is
	// the same as no bucket at all.
	full time.Time
	// index is the bucket's place in byFull.
	index int
}

// limiterBucketsMax bounds the buckets kept: one per configured token, or
// per remote address that sent a wrong token recently.
const limiterBucketsMax = 10_000

func newLimiter(rate float64, burst int, clock func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), clock: clock, buckets: map[string]*bucket{}, bucketsMax: limiterBucketsMax}
}

// exhausted tells whether key has no credit left, without spending any.
func (l *limiter) exhausted(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return false
	}
	return min(l.burst, b.tokens+l.clock().Sub(b.last).Seconds()*l.rate) < 1
}

func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.bucketsMax {
			// Room is made by dropping the one bucket that is full soonest:
			// dropping a bucket gives its key a full burst back, and this one
			// gives back the least (nothing, if it is already full). Emptying
			// every bucket instead let anyone with enough addresses wipe an
			// exhausted address's count.
			evicted := heap.Pop(&l.byFull).(*bucket)
			delete(l.buckets, evicted.key)
		}
		b = &bucket{key: key, tokens: l.burst, last: now, full: now}
		l.buckets[key] = b
		heap.Push(&l.byFull, b)
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	b.full = now
	if l.rate > 0 {
		b.full = now.Add(time.Duration((l.burst - b.tokens) / l.rate * float64(time.Second)))
	}
	heap.Fix(&l.byFull, b.index)
	return allowed
}

// bucketHeap is a min-heap of buckets by the instant each is full again.
// That order does not change as time passes (every bucket refills at the
// same rate), so it only needs fixing when a bucket is spent from.
type bucketHeap []*bucket

func (h bucketHeap) Len() int           { return len(h) }
func (h bucketHeap) Less(i, j int) bool { return h[i].full.Before(h[j].full) }
func (h bucketHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *bucketHeap) Push(x any) {
	b := x.(*bucket)
	b.index = len(*h)
	*h = append(*h, b)
}

func (h *bucketHeap) Pop() any {
	old := *h
	b := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return b
}
