// Package natsjstest starts real embedded JetStream servers for tests and
// benchmarks: one per test, in its own temporary directory, stopped when the
// test ends.
package natsjstest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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

// DamageStoredEvent changes one byte inside the stored event holding text
// in the LEDGER stream's block files under a server's store directory
// (dir/jetstream/…), with no server running on it, as a disk going bad
// would: JetStream drops the message, or its replica answers it as not
// found, when it next reads the block. Exactly one block must hold text.
func DamageStoredEvent(tb testing.TB, dir, text string) {
	tb.Helper()
	blocks, err := filepath.Glob(filepath.Join(dir, "jetstream", "*", "streams", "LEDGER", "msgs", "*.blk"))
	if err != nil {
		tb.Fatal(err)
	}
	changed := 0
	for _, block := range blocks {
		content, err := os.ReadFile(block)
		if err != nil {
			tb.Fatal(err)
		}
		if at := bytes.Index(content, []byte(text)); at >= 0 {
			content[at+2] ^= 0x01
			if err := os.WriteFile(block, content, 0o600); err != nil {
				tb.Fatal(err)
			}
			changed++
		}
	}
	if changed != 1 {
		tb.Fatalf("%q found in %d block files of %s, want 1: %v", text, changed, dir, blocks)
	}
}
