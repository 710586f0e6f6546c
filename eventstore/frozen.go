package eventstore

import (
	"context"
	"fmt"
	"iter"

	"github.com/ordos-union/ledger/domain"
)

// Frozen is a log held as its stored bytes, read-only: the events of an
// audit bundle or any other verified copy, read by the ledger's own
// projections and use cases as they read the live log. It is no stand-in
// for a store: it refuses every write.
type Frozen struct {
	records []Record
}

var _ Store = (*Frozen)(nil)

// NewFrozen decodes the stored events, the first at position 1.
func NewFrozen(events [][]byte) (*Frozen, error) {
	records := make([]Record, len(events))
	for i, data := range events {
		event, err := domain.DecodeStoredEvent(data)
		if err != nil {
			return nil, fmt.Errorf("position %d: %w", i+1, err)
		}
		records[i] = Record{Position: uint64(i + 1), Event: event, Data: data}
	}
	return &Frozen{records: records}, nil
}

// Append refuses: a frozen log does not grow.
func (f *Frozen) Append(context.Context, ...AggregateAppend) ([]uint64, error) {
	return nil, fmt.Errorf("a frozen log is read-only: %w", ErrUnsupported)
}

// Read yields the events after from that match the filter.
func (f *Frozen) Read(ctx context.Context, from uint64, filter Filter) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for i := from; i < uint64(len(f.records)); i++ {
			if err := ctx.Err(); err != nil {
				yield(Record{}, err)
				return
			}
			if filter.Matches(f.records[i].Event) && !yield(f.records[i], nil) {
				return
			}
		}
	}
}

// Subscribe reads to the end: a frozen log has no new events.
func (f *Frozen) Subscribe(ctx context.Context, from uint64, filter Filter) iter.Seq2[Record, error] {
	return f.Read(ctx, from, filter)
}

// Get reads the event at a position.
func (f *Frozen) Get(_ context.Context, position uint64) (Record, error) {
	if position == 0 || position > uint64(len(f.records)) {
		return Record{}, fmt.Errorf("position %d: %w", position, domain.ErrNotFound)
	}
	return f.records[position-1], nil
}

// Head is the last position.
func (f *Frozen) Head(context.Context) (uint64, error) { return uint64(len(f.records)), nil }

// AggregateVersion is the position of the aggregate's last event.
func (f *Frozen) AggregateVersion(_ context.Context, aggregate domain.AggregateRef) (uint64, error) {
	for i := len(f.records) - 1; i >= 0; i-- {
		if f.records[i].Event.Aggregate == aggregate {
			return f.records[i].Position, nil
		}
	}
	return 0, nil
}

// Close does nothing: the events are in memory.
func (f *Frozen) Close() error { return nil }
