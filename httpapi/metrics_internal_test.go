package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"
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

// An address that used up its failed logins stays refused while wrong
// tokens from more addresses than the limiter keeps arrive: the limiter
// drops the bucket nearest to full to make room, never every bucket (it
// once emptied them all at limiterBucketsMax, so anyone with 10,000
// addresses, all of 127/8 on the host, could reset an address's count).
func TestFailedLoginsSurviveAFloodOfAddresses(t *testing.T) {
	now := time.Date(2022, 6, 15, 9, 0, 0, 0, time.UTC)
	failed := newLimiter(1.0/failedLoginIntervalSeconds, failedLoginsBurst, func() time.Time { return now })
	for range failedLoginsBurst + 5 {
		failed.allow("127.0.0.1")
	}
	if !failed.exhausted("127.0.0.1") {
		t.Fatal("an address that sent 25 wrong tokens at once is not refused")
	}
	// The flood takes well under one failedLoginIntervalSeconds, so no
	// address earns a login back by time alone.
	for i := range 3 * limiterBucketsMax {
		now = now.Add(time.Microsecond)
		failed.allow(fmt.Sprintf("127.1.%d.%d", i/250, i%250+1))
		if len(failed.buckets) > limiterBucketsMax || failed.byFull.Len() != len(failed.buckets) {
			t.Fatalf("after %d addresses: %d buckets, %d in the heap, at most %d", i+1, len(failed.buckets), failed.byFull.Len(), limiterBucketsMax)
		}
	}
	if !failed.exhausted("127.0.0.1") {
		t.Fatalf("%d wrong tokens from other addresses gave 127.0.0.1 its failed logins back", 3*limiterBucketsMax)
	}
	// The flood's own buckets, each spent once, are the ones dropped: an
	// address of it that keeps guessing is counted from its own start.
	for range failedLoginsBurst {
		failed.allow("127.1.0.1")
	}
	if !failed.exhausted("127.1.0.1") {
		t.Fatal("an address of the flood is not refused after a burst of its own")
	}
	// Time still gives an address its logins back.
	now = now.Add(failedLoginsBurst * failedLoginIntervalSeconds * time.Second)
	if failed.exhausted("127.0.0.1") {
		t.Fatal("a full interval later, 127.0.0.1 is still refused")
	}
}

// The reviewer's reproduction, through the server: 25 wrong tokens from
// 127.0.0.1, then one from each of 10,000 other loopback addresses, then
// 25 more from 127.0.0.1, which must all be refused as before the flood.
func TestFailedLoginResetByOtherAddresses(t *testing.T) {
	tokens, err := NewTokens([]Token{{Name: "alice", Role: RoleAdmin, Token: "alice-admin-token-0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	server := New(Options{Tokens: tokens})
	defer server.Close()
	from := func(address string) int {
		request := httptest.NewRequest(http.MethodGet, "/api/v1/whoami", nil)
		request.RemoteAddr = address + ":40000"
		request.Header.Set("Authorization", "Bearer wrong-guess-0000000000")
		recorder := httptest.NewRecorder()
		server.Handler().ServeHTTP(recorder, request)
		return recorder.Code
	}
	started := time.Now()
	counts := map[int]int{}
	for range 25 {
		counts[from("127.0.0.1")]++
	}
	if counts[http.StatusUnauthorized] != failedLoginsBurst || counts[http.StatusTooManyRequests] != 5 {
		t.Fatalf("25 wrong tokens from 127.0.0.1: %v, want %d answered 401 and the rest 429", counts, failedLoginsBurst)
	}
	for i := range limiterBucketsMax {
		from(fmt.Sprintf("127.1.%d.%d", i/250, i%250+1))
	}
	counts = map[int]int{}
	for range 25 {
		counts[from("127.0.0.1")]++
	}
	// One more login comes back every failedLoginIntervalSeconds of real time.
	refilled := 1 + int(time.Since(started).Seconds())/failedLoginIntervalSeconds
	if counts[http.StatusUnauthorized] > refilled {
		t.Fatalf("after wrong tokens from %d other addresses, 25 more from 127.0.0.1: %v; at most %d may be checked", limiterBucketsMax, counts, refilled)
	}
}
