package natsjs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/ordos-union/ledger/domain"
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

// liveCellsMax bounds what one start (Fill) changes in the bucket: the
// cells it writes, and apart from them the keys it removes. A start that
// finds more to do writes this many, warns, and leaves the rest to the
// next start, or to the cells' next changes.
const liveCellsMax = 10_000

// liveCellsExaminedMax bounds the cells one start compares with the
// bucket (one direct get each) and the keys it lists there.
const liveCellsExaminedMax = 100_000

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
	js      jetstream.JetStream
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
	return &LiveTotals{js: js, kv: kv, compute: compute, logger: logger, dirty: map[[2]string]bool{}}, nil
}

// LiveCell is one key of the live totals: a region and a campaign whose
// figures the totals hold.
type LiveCell struct {
	County, Campaign string
}

// Key is the cell's key in the bucket, "<county>.<campaign>".
func (c LiveCell) Key() string { return c.County + "." + c.Campaign }

// Applied marks the cell an event changed for the next flush. Only a
// campaign's events change a cell: finance's (bank lines, statement
// imports, the reconciliation's decisions, on an account aggregate;
// period closes; erasures) make none and write nothing, because the
// bucket is the watcher's to read and the live stream carries none of
// finance's events: a key or a write of theirs would tell a dashboard
// the bank's account numbers and when finance acted. It never blocks; a
// nil LiveTotals does nothing.
func (l *LiveTotals) Applied(event domain.Event) {
	if event.Aggregate.Kind != domain.AggregateCampaign {
		return
	}
	l.Changed(event.County, event.Aggregate.ID)
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

// flush puts the totals of the keys changed since the last flush. A key
// whose figures could not be computed or put (a leader election, say) is
// marked changed again, so the next flush tries it again: otherwise the
// bucket would keep the old figure until the cell's next entry or the
// next start. The marks stay bounded by liveDirtyKeysMax, as Changed's
// do. Once ctx has ended nothing is marked again: the run is over, and
// the next start's Fill writes what the bucket lacks.
func (l *LiveTotals) flush(ctx context.Context) {
	l.mu.Lock()
	dirty := l.dirty
	l.dirty = map[[2]string]bool{}
	l.mu.Unlock()
	failed, firstKey := 0, ""
	var firstErr error
	for key := range dirty {
		value, err := l.compute(key[0], key[1])
		if err == nil {
			_, err = l.kv.Put(ctx, key[0]+"."+key[1], value)
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		if failed == 0 {
			firstKey, firstErr = key[0]+"."+key[1], err
		}
		failed++
		l.Changed(key[0], key[1])
	}
	if failed > 0 {
		// One warning a flush, not one a key: while the server elects a
		// leader every key fails, at every flush until it is back.
		l.logger.Warn("live totals put failed; the keys are tried again at the next flush", "keys", failed, "first", firstKey, "error", firstErr)
	}
}

// Fill makes the bucket hold the totals' cells and nothing else, once the
// totals have caught up with the log. A flush writes only the cells that
// change while serve runs; the totals resume from their saved checkpoint,
// which a command that reads them (`ledger totals`) saves too, writing no
// live totals, so a cell whose entries were folded in without a serve
// (or before there was a bucket) would otherwise stay missing, or stale,
// until its campaign's next entry. cells are every cell the totals hold.
// A cell whose value the bucket holds already is not written again, so a
// restart republishes nothing that did not change. Keys the bucket holds
// that are no cell (an account or a period that an older version wrote
// as if it were a campaign) are purged from the stream, which removes
// them without a deletion marker that would name them again; the runtime
// may purge the live totals, a cache made again from the log. At most
// liveCellsMax cells are written and as many keys removed per start;
// what is left is warned of. Call it before Run, from the goroutine that
// runs it: a flush after it writes the cells changed meanwhile. A nil
// LiveTotals does nothing.
func (l *LiveTotals) Fill(ctx context.Context, cells []LiveCell) {
	if l == nil {
		return
	}
	l.fill(ctx, cells, liveCellsMax)
}

// fill is Fill with limit in place of liveCellsMax: it writes at most
// limit cells and removes at most limit keys.
func (l *LiveTotals) fill(ctx context.Context, cells []LiveCell, limit int) {
	all := sortedCells(cells)
	compared := all
	if len(compared) > liveCellsExaminedMax {
		l.logger.Warn("live totals: more cells than one start compares with the bucket; the rest are written at their next change",
			"cells", len(all), "compared", liveCellsExaminedMax)
		compared = compared[:liveCellsExaminedMax]
	}
	written, left := 0, 0
	for _, cell := range compared {
		if ctx.Err() != nil {
			return
		}
		value, err := l.compute(cell.County, cell.Campaign)
		if err != nil {
			l.logger.Warn("live totals fill", "key", cell.Key(), "error", err)
			continue
		}
		if held, err := l.kv.Get(ctx, cell.Key()); err == nil && bytes.Equal(held.Value(), value) {
			continue
		}
		if written == limit {
			left++
			continue
		}
		if _, err := l.kv.Put(ctx, cell.Key(), value); err != nil {
			l.logger.Warn("live totals fill", "key", cell.Key(), "error", err)
			continue
		}
		written++
	}
	if left > 0 {
		l.logger.Warn("live totals: a start writes at most liveCellsMax cells; the rest are written at the next start or their next change",
			"written", written, "left", left, "liveCellsMax", limit)
	}
	removed, err := l.removeStrays(ctx, all, limit)
	if err != nil && ctx.Err() == nil {
		l.logger.Warn("live totals: keys that are no cell could not all be removed", "removed", removed, "error", err)
	}
	l.logger.Debug("live totals filled", "cells", len(all), "written", written, "removed", removed)
}

// errTooManyLiveKeys says the bucket holds more keys than a start lists.
var errTooManyLiveKeys = errors.New("the live totals hold more keys than a start lists")

// removeStrays purges every key of the bucket that is not one of cells,
// at most limit of them, and says how many it removed. The keys are the
// stream's subjects, which a stream info lists with no consumer (the
// watcher may hold every consumer place).
func (l *LiveTotals) removeStrays(ctx context.Context, cells []LiveCell, limit int) (int, error) {
	stream, err := l.js.Stream(ctx, LiveTotalsStream)
	if err != nil {
		return 0, err
	}
	if subjects := stream.CachedInfo().State.NumSubjects; subjects > liveCellsExaminedMax {
		return 0, fmt.Errorf("%w: %d keys, at most %d", errTooManyLiveKeys, subjects, liveCellsExaminedMax)
	}
	prefix := "$KV." + LiveTotalsBucket + "."
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		return 0, err
	}
	isCell := make(map[string]bool, len(cells))
	for _, cell := range cells {
		isCell[cell.Key()] = true
	}
	var strays []string
	for subject := range info.State.Subjects {
		if key := strings.TrimPrefix(subject, prefix); !isCell[key] {
			strays = append(strays, subject)
		}
	}
	sort.Strings(strays)
	if len(strays) > limit {
		l.logger.Warn("live totals: a start removes at most liveCellsMax keys that are no cell; the rest at the next start",
			"strays", len(strays), "liveCellsMax", limit)
		strays = strays[:limit]
	}
	removed := 0
	for _, subject := range strays {
		if err := stream.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
			return removed, fmt.Errorf("remove %s: %w", strings.TrimPrefix(subject, prefix), err)
		}
		removed++
	}
	return removed, nil
}

// sortedCells is cells sorted by key, without duplicates, in a new
// slice: each start goes through them in the same order, so a start cut
// short by liveCellsMax is taken up where it stopped by the next.
func sortedCells(cells []LiveCell) []LiveCell {
	sorted := make([]LiveCell, 0, len(cells))
	seen := make(map[LiveCell]bool, len(cells))
	for _, cell := range cells {
		if !seen[cell] {
			seen[cell] = true
			sorted = append(sorted, cell)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key() < sorted[j].Key() })
	return sorted
}
