// Package eventstoretest is the conformance suite every eventstore.Store
// runs: the same tests for JetStream today and for EventStoreDB later.
package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/ledger"
)

// Harness opens stores for the suite.
type Harness struct {
	// Open returns a fresh, empty store; the harness cleans it up.
	Open func(t *testing.T) eventstore.Store
	// Reopen, if set, closes the store and everything under it (the server
	// too) and opens it again on the same data. Stores that keep nothing
	// across restarts leave it nil and the persistence test is skipped.
	Reopen func(t *testing.T, store eventstore.Store) eventstore.Store
	// SingleAggregateAppends marks a store that appends atomically to one
	// aggregate only: it must refuse an append across aggregates with
	// Unsupported, writing nothing, instead of writing it in parts.
	SingleAggregateAppends bool
	Unsupported            error
}

// Run runs the conformance suite.
func Run(t *testing.T, harness Harness) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, harness) })
	t.Run("Ordering", func(t *testing.T) { testOrdering(t, harness) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, harness) })
	t.Run("ConcurrencyConflict", func(t *testing.T) { testConflict(t, harness) })
	t.Run("AtomicBatchAllOrNothing", func(t *testing.T) { testAtomicBatch(t, harness) })
	t.Run("BatchLimit", func(t *testing.T) { testBatchLimit(t, harness) })
	t.Run("StoreDeduplicatesKeys", func(t *testing.T) { testStoreDuplicate(t, harness) })
	t.Run("Subscribe", func(t *testing.T) { testSubscribe(t, harness) })
	t.Run("ServiceIdempotentRetry", func(t *testing.T) { testIdempotentRetry(t, harness) })
	t.Run("ServiceKeyReuseDifferentBody", func(t *testing.T) { testKeyReuse(t, harness) })
	t.Run("ServiceEventIDReuse", func(t *testing.T) { testEventIDReuse(t, harness) })
	t.Run("ServiceBatchOneBadEventWritesNothing", func(t *testing.T) { testServiceBatch(t, harness) })
	t.Run("ServiceConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, harness) })
	t.Run("Persistence", func(t *testing.T) {
		if harness.Reopen == nil {
			t.Skip("this store keeps nothing across a restart (memory storage)")
		}
		testPersistence(t, harness)
	})
}

// Clock is a fixed clock for events: 2022-07-01 09:00 Beijing time.
var Clock = func() time.Time { return time.Date(2022, 7, 1, 9, 0, 0, 0, domain.Beijing) }

// Donation returns a valid money donation received event in the campaign.
func Donation(campaign, county, donationID string, fen domain.Money) domain.Event {
	return domain.Event{
		Type:       domain.TypeDonationReceived,
		County:     county,
		OccurredAt: Clock().Add(-time.Hour),
		Actor:      "clerk-test",
		Data: domain.DonationReceived{
			DonationID: donationID, Campaign: campaign, DonorKind: "enterprise",
			DonorOrg: "鄂尔多斯市某能源有限公司", Form: domain.FormMoney, Amount: fen,
		},
	}
}

// Delivery returns a valid delivery spending fen from the county's pot.
func Delivery(campaign, county, deliveryID string, spent domain.Money) domain.Event {
	return domain.Event{
		Type:       domain.TypeSuppliesDelivered,
		County:     county,
		OccurredAt: Clock().Add(-time.Hour),
		Actor:      "clerk-test",
		Data: domain.SuppliesDelivered{
			DeliveryID: deliveryID, Campaign: campaign,
			Site:             domain.Site{Kind: "sanitation-depot", Name: "东胜区环卫站"},
			BeneficiaryGroup: "sanitation-workers", Headcount: 40,
			Items: []domain.GoodsItem{{Item: "drinking-water", Unit: "箱", Quantity: 40, Value: 120000}},
			Spent: spent,
		},
	}
}

// stored turns a domain event into what the store expects: id, time,
// aggregate and schema version filled.
func stored(event domain.Event) domain.Event {
	event.ID = uuid.Must(uuid.NewV7())
	event.RecordedAt = time.Now().UTC().Truncate(time.Millisecond)
	event.SchemaVersion = domain.CurrentVersion(event.Type)
	event.Aggregate = domain.AggregateOf(event.Data)
	return event
}

func part(expected uint64, events ...domain.Event) eventstore.AggregateAppend {
	return eventstore.AggregateAppend{Aggregate: events[0].Aggregate, ExpectedVersion: expected, Events: events}
}

func readAll(t *testing.T, store eventstore.Store, from uint64, filter eventstore.Filter) []eventstore.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var records []eventstore.Record
	for record, err := range store.Read(ctx, from, filter) {
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		records = append(records, record)
	}
	return records
}

func testRoundTrip(t *testing.T, harness Harness) {
	store := harness.Open(t)
	ctx := context.Background()
	event := stored(Donation("2022-summer-cooling", "150626", "D-1", 500000))
	event.IdempotencyKey = "roundtrip-1"
	event.CorrelationID = "corr-1"
	event.Personal = &domain.Personal{Donor: &domain.Person{Name: "张三", Phone: "13800000000"}}
	positions, err := store.Append(ctx, part(0, event))
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if len(positions) != 1 || positions[0] == 0 {
		t.Fatalf("positions = %v, want one non-zero", positions)
	}
	records := readAll(t, store, 0, eventstore.Filter{})
	if len(records) != 1 {
		t.Fatalf("read %d records, want 1", len(records))
	}
	got := records[0]
	if got.Position != positions[0] {
		t.Errorf("position = %d, want %d", got.Position, positions[0])
	}
	wantData, _ := event.Marshal()
	if string(got.Data) != string(wantData) {
		t.Errorf("stored bytes differ:\n got %s\nwant %s", got.Data, wantData)
	}
	if got.Event.ID != event.ID || got.Event.Type != event.Type || got.Event.County != event.County ||
		got.Event.IdempotencyKey != "roundtrip-1" || got.Event.CorrelationID != "corr-1" ||
		!got.Event.RecordedAt.Equal(event.RecordedAt) || !got.Event.OccurredAt.Equal(event.OccurredAt) {
		t.Errorf("envelope differs: got %+v want %+v", got.Event, event)
	}
	data, ok := got.Event.Data.(domain.DonationReceived)
	if !ok || data.Amount != 500000 || data.DonationID != "D-1" {
		t.Errorf("payload = %#v", got.Event.Data)
	}
	if got.Event.Personal == nil || got.Event.Personal.Donor.Name != "张三" {
		t.Errorf("personal part lost: %+v", got.Event.Personal)
	}
	head, err := store.Head(ctx)
	if err != nil || head != positions[0] {
		t.Errorf("head = %d, %v; want %d", head, err, positions[0])
	}
	version, err := store.AggregateVersion(ctx, event.Aggregate)
	if err != nil || version != positions[0] {
		t.Errorf("aggregate version = %d, %v; want %d", version, err, positions[0])
	}
	fetched, err := store.Get(ctx, positions[0])
	if err != nil || fetched.Event.ID != event.ID || string(fetched.Data) != string(wantData) {
		t.Errorf("get position %d = %v, %v; want the event", positions[0], fetched.Event.ID, err)
	}
	if _, err := store.Get(ctx, positions[0]+1); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("get past the head: err = %v, want ErrNotFound", err)
	}
	other, err := store.AggregateVersion(ctx, domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"})
	if err != nil || other != 0 {
		t.Errorf("version of an empty aggregate = %d, %v; want 0", other, err)
	}
}

func testOrdering(t *testing.T, harness Harness) {
	store := harness.Open(t)
	ctx := context.Background()
	versions := map[string]uint64{}
	var want []uuid.UUID
	for i := range 30 {
		campaign := []string{"2022-summer-cooling", "general", "2022-winter-warmth"}[i%3]
		event := stored(Donation(campaign, "150602", fmt.Sprintf("D-%d", i), domain.Money(100+i)))
		positions, err := store.Append(ctx, part(versions[campaign], event))
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		versions[campaign] = positions[0]
		want = append(want, event.ID)
	}
	records := readAll(t, store, 0, eventstore.Filter{})
	if len(records) != len(want) {
		t.Fatalf("read %d, want %d", len(records), len(want))
	}
	for i, record := range records {
		if record.Event.ID != want[i] {
			t.Fatalf("record %d is %s, want %s", i, record.Event.ID, want[i])
		}
		if i > 0 && record.Position <= records[i-1].Position {
			t.Fatalf("positions not increasing at %d: %d after %d", i, record.Position, records[i-1].Position)
		}
	}
	tail := readAll(t, store, records[19].Position, eventstore.Filter{})
	if len(tail) != 10 || tail[0].Event.ID != want[20] {
		t.Fatalf("read from position %d gave %d records", records[19].Position, len(tail))
	}
}

func testFilters(t *testing.T, harness Harness) {
	store := harness.Open(t)
	ctx := context.Background()
	a := stored(Donation("2022-summer-cooling", "150626", "D-a", 100000))
	b := stored(Donation("2022-summer-cooling", "150602", "D-b", 100000))
	c := stored(Delivery("2022-summer-cooling", "150626", "V-c", 50000))
	d := stored(Donation("general", "150626", "D-d", 100000))
	if _, err := store.Append(ctx, part(0, a, b, c)); err != nil {
		t.Fatalf("append: %v", err)
	}
	before := time.Now().UTC()
	d.RecordedAt = before.Add(time.Millisecond)
	if _, err := store.Append(ctx, part(0, d)); err != nil {
		t.Fatalf("append: %v", err)
	}
	ids := func(records []eventstore.Record) []uuid.UUID {
		var out []uuid.UUID
		for _, record := range records {
			out = append(out, record.Event.ID)
		}
		return out
	}
	cases := []struct {
		name   string
		filter eventstore.Filter
		want   []uuid.UUID
	}{
		{"county", eventstore.Filter{County: "150626"}, []uuid.UUID{a.ID, c.ID, d.ID}},
		{"type", eventstore.Filter{Type: domain.TypeSuppliesDelivered}, []uuid.UUID{c.ID}},
		{"aggregate", eventstore.Filter{AggregateKind: domain.AggregateCampaign, AggregateID: "general"}, []uuid.UUID{d.ID}},
		{"kind", eventstore.Filter{AggregateKind: domain.AggregateCampaign}, []uuid.UUID{a.ID, b.ID, c.ID, d.ID}},
		{"county and type", eventstore.Filter{County: "150626", Type: domain.TypeDonationReceived}, []uuid.UUID{a.ID, d.ID}},
		{"recorded from", eventstore.Filter{RecordedFrom: before}, []uuid.UUID{d.ID}},
		{"recorded until", eventstore.Filter{RecordedUntil: before}, []uuid.UUID{a.ID, b.ID, c.ID}},
		{"no match", eventstore.Filter{County: "150627"}, nil},
	}
	for _, tc := range cases {
		got := ids(readAll(t, store, 0, tc.filter))
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func testConflict(t *testing.T, harness Harness) {
	store := harness.Open(t)
	ctx := context.Background()
	first := stored(Donation("general", "150602", "D-1", 100))
	positions, err := store.Append(ctx, part(0, first))
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	stale := stored(Donation("general", "150603", "D-2", 100))
	_, err = store.Append(ctx, part(0, stale))
	var conflict *eventstore.ConflictError
	if !errors.As(err, &conflict) || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("stale append: err = %v, want ConflictError", err)
	}
	if conflict.Actual != positions[0] || conflict.Expected != 0 {
		t.Errorf("conflict = %+v, want actual %d expected 0", conflict, positions[0])
	}
	// The version check spans the aggregate's counties: a write to another
	// county's subject of the same campaign still conflicts.
	if _, err := store.Append(ctx, part(positions[0], stale)); err != nil {
		t.Fatalf("append at the right version: %v", err)
	}
	if records := readAll(t, store, 0, eventstore.Filter{}); len(records) != 2 {
		t.Fatalf("log has %d events, want 2", len(records))
	}
	if _, err := store.Append(ctx, part(eventstore.AnyVersion, stored(Donation("general", "150602", "D-3", 100)))); err != nil {
		t.Fatalf("append with AnyVersion: %v", err)
	}
}

func testAtomicBatch(t *testing.T, harness Harness) {
	store := harness.Open(t)
	ctx := context.Background()
	seed := stored(Donation("general", "150602", "D-0", 100))
	if _, err := store.Append(ctx, part(0, seed)); err != nil {
		t.Fatalf("append: %v", err)
	}
	head, _ := store.Head(ctx)
	if harness.SingleAggregateAppends {
		testRefusedAcrossAggregates(t, harness, store, head)
		return
	}
	// One conflicting part sinks the whole append.
	good := part(0, stored(Donation("2022-summer-cooling", "150626", "D-1", 100)), stored(Donation("2022-summer-cooling", "150626", "D-2", 100)))
	conflicting := part(0, stored(Donation("general", "150603", "D-3", 100)))
	if _, err := store.Append(ctx, good, conflicting); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("append with a stale part: err = %v, want conflict", err)
	}
	// One event that cannot be stored sinks the whole append too.
	bad := stored(Donation("2022-summer-cooling", "150626", "D-4", 100))
	bad.County = "bad.county"
	if _, err := store.Append(ctx, good, part(head, bad)); err == nil {
		t.Fatalf("append with an unstorable event succeeded")
	}
	if after, _ := store.Head(ctx); after != head {
		t.Fatalf("head moved from %d to %d: a failed batch wrote something", head, after)
	}
	if records := readAll(t, store, 0, eventstore.Filter{}); len(records) != 1 {
		t.Fatalf("log has %d events after failed batches, want 1", len(records))
	}
	positions, err := store.Append(ctx, good, part(head, stored(Donation("general", "150603", "D-3", 100))))
	if err != nil {
		t.Fatalf("append a good batch: %v", err)
	}
	if len(positions) != 3 || positions[0] != head+1 || positions[2] != head+3 {
		t.Fatalf("positions = %v, want %d..%d", positions, head+1, head+3)
	}
}

// testRefusedAcrossAggregates checks a store that cannot append to several
// aggregates atomically: it refuses, writes nothing, and appends many events
// to one aggregate all or nothing.
func testRefusedAcrossAggregates(t *testing.T, harness Harness, store eventstore.Store, head uint64) {
	ctx := context.Background()
	good := part(0, stored(Donation("2022-summer-cooling", "150626", "D-1", 100)), stored(Donation("2022-summer-cooling", "150626", "D-2", 100)))
	other := part(head, stored(Donation("general", "150603", "D-3", 100)))
	if _, err := store.Append(ctx, good, other); !errors.Is(err, harness.Unsupported) {
		t.Fatalf("append across aggregates: err = %v, want %v", err, harness.Unsupported)
	}
	if after, _ := store.Head(ctx); after != head {
		t.Fatalf("head moved from %d to %d: a refused append wrote something", head, after)
	}
	stale := part(0, stored(Donation("general", "150603", "D-4", 100)), stored(Donation("general", "150603", "D-5", 100)))
	if _, err := store.Append(ctx, stale); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("stale append: err = %v, want conflict", err)
	}
	if after, _ := store.Head(ctx); after != head {
		t.Fatalf("head moved from %d to %d: a stale append wrote something", head, after)
	}
	positions, err := store.Append(ctx, good)
	if err != nil {
		t.Fatalf("append to one aggregate: %v", err)
	}
	if len(positions) != 2 || positions[0] != head+1 || positions[1] != head+2 {
		t.Fatalf("positions = %v, want %d..%d", positions, head+1, head+2)
	}
}

func testBatchLimit(t *testing.T, harness Harness) {
	store := harness.Open(t)
	events := make([]domain.Event, eventstore.BatchEventsMax+1)
	for i := range events {
		events[i] = stored(Donation("general", "150602", fmt.Sprintf("D-%d", i), 100))
	}
	if _, err := store.Append(context.Background(), part(0, events...)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("append of %d events: err = %v, want ErrInvalid", len(events), err)
	}
	if head, _ := store.Head(context.Background()); head != 0 {
		t.Fatalf("head = %d after a refused batch", head)
	}
}

func testStoreDuplicate(t *testing.T, harness Harness) {
	store := harness.Open(t)
	ctx := context.Background()
	event := stored(Donation("general", "150602", "D-1", 100))
	event.IdempotencyKey = "dup-key"
	positions, err := store.Append(ctx, part(eventstore.AnyVersion, event))
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	again := event
	again.ID = uuid.Must(uuid.NewV7())
	_, err = store.Append(ctx, part(eventstore.AnyVersion, again))
	var duplicate *eventstore.DuplicateError
	if !errors.As(err, &duplicate) {
		t.Fatalf("second append with the key: err = %v, want DuplicateError", err)
	}
	if duplicate.Position != positions[0] {
		t.Errorf("duplicate position = %d, want %d", duplicate.Position, positions[0])
	}
	if records := readAll(t, store, 0, eventstore.Filter{}); len(records) != 1 {
		t.Fatalf("log has %d events, want 1", len(records))
	}
}

func testSubscribe(t *testing.T, harness Harness) {
	store := harness.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first := stored(Donation("general", "150602", "D-1", 100))
	if _, err := store.Append(ctx, part(0, first)); err != nil {
		t.Fatalf("append: %v", err)
	}
	received := make(chan eventstore.Record, 4)
	subscribed, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		defer close(received)
		for record, err := range store.Subscribe(subscribed, 0, eventstore.Filter{County: "150602"}) {
			if err != nil {
				return
			}
			received <- record
		}
	}()
	if got := <-received; got.Event.ID != first.ID {
		t.Fatalf("first record = %s, want %s", got.Event.ID, first.ID)
	}
	other := stored(Donation("general", "150603", "D-2", 100))
	live := stored(Donation("general", "150602", "D-3", 100))
	if _, err := store.Append(ctx, part(eventstore.AnyVersion, other)); err != nil {
		t.Fatalf("append: %v", err)
	}
	if _, err := store.Append(ctx, part(eventstore.AnyVersion, live)); err != nil {
		t.Fatalf("append: %v", err)
	}
	select {
	case got := <-received:
		if got.Event.ID != live.ID {
			t.Fatalf("live record = %s, want %s (the filter lets only county 150602 through)", got.Event.ID, live.ID)
		}
	case <-ctx.Done():
		t.Fatalf("no live record within the deadline")
	}
	stop()
	for range received {
	}
}

func newService(store eventstore.Store) *ledger.Service {
	return ledger.New(store, ledger.Options{Clock: Clock})
}

func testIdempotentRetry(t *testing.T, harness Harness) {
	store := harness.Open(t)
	service := newService(store)
	ctx := context.Background()
	event := Donation("2022-summer-cooling", "150626", "D-1", 500000)
	event.IdempotencyKey = "uxin-2022-0001"
	first, err := service.Record(ctx, []domain.Event{event})
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	// A retry through a fresh service (a restarted process, long after the
	// deduplication window) finds the original in the campaign's history.
	for _, retrier := range []*ledger.Service{service, newService(store)} {
		again, err := retrier.Record(ctx, []domain.Event{event})
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if !again[0].Duplicate || again[0].EventID != first[0].EventID || again[0].Position != first[0].Position {
			t.Fatalf("retry = %+v, want the original %+v marked duplicate", again[0], first[0])
		}
	}
	if records := readAll(t, store, 0, eventstore.Filter{}); len(records) != 1 {
		t.Fatalf("log has %d events after retries, want 1", len(records))
	}
}

func testKeyReuse(t *testing.T, harness Harness) {
	store := harness.Open(t)
	service := newService(store)
	ctx := context.Background()
	event := Donation("2022-summer-cooling", "150626", "D-1", 500000)
	event.IdempotencyKey = "uxin-2022-0001"
	if _, err := service.Record(ctx, []domain.Event{event}); err != nil {
		t.Fatalf("record: %v", err)
	}
	changed := Donation("2022-summer-cooling", "150626", "D-2", 700000)
	changed.IdempotencyKey = "uxin-2022-0001"
	for _, writer := range []*ledger.Service{service, newService(store)} {
		_, err := writer.Record(ctx, []domain.Event{changed})
		if !errors.Is(err, domain.ErrIdempotencyKeyReused) {
			t.Fatalf("reuse of the key with another body: err = %v, want ErrIdempotencyKeyReused", err)
		}
	}
	// Another campaign, by this writer and by a fresh one (another process,
	// or the same after a restart): the ledger's own index of keys names
	// the entry that used the key, however long ago and on any store (a
	// store's own deduplication is bounded in time, or to one stream).
	elsewhere := Donation("general", "150626", "D-9", 100)
	elsewhere.IdempotencyKey = "uxin-2022-0001"
	for _, writer := range []*ledger.Service{service, newService(store)} {
		_, err := writer.Record(ctx, []domain.Event{elsewhere})
		var reused *domain.KeyReusedError
		if !errors.Is(err, domain.ErrIdempotencyKeyReused) || !errors.As(err, &reused) || reused.Position != 1 ||
			reused.Aggregate != "campaign/2022-summer-cooling" {
			t.Fatalf("reuse in another campaign: err = %v, want ErrIdempotencyKeyReused naming position 1 of campaign/2022-summer-cooling", err)
		}
	}
	if records := readAll(t, store, 0, eventstore.Filter{}); len(records) != 1 {
		t.Fatalf("log has %d events, want 1", len(records))
	}
}

// testEventIDReuse: an event id names one event. The ledger refuses an
// event whose id an event of the log has, in any aggregate, keyed or not,
// by this writer and by a fresh one (another process), and two events of
// one request with one id, writing nothing; a retry of a keyed event with
// its id is still the original.
func testEventIDReuse(t *testing.T, harness Harness) {
	store := harness.Open(t)
	service := newService(store)
	ctx := context.Background()
	first := Donation("2022-summer-cooling", "150626", "D-1", 500000)
	first.ID = uuid.MustParse("01a23132-5e00-7a1e-91d6-f2e01764fcbb")
	first.IdempotencyKey = "uxin-2022-0001"
	results, err := service.Record(ctx, []domain.Event{first})
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	retried, err := newService(store).Record(ctx, []domain.Event{first})
	if err != nil || !retried[0].Duplicate || retried[0].Position != results[0].Position {
		t.Fatalf("retry of the keyed event with its id: %+v, %v; want the original, a duplicate", retried, err)
	}
	sameCampaign := Delivery("2022-summer-cooling", "150626", "V-1", 100)
	otherCampaign := Donation("general", "150626", "D-9", 100)
	keyed := Donation("general", "150626", "D-10", 100)
	keyed.IdempotencyKey = "uxin-2022-0002"
	for _, reuse := range []domain.Event{sameCampaign, otherCampaign, keyed} {
		reuse.ID = first.ID
		for _, writer := range []*ledger.Service{service, newService(store)} {
			_, err := writer.Record(ctx, []domain.Event{reuse})
			var rule *domain.RuleError
			if !errors.Is(err, domain.ErrRejected) || !errors.As(err, &rule) || rule.Field != "id" ||
				!strings.Contains(rule.Rule, fmt.Sprintf("position %d", results[0].Position)) {
				t.Fatalf("%s with the id of position %d: err = %v, want a refusal on id naming the position", reuse.Type,
					results[0].Position, err)
			}
		}
	}
	one, two := Donation("general", "150626", "D-11", 100), Donation("general", "150626", "D-12", 100)
	one.ID = uuid.MustParse("01a23132-5e00-7a1f-8de6-51cf505dce99")
	two.ID = one.ID
	_, err = service.Record(ctx, []domain.Event{one, two})
	var invalid *domain.ValidationError
	if !errors.As(err, &invalid) || len(invalid.Violations) != 1 || invalid.Violations[0].Path() != "events[1].id" ||
		invalid.Violations[0].Other != 1 {
		t.Fatalf("two events of one request with one id: err = %v, want a violation on events[1].id repeating events[0]", err)
	}
	if records := readAll(t, store, 0, eventstore.Filter{}); len(records) != 1 {
		t.Fatalf("log has %d events, want 1", len(records))
	}
}

func testServiceBatch(t *testing.T, harness Harness) {
	store := harness.Open(t)
	service := newService(store)
	ctx := context.Background()
	good := Donation("2022-summer-cooling", "150626", "D-1", 500000)
	invalid := Donation("general", "150626", "D-2", -5)
	_, err := service.Record(ctx, []domain.Event{good, invalid})
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || validation.Violations[0].Path() != "events[1].data.amount" {
		t.Fatalf("batch with a bad amount: err = %v, want a violation at events[1].data.amount", err)
	}
	// A batch whose second event breaks a business rule (overspend) writes
	// nothing either, not even the valid donation before it.
	overspend := Delivery("general", "150626", "V-1", 900000)
	if _, err := service.Record(ctx, []domain.Event{good, overspend}); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("batch with an overspend: err = %v, want ErrRejected", err)
	}
	if head, _ := store.Head(ctx); head != 0 {
		t.Fatalf("head = %d after refused batches, want 0", head)
	}
	results, err := service.Record(ctx, []domain.Event{good, Delivery("2022-summer-cooling", "150626", "V-1", 400000)})
	if err != nil {
		t.Fatalf("good batch: %v", err)
	}
	if results[1].Position != results[0].Position+1 {
		t.Fatalf("positions %d, %d: want consecutive", results[0].Position, results[1].Position)
	}
}

func testConcurrentWriters(t *testing.T, harness Harness) {
	store := harness.Open(t)
	ctx := context.Background()
	if _, err := newService(store).Record(ctx, []domain.Event{Donation("general", "150602", "D-1", 10000)}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	// Eight writers, each its own service as if in its own process, spend
	// 20.00 yuan at a time from a pot of 100.00: exactly five may succeed.
	const writers = 8
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			_, err := newService(store).Record(ctx, []domain.Event{Delivery("general", "150602", fmt.Sprintf("V-%d", i), 2000)})
			errs <- err
		}()
	}
	succeeded := 0
	for range writers {
		err := <-errs
		switch {
		case err == nil:
			succeeded++
		case errors.Is(err, domain.ErrRejected):
		default:
			t.Errorf("writer: unexpected error %v", err)
		}
	}
	if succeeded != 5 {
		t.Fatalf("%d writers spent 20.00 from 100.00; want exactly 5", succeeded)
	}
	if records := readAll(t, store, 0, eventstore.Filter{Type: domain.TypeSuppliesDelivered}); len(records) != 5 {
		t.Fatalf("log has %d deliveries, want 5", len(records))
	}
}

func testPersistence(t *testing.T, harness Harness) {
	store := harness.Open(t)
	ctx := context.Background()
	event := stored(Donation("general", "150602", "D-1", 100))
	positions, err := store.Append(ctx, part(0, event))
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	store = harness.Reopen(t, store)
	records := readAll(t, store, 0, eventstore.Filter{})
	if len(records) != 1 || records[0].Event.ID != event.ID || records[0].Position != positions[0] {
		t.Fatalf("after restart read %d records", len(records))
	}
	// The version survives too: a stale writer still conflicts.
	if _, err := store.Append(ctx, part(0, stored(Donation("general", "150602", "D-2", 100)))); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("stale append after restart: err = %v, want conflict", err)
	}
}
