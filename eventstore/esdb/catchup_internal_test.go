package esdb

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/ordos-union/ledger/domain"
)

// serverMatches is how EventStoreDB applies a stream filter with prefixes:
// a stream passes when its name starts with one of them.
func serverMatches(filter *esdb.SubscriptionFilter, stream string) bool {
	for _, prefix := range filter.Prefixes {
		if strings.HasPrefix(stream, prefix) {
			return true
		}
	}
	return false
}

// The read of $all asks the server for the ledger's streams only: every
// aggregate's stream passes, and no side stream, no other ledger's and no
// other application's.
func TestCatchUpFiltersTheLedgersStreamsOnTheServer(t *testing.T) {
	const prefix = "union-a-"
	from := esdb.Position{Commit: 4096, Prepare: 4096}
	options := catchUpOptions(from, ledgerPrefixes(prefix))
	if options.From != from || options.Filter == nil || options.Filter.Type != esdb.StreamFilterType || options.Filter.Regex != "" {
		t.Fatalf("options %+v: want a stream-name filter from %v", options, from)
	}
	if options.MaxSearchWindow != catchUpSearchWindowEvents || options.CheckpointInterval != 1 {
		t.Fatalf("search window %d, checkpoint interval %d: want %d and 1 so that a checkpoint marks the end of $all",
			options.MaxSearchWindow, options.CheckpointInterval, catchUpSearchWindowEvents)
	}
	for _, kind := range domain.AggregateKinds {
		stream := StreamName(prefix, domain.AggregateRef{Kind: kind, ID: "7f3c"})
		if !serverMatches(options.Filter, stream) {
			t.Errorf("the filter drops the ledger's stream %s", stream)
		}
	}
	store := &Store{prefix: prefix}
	for _, stream := range []string{
		store.checkpointStream("totals"), store.leaseStream("totals"), store.signedStream(), store.keyStream("subject-1"),
		MetaStreamPrefix(prefix) + "access-log", "union-a-b-" + domain.AggregateKinds[0] + "-1", "$projections-$all", "orders-1",
	} {
		if serverMatches(options.Filter, stream) {
			t.Errorf("the filter lets through %s", stream)
		}
	}
	// An export lists one kind of side stream, and only it.
	keys := catchUpOptions(esdb.Start{}, []string{store.keyStreamPrefix()})
	if !serverMatches(keys.Filter, store.keyStream("subject-1")) || serverMatches(keys.Filter, store.checkpointStream("totals")) ||
		serverMatches(keys.Filter, StreamName(prefix, domain.AggregateRef{Kind: domain.AggregateKinds[0], ID: "1"})) {
		t.Fatalf("the key export's filter %v", keys.Filter.Prefixes)
	}
}

// blockingClient's reads of $all wait until released, then fail.
type blockingClient struct {
	fakeClient
	entered chan struct{}
	release chan struct{}
}

var errReleased = errors.New("released by the test")

func (b *blockingClient) ReadAll(_ context.Context, _ esdb.ReadAllOptions, _ uint64) (*esdb.ReadStream, error) {
	b.entered <- struct{}{}
	<-b.release
	return nil, errReleased
}

// waitSeconds bounds each wait in the tests below.
const waitSeconds = 5

// While a read of $all is on the network, the store's mutex is free: Head,
// Get and the exports do not hold it across the call.
func TestNoNetworkCallHoldsTheStoresMutex(t *testing.T) {
	calls := map[string]func(s *Store) error{
		"Head":              func(s *Store) error { _, err := s.Head(context.Background()); return err },
		"Get":               func(s *Store) error { _, err := s.Get(context.Background(), 1); return err },
		"checkpoint Export": func(s *Store) error { _, err := s.Checkpoints().Export(context.Background()); return err },
		"key Export":        func(s *Store) error { _, err := s.Keystore().Export(context.Background()); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			client := &blockingClient{entered: make(chan struct{}), release: make(chan struct{})}
			connection := newConnection(func() (eventStoreClient, error) { return client, nil }, slog.New(slog.DiscardHandler))
			store := newStore(connection, DefaultStreamPrefix, slog.New(slog.DiscardHandler), appendBytesMaxDefault)
			done := make(chan error, 1)
			go func() { done <- call(store) }()
			select {
			case <-client.entered:
			case <-time.After(waitSeconds * time.Second):
				t.Fatalf("%s made no read of $all", name)
			}
			locked := make(chan uint64)
			go func() {
				store.mutex.Lock()
				defer store.mutex.Unlock()
				locked <- uint64(len(store.positions))
			}()
			select {
			case <-locked:
			case <-time.After(waitSeconds * time.Second):
				close(client.release)
				t.Fatalf("%s holds the store's mutex while it waits on the server", name)
			}
			close(client.release)
			select {
			case err := <-done:
				if !errors.Is(err, errReleased) || !errors.Is(err, domain.ErrUnavailable) {
					t.Fatalf("%s answered %v, want the read's failure as ErrUnavailable", name, err)
				}
			case <-time.After(waitSeconds * time.Second):
				t.Fatalf("%s did not return after the read failed", name)
			}
		})
	}
}
