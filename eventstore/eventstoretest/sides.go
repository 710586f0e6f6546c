package eventstoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/privacy"
)

// Checkpoints is what a store keeps for projections: checkpoints, the
// leases on writing them, and copies for backups.
type Checkpoints interface {
	eventstore.CheckpointStore
	eventstore.Leases
	eventstore.CheckpointArchive
}

// Sides are the stores the ledger keeps beside its log: JetStream keeps
// them in KV buckets and streams, EventStoreDB in streams of its own.
type Sides struct {
	Checkpoints Checkpoints
	Signed      eventstore.SignedCheckpointLog
	Keys        privacy.KeyArchive
	// Access is the log of personal-data reads: append-only like Signed.
	Access eventstore.SignedCheckpointLog
}

// RunSides runs the side stores' conformance suite; open returns fresh,
// empty side stores that the harness cleans up.
func RunSides(t *testing.T, open func(t *testing.T) Sides) {
	t.Run("CheckpointsReplaceAndExport", func(t *testing.T) { testCheckpoints(t, open(t).Checkpoints) })
	t.Run("LeaseHasOneHolder", func(t *testing.T) { testLeases(t, open(t).Checkpoints) })
	t.Run("SignedCheckpointsAppendOnly", func(t *testing.T) { testSigned(t, open(t).Signed) })
	t.Run("KeysCreateDestroyExport", func(t *testing.T) { testKeys(t, open(t).Keys) })
	t.Run("AccessLogAppendOnly", func(t *testing.T) { testSigned(t, open(t).Access) })
	t.Run("AccessRecordsRoundTrip", func(t *testing.T) { testAccessRecords(t, open(t).Access) })
}

func testCheckpoints(t *testing.T, checkpoints Checkpoints) {
	ctx := context.Background()
	if _, err := checkpoints.Load(ctx, "totals"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("load before any save: %v, want ErrNotFound", err)
	}
	saved := Clock().UTC()
	for position := uint64(1); position <= 3; position++ {
		checkpoint := eventstore.Checkpoint{Name: "totals", Version: 2, Position: position, SavedAt: saved, State: []byte(fmt.Sprintf(`{"at":%d}`, position))}
		if err := checkpoints.Save(ctx, checkpoint); err != nil {
			t.Fatalf("save %d: %v", position, err)
		}
	}
	loaded, err := checkpoints.Load(ctx, "totals")
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Position != 3 || loaded.Version != 2 || string(loaded.State) != `{"at":3}` || !loaded.SavedAt.Equal(saved) {
		t.Fatalf("loaded %+v, want the last one saved", loaded)
	}
	// A lease is not a checkpoint and stays out of exports.
	if _, err := checkpoints.Claim(ctx, "totals", "node-1", time.Minute, Clock()); err != nil {
		t.Fatal(err)
	}
	if err := checkpoints.Import(ctx, []eventstore.Checkpoint{{Name: "flow", Version: 1, Position: 7, SavedAt: saved, State: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	exported, err := checkpoints.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]uint64{}
	for _, checkpoint := range exported {
		byName[checkpoint.Name] = checkpoint.Position
	}
	if len(exported) != 2 || byName["totals"] != 3 || byName["flow"] != 7 {
		t.Fatalf("exported %v, want totals at 3 and flow at 7 only", byName)
	}
	// A large checkpoint (more than one EventStoreDB event holds) comes
	// back whole.
	large := eventstore.Checkpoint{Name: "large", Version: 1, Position: 9, SavedAt: saved, State: incompressible(t, 3<<20)}
	if err := checkpoints.Save(ctx, large); err != nil {
		t.Fatalf("save a 3 MiB checkpoint: %v", err)
	}
	if loaded, err := checkpoints.Load(ctx, "large"); err != nil || !bytes.Equal(loaded.State, large.State) || loaded.Position != 9 {
		t.Fatalf("a 3 MiB checkpoint did not come back whole: %v", err)
	}
	// A checkpoint too large for the store is refused whole.
	tooLarge := eventstore.Checkpoint{Name: "huge", State: incompressible(t, eventstore.CheckpointBytesMax+1)}
	if err := checkpoints.Save(ctx, tooLarge); err == nil {
		t.Fatal("a checkpoint over the size limit was saved")
	}
	if _, err := checkpoints.Load(ctx, "huge"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("after a refused save: %v, want ErrNotFound", err)
	}
}

// incompressible returns n random bytes: no compression brings them under n.
func incompressible(t *testing.T, n int) []byte {
	t.Helper()
	noise := make([]byte, n)
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	return noise
}

func testLeases(t *testing.T, leases Checkpoints) {
	ctx := context.Background()
	now := Clock()
	claim := func(holder string, at time.Time) bool {
		t.Helper()
		held, err := leases.Claim(ctx, "totals", holder, 15*time.Second, at)
		if err != nil {
			t.Fatalf("claim by %s: %v", holder, err)
		}
		return held
	}
	if !claim("node-1", now) {
		t.Fatal("node-1 did not get a free lease")
	}
	if claim("node-2", now.Add(time.Second)) {
		t.Fatal("node-2 took a lease node-1 holds")
	}
	if !claim("node-1", now.Add(10*time.Second)) {
		t.Fatal("node-1 could not renew its lease")
	}
	if claim("node-2", now.Add(20*time.Second)) {
		t.Fatal("node-2 took the lease before node-1's renewal ran out")
	}
	if !claim("node-2", now.Add(26*time.Second)) {
		t.Fatal("node-2 did not get the lease node-1 let lapse")
	}
	if claim("node-1", now.Add(27*time.Second)) {
		t.Fatal("node-1 took back a lease node-2 holds")
	}

	// Claimants racing for a free lease: exactly one wins.
	var wins sync.Map
	var group sync.WaitGroup
	for i := range 8 {
		group.Add(1)
		go func() {
			defer group.Done()
			held, err := leases.Claim(ctx, "race", fmt.Sprintf("racer-%d", i), time.Minute, now)
			if err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
			if held {
				wins.Store(i, true)
			}
		}()
	}
	group.Wait()
	winners := 0
	wins.Range(func(any, any) bool { winners++; return true })
	if winners != 1 {
		t.Fatalf("%d claimants hold the lease at once, want 1", winners)
	}
}

func testSigned(t *testing.T, signed eventstore.SignedCheckpointLog) {
	ctx := context.Background()
	if _, err := signed.Latest(ctx); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("latest of none: %v, want ErrNotFound", err)
	}
	if all, err := signed.All(ctx); err != nil || len(all) != 0 {
		t.Fatalf("all of none: %d, %v", len(all), err)
	}
	notes := []string{"checkpoint one\n", "checkpoint two\n", "checkpoint three\n"}
	for _, note := range notes {
		if err := signed.Append(ctx, []byte(note)); err != nil {
			t.Fatal(err)
		}
	}
	latest, err := signed.Latest(ctx)
	if err != nil || string(latest) != notes[2] {
		t.Fatalf("latest %q, %v; want %q", latest, err, notes[2])
	}
	all, err := signed.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(notes) {
		t.Fatalf("all holds %d, want %d", len(all), len(notes))
	}
	for i := range notes {
		if string(all[i]) != notes[i] {
			t.Fatalf("all[%d] = %q, want %q", i, all[i], notes[i])
		}
	}
}

func testKeys(t *testing.T, keys privacy.KeyArchive) {
	ctx := context.Background()
	if _, err := keys.Key(ctx, "worker:1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("key never made: %v, want ErrNotFound", err)
	}
	first, err := keys.CreateKey(ctx, "worker:1")
	if err != nil || len(first) != privacy.KeyBytes {
		t.Fatalf("create: %d bytes, %v", len(first), err)
	}
	again, err := keys.CreateKey(ctx, "worker:1")
	if err != nil || !bytes.Equal(again, first) {
		t.Fatal("a second create made a different key")
	}
	if read, err := keys.Key(ctx, "worker:1"); err != nil || !bytes.Equal(read, first) {
		t.Fatalf("key read back differs: %v", err)
	}
	other, err := keys.CreateKey(ctx, "rider:2 张三")
	if err != nil {
		t.Fatal(err)
	}
	// The ledger's own secret (bank lines' ids are keyed with it) is kept
	// under a reserved subject with a "/" in it, and exported with the
	// people's keys, so a backup or migration carries it.
	secret, err := keys.CreateKey(ctx, privacy.BankLineIDSecret)
	if err != nil || len(secret) != privacy.KeyBytes {
		t.Fatalf("create the ledger's secret: %d bytes, %v", len(secret), err)
	}
	if err := keys.Destroy(ctx, "worker:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Key(ctx, "worker:1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("key after destroy: %v, want ErrNotFound", err)
	}
	if err := keys.Destroy(ctx, "worker:1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("destroying a destroyed key: %v, want ErrNotFound", err)
	}
	exported, err := keys.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(exported) != 2 || !bytes.Equal(exported["rider:2 张三"], other) || !bytes.Equal(exported[privacy.BankLineIDSecret], secret) {
		t.Fatalf("export holds %d keys, want only the person's never destroyed and the ledger's secret", len(exported))
	}
	// An import adds keys and leaves a subject's own key as it is: events
	// sealed with it must stay readable.
	imported := bytes.Repeat([]byte{7}, privacy.KeyBytes)
	if err := keys.Import(ctx, map[string][]byte{"rider:2 张三": imported, "driver:3": imported}); err != nil {
		t.Fatal(err)
	}
	if read, _ := keys.Key(ctx, "rider:2 张三"); !bytes.Equal(read, other) {
		t.Fatal("an import replaced a subject's key")
	}
	if read, err := keys.Key(ctx, "driver:3"); err != nil || !bytes.Equal(read, imported) {
		t.Fatalf("imported key not readable: %v", err)
	}
	// A subject recorded again after being forgotten gets a new key.
	fresh, err := keys.CreateKey(ctx, "worker:1")
	if err != nil || bytes.Equal(fresh, first) {
		t.Fatalf("a key after erasure: %v (same as the destroyed one: %t)", err, bytes.Equal(fresh, first))
	}
}

func testAccessRecords(t *testing.T, log eventstore.SignedCheckpointLog) {
	ctx := context.Background()
	access := privacy.NewAccessLog(log, Clock)
	subjects := make([]string, 600)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("subject-%04d", i)
	}
	if err := access.Record(ctx, privacy.AccessRecord{Reader: "auditor-1", Role: "auditor", Via: "GET /api/v1/events", Subjects: subjects}); err != nil {
		t.Fatal(err)
	}
	if err := access.Record(ctx, privacy.AccessRecord{Reader: "ops", Role: "operator", Via: "ledger events --personal"}); err != nil {
		t.Fatal(err)
	}
	records, err := access.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || records[0].Reader != "auditor-1" || records[1].Via != "ledger events --personal" {
		t.Fatalf("records %+v", records)
	}
	if len(records[0].Subjects) != 500 || records[0].MoreSubjects != 100 || !records[0].At.Equal(Clock().UTC()) {
		t.Fatalf("first record: %d subjects, %d more, at %s", len(records[0].Subjects), records[0].MoreSubjects, records[0].At)
	}
}
