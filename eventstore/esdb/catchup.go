package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/ordos-union/ledger/domain"
)

// The ledger reads $all for its own events only: the index at open, Read
// and Stored of the whole log, and the exports list side streams. Beside
// them $all holds projection checkpoints (up to 8 MiB each, saved as often
// as every second), lease renewals and keys, which $maxCount hides from a
// stream read but not from $all until a scavenge, and other applications'
// events. Read unfiltered, every byte of them crosses the network at
// every open.
//
// The client's ReadAll (v4.2.0) sends no filter: its request is built with
// NoFilter, and ReadAllOptions has no field for one. A subscription to $all
// takes a server-side filter, and a catch-up subscription reads the past
// before it waits for new events; so the store reads $all through one,
// filtered on stream-name prefixes, and stops it at the end of $all as of
// the call.

// catchUpSearchWindowEvents is how many events the server reads, matching
// or not, before it reports a checkpoint to a filtered subscription; the
// checkpoints let a catch-up see that it passed the end of $all when no
// more matching events come.
const catchUpSearchWindowEvents = 512

// errCaughtUp ends a catch-up from inside its visitor, without error.
var errCaughtUp = errors.New("caught up")

// ledgerPrefixes are the names the ledger's streams start with: the
// prefix, then an aggregate kind. Naming the kind keeps out the side
// streams and ledgers whose prefixes nest.
func ledgerPrefixes(prefix string) []string {
	prefixes := make([]string, 0, len(domain.AggregateKinds))
	for _, kind := range domain.AggregateKinds {
		prefixes = append(prefixes, prefix+kind+"-")
	}
	return prefixes
}

// catchUpOptions subscribe to $all after from, the server sending only the
// events of streams whose names start with one of prefixes.
func catchUpOptions(from esdb.AllPosition, prefixes []string) esdb.SubscribeToAllOptions {
	return esdb.SubscribeToAllOptions{
		From:               from,
		Filter:             &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: prefixes},
		MaxSearchWindow:    catchUpSearchWindowEvents,
		CheckpointInterval: 1,
	}
}

// tail is the commit position of the last event in $all: nil if it has
// none. It reads one event backwards.
func (s *Store) tail(ctx context.Context) (*esdb.Position, error) {
	reader, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return nil, fmt.Errorf("read the end of $all: %w: %w", domain.ErrUnavailable, err)
	}
	defer reader.Close()
	resolved, err := s.recv(reader)
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the end of $all: %w: %w", domain.ErrUnavailable, err)
	}
	position := resolved.OriginalEvent().Position
	return &position, nil
}

// catchUp hands visit the events of $all after from (from the start if
// nil) whose streams start with one of prefixes, in order, up to the end of
// $all as of the call. It stops at the server's CaughtUp (EventStoreDB
// 23.10 and later send it), or at an event or checkpoint at or past the
// end read first, whichever comes first; visit stops it early by
// returning errCaughtUp.
func (s *Store) catchUp(ctx context.Context, from *esdb.Position, prefixes []string, visit func(*esdb.RecordedEvent) error) error {
	end, err := s.tail(ctx)
	if err != nil {
		return err
	}
	if end == nil || (from != nil && !After(*end, *from)) {
		return nil
	}
	var start esdb.AllPosition = esdb.Start{}
	if from != nil {
		start = *from
	}
	subscription, err := s.client.SubscribeToAll(ctx, catchUpOptions(start, prefixes))
	if err != nil {
		return fmt.Errorf("read $all: %w: %w", domain.ErrUnavailable, err)
	}
	defer subscription.Close()
	for {
		update := subscription.Recv()
		switch {
		case update.SubscriptionDropped != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.client.failed(update.SubscriptionDropped.Error)
			return fmt.Errorf("read $all: %w: %w", domain.ErrUnavailable, update.SubscriptionDropped.Error)
		case update.EventAppeared != nil:
			recorded := update.EventAppeared.OriginalEvent()
			// A subscription starts after its position; this guards
			// against a server that repeats it.
			if from != nil && !After(recorded.Position, *from) {
				continue
			}
			if err := visit(recorded); errors.Is(err, errCaughtUp) {
				return nil
			} else if err != nil {
				return err
			}
			if !After(*end, recorded.Position) {
				return nil
			}
		case update.CheckPointReached != nil:
			if !After(*end, *update.CheckPointReached) {
				return nil
			}
		case update.CaughtUp != nil:
			return nil
		}
	}
}
