package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/projections"
)

// rebuildSizes are the log sizes the rebuild benchmark measures; override
// with LEDGER_BENCH_REBUILD_EVENTS=1000000,5000000.
func rebuildSizes() []int {
	text := os.Getenv("LEDGER_BENCH_REBUILD_EVENTS")
	if text == "" {
		text = "1000000,5000000"
	}
	var sizes []int
	for _, field := range strings.Split(text, ",") {
		if size, err := strconv.Atoi(strings.TrimSpace(field)); err == nil && size > 0 {
			sizes = append(sizes, size)
		}
	}
	return sizes
}

var (
	syntheticCounties  = []string{"150600", "150602", "150603", "150621", "150622", "150623", "150624", "150625", "150626", "150627"}
	syntheticCampaigns = []string{"general", "2022-spring-jobs", "2022-new-workers-month", "2022-summer-cooling",
		"2022-health-law-lectures", "2022-autumn-school-aid", "2022-winter-warmth"}
)

// syntheticEvent builds event n (position n+1 in a fresh stream) of a large
// realistic log: donations, deliveries, sessions and services spread over the
// counties, campaigns and a year of days. fillLog makes every 50th a void.
func syntheticEvent(n int) domain.Event {
	county := syntheticCounties[n%len(syntheticCounties)]
	campaign := syntheticCampaigns[(n/len(syntheticCounties))%len(syntheticCampaigns)]
	occurred := time.Date(2022, 1, 1, 9, 0, 0, 0, domain.Beijing).Add(time.Duration(n%365) * 24 * time.Hour)
	event := domain.Event{
		ID: uuid.Must(uuid.NewV7()), SchemaVersion: domain.SchemaVersion, County: county, OccurredAt: occurred,
		RecordedAt: time.Now().UTC(), Actor: "clerk-" + county, IdempotencyKey: "bench-" + strconv.Itoa(n),
		Aggregate: domain.AggregateRef{Kind: domain.AggregateCampaign, ID: campaign},
	}
	id := strconv.Itoa(n)
	switch {
	case n%4 == 0:
		event.Type = domain.TypeDonationReceived
		event.Data = domain.DonationReceived{DonationID: "D-" + id, Campaign: campaign, DonorKind: "enterprise",
			DonorOrg: "鄂尔多斯某能源有限公司", Form: domain.FormMoney, Amount: domain.Money(100_000 + n%1000)}
	case n%4 == 1:
		event.Type = domain.TypeSuppliesDelivered
		event.Data = domain.SuppliesDelivered{DeliveryID: "V-" + id, Campaign: campaign,
			Site:             domain.Site{Kind: "service-station", Name: "户外劳动者服务站点"},
			BeneficiaryGroup: "outdoor-workers", Headcount: 20,
			Items: []domain.GoodsItem{{Item: "drinking-water", Unit: "箱", Quantity: 20, Value: 60_000}}, Spent: 60_000}
	case n%4 == 2:
		event.Type = domain.TypeTrainingHeld
		event.Data = domain.TrainingHeld{SessionID: "S-" + id, Campaign: campaign, Topic: "safety", Title: "安全生产",
			Format: domain.FormatBoth, Participants: 40, DurationMinutes: 90, Venue: "职工活动中心"}
	default:
		event.Type = domain.TypeServiceProvided
		event.Data = domain.ServiceProvided{ServiceID: "SV-" + id, Campaign: campaign, Kind: domain.ServiceVisit,
			BeneficiaryGroup: "new-form-workers", Count: 3, PersonTimes: 3}
	}
	return event
}

// fillLog publishes n synthetic events with pipelined async publishes.
func fillLog(b *testing.B, connection *nats.Conn, n int) {
	js, err := jetstream.New(connection, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	// The last 16 events are kept so a void can name the one 10 back.
	ring := make([]domain.Event, 16)
	for i := range n {
		event := syntheticEvent(i)
		if i%50 == 49 {
			event = voidOf(i, ring[(i-10)%16])
		}
		ring[i%16] = event
		data, err := event.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		message := nats.NewMsg("ledger.events." + event.Aggregate.Kind + "." + event.Aggregate.ID + "." + event.County + "." + string(event.Type))
		message.Data = data
		message.Header.Set(natsjs.HeaderEventID, event.ID.String())
		message.Header.Set(natsjs.HeaderEventType, string(event.Type))
		message.Header.Set(natsjs.HeaderSchemaVersion, strconv.Itoa(event.SchemaVersion))
		if _, err := js.PublishMsgAsync(message, jetstream.WithStallWait(30*time.Second)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Minute):
		b.Fatal("filling the log took more than 10 minutes")
	}
}

func voidOf(n int, target domain.Event) domain.Event {
	return domain.Event{
		ID: uuid.Must(uuid.NewV7()), Type: domain.TypeEntryVoided, SchemaVersion: domain.SchemaVersion,
		Aggregate: target.Aggregate, County: target.County, OccurredAt: target.OccurredAt, RecordedAt: time.Now().UTC(),
		Actor: "clerk-" + target.County, IdempotencyKey: "bench-" + strconv.Itoa(n),
		Data: domain.EntryVoided{Campaign: target.Aggregate.ID, TargetEventID: target.ID.String(), Reason: "重复录入",
			TargetLocation: domain.TargetLocation{TargetPosition: uint64(n - 10 + 1), EffectivePosition: uint64(n - 10 + 1)}},
	}
}

// memorySampler records the peak resident set and Go heap while it runs.
type memorySampler struct {
	peakRSS, peakHeap atomic.Uint64
	stop              chan struct{}
	done              chan struct{}
}

func sampleMemory() *memorySampler {
	sampler := &memorySampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(sampler.done)
		ticker := time.NewTicker(50 * time.Millisecond)
		defer ticker.Stop()
		for {
			sampler.sample()
			select {
			case <-sampler.stop:
				return
			case <-ticker.C:
			}
		}
	}()
	return sampler
}

func (m *memorySampler) sample() {
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	if stats.HeapInuse > m.peakHeap.Load() {
		m.peakHeap.Store(stats.HeapInuse)
	}
	if rss := residentBytes(); rss > m.peakRSS.Load() {
		m.peakRSS.Store(rss)
	}
}

func (m *memorySampler) finish() (rss, heap uint64) {
	close(m.stop)
	<-m.done
	return m.peakRSS.Load(), m.peakHeap.Load()
}

func residentBytes() uint64 {
	file, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		if fields := strings.Fields(scanner.Text()); len(fields) >= 2 && fields[0] == "VmRSS:" {
			kib, _ := strconv.ParseUint(fields[1], 10, 64)
			return kib * 1024
		}
	}
	return 0
}

const mebibyte = 1 << 20

// BenchmarkRebuild: the totals projection rebuilt over the whole log, against
// raw JetStream replay (ordered consumer, decoding every event into the
// domain type) of the same stream in the same run; memory while rebuilding;
// and restart to ready from a checkpoint with the log already projected.
func BenchmarkRebuild(b *testing.B) {
	for _, size := range rebuildSizes() {
		b.Run(fmt.Sprintf("events=%d", size), func(b *testing.B) {
			for b.Loop() {
				benchmarkRebuild(b, size)
			}
		})
	}
}

func benchmarkRebuild(b *testing.B, size int) {
	ctx := context.Background()
	dir := b.TempDir()
	natsServer := natsjstest.RunServer(b, dir, false)
	connection := natsjstest.Connect(b, natsServer)
	store := natsjstest.Open(b, connection, natsjs.Options{})
	checkpoints, err := natsjs.OpenCheckpoints(ctx, connection, 1)
	if err != nil {
		b.Fatal(err)
	}
	fillLog(b, connection, size)

	// Raw: an ordered consumer over the same stream, each message read
	// into a plain envelope struct (not the ledger's own decoder, so a slow
	// decoder cannot hide in the baseline).
	raw := rawReplay(b, connection, size, func(data []byte) error {
		var envelope rawEnvelope
		return json.Unmarshal(data, &envelope)
	})

	runtime.GC()
	sampler := sampleMemory()
	runner := projections.NewRunner(store, checkpoints, projections.NewTotalsProjection(), projections.RunnerOptions{})
	started := time.Now()
	if err := runner.Rebuild(ctx, nil); err != nil {
		b.Fatal(err)
	}
	rebuild := measurement{events: size, elapsed: time.Since(started)}
	peakRSS, peakHeap := sampler.finish()

	// What `ledger doctor` and `ledger verify` add to check the saved
	// checkpoint: the log folded again to its position and compared.
	saved, err := checkpoints.Load(ctx, "totals")
	if err != nil {
		b.Fatal(err)
	}
	started = time.Now()
	disagreement, err := projections.CheckTotals(ctx, store, saved)
	if err != nil || disagreement != nil {
		b.Fatalf("the rebuilt checkpoint against the log: %v %v", disagreement, err)
	}
	check := measurement{events: size, elapsed: time.Since(started)}

	// Restart to ready: a new server recovers the store, the runner loads the
	// checkpoint and finds nothing to fold.
	natsServer.Shutdown()
	natsServer.WaitForShutdown()
	started = time.Now()
	restarted := natsjstest.RunServer(b, dir, false)
	connection = natsjstest.Connect(b, restarted)
	store = natsjstest.Open(b, connection, natsjs.Options{})
	if checkpoints, err = natsjs.OpenCheckpoints(ctx, connection, 1); err != nil {
		b.Fatal(err)
	}
	runner = projections.NewRunner(store, checkpoints, projections.NewTotalsProjection(), projections.RunnerOptions{})
	if err := runner.Load(ctx); err != nil {
		b.Fatal(err)
	}
	if err := runner.CatchUp(ctx, nil); err != nil {
		b.Fatal(err)
	}
	ready := time.Since(started)
	status, err := runner.Status(ctx)
	if err != nil || status.Position != uint64(size) || status.RebuiltBecause != "" {
		b.Fatalf("after restart the projection is at %d of %d (%q, %v)", status.Position, size, status.RebuiltBecause, err)
	}

	b.ReportMetric(rebuild.perSecond(), "rebuild-events/s")
	b.ReportMetric(raw.perSecond(), "raw-replay-events/s")
	b.ReportMetric(float64(peakRSS)/mebibyte, "peak-rss-MiB")
	b.ReportMetric(float64(peakHeap)/mebibyte, "peak-heap-MiB")
	b.ReportMetric(float64(ready.Milliseconds()), "restart-to-ready-ms")
	b.ReportMetric(check.perSecond(), "checkpoint-check-events/s")
	summarize(fmt.Sprintf("RATIO rebuild %d events vs raw ordered replay+json.Unmarshal envelope: ledger %9.0f events/s, raw %9.0f events/s: ledger/raw = %.2f; "+
		"peak RSS %d MiB, peak heap %d MiB; restart to ready %s; the doctor's and verify's check of the checkpoint (a fold to its position) %s",
		size, rebuild.perSecond(), raw.perSecond(), rebuild.perSecond()/raw.perSecond(), peakRSS/mebibyte, peakHeap/mebibyte,
		ready.Round(time.Millisecond), check.elapsed.Round(time.Millisecond)))
}

// rawEnvelope is an event's envelope as a plain struct, its payload left
// as raw JSON: the baseline decode of the rebuild benchmark.
type rawEnvelope struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	SchemaVersion  int             `json:"schema_version"`
	Aggregate      json.RawMessage `json:"aggregate"`
	County         string          `json:"county"`
	OccurredAt     time.Time       `json:"occurred_at"`
	RecordedAt     time.Time       `json:"recorded_at"`
	Actor          string          `json:"actor"`
	IdempotencyKey string          `json:"idempotency_key"`
	Data           json.RawMessage `json:"data"`
}

// rawReplay reads the whole LEDGER stream with an ordered consumer, as
// raw JetStream, doing work on each message's bytes.
func rawReplay(b *testing.B, connection *nats.Conn, size int, work func(data []byte) error) measurement {
	ctx := context.Background()
	js, err := jetstream.New(connection)
	if err != nil {
		b.Fatal(err)
	}
	consumer, err := js.OrderedConsumer(ctx, "LEDGER", jetstream.OrderedConsumerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	started := time.Now()
	messages, err := consumer.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		b.Fatal(err)
	}
	defer messages.Stop()
	for done := 0; done < size; done++ {
		message, err := messages.Next()
		if err != nil {
			b.Fatal(err)
		}
		if err := work(message.Data()); err != nil {
			b.Fatal(err)
		}
	}
	return measurement{events: size, elapsed: time.Since(started)}
}
