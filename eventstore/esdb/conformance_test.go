package esdb_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/esdb"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
)

// TestConformance runs the store contract's suite against a live
// EventStoreDB named by LEDGER_ESDB_URL (esdb://127.0.0.1:2113?tls=false).
// Each test gets its own stream prefix, so it sees an empty ledger on a
// shared server.
func TestConformance(t *testing.T) {
	connection := os.Getenv("LEDGER_ESDB_URL")
	if connection == "" {
		t.Skip("LEDGER_ESDB_URL is not set: no EventStoreDB server to run the conformance suite against (set it to esdb://HOST:2113?tls=false)")
	}
	open := func(t *testing.T, prefix string) eventstore.Store {
		store, err := esdb.Open(context.Background(), connection, esdb.Options{StreamPrefix: prefix})
		if err != nil {
			t.Fatalf("open %s: %v", connection, err)
		}
		t.Cleanup(func() { _ = store.Close() })
		return store
	}
	prefixes := map[eventstore.Store]string{}
	eventstoretest.Run(t, eventstoretest.Harness{
		Open: func(t *testing.T) eventstore.Store {
			prefix := fmt.Sprintf("ledgertest%s-", uuid.NewString()[:8])
			store := open(t, prefix)
			prefixes[store] = prefix
			return store
		},
		Reopen: func(t *testing.T, store eventstore.Store) eventstore.Store {
			_ = store.Close()
			return open(t, prefixes[store])
		},
		SingleAggregateAppends: true,
		Unsupported:            esdb.ErrUnsupported,
	})
}

// TestSidesConformance runs the side stores' suite (projection checkpoints,
// leases, signed checkpoints, personal-data keys) against the live server.
func TestSidesConformance(t *testing.T) {
	connection := os.Getenv("LEDGER_ESDB_URL")
	if connection == "" {
		t.Skip("LEDGER_ESDB_URL is not set: no EventStoreDB server to run the side stores' suite against (set it to esdb://HOST:2113?tls=false)")
	}
	eventstoretest.RunSides(t, func(t *testing.T) eventstoretest.Sides {
		prefix := fmt.Sprintf("ledgertest%s-", uuid.NewString()[:8])
		store, err := esdb.Open(context.Background(), connection, esdb.Options{StreamPrefix: prefix})
		if err != nil {
			t.Fatalf("open %s: %v", connection, err)
		}
		t.Cleanup(func() { _ = store.Close() })
		return eventstoretest.Sides{Checkpoints: store.Checkpoints(), Signed: store.SignedCheckpoints(), Keys: store.Keystore(), Access: store.AccessLog()}
	})
}
