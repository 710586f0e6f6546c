// Package natsjstest starts real embedded JetStream servers for tests and
// benchmarks: one per test, in its own temporary directory, stopped when the
// test ends.
package natsjstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/ordos-union/ledger/eventstore/natsjs"
)

// RunServer starts an embedded JetStream server storing in dir and stops it
// at the end of the test.
func RunServer(tb testing.TB, dir string, syncAlways bool) *server.Server {
	tb.Helper()
	natsServer, err := natsjs.StartServer(natsjs.ServerOptions{DataDir: dir, SyncAlways: syncAlways})
	if err != nil {
		tb.Fatalf("start server: %v", err)
	}
	tb.Cleanup(func() {
		natsServer.Shutdown()
		natsServer.WaitForShutdown()
	})
	return natsServer
}

// Connect opens an in-process connection closed at the end of the test.
func Connect(tb testing.TB, natsServer *server.Server) *nats.Conn {
	tb.Helper()
	connection, err := natsjs.ConnectInProcess(natsServer, tb.Name())
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(connection.Close)
	return connection
}

// Open opens the store on a connection and closes it at the end of the test.
func Open(tb testing.TB, connection *nats.Conn, options natsjs.Options) *natsjs.Store {
	tb.Helper()
	store, err := natsjs.Open(context.Background(), connection, options)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	return store
}

// Store is RunServer, Connect and Open on a fresh temporary directory.
func Store(tb testing.TB, options natsjs.Options, syncAlways bool) *natsjs.Store {
	tb.Helper()
	return Open(tb, Connect(tb, RunServer(tb, tb.TempDir(), syncAlways)), options)
}

// checkIntervalMs is how often CheckFor tries again.
const checkIntervalMs = 20

// CheckFor runs check until it returns nil or the deadline passes, and
// fails the test with check's last error then: the one bounded wait tests
// use instead of sleeping.
func CheckFor(tb testing.TB, deadline time.Duration, check func() error) {
	tb.Helper()
	end := time.Now().Add(deadline)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(end) {
			tb.Fatalf("after %s: %v", deadline, err)
		}
		<-time.After(checkIntervalMs * time.Millisecond)
	}
}
