package natsjs_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// testStore runs an embedded server in a temporary directory and opens the
// store on it; both stop when the test ends.
type testStore struct {
	*natsjs.Store
	server *server.Server
	dir    string
}

func openTestStore(t *testing.T, dir string, options natsjs.Options, syncAlways bool) *testStore {
	t.Helper()
	natsServer := natsjstest.RunServer(t, dir, syncAlways)
	store := natsjstest.Open(t, natsjstest.Connect(t, natsServer), options)
	return &testStore{Store: store, server: natsServer, dir: dir}
}

func harness(options natsjs.Options, syncAlways, persistent bool) eventstoretest.Harness {
	h := eventstoretest.Harness{
		Open: func(t *testing.T) eventstore.Store {
			return openTestStore(t, t.TempDir(), options, syncAlways)
		},
	}
	if persistent {
		h.Reopen = func(t *testing.T, store eventstore.Store) eventstore.Store {
			old := store.(*testStore)
			_ = old.Close()
			old.server.Shutdown()
			old.server.WaitForShutdown()
			return openTestStore(t, old.dir, options, syncAlways)
		}
	}
	return h
}

func TestConformanceFileStorage(t *testing.T) {
	eventstoretest.Run(t, harness(natsjs.Options{Storage: natsjs.FileStorage}, false, true))
}

func TestConformanceMemoryStorage(t *testing.T) {
	eventstoretest.Run(t, harness(natsjs.Options{Storage: natsjs.MemoryStorage}, false, false))
}

func TestConformanceDurableGroupCommit(t *testing.T) {
	eventstoretest.Run(t, harness(natsjs.Options{Storage: natsjs.FileStorage, GroupCommit: true}, true, true))
}

func TestSideStoresConformance(t *testing.T) {
	eventstoretest.RunSides(t, func(t *testing.T) eventstoretest.Sides {
		connection := natsjstest.Connect(t, natsjstest.RunServer(t, t.TempDir(), false))
		ctx := context.Background()
		checkpoints, err := natsjs.OpenCheckpoints(ctx, connection, 1)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := natsjs.OpenSignedCheckpoints(ctx, connection, 1)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := natsjs.OpenKeystore(ctx, connection, 1)
		if err != nil {
			t.Fatal(err)
		}
		access, err := natsjs.OpenAccessLog(ctx, connection, 1)
		if err != nil {
			t.Fatal(err)
		}
		return eventstoretest.Sides{Checkpoints: checkpoints, Signed: signed, Keys: keys, Access: access}
	})
}
