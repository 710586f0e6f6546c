package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/projections"
)

// loadSeconds is how long BenchmarkLoad sustains appends; make bench-load
// sets LEDGER_LOAD_SECONDS=60.
func loadSeconds() time.Duration {
	if seconds, err := strconv.Atoi(os.Getenv("LEDGER_LOAD_SECONDS")); err == nil && seconds > 0 {
		return time.Duration(seconds) * time.Second
	}
	return 5 * time.Second
}

// loadClients is how many clients append at once.
const loadClients = 8

// loadSetup is a ledger (one node or a three-node cluster) and its API.
type loadSetup struct {
	connection *nats.Conn
	js         jetstream.JetStream
	url        string
	replicas   int
}

func freeLoadPort(b *testing.B) int {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

func newLoadSetup(b *testing.B, cluster bool) *loadSetup {
	nodes := 1
	if cluster {
		nodes = 3
	}
	var ports []int
	var routes []string
	for range nodes {
		port := freeLoadPort(b)
		ports = append(ports, port)
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", port))
	}
	var urls []string
	started := make(chan error, nodes)
	for i := range nodes {
		options := natsjs.ServerOptions{DataDir: b.TempDir(), Listen: true, Port: -1, ServerName: fmt.Sprintf("n%d", i+1), SyncAlways: true}
		if cluster {
			options.ClusterName, options.ClusterPort, options.Routes = "load", ports[i], routes
		}
		go func() {
			natsServer, err := natsjs.StartServer(options)
			if err == nil {
				b.Cleanup(func() { natsServer.Shutdown(); natsServer.WaitForShutdown() })
				urls = append(urls, natsServer.ClientURL())
			}
			started <- err
		}()
	}
	for range nodes {
		if err := <-started; err != nil {
			b.Fatal(err)
		}
	}
	connection, err := nats.Connect(strings.Join(urls, ","))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(connection.Close)
	ctx := context.Background()
	// As `ledger serve` does: group commit on one node, none on a cluster.
	store, err := natsjs.Open(ctx, connection, natsjs.Options{Replicas: nodes, GroupCommit: nodes == 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	checkpoints, err := natsjs.OpenCheckpoints(ctx, connection, nodes)
	if err != nil {
		b.Fatal(err)
	}
	tokens, _ := httpapi.NewTokens([]httpapi.Token{{Name: "load", Role: httpapi.RoleAdmin, Token: benchToken}})
	service := ledger.New(store, ledger.Options{Catalog: benchCatalog(b)})
	projection := projections.NewTotalsProjection()
	var api *httpapi.Server
	runner := projections.NewRunner(store, checkpoints, projection, projections.RunnerOptions{
		OnApply: func(record eventstore.Record) { api.OnApply(record) },
	})
	use := app.New(app.Parts{Store: store, Service: service, Catalog: service.Catalog(), Checkpoints: checkpoints})
	use.Follow(runner, projection, nil)
	api = httpapi.New(httpapi.Options{Ledger: use, Tokens: tokens,
		RateRequestsPerSecond: 1e9, RateBurst: 1e9})
	followCtx, cancel := context.WithCancel(ctx)
	following := make(chan error, 1)
	go func() { following <- runner.Follow(followCtx) }()
	server := httptest.NewServer(api.Handler())
	b.Cleanup(func() { api.Close(); server.Close(); cancel(); <-following })
	js, _ := jetstream.New(connection)
	return &loadSetup{connection: connection, js: js, url: server.URL, replicas: nodes}
}

// sustain runs write from loadClients goroutines for the load duration.
func sustain(b *testing.B, write func(client, i int) error) measurement {
	duration := loadSeconds()
	var mu sync.Mutex
	var latencies []time.Duration
	sampler := sampleMemory()
	started := time.Now()
	var wait sync.WaitGroup
	var failures []error
	for client := range loadClients {
		wait.Add(1)
		go func() {
			defer wait.Done()
			var mine []time.Duration
			for i := 0; time.Since(started) < duration; i++ {
				began := time.Now()
				if err := write(client, i); err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(began))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wait.Wait()
	peakRSS, peakHeap := sampler.finish()
	if len(failures) > 0 {
		b.Fatal(failures[0])
	}
	m := measurement{events: len(latencies), elapsed: time.Since(started), latencies: latencies, writers: loadClients}
	b.ReportMetric(float64(peakRSS)/mebibyte, "peak-rss-MiB")
	b.ReportMetric(float64(peakHeap)/mebibyte, "peak-heap-MiB")
	return m
}

// BenchmarkLoad: sustained durable appends through the HTTP API, on one node
// and on a three-node cluster, against raw JetStream publishing of the same
// bytes on the same setup in the same run.
func BenchmarkLoad(b *testing.B) {
	for _, cluster := range []bool{false, true} {
		name := "one-node"
		if cluster {
			name = "three-nodes"
		}
		b.Run(name+"/api", func(b *testing.B) {
			for b.Loop() {
				setup := newLoadSetup(b, cluster)
				client := &http.Client{Timeout: 60 * time.Second}
				m := sustain(b, func(c, i int) error {
					body := eventJSON(b, donation(fmt.Sprintf("bench-%d", c), i))
					return post(client, setup.url, body)
				})
				report(b, m)
				keep(name+"/api", m)
			}
		})
		b.Run(name+"/raw", func(b *testing.B) {
			for b.Loop() {
				setup := newLoadSetup(b, cluster)
				ctx := context.Background()
				m := sustain(b, func(c, i int) error {
					_, err := setup.js.PublishMsg(ctx, rawMessage(b, donation(fmt.Sprintf("bench-%d", c), i), 0, false))
					return err
				})
				report(b, m)
				keep(name+"/raw", m)
			}
		})
		ratio(b, fmt.Sprintf("sustained API appends, %s, fsync always", name), name+"/api", name+"/raw")
	}
}
