package natsjs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/ordos-union/ledger/internal/tick"
)

// LiveTotalsBucket is the KV bucket programs watch for live totals: one key
// per region and campaign, "<county>.<campaign>", whose value is that cell's
// all-time figures as JSON. `nats kv watch LEDGER_LIVE_TOTALS` follows it.
const LiveTotalsBucket = "LEDGER_LIVE_TOTALS"

// liveFlushIntervalMs is how often changed keys are written: changes within
// it are coalesced into one put per key.
const liveFlushIntervalMs = 200

// liveDirtyKeysMax bounds the keys waiting for a flush.
const liveDirtyKeysMax = 10_000

// LiveTotalsConsumerIdle is how long a consumer of the live totals may go
// without a client before the server removes it. The watcher, whose
// credential dashboards are given, may create consumers there, and NATS
// permissions cannot keep those from being durable (see
// WatcherPermissions): this limit, which the server applies to durable
// consumers too, is what keeps them from staying on disk. Five minutes is
// what nats.go's own ordered consumers ask for, so no smaller limit: a
// consumer asking for more than the stream's limit is refused.
const LiveTotalsConsumerIdle = 5 * time.Minute

// LiveTotalsConsumersMax caps the consumers of the live totals stream at
// once. The watcher may create consumers there (a `kv watch` needs one),
// and nothing else bounds how many: one holder of the credential made 999
// in seconds (the server's own cap), 60 MB of memory and 4,000 files,
// until no one else could watch. The cap bounds what the server holds
// for them; it cannot stop one holder from taking every place, which is
// why dashboards follow LiveTotalsSubject, which takes none. The ledger
// itself makes no consumer there.
const LiveTotalsConsumersMax = 64

// LiveTotalsSubject is where the server republishes every write of the
// live totals bucket, as a plain NATS message: the subject is
// LiveTotalsSubject + ".<county>.<campaign>", the body the key's value,
// and the headers say the stream's sequence (Nats-Sequence) and the KV
// subject (Nats-Subject). A subscriber to it costs the server no
// JetStream state, so no flood of consumers can keep a dashboard from
// it; the current values are a direct get away ($JS.API.DIRECT.GET,
// "multi_last"), which needs no consumer either. The watcher may
// subscribe to it (WatcherPermissions).
const LiveTotalsSubject = LiveTotalsBucket

// hardenLiveTotals gives the live totals stream its consumer limits and
// the republishing of its writes, updating a stream made without them.
// The KV API cannot set the consumer limits at creation.
func hardenLiveTotals(ctx context.Context, js jetstream.JetStream) error {
	stream, err := js.Stream(ctx, LiveTotalsStream)
	if err != nil {
		return err
	}
	config := stream.CachedInfo().Config
	republish := jetstream.RePublish{Source: "$KV." + LiveTotalsBucket + ".>", Destination: LiveTotalsSubject + ".>"}
	if config.ConsumerLimits.InactiveThreshold == LiveTotalsConsumerIdle && config.MaxConsumers == LiveTotalsConsumersMax &&
		config.RePublish != nil && *config.RePublish == republish {
		return nil
	}
	config.ConsumerLimits.InactiveThreshold = LiveTotalsConsumerIdle
	config.MaxConsumers = LiveTotalsConsumersMax
	config.RePublish = &republish
	_, err = js.UpdateStream(ctx, config)
	return err
}

// LiveTotals keeps the live totals bucket current.
type LiveTotals struct {
	kv      jetstream.KeyValue
	compute func(county, campaign string) ([]byte, error)
	logger  *slog.Logger
	mu      sync.Mutex
	dirty   map[[2]string]bool
}

// OpenLiveTotals creates the bucket. compute returns the value of a key.
func OpenLiveTotals(ctx context.Context, connection *nats.Conn, replicas int, compute func(county, campaign string) ([]byte, error), logger *slog.Logger) (*LiveTotals, error) {
	js, replicas, err := jetStreamFor(connection, replicas)
	if err != nil {
		return nil, fmt.Errorf("open live totals: %w", err)
	}
	kv, err := ensureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket: LiveTotalsBucket, Description: "Live totals per region and campaign (<county>.<campaign>), derived from the ledger",
		History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open live totals: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The limits harden the bucket against the watcher's consumers, and
	// the republishing is what dashboards follow; the totals are written
	// without them. Several nodes of a cluster starting
	// together each ask for the same update of a replicated stream, and on
	// a busy cluster the request can time out: that must not stop a node,
	// which tries again at its next start (the update is idempotent).
	if err := hardenLiveTotals(ctx, js); err != nil {
		logger.Warn("live totals: the consumer limits and the republishing on "+LiveTotalsSubject+" are not set yet; "+
			"watchers' consumers are not bounded and dashboards following "+LiveTotalsSubject+" see nothing until they are", "error", err)
	}
	return &LiveTotals{kv: kv, compute: compute, logger: logger, dirty: map[[2]string]bool{}}, nil
}

// Changed marks a region and campaign for the next flush. It never blocks.
// A nil LiveTotals (no bucket, as on EventStoreDB) does nothing.
func (l *LiveTotals) Changed(county, campaign string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if len(l.dirty) < liveDirtyKeysMax {
		l.dirty[[2]string{county, campaign}] = true
	}
	l.mu.Unlock()
}

// Run flushes changed keys until ctx ends.
func (l *LiveTotals) Run(ctx context.Context) {
	if l == nil {
		return
	}
	tick.Every(ctx, liveFlushIntervalMs*time.Millisecond, func(time.Time) { l.flush(ctx) })
}

// flush puts the totals of the keys changed since the last flush.
func (l *LiveTotals) flush(ctx context.Context) {
	l.mu.Lock()
	dirty := l.dirty
	l.dirty = map[[2]string]bool{}
	l.mu.Unlock()
	for key := range dirty {
		value, err := l.compute(key[0], key[1])
		if err == nil {
			_, err = l.kv.Put(ctx, key[0]+"."+key[1], value)
		}
		if err != nil && ctx.Err() == nil {
			l.logger.Warn("live totals put", "key", key[0]+"."+key[1], "error", err)
		}
	}
}
