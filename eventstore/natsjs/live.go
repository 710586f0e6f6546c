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

// limitIdleConsumers gives the live totals stream its consumer limit,
// updating a stream made without one. The KV API cannot set it at
// creation.
func limitIdleConsumers(ctx context.Context, js jetstream.JetStream) error {
	stream, err := js.Stream(ctx, LiveTotalsStream)
	if err != nil {
		return err
	}
	config := stream.CachedInfo().Config
	if config.ConsumerLimits.InactiveThreshold == LiveTotalsConsumerIdle {
		return nil
	}
	config.ConsumerLimits.InactiveThreshold = LiveTotalsConsumerIdle
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
	// The limit hardens the bucket against the watcher's durable consumers;
	// the totals are served without it. Several nodes of a cluster starting
	// together each ask for the same update of a replicated stream, and on
	// a busy cluster the request can time out: that must not stop a node,
	// which tries again at its next start (the update is idempotent).
	if err := limitIdleConsumers(ctx, js); err != nil {
		logger.Warn("live totals: the consumer limit is not set yet; watchers' consumers may stay until it is", "error", err)
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
