package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/projections"
)

// Work of the lookup benchmark, unit last.
const (
	lookupEventsDefault = 100_000
	lookupSamplesCount  = 200
)

// lookupSize is the log size of BenchmarkEntityLookups:
// LEDGER_BENCH_LOOKUP_EVENTS, or lookupEventsDefault.
func lookupSize(b *testing.B) int {
	text := os.Getenv("LEDGER_BENCH_LOOKUP_EVENTS")
	if text == "" {
		return lookupEventsDefault
	}
	size, err := strconv.Atoi(text)
	if err != nil || size < 1000 {
		b.Fatalf("LEDGER_BENCH_LOOKUP_EVENTS=%q: want a whole number of at least 1000", text)
	}
	return size
}

// BenchmarkEntityLookups measures what the dashboard's audit and trace
// lookups cost over HTTP on a large log, with the entity index a running
// server keeps, against the same lookup reading the log without it; and
// what building the index costs in time and memory.
func BenchmarkEntityLookups(b *testing.B) {
	size := lookupSize(b)
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		natsServer := natsjstest.RunServer(b, b.TempDir(), false)
		connection := natsjstest.Connect(b, natsServer)
		store := natsjstest.Open(b, connection, natsjs.Options{})
		fillLog(b, connection, size)

		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		index := projections.NewIndex(nil)
		started := time.Now()
		followed := make(chan struct{})
		go func() {
			defer close(followed)
			index.Follow(ctx, store)
		}()
		natsjstest.CheckFor(b, 30*time.Minute, func() error {
			if position := index.Position(); position < uint64(size) {
				return fmt.Errorf("index at %d of %d", position, size)
			}
			return nil
		})
		built := time.Since(started)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heapPerEvent := float64(after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc)) / float64(size)

		tokens, err := httpapi.NewTokens([]httpapi.Token{{Name: "bench", Role: httpapi.RoleAdmin, Token: benchToken}})
		if err != nil {
			b.Fatal(err)
		}
		service := ledger.New(store, ledger.Options{Catalog: benchCatalog(b)})
		indexed := app.New(app.Parts{Store: store, Service: service, Catalog: service.Catalog()})
		indexed.UseIndex(index)
		unindexed := app.New(app.Parts{Store: store, Service: service, Catalog: service.Catalog()})
		// The APIs are closed at the end: an open one keeps its live hub,
		// and through it the index, alive for the benchmarks after this.
		indexedAPI := httpapi.New(httpapi.Options{Ledger: indexed, Tokens: tokens, RateRequestsPerSecond: 1e9, RateBurst: 1e9})
		unindexedAPI := httpapi.New(httpapi.Options{Ledger: unindexed, Tokens: tokens, RateRequestsPerSecond: 1e9, RateBurst: 1e9})
		withIndex, withoutIndex := httptest.NewServer(indexedAPI.Handler()), httptest.NewServer(unindexedAPI.Handler())

		random := rand.New(rand.NewPCG(uint64(size), 7))
		// Sessions are events n%4 == 2 and money donations n%4 == 0 of the
		// synthetic log; no void falls on either.
		session := func() string { return fmt.Sprintf("S-%d", 4*random.IntN(size/4)+2) }
		donation := func() string { return fmt.Sprintf("D-%d", 4*random.IntN(size/4)) }
		for _, lookup := range []struct {
			what, path string
			id         func() string
		}{{"audit", "/api/v1/audit/", session}, {"trace", "/api/v1/trace/", donation}} {
			var latencies []time.Duration
			for range lookupSamplesCount {
				latencies = append(latencies, timedGet(b, withIndex.URL+lookup.path+lookup.id()))
			}
			indexedTimes := measurement{latencies: latencies}
			whole := timedGet(b, withoutIndex.URL+lookup.path+lookup.id())
			b.ReportMetric(float64(indexedTimes.percentile(0.99).Microseconds()), lookup.what+"-p99-µs")
			summarize(fmt.Sprintf("LATENCY %s of one entry over HTTP, %d events, entity index: p50 %s, p99 %s (%d lookups); reading the log without the index: %s",
				lookup.what, size, indexedTimes.percentile(0.5), indexedTimes.percentile(0.99), len(latencies), whole))
		}
		summarize(fmt.Sprintf("INDEX entity index of %d events: built in %s (%.0f events/s), %.0f heap bytes per event",
			size, built.Round(time.Millisecond), float64(size)/built.Seconds(), heapPerEvent))
		withIndex.Close()
		withoutIndex.Close()
		indexedAPI.Close()
		unindexedAPI.Close()
		cancel()
		<-followed
	}
}

// timedGet fetches a URL with the bench token and says how long the
// answer took; an answer other than 200 fails the benchmark.
func timedGet(b *testing.B, url string) time.Duration {
	request, err := http.NewRequest("GET", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	request.Header.Set("Authorization", "Bearer "+benchToken)
	started := time.Now()
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(reply.Body)
	reply.Body.Close()
	elapsed := time.Since(started)
	if reply.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s", url, reply.StatusCode, body)
	}
	return elapsed
}
