// Package bench measures the ledger against raw JetStream in the same run:
// the same event bytes, the same headers, the same embedded server settings.
// Each benchmark does a fixed amount of work per iteration and reports
// events/s; the parent benchmark prints ledger/raw ratios. Run: make bench.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/ledger"
)

// Work per measurement, unit last.
const (
	singleAppendsCount  = 2000
	bulkEventsCount     = 20000
	bulkBatchEventsMax  = 1000
	durableWritersCount = 32
	durableEventsCount  = 3200
	// durableRawBatchEventsMax is the atomic batch of a raw durable
	// writer: as many events as the ledger's group commit puts in one
	// batch when all 32 writers wait at once.
	durableRawBatchEventsMax = 32
	campaignsCount           = 64
)

type rig struct {
	server     *server.Server
	connection *nats.Conn
	store      *natsjs.Store
	service    *ledger.Service
	js         jetstream.JetStream
}

// newRig starts an embedded server on a fresh directory, the store and the
// service, exactly as `ledger serve` wires them.
func newRig(b *testing.B, syncAlways, groupCommit bool) *rig {
	b.Helper()
	natsServer := natsjstest.RunServer(b, b.TempDir(), syncAlways)
	connection := natsjstest.Connect(b, natsServer)
	store := natsjstest.Open(b, connection, natsjs.Options{GroupCommit: groupCommit})
	js, err := jetstream.New(connection)
	if err != nil {
		b.Fatal(err)
	}
	return &rig{server: natsServer, connection: connection, store: store, js: js,
		service: ledger.New(store, ledger.Options{Catalog: benchCatalog(b), Clock: eventstoretest.Clock})}
}

// benchCatalog adds campaigns bench-0 … bench-63 so concurrent writers can
// work on distinct aggregates.
func benchCatalog(b *testing.B) *domain.Catalog {
	campaigns := domain.DefaultCatalog().Campaigns
	for i := range campaignsCount {
		campaigns = append(campaigns, domain.Label{Code: fmt.Sprintf("bench-%d", i), ZH: "压测", EN: "bench"})
	}
	encoded, _ := json.Marshal(map[string]any{"campaigns": campaigns})
	catalog, err := domain.LoadCatalog(strings.NewReader(string(encoded)))
	if err != nil {
		b.Fatal(err)
	}
	return catalog
}

func donation(campaign string, n int) domain.Event {
	event := eventstoretest.Donation(campaign, "150626", "D-"+strconv.Itoa(n), domain.Money(100_00+n))
	event.IdempotencyKey = "bench-" + campaign + "-" + strconv.Itoa(n)
	return event
}

// rawMessage encodes the event as a plain JetStream client would, with
// encoding/json (not the ledger's own encoder, whose speed the comparison
// is partly about), with the same headers as the store's, so raw JetStream
// publishes the same bytes.
func rawMessage(b *testing.B, event domain.Event, expected uint64, withExpectation bool) *nats.Msg {
	message, err := encodeRawMessage(event, expected, withExpectation)
	if err != nil {
		b.Fatal(err)
	}
	return message
}

// encodeRawMessage is rawMessage for a writer goroutine, which must not
// stop the benchmark itself: it returns the error.
func encodeRawMessage(event domain.Event, expected uint64, withExpectation bool) (*nats.Msg, error) {
	event.ID = uuid.Must(uuid.NewV7())
	event.RecordedAt = time.Now().UTC()
	event.SchemaVersion = domain.SchemaVersion
	event.Aggregate = domain.AggregateRef{Kind: domain.AggregateCampaign, ID: event.Data.CampaignCode()}
	data, err := json.Marshal(event)
	if err != nil {
		return nil, err
	}
	message := nats.NewMsg("ledger.events.campaign." + event.Aggregate.ID + ".raw." + string(event.Type))
	message.Data = data
	message.Header.Set(natsjs.HeaderEventID, event.ID.String())
	message.Header.Set(natsjs.HeaderEventType, string(event.Type))
	message.Header.Set(natsjs.HeaderSchemaVersion, "1")
	message.Header.Set("Nats-Msg-Id", "raw-"+event.IdempotencyKey)
	if withExpectation {
		message.Header.Set("Nats-Expected-Last-Subject-Sequence", strconv.FormatUint(expected, 10))
		message.Header.Set("Nats-Expected-Last-Subject-Sequence-Subject", "ledger.events.campaign."+event.Aggregate.ID+".raw.>")
	}
	return message, nil
}

type measurement struct {
	events    int
	elapsed   time.Duration
	latencies []time.Duration
	// writers is how many writers wrote concurrently; zero is one.
	writers int
}

// writerCount is how many writers a measurement had.
func (m measurement) writerCount() int { return max(m.writers, 1) }

// sameWriters refuses a comparison of unequal numbers of writers: a ratio
// of 32 ledger writers to one raw writer says nothing about the ledger.
func sameWriters(ledger, raw measurement) error {
	if ledger.writerCount() != raw.writerCount() {
		return fmt.Errorf("ledger had %d writers and raw %d: a ratio compares equal numbers", ledger.writerCount(), raw.writerCount())
	}
	return nil
}

func (m measurement) perSecond() float64 { return float64(m.events) / m.elapsed.Seconds() }

func (m measurement) percentile(p float64) time.Duration {
	if len(m.latencies) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), m.latencies...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[int(p*float64(len(sorted)-1))]
}

func report(b *testing.B, m measurement) {
	b.ReportMetric(m.perSecond(), "events/s")
	if len(m.latencies) > 0 {
		b.ReportMetric(float64(m.percentile(0.5).Microseconds()), "p50-µs")
		b.ReportMetric(float64(m.percentile(0.99).Microseconds()), "p99-µs")
	}
}

var results = struct {
	sync.Mutex
	figures map[string]measurement
}{figures: map[string]measurement{}}

func keep(name string, m measurement) {
	results.Lock()
	defer results.Unlock()
	results.figures[name] = m
}

func ratio(b *testing.B, title, ledgerName, rawName string) {
	results.Lock()
	defer results.Unlock()
	ledgerFigure, okLedger := results.figures[ledgerName]
	rawFigure, okRaw := results.figures[rawName]
	if !okLedger || !okRaw {
		return
	}
	if err := sameWriters(ledgerFigure, rawFigure); err != nil {
		b.Fatalf("%s: %v", title, err)
	}
	line := fmt.Sprintf("RATIO %-44s ledger %9.0f events/s, raw %9.0f events/s: ledger/raw = %.2f",
		title, ledgerFigure.perSecond(), rawFigure.perSecond(), ledgerFigure.perSecond()/rawFigure.perSecond())
	if len(ledgerFigure.latencies) > 0 && len(rawFigure.latencies) > 0 {
		line += fmt.Sprintf(" (p50 %s vs %s)", ledgerFigure.percentile(0.5), rawFigure.percentile(0.5))
	}
	summarize(line)
}

// summary collects the RATIO, LIVE, LATENCY and INDEX lines of a run, for
// the table TestMain prints at the end.
var summary struct {
	sync.Mutex
	lines []string
}

// summarize prints a result line and keeps it for the summary.
func summarize(line string) {
	fmt.Fprintln(os.Stdout, line)
	summary.Lock()
	summary.lines = append(summary.lines, line)
	summary.Unlock()
}

// TestMain ends a benchmark run with one table of every ratio and latency
// it measured, in the order measured.
func TestMain(m *testing.M) {
	code := m.Run()
	summary.Lock()
	defer summary.Unlock()
	if len(summary.lines) > 0 {
		fmt.Fprintf(os.Stdout, "\nSUMMARY (%s, %d cores, %s)\n", runtime.Version(), runtime.NumCPU(), time.Now().UTC().Format(time.DateOnly))
		for _, line := range summary.lines {
			fmt.Fprintln(os.Stdout, "  "+line)
		}
	}
	os.Exit(code)
}

// BenchmarkSingleAppend: one event at a time, waiting for each
// acknowledgement. Raw: a sync JetStream publish with the same headers and
// expected-version check. Ledger: Service.Record (validation, campaign
// invariants, durable idempotency check, expected version).
func BenchmarkSingleAppend(b *testing.B) {
	for _, durable := range []bool{false, true} {
		setting, name := "file, no fsync", "no-fsync"
		if durable {
			setting, name = "file, fsync always", "fsync"
		}
		b.Run("raw/"+name, func(b *testing.B) {
			for b.Loop() {
				r := newRig(b, durable, false)
				ctx := context.Background()
				m := measurement{events: singleAppendsCount}
				var last uint64
				start := time.Now()
				for i := range singleAppendsCount {
					message := rawMessage(b, donation("bench-0", i), last, true)
					began := time.Now()
					ack, err := r.js.PublishMsg(ctx, message)
					if err != nil {
						b.Fatal(err)
					}
					m.latencies = append(m.latencies, time.Since(began))
					last = ack.Sequence
				}
				m.elapsed = time.Since(start)
				report(b, m)
				keep("single/raw/"+name, m)
			}
		})
		b.Run("ledger/"+name, func(b *testing.B) {
			for b.Loop() {
				r := newRig(b, durable, false)
				ctx := context.Background()
				m := measurement{events: singleAppendsCount}
				start := time.Now()
				for i := range singleAppendsCount {
					began := time.Now()
					if _, err := r.service.Record(ctx, []domain.Event{donation("bench-0", i)}); err != nil {
						b.Fatal(err)
					}
					m.latencies = append(m.latencies, time.Since(began))
				}
				m.elapsed = time.Since(start)
				report(b, m)
				keep("single/ledger/"+name, m)
			}
		})
		ratio(b, "single sync append ("+setting+")", "single/ledger/"+name, "single/raw/"+name)
	}
}

// BenchmarkBulkAppend: 20000 events. Raw: pipelined async publishes with the
// headers the ledger's messages carry (Msg-Id on every message, the
// Expected-Last-Subject-Sequence check on the first of every 1000, where the
// ledger's batches carry it; the writer is the stream's only one, so it knows
// the sequence each message before lands at), each message encoded in the
// timed loop as the ledger encodes its events. Raw batch: JetStream atomic
// batches of 1000 with the expectation on the first message. Ledger:
// Service.Record with batches of 1000 (validated, idempotent,
// concurrency-checked, atomic).
func BenchmarkBulkAppend(b *testing.B) {
	b.Run("raw-async", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, false, false)
			start := time.Now()
			for i := range bulkEventsCount {
				// On the fresh stream the i-th message lands at sequence
				// i+1, so the one before it is at i.
				message := rawMessage(b, donation("bench-0", i), uint64(i), i%bulkBatchEventsMax == 0)
				if _, err := r.js.PublishMsgAsync(message, jetstream.WithStallWait(10*time.Second)); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-r.js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				b.Fatal("async publishes not acknowledged within a minute")
			}
			m := measurement{events: bulkEventsCount, elapsed: time.Since(start)}
			// A refused expectation fails only its own future: the head
			// says whether every message was stored.
			if head, err := r.store.Head(context.Background()); err != nil || head != bulkEventsCount {
				b.Fatalf("raw async publishes stored %d of %d messages (%v)", head, bulkEventsCount, err)
			}
			report(b, m)
			keep("bulk/raw-async", m)
		}
	})
	b.Run("raw-atomic-batch", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, false, false)
			var last uint64
			start := time.Now()
			for batch := 0; batch < bulkEventsCount/bulkBatchEventsMax; batch++ {
				events := make([]domain.Event, bulkBatchEventsMax)
				for i := range events {
					events[i] = donation("bench-0", batch*bulkBatchEventsMax+i)
				}
				sequence, err := publishRawBatch(r, events, last, true)
				if err != nil {
					b.Fatal(err)
				}
				last = sequence
			}
			m := measurement{events: bulkEventsCount, elapsed: time.Since(start)}
			report(b, m)
			keep("bulk/raw-batch", m)
		}
	})
	b.Run("ledger", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, false, false)
			ctx := context.Background()
			events := make([]domain.Event, bulkEventsCount)
			for i := range events {
				events[i] = donation("bench-0", i)
			}
			start := time.Now()
			for offset := 0; offset < len(events); offset += bulkBatchEventsMax {
				if _, err := r.service.Record(ctx, events[offset:offset+bulkBatchEventsMax]); err != nil {
					b.Fatal(err)
				}
			}
			m := measurement{events: bulkEventsCount, elapsed: time.Since(start)}
			report(b, m)
			keep("bulk/ledger", m)
		}
	})
	ratio(b, "bulk append vs raw async publish (file, no fsync)", "bulk/ledger", "bulk/raw-async")
	ratio(b, "bulk append vs raw atomic batches (file, no fsync)", "bulk/ledger", "bulk/raw-batch")
}

// BenchmarkDurableAppend: every acknowledgement is on disk (SyncAlways). Raw:
// one writer, sync publishes, one fsync each; and 32 concurrent raw writers.
// Ledger: 32 concurrent writers on distinct campaigns, single-event appends,
// grouped by the store into shared atomic batches (one fsync per group), and
// the same without grouping (each append its own publish).
func BenchmarkDurableAppend(b *testing.B) {
	b.Run("raw-sequential", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, true, false)
			ctx := context.Background()
			count := durableEventsCount / 4
			m := measurement{events: count}
			start := time.Now()
			for i := range count {
				began := time.Now()
				if _, err := r.js.PublishMsg(ctx, rawMessage(b, donation("bench-0", i), 0, false)); err != nil {
					b.Fatal(err)
				}
				m.latencies = append(m.latencies, time.Since(began))
			}
			m.elapsed = time.Since(start)
			report(b, m)
			keep("durable/raw-sequential", m)
		}
	})
	b.Run("raw-concurrent", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, true, false)
			m := concurrently(b, func(writer, i int) error {
				_, err := r.js.PublishMsg(context.Background(), rawMessage(b, donation(fmt.Sprintf("bench-%d", writer), i), 0, false))
				return err
			})
			report(b, m)
			keep("durable/raw-concurrent", m)
		}
	})
	b.Run("raw-async", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, true, false)
			m := eachWriter(b, func(writer, count int) error {
				for i := range count {
					message, err := encodeRawMessage(donation(fmt.Sprintf("bench-%d", writer), i), 0, false)
					if err != nil {
						return err
					}
					if _, err := r.js.PublishMsgAsync(message, jetstream.WithStallWait(10*time.Second)); err != nil {
						return err
					}
				}
				return nil
			}, func() error {
				select {
				case <-r.js.PublishAsyncComplete():
				case <-time.After(time.Minute):
					return fmt.Errorf("async publishes not acknowledged within a minute")
				}
				if head, err := r.store.Head(context.Background()); err != nil || head != durableEventsCount {
					return fmt.Errorf("raw async publishes stored %d of %d messages (%v)", head, durableEventsCount, err)
				}
				return nil
			})
			report(b, m)
			keep("durable/raw-async", m)
		}
	})
	b.Run("raw-atomic-batch", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, true, false)
			m := eachWriter(b, func(writer, count int) error {
				for first := 0; first < count; first += durableRawBatchEventsMax {
					var events []domain.Event
					for i := first; i < min(first+durableRawBatchEventsMax, count); i++ {
						events = append(events, donation(fmt.Sprintf("bench-%d", writer), i))
					}
					if _, err := publishRawBatch(r, events, 0, false); err != nil {
						return err
					}
				}
				return nil
			}, nil)
			report(b, m)
			keep("durable/raw-batch", m)
		}
	})
	b.Run("ledger-grouped", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, true, true)
			m := concurrently(b, func(writer, i int) error {
				_, err := r.service.Record(context.Background(), []domain.Event{donation(fmt.Sprintf("bench-%d", writer), i)})
				return err
			})
			report(b, m)
			keep("durable/ledger-grouped", m)
		}
	})
	b.Run("ledger-ungrouped", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, true, false)
			m := concurrently(b, func(writer, i int) error {
				_, err := r.service.Record(context.Background(), []domain.Event{donation(fmt.Sprintf("bench-%d", writer), i)})
				return err
			})
			report(b, m)
			keep("durable/ledger-ungrouped", m)
		}
	})
	// Rows compare the same number of writers: 32 against 32. The one raw
	// writer is reported on its own line above, as a figure, not a ratio.
	ratio(b, "durable, 32 writers: ledger ungrouped vs raw sync publishes (fsync always)", "durable/ledger-ungrouped", "durable/raw-concurrent")
	ratio(b, "durable, 32 writers: ledger grouped vs raw sync publishes (fsync always)", "durable/ledger-grouped", "durable/raw-concurrent")
	ratio(b, "durable, 32 writers: ledger grouped vs raw async publishes (fsync always)", "durable/ledger-grouped", "durable/raw-async")
	ratio(b, "durable, 32 writers: ledger grouped vs raw atomic batches (fsync always)", "durable/ledger-grouped", "durable/raw-batch")
}

// publishRawBatch commits events as one JetStream atomic batch with the
// headers the ledger's messages carry (the expectation on the first when
// withExpectation), and returns the sequence of its last message.
func publishRawBatch(r *rig, events []domain.Event, last uint64, withExpectation bool) (uint64, error) {
	batchID := uuid.NewString()
	for i, event := range events {
		message, err := encodeRawMessage(event, last, withExpectation && i == 0)
		if err != nil {
			return 0, err
		}
		message.Header.Set("Nats-Batch-Id", batchID)
		message.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i < len(events)-1 {
			if err := r.connection.PublishMsg(message); err != nil {
				return 0, err
			}
			continue
		}
		message.Header.Set("Nats-Batch-Commit", "1")
		reply, err := r.connection.RequestMsgWithContext(context.Background(), message)
		if err != nil {
			return 0, err
		}
		var ack struct {
			Sequence uint64 `json:"seq"`
			Error    any    `json:"error"`
		}
		if err := json.Unmarshal(reply.Data, &ack); err != nil || ack.Error != nil {
			return 0, fmt.Errorf("batch: %s", reply.Data)
		}
		return ack.Sequence, nil
	}
	return last, nil
}

// eachWriter runs write on durableWritersCount goroutines, each with its
// share of durableEventsCount events to write its own way, then settle (when
// given) to wait for what they sent; the time runs until both are done.
func eachWriter(b *testing.B, write func(writer, count int) error, settle func() error) measurement {
	perWriter := durableEventsCount / durableWritersCount
	var wait sync.WaitGroup
	errs := make(chan error, durableWritersCount+1)
	start := time.Now()
	for writer := range durableWritersCount {
		wait.Add(1)
		go func() {
			defer wait.Done()
			if err := write(writer, perWriter); err != nil {
				errs <- err
			}
		}()
	}
	wait.Wait()
	if settle != nil {
		if err := settle(); err != nil {
			errs <- err
		}
	}
	m := measurement{events: perWriter * durableWritersCount, elapsed: time.Since(start), writers: durableWritersCount}
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return m
}

func concurrently(b *testing.B, write func(writer, i int) error) measurement {
	perWriter := durableEventsCount / durableWritersCount
	latencies := make([][]time.Duration, durableWritersCount)
	var wait sync.WaitGroup
	errs := make(chan error, durableWritersCount)
	start := time.Now()
	for writer := range durableWritersCount {
		wait.Add(1)
		go func() {
			defer wait.Done()
			for i := range perWriter {
				began := time.Now()
				if err := write(writer, i); err != nil {
					errs <- err
					return
				}
				latencies[writer] = append(latencies[writer], time.Since(began))
			}
		}()
	}
	wait.Wait()
	m := measurement{events: perWriter * durableWritersCount, elapsed: time.Since(start), writers: durableWritersCount}
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	for _, writer := range latencies {
		m.latencies = append(m.latencies, writer...)
	}
	return m
}

var _ eventstore.Store = (*natsjs.Store)(nil)
