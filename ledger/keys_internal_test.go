package ledger

import (
	"runtime"
	"testing"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
)

// BenchmarkEventIDIndex is the memory the index of event ids holds per
// event of the log: the id and its first position in a map, after taking
// in a log of a million events without idempotency keys (keys cost more,
// and the index held them before). Run with -benchtime=1x: every run reads
// the million events again.
func BenchmarkEventIDIndex(b *testing.B) {
	const events = 1_000_000
	ids := make([]uuid.UUID, events)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	ref := domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "2022-summer-cooling"}
	var perEvent float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		index := newKeyIndex(nil)
		for i, id := range ids {
			index.addLocked(domain.Event{ID: id, Aggregate: ref}, uint64(i+1))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if len(index.ids) != events {
			b.Fatalf("index holds %d ids, want %d", len(index.ids), events)
		}
		perEvent = float64(after.HeapAlloc-before.HeapAlloc) / events
		runtime.KeepAlive(index)
	}
	b.ReportMetric(perEvent, "B/event")
}
