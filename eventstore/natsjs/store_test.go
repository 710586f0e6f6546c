package natsjs_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
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
	natsServer, err := natsjs.StartServer(natsjs.ServerOptions{DataDir: dir, SyncAlways: syncAlways})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	connection, err := natsjs.ConnectInProcess(natsServer, "test")
	if err != nil {
		natsServer.Shutdown()
		t.Fatalf("connect: %v", err)
	}
	store, err := natsjs.Open(context.Background(), connection, options)
	if err != nil {
		connection.Close()
		natsServer.Shutdown()
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		_ = store.Close()
		connection.Close()
		natsServer.Shutdown()
		natsServer.WaitForShutdown()
	})
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
