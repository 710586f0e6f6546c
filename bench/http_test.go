package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/projections"
)

// Work of the HTTP benchmarks, unit last.
const (
	httpSingleRequestsCount = 2000
	httpBatchRequestsCount  = 20
	httpBatchEventsCount    = 1000
	liveClientsCount        = 50
	liveEventsPerSecond     = 1000
	liveSeconds             = 3
	benchToken              = "bench-token-0123456789abcdef"
)

type httpRig struct {
	*rig
	url  string
	stop func()
}

// newHTTPRig serves the API over a real embedded JetStream with the live
// totals runner following the log, as `ledger serve` does.
func newHTTPRig(b *testing.B) *httpRig {
	r := newRig(b, false, false)
	r.service = ledger.New(r.store, ledger.Options{Catalog: benchCatalog(b)})
	checkpoints, err := natsjs.OpenCheckpoints(context.Background(), r.connection, 1)
	if err != nil {
		b.Fatal(err)
	}
	// Each live client has its own token: one token may hold only a few
	// streams at once.
	known := []httpapi.Token{{Name: "bench", Role: httpapi.RoleAdmin, Token: benchToken}}
	for client := range liveClientsCount {
		known = append(known, httpapi.Token{Name: fmt.Sprintf("viewer-%d", client), Role: httpapi.RoleViewer, Token: liveToken(client)})
	}
	tokens, err := httpapi.NewTokens(known)
	if err != nil {
		b.Fatal(err)
	}
	projection := projections.NewTotalsProjection()
	var api *httpapi.Server
	runner := projections.NewRunner(r.store, checkpoints, projection, projections.RunnerOptions{
		OnApply: func(record eventstore.Record) { api.OnApply(record) },
	})
	use := app.New(app.Parts{Store: r.store, Service: r.service, Catalog: r.service.Catalog(), Checkpoints: checkpoints})
	use.Follow(runner, projection, nil)
	api = httpapi.New(httpapi.Options{Ledger: use, Tokens: tokens,
		RateRequestsPerSecond: 1e9, RateBurst: 1e9})
	ctx, cancel := context.WithCancel(context.Background())
	if err := runner.Load(ctx); err != nil {
		b.Fatal(err)
	}
	following := make(chan error, 1)
	go func() { following <- runner.Follow(ctx) }()
	server := httptest.NewServer(api.Handler())
	stop := func() {
		api.Close()
		server.Close()
		cancel()
		<-following
	}
	b.Cleanup(stop)
	return &httpRig{rig: r, url: server.URL, stop: stop}
}

func eventJSON(b *testing.B, event domain.Event) []byte {
	event.RecordedAt = time.Time{}
	data, err := event.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	// The stored form carries zero-valued fields the ledger fills; drop them
	// so the body is what a client sends.
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(data, &fields)
	for _, key := range []string{"id", "recorded_at", "schema_version", "aggregate", "actor"} {
		delete(fields, key)
	}
	body, _ := json.Marshal(fields)
	return body
}

func post(client *http.Client, url string, body []byte) error {
	request, err := http.NewRequest("POST", url+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return err
	}
	request.Header.Set("Authorization", "Bearer "+benchToken)
	request.Header.Set("Content-Type", "application/json")
	reply, err := client.Do(request)
	if err != nil {
		return err
	}
	defer reply.Body.Close()
	// The answer is read to its end, as any client that keeps its
	// connection does: net/http reuses a connection only when its last
	// body was read whole, and without this every request paid a new TCP
	// connection (a dial and an accept) that no real client pays.
	var message bytes.Buffer
	if _, err := message.ReadFrom(reply.Body); err != nil {
		return err
	}
	if reply.StatusCode != http.StatusCreated {
		return fmt.Errorf("status %d: %s", reply.StatusCode, message.String())
	}
	return nil
}

// leanClient posts over one kept-alive TCP connection: each request written
// whole in one write, each answer parsed (http.ReadResponse) and read to its
// end. It is what load generators such as wrk do, so that on a machine
// whose two cores the client shares with the server the figure is the
// server's more than net/http's client's, whose connection keeps a reader
// and a writer goroutine of its own.
type leanClient struct {
	connection net.Conn
	reader     *bufio.Reader
	host       string
	request    bytes.Buffer
}

func newLeanClient(b *testing.B, serverURL string) *leanClient {
	address := strings.TrimPrefix(serverURL, "http://")
	connection, err := net.Dial("tcp", address)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { connection.Close() })
	return &leanClient{connection: connection, reader: bufio.NewReader(connection), host: address}
}

func (c *leanClient) post(body []byte) error {
	c.request.Reset()
	fmt.Fprintf(&c.request, "POST /api/v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", c.host, benchToken, len(body))
	c.request.Write(body)
	if _, err := c.connection.Write(c.request.Bytes()); err != nil {
		return err
	}
	reply, err := http.ReadResponse(c.reader, nil)
	if err != nil {
		return err
	}
	answer, err := io.ReadAll(reply.Body)
	reply.Body.Close()
	if err != nil {
		return err
	}
	if reply.StatusCode != http.StatusCreated || !bytes.Contains(answer, []byte(`"position"`)) {
		return fmt.Errorf("status %d: %s", reply.StatusCode, answer)
	}
	return nil
}

// postSingles posts httpSingleRequestsCount single events, one at a time,
// each body made before the clock starts, and reports the measurement.
func postSingles(b *testing.B, post func(body []byte) error) measurement {
	bodies := make([][]byte, httpSingleRequestsCount)
	for i := range bodies {
		bodies[i] = eventJSON(b, donation("bench-0", i))
	}
	m := measurement{events: httpSingleRequestsCount}
	started := time.Now()
	for _, body := range bodies {
		began := time.Now()
		if err := post(body); err != nil {
			b.Fatal(err)
		}
		m.latencies = append(m.latencies, time.Since(began))
	}
	m.elapsed = time.Since(started)
	report(b, m)
	return m
}

// BenchmarkHTTPAppend: POST /api/v1/events over loopback against
// Service.Record in the same process, single events and batches of 1000;
// single events both with net/http's client and with a lean one.
func BenchmarkHTTPAppend(b *testing.B) {
	b.Run("in-process-single", func(b *testing.B) {
		for b.Loop() {
			r := newHTTPRig(b)
			m := measurement{events: httpSingleRequestsCount}
			started := time.Now()
			for i := range httpSingleRequestsCount {
				began := time.Now()
				if _, err := r.service.Record(context.Background(), []domain.Event{donation("bench-0", i)}); err != nil {
					b.Fatal(err)
				}
				m.latencies = append(m.latencies, time.Since(began))
			}
			m.elapsed = time.Since(started)
			report(b, m)
			keep("http/in-process-single", m)
		}
	})
	b.Run("http-single", func(b *testing.B) {
		for b.Loop() {
			r := newHTTPRig(b)
			client := &http.Client{Timeout: 30 * time.Second}
			keep("http/single", postSingles(b, func(body []byte) error { return post(client, r.url, body) }))
		}
	})
	b.Run("http-single-lean-client", func(b *testing.B) {
		for b.Loop() {
			r := newHTTPRig(b)
			client := newLeanClient(b, r.url)
			keep("http/single-lean", postSingles(b, client.post))
		}
	})
	b.Run("in-process-batch", func(b *testing.B) {
		for b.Loop() {
			r := newHTTPRig(b)
			m := measurement{events: httpBatchRequestsCount * httpBatchEventsCount}
			started := time.Now()
			for batch := range httpBatchRequestsCount {
				events := make([]domain.Event, httpBatchEventsCount)
				for i := range events {
					events[i] = donation("bench-0", batch*httpBatchEventsCount+i)
				}
				began := time.Now()
				if _, err := r.service.Record(context.Background(), events); err != nil {
					b.Fatal(err)
				}
				m.latencies = append(m.latencies, time.Since(began))
			}
			m.elapsed = time.Since(started)
			report(b, m)
			keep("http/in-process-batch", m)
		}
	})
	b.Run("http-batch", func(b *testing.B) {
		for b.Loop() {
			r := newHTTPRig(b)
			client := &http.Client{Timeout: 60 * time.Second}
			bodies := make([][]byte, httpBatchRequestsCount)
			for batch := range bodies {
				parts := make([]string, httpBatchEventsCount)
				for i := range parts {
					parts[i] = string(eventJSON(b, donation("bench-0", batch*httpBatchEventsCount+i)))
				}
				bodies[batch] = []byte(`{"events":[` + strings.Join(parts, ",") + `]}`)
			}
			m := measurement{events: httpBatchRequestsCount * httpBatchEventsCount}
			started := time.Now()
			for _, body := range bodies {
				began := time.Now()
				if err := post(client, r.url, body); err != nil {
					b.Fatal(err)
				}
				m.latencies = append(m.latencies, time.Since(began))
			}
			m.elapsed = time.Since(started)
			report(b, m)
			keep("http/batch", m)
		}
	})
	ratio(b, "HTTP single (ledger=HTTP, raw=in-process; file, no fsync)", "http/single", "http/in-process-single")
	ratio(b, "HTTP single, lean client (ledger=HTTP, raw=in-process; file, no fsync)", "http/single-lean", "http/in-process-single")
	ratio(b, "HTTP batch (ledger=HTTP, raw=in-process; file, no fsync)", "http/batch", "http/in-process-batch")
}

// BenchmarkLiveDelivery: 50 SSE clients connected; events appended at a
// steady 1000/s; latency from recorded-at to each client's receipt.
func BenchmarkLiveDelivery(b *testing.B) {
	for b.Loop() {
		r := newHTTPRig(b)
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var latencies []time.Duration
		// Each client's totals as they arrived, and each append's
		// acknowledgement, are joined after the run: a total may arrive
		// before its append's acknowledgement does.
		arrivals := make([][]totalsArrival, liveClientsCount)
		acknowledged := map[uint64]time.Time{}
		var ready, done sync.WaitGroup
		for client := range liveClientsCount {
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				request, _ := http.NewRequestWithContext(ctx, "GET", r.url+"/api/v1/live?access_token="+liveToken(client), nil)
				reply, err := http.DefaultClient.Do(request)
				if err != nil {
					ready.Done()
					return
				}
				defer reply.Body.Close()
				ready.Done()
				reader := bufio.NewReader(reply.Body)
				event := ""
				for {
					line, err := reader.ReadString('\n')
					if err != nil {
						return
					}
					switch {
					case strings.HasPrefix(line, "event: "):
						event = strings.TrimSpace(strings.TrimPrefix(line, "event: "))
					case strings.HasPrefix(line, "data: ") && event == "entry":
						var entry httpapi.FeedEntry
						if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &entry) == nil {
							latency := time.Since(entry.RecordedAt)
							mu.Lock()
							latencies = append(latencies, latency)
							mu.Unlock()
						}
					case strings.HasPrefix(line, "data: ") && event == "totals":
						var totals struct {
							Position uint64 `json:"position"`
						}
						if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &totals) == nil {
							mu.Lock()
							arrivals[client] = append(arrivals[client], totalsArrival{position: totals.Position, at: time.Now()})
							mu.Unlock()
						}
					}
				}
			}()
		}
		ready.Wait()
		// Appends go out at a steady rate, each on its own goroutine so a
		// slow one does not delay the next; campaigns rotate so they do not
		// queue behind one lock.
		total := liveEventsPerSecond * liveSeconds
		ticker := time.NewTicker(time.Second / liveEventsPerSecond)
		started := time.Now()
		var appends sync.WaitGroup
		failures := make(chan error, total)
		for i := 0; i < total; i++ {
			<-ticker.C
			appends.Add(1)
			go func() {
				defer appends.Done()
				results, err := r.service.Record(context.Background(), []domain.Event{donation(fmt.Sprintf("bench-%d", i%campaignsCount), i)})
				if err != nil {
					failures <- err
					return
				}
				mu.Lock()
				acknowledged[results[0].Position] = time.Now()
				mu.Unlock()
			}()
		}
		ticker.Stop()
		appends.Wait()
		elapsed := time.Since(started)
		close(failures)
		for err := range failures {
			b.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			received := len(latencies)
			figuresDone := totalsCaughtUp(arrivals, acknowledged)
			mu.Unlock()
			if (received >= total*liveClientsCount && figuresDone) || time.Now().After(deadline) {
				break
			}
			<-time.After(10 * time.Millisecond)
		}
		cancel()
		done.Wait()
		m := measurement{events: total, elapsed: elapsed, latencies: latencies}
		b.ReportMetric(float64(total)/elapsed.Seconds(), "appends/s")
		b.ReportMetric(float64(m.percentile(0.5).Microseconds()), "p50-µs")
		b.ReportMetric(float64(m.percentile(0.99).Microseconds()), "p99-µs")
		b.ReportMetric(float64(len(latencies))/float64(total*liveClientsCount), "delivered-fraction")
		summarize(fmt.Sprintf("LIVE append → SSE delivery, %d clients, %.0f appends/s (file, no fsync): p50 %s, p99 %s, %d of %d deliveries",
			liveClientsCount, float64(total)/elapsed.Seconds(), m.percentile(0.5), m.percentile(0.99), len(latencies), total*liveClientsCount))
		totals := measurement{latencies: totalsLatencies(arrivals, acknowledged)}
		b.ReportMetric(float64(totals.percentile(0.99).Microseconds()), "totals-p99-µs")
		summarize(fmt.Sprintf("LIVE totals, append acknowledged → figure on the stream, %d clients, %.0f appends/s (file, no fsync): p50 %s, p99 %s, %d figures",
			liveClientsCount, float64(total)/elapsed.Seconds(), totals.percentile(0.5), totals.percentile(0.99), len(totals.latencies)))
	}
}

// totalsArrival is a totals message as one client received it.
type totalsArrival struct {
	position uint64
	at       time.Time
}

// totalsLatencies is, for each client and each acknowledged append, the
// time from the acknowledgement to the first totals message that counts
// it (zero when the figure came before the acknowledgement).
func totalsLatencies(arrivals [][]totalsArrival, acknowledged map[uint64]time.Time) []time.Duration {
	var latencies []time.Duration
	for _, received := range arrivals {
		for position, at := range acknowledged {
			for _, arrival := range received {
				if arrival.position >= position {
					latencies = append(latencies, max(0, arrival.at.Sub(at)))
					break
				}
			}
		}
	}
	return latencies
}

// liveToken is the token of live client n.
func liveToken(n int) string { return fmt.Sprintf("bench-viewer-%02d-0123456789abcdef", n) }

// totalsCaughtUp says whether every client has received totals that count
// every acknowledged append.
func totalsCaughtUp(arrivals [][]totalsArrival, acknowledged map[uint64]time.Time) bool {
	var last uint64
	for position := range acknowledged {
		last = max(last, position)
	}
	for _, received := range arrivals {
		if len(received) == 0 || received[len(received)-1].position < last {
			return false
		}
	}
	return true
}
