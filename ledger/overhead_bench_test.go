package ledger_test

import (
	"context"
	"iter"
	"strconv"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/ledger"
)

// countingStore is a store that keeps nothing: it checks each part's
// expected version and gives positions. BenchmarkRecordOverhead measures
// the service's own work against it, apart from any server, so that a
// change to the service shows on a machine too busy to compare round trips.
type countingStore struct {
	head     uint64
	versions map[domain.AggregateRef]uint64
}

func (s *countingStore) Append(_ context.Context, parts ...eventstore.AggregateAppend) ([]uint64, error) {
	var positions []uint64
	for _, part := range parts {
		if part.ExpectedVersion != eventstore.AnyVersion && part.ExpectedVersion != s.versions[part.Aggregate] {
			return nil, &eventstore.ConflictError{Aggregate: part.Aggregate, Expected: part.ExpectedVersion, Actual: s.versions[part.Aggregate]}
		}
		for range part.Events {
			s.head++
			positions = append(positions, s.head)
		}
		s.versions[part.Aggregate] = s.head
	}
	return positions, nil
}

func (s *countingStore) Read(context.Context, uint64, eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return func(func(eventstore.Record, error) bool) {}
}

func (s *countingStore) Subscribe(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return s.Read(ctx, from, filter)
}

func (s *countingStore) Get(context.Context, uint64) (eventstore.Record, error) {
	return eventstore.Record{}, domain.ErrNotFound
}

func (s *countingStore) Head(context.Context) (uint64, error) { return s.head, nil }

func (s *countingStore) AggregateVersion(_ context.Context, aggregate domain.AggregateRef) (uint64, error) {
	return s.versions[aggregate], nil
}

func (s *countingStore) Close() error { return nil }

// DeduplicationWindow makes the service trust the store with recent keys,
// as it trusts JetStream.
func (s *countingStore) DeduplicationWindow() time.Duration { return 10 * time.Minute }

// BenchmarkRecordOverhead is the service's own work per event on a store
// that does none: validation, the campaign's decision, the idempotency
// bookkeeping and the content hash, without encoding or a round trip.
// single: one event per request; bulk: requests of 1000.
func BenchmarkRecordOverhead(b *testing.B) {
	donation := func(n int) domain.Event {
		event := eventstoretest.Donation("2022-summer-cooling", "150626", "D-"+strconv.Itoa(n), domain.Money(100_00+n))
		event.IdempotencyKey = "bench-" + strconv.Itoa(n)
		return event
	}
	ctx := context.Background()
	b.Run("single", func(b *testing.B) {
		var service *ledger.Service
		b.ReportAllocs()
		for n := 0; b.Loop(); n++ {
			// A fresh service and campaign every 2000 appends, as in the
			// benchmark against the server, so the campaign's state stays
			// the size it is there.
			if n%2000 == 0 {
				service = ledger.New(&countingStore{versions: map[domain.AggregateRef]uint64{}}, ledger.Options{Clock: eventstoretest.Clock})
			}
			if _, err := service.Record(ctx, []domain.Event{donation(n)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bulk", func(b *testing.B) {
		service := ledger.New(&countingStore{versions: map[domain.AggregateRef]uint64{}}, ledger.Options{Clock: eventstoretest.Clock})
		const batchEvents = 1000
		events := make([]domain.Event, batchEvents)
		b.ReportAllocs()
		for n := 0; b.Loop(); n++ {
			for i := range events {
				events[i] = donation(n*batchEvents + i)
			}
			if _, err := service.Record(ctx, events); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batchEvents), "ns/event")
	})
}
