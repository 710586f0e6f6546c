package httpapi

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// TestRequestCountersReadAsBefore holds the request counters, now kept by
// route and status without formatting a key per request, to the lines
// the scrape wrote when each request formatted its key as "route\x00status":
// same labels, same counts, same order.
func TestRequestCountersReadAsBefore(t *testing.T) {
	observed := []struct {
		route  string
		status int
	}{
		{"POST /api/v1/events", 201}, {"POST /api/v1/events", 201}, {"POST /api/v1/events", 400},
		{"GET /api/v1/events", 200}, {"GET /api/v1/events/x", 200}, {"GET /api/v1/events", 1000},
		{"GET /healthz", 200}, {"POST /api/v1/events", 99}, {"GET /api/v1/audit/{id}", 404},
	}
	counters := newMetrics()
	formerly := map[string]uint64{}
	for _, request := range observed {
		counters.observeRequest(request.route, request.status, 0)
		formerly[fmt.Sprintf("%s\x00%d", request.route, request.status)]++
	}
	var want strings.Builder
	keys := make([]string, 0, len(formerly))
	for key := range formerly {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		route, status, _ := strings.Cut(key, "\x00")
		fmt.Fprintf(&want, "ledger_http_requests_total{route=%q,status=%q} %d\n", route, status, formerly[key])
	}
	var got strings.Builder
	counters.mu.Lock()
	counters.writeRequests(&got)
	counters.mu.Unlock()
	if got.String() != want.String() {
		t.Fatalf("request counters:\n%s\nwant, as formatted before:\n%s", got.String(), want.String())
	}
}
