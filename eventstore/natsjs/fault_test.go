package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/ledger"
)

// A full store gives a clean error, writes nothing half way, and writing
// resumes once there is room again (here: the server restarted with a larger
// limit, as an operator would after adding disk).
func TestFullStoreFailsCleanlyAndRecovers(t *testing.T) {
	dir := t.TempDir()
	const limit = 1 << 20
	natsServer, err := natsjs.StartServer(natsjs.ServerOptions{DataDir: dir, MaxStoreBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	connection, err := natsjs.ConnectInProcess(natsServer, "full")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := natsjs.Open(ctx, connection, natsjs.Options{FreeBytes: natsjs.FreeStoreBytes(natsServer)})
	if err != nil {
		t.Fatal(err)
	}
	service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
	var written int
	var failure error
	for i := 0; i < 100_000 && failure == nil; i++ {
		batch := make([]domain.Event, 100)
		for j := range batch {
			batch[j] = eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d-%d", i, j), 100)
		}
		if _, err := service.Record(ctx, batch); err != nil {
			failure = err
		} else {
			written += len(batch)
		}
	}
	if failure == nil || !errors.Is(failure, domain.ErrUnavailable) {
		t.Fatalf("after %d events: err = %v, want a clean ErrUnavailable", written, failure)
	}
	if strings.Contains(failure.Error(), "panic") {
		t.Fatalf("unclean error: %v", failure)
	}
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head != uint64(written) {
		t.Fatalf("head %d after %d acknowledged events: a failed batch wrote part of itself (%v)", head, written, failure)
	}
	_ = store.Close()
	connection.Close()
	natsServer.Shutdown()
	natsServer.WaitForShutdown()

	// Room again: every acknowledged event is there, and writing resumes.
	natsServer = natsjstest.RunServer(t, dir, false)
	reopened := natsjstest.Open(t, natsjstest.Connect(t, natsServer), natsjs.Options{})
	count := 0
	for record, err := range reopened.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if record.Position != uint64(count+1) {
			t.Fatalf("position %d after %d events", record.Position, count)
		}
		count++
	}
	if count != written {
		t.Fatalf("%d events after the restart, %d were acknowledged", count, written)
	}
	if _, err := ledger.New(reopened, ledger.Options{Clock: eventstoretest.Clock}).Record(ctx,
		[]domain.Event{eventstoretest.Donation("general", "150626", "D-after", 100)}); err != nil {
		t.Fatalf("writing did not resume: %v", err)
	}
}
