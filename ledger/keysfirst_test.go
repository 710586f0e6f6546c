package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/privacy"
)

// refusedFastSeconds is how long a refusal of a request that the ledger
// can judge before sealing may take: the reviewer's 20-event request took
// 2.8 s when every person got a key first.
const refusedFastSeconds = 2

// sealedLedger runs the service with a sealer on a real embedded JetStream
// server and its KV keystore, and returns the keystore to count its keys.
func sealedLedger(t *testing.T, wrap func(privacy.KeyArchive) privacy.Keystore) (*ledger.Service, eventstore.Store, *natsjs.Keystore) {
	t.Helper()
	connection := natsjstest.Connect(t, natsjstest.RunServer(t, t.TempDir(), false))
	store := natsjstest.Open(t, connection, natsjs.Options{})
	keys, err := natsjs.OpenKeystore(context.Background(), connection, 1)
	if err != nil {
		t.Fatal(err)
	}
	var keystore privacy.Keystore = keys
	if wrap != nil {
		keystore = wrap(keys)
	}
	service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock, Sealer: privacy.NewSealer(keystore, nil)})
	return service, store, keys
}

func keyCount(t *testing.T, keys privacy.KeyArchive) int {
	t.Helper()
	all, err := keys.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// deliveryTo is a delivery to n workers whose names are name.
func deliveryTo(deliveryID string, n int, name string) domain.Event {
	event := eventstoretest.Delivery("general", "150626", deliveryID, 100)
	event.Personal = &domain.Personal{}
	for range n {
		event.Personal.Workers = append(event.Personal.Workers, domain.Person{Name: name})
	}
	return event
}

// refusedWithoutKeys records events, which must be refused with a
// violation of field in event place (1-based), fast, writing nothing and
// making no key.
func refusedWithoutKeys(t *testing.T, service *ledger.Service, store eventstore.Store, keys privacy.KeyArchive,
	place int, field string, events []domain.Event) {
	t.Helper()
	before, head := keyCount(t, keys), headOf(t, store)
	started := time.Now()
	_, err := service.Record(context.Background(), events)
	took := time.Since(started)
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want a validation error", err)
	}
	found := false
	for _, violation := range validation.Violations {
		found = found || (violation.Event == place && violation.Field == field)
	}
	if !found {
		t.Fatalf("violations %+v name no %s of event %d", validation.Violations, field, place)
	}
	if after := keyCount(t, keys); after != before {
		t.Fatalf("a refused request made %d keys", after-before)
	}
	if after := headOf(t, store); after != head {
		t.Fatalf("a refused request moved the head from %d to %d", head, after)
	}
	if took > refusedFastSeconds*time.Second {
		t.Fatalf("the refusal took %v, more than %d s", took, refusedFastSeconds)
	}
}

func headOf(t *testing.T, store eventstore.Store) uint64 {
	t.Helper()
	head, err := store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return head
}

func fund(t *testing.T, service *ledger.Service) {
	t.Helper()
	record(t, service, eventstoretest.Donation("general", "150626", "D-1", 100_000_000))
}

// An event whose people, sealed, make it longer than the store keeps is
// refused before any of them gets a key: the reviewer's oversize batch grew
// the keystore by 161 MB on each try.
func TestOversizePersonalRefusedBeforeAnyKey(t *testing.T) {
	service, store, keys := sealedLedger(t, nil)
	fund(t, service)
	var events []domain.Event
	for i := range 20 {
		// 250 people of 40-character names: about 100 KB once sealed.
		events = append(events, deliveryTo(fmt.Sprintf("DV-%d", i), domain.WorkersPerEventMax, strings.Repeat("王", 40)))
	}
	refusedWithoutKeys(t, service, store, keys, 1, "personal", events)
	// The limit is what the store keeps: the same people with short names fit.
	for i := range events {
		events[i].Personal = deliveryTo("", domain.WorkersPerEventMax, "a").Personal
	}
	before := keyCount(t, keys)
	record(t, service, events[:2]...)
	if made := keyCount(t, keys) - before; made != 2*domain.WorkersPerEventMax {
		t.Fatalf("a written request made %d keys, want %d", made, 2*domain.WorkersPerEventMax)
	}
}

// An event refused by the ledger's rules, after sealing, makes no key for
// the request's people either: keys are made once the request is decided.
func TestRuleRefusalMakesNoKey(t *testing.T) {
	service, store, keys := sealedLedger(t, nil)
	fund(t, service)
	record(t, service, deliveryTo("DV-1", 1, "张三"))
	before, head := keyCount(t, keys), headOf(t, store)
	// The second event repeats a delivery id: refused by the campaign.
	_, err := service.Record(context.Background(), []domain.Event{deliveryTo("DV-2", 3, "李四"), deliveryTo("DV-1", 3, "王五")})
	if !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("err = %v, want %v", err, domain.ErrRejected)
	}
	if after := keyCount(t, keys); after != before {
		t.Fatalf("a refused request made %d keys", after-before)
	}
	if after := headOf(t, store); after != head {
		t.Fatalf("a refused request moved the head from %d to %d", head, after)
	}
}

// The caps on people: one event lists at most WorkersPerEventMax, refused
// by field; one request at most PersonsPerRequestMax, refused on the event
// that crosses it. Neither makes a key.
func TestPersonCaps(t *testing.T) {
	service, store, keys := sealedLedger(t, nil)
	fund(t, service)
	refusedWithoutKeys(t, service, store, keys, 1, "personal.workers",
		[]domain.Event{deliveryTo("DV-1", domain.WorkersPerEventMax+1, "a")})
	var events []domain.Event
	for i := range ledger.PersonsPerRequestMax/domain.WorkersPerEventMax + 1 {
		events = append(events, deliveryTo(fmt.Sprintf("DV-%d", i), domain.WorkersPerEventMax, "a"))
	}
	refusedWithoutKeys(t, service, store, keys, len(events), "personal", events)
}

// An idempotent retry with people still returns the original and makes no
// key; the same key with other people is refused and makes none.
func TestSealedRetryMakesNoKey(t *testing.T) {
	service, store, keys := sealedLedger(t, nil)
	fund(t, service)
	event := deliveryTo("DV-1", 3, "张三")
	event.IdempotencyKey = "retry-1"
	first := record(t, service, event)
	before := keyCount(t, keys)
	again := record(t, service, event)
	if !again[0].Duplicate || again[0].EventID != first[0].EventID {
		t.Fatalf("retry = %+v, want the original %+v", again[0], first[0])
	}
	other := deliveryTo("DV-1", 4, "张三")
	other.IdempotencyKey = "retry-1"
	refused(t, service, store, domain.ErrIdempotencyKeyReused, other)
	if after := keyCount(t, keys); after != before {
		t.Fatalf("retries made %d keys", after-before)
	}
}

// racingKeystore gives every subject a key of its own just before the
// ledger stores the one it sealed with, as another writer would.
type racingKeystore struct{ privacy.KeyArchive }

func (r racingKeystore) Import(ctx context.Context, keys map[string][]byte) error {
	for subject := range keys {
		if _, err := r.CreateKey(ctx, subject); err != nil {
			return err
		}
	}
	return r.KeyArchive.Import(ctx, keys)
}

// A pending key that loses to another writer's is not used: the events are
// sealed again under the stored key, and read back.
func TestPendingKeyRaceSealsAgain(t *testing.T) {
	service, store, keys := sealedLedger(t, func(keys privacy.KeyArchive) privacy.Keystore { return racingKeystore{keys} })
	fund(t, service)
	event := deliveryTo("DV-1", 1, "张三")
	event.Personal.Workers[0].SubjectID = "worker-7"
	results := record(t, service, event)
	stored, err := store.Get(context.Background(), results[0].Position)
	if err != nil {
		t.Fatal(err)
	}
	read := stored.Event
	if err := privacy.NewSealer(keys, nil).Unseal(context.Background(), &read); err != nil {
		t.Fatal(err)
	}
	if read.Personal == nil || read.Personal.Workers[0].Name != "张三" {
		t.Fatalf("read back %+v, want 张三", read.Personal)
	}
}

// docs/EVENTS.md's limits table states the caps on people.
func TestEventsDocStatesPersonCaps(t *testing.T) {
	content, err := os.ReadFile("../docs/EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{
		fmt.Sprintf("| workers per event | %d | `personal.workers` |", domain.WorkersPerEventMax),
		fmt.Sprintf("| `PersonsPerRequestMax` | %d,%03d |", ledger.PersonsPerRequestMax/1000, ledger.PersonsPerRequestMax%1000),
	} {
		if !strings.Contains(string(content), row) {
			t.Errorf("docs/EVENTS.md has no row %q", row)
		}
	}
}

// A person sealed takes about 220 bytes of the stored event even with a
// bare name, as docs/EVENTS.md's limits table says: that is why 500 people
// never fit and 250 with short details do.
func TestSealedPersonBytes(t *testing.T) {
	sizeWith := func(n int) int {
		event := deliveryTo("DV-1", n, "a")
		checked, err := ledger.New(nil, ledger.Options{Clock: eventstoretest.Clock}).Check(event)
		if err != nil {
			t.Fatal(err)
		}
		sealed := checked.Event()
		sealed.ID = uuid.Must(uuid.NewV7())
		if err := privacy.SealWithoutKeys(&sealed); err != nil {
			t.Fatal(err)
		}
		data, err := sealed.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return len(data)
	}
	if perPerson := (sizeWith(101) - sizeWith(1)) / 100; perPerson < 200 || perPerson > 240 {
		t.Fatalf("a sealed person takes %d bytes, not about 220", perPerson)
	}
}
