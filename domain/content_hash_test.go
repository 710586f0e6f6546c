package domain

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

// contentHashStrict is ContentHash without the fast path.
func contentHashStrict(event Event) (string, error) {
	fastPathOff = true
	defer func() { fastPathOff = false }()
	return event.ContentHash()
}

// checkContentFast holds the content hash's fast path to encoding/json on
// one event: whatever bytes the fast path writes, encoding/json writes
// too, and the hash is the same with the fast path and without it, errors
// included.
func checkContentFast(t *testing.T, event Event) {
	t.Helper()
	content := contentOf(event)
	strict, strictErr := contentBytesStrict(content)
	if fast, ok := appendContentFast(nil, content); ok {
		if strictErr != nil {
			t.Fatalf("the fast path encoded what encoding/json refuses (%v):\n%q", strictErr, fast)
		}
		if !bytes.Equal(fast, strict) {
			t.Fatalf("the fast path encoded differently:\nfast:   %q\nstrict: %q", fast, strict)
		}
	}
	hash, err := event.ContentHash()
	want, wantErr := contentHashStrict(event)
	if hash != want || (err == nil) != (wantErr == nil) {
		t.Fatalf("ContentHash %q (%v), without the fast path %q (%v)", hash, err, want, wantErr)
	}
}

// FuzzContentHashFast builds events of every payload the fast path knows,
// and one it does not, from arbitrary strings, amounts and times, and holds
// the fast path to encoding/json on each (see checkContentFast).
func FuzzContentHashFast(f *testing.F) {
	f.Add(uint8(0), "150626", "clerk-test", "D-1", "bench-0", "鄂尔多斯市某能源有限公司", "", int64(10017), int64(1656633600), int64(0), 8*3600)
	f.Add(uint8(1), "150602", "a\"b", "D-2", "c\\d", "line\nbreak", "\u2028", int64(0), int64(-62135596800), int64(1), 0)
	f.Add(uint8(2), "150621", "<&>", "A-1", "x", "\x7f", "\xff", int64(-5), int64(253402300799), int64(999999999), -3600)
	f.Add(uint8(3), "", "", "", "", "", "", int64(-1<<63), int64(1<<62), int64(-1), 1)
	f.Add(uint8(4), "150626", "\t", "S-1", "bench-1", "é", "😀", int64(99), int64(0), int64(123456789), 0)
	f.Fuzz(func(t *testing.T, kind uint8, county, actor, id, campaign, text, note string, amount, unixSeconds, nanoseconds int64, zoneSeconds int) {
		zone := time.FixedZone("Z", zoneSeconds%(24*3600))
		occurredAt := time.Unix(unixSeconds, nanoseconds%1_000_000_000).In(zone)
		var data Payload
		switch kind % 5 {
		case 0:
			data = DonationReceived{DonationID: id, Campaign: campaign, DonorKind: text, DonorOrg: note, Form: county,
				Amount: Money(amount), BankReference: text, Note: note}
		case 1:
			data = DonationPledged{DonationID: id, Campaign: campaign, DonorKind: note, DonorOrg: text, Form: actor,
				Amount: Money(amount), Note: text}
		case 2:
			data = FundsAllocated{AllocationID: id, Campaign: campaign, FromCounty: county, ToCounty: text,
				Amount: Money(amount), Purpose: note}
		case 3:
			data = EntryVoided{Campaign: campaign, TargetEventID: id, Reason: text, ClosedPeriod: note,
				TargetLocation: TargetLocation{TargetPosition: uint64(amount), EffectivePosition: uint64(nanoseconds)}}
		default:
			data = SuppliesDelivered{DeliveryID: id, Campaign: campaign, BeneficiaryGroup: text, Note: note, Spent: Money(amount)}
		}
		event := Event{ID: uuid.Must(uuid.NewV7()), Type: data.EventType(), SchemaVersion: SchemaVersion,
			Aggregate: AggregateRef{Kind: AggregateCampaign, ID: campaign}, County: county, OccurredAt: occurredAt,
			RecordedAt: time.Now(), Actor: actor, IdempotencyKey: id, Data: data}
		checkContentFast(t, event)
		// The same content with goods, personal data or nothing at all
		// is encoding/json's to write; the answer must not change.
		withGoods := event
		withGoods.Data = DonationReceived{DonationID: id, Campaign: campaign, Form: FormGoods,
			Items: []GoodsItem{{Item: text, Quantity: amount, Value: Money(amount)}}}
		checkContentFast(t, withGoods)
		withPersonal := event
		withPersonal.Personal = &Personal{Donor: &Person{SubjectID: id, Name: text}}
		checkContentFast(t, withPersonal)
		withoutData := event
		withoutData.Data = nil
		checkContentFast(t, withoutData)
	})
}

// The stored fixtures of every type and version hash the same with the
// fast path and without it, and the common money entries among them take
// the fast path (else it would be measured, not used).
func TestContentHashFixtures(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "events", "*", "*.json"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	fast := 0
	for _, path := range fixtures {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		event, err := DecodeStoredEvent(raw)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		checkContentFast(t, event)
		if _, ok := appendContentFast(nil, contentOf(event)); ok {
			fast++
		}
	}
	if fast == 0 {
		t.Fatal("no fixture takes the content hash's fast path")
	}
}

// A money donation as the benchmarks and most clerks record it, with a
// Chinese donor name, takes the fast path.
func TestContentHashFastPathTaken(t *testing.T) {
	event := Event{Type: TypeDonationReceived, Aggregate: AggregateRef{Kind: AggregateCampaign, ID: "weather-2022"},
		County: "150626", OccurredAt: time.Date(2022, 7, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)), Actor: "clerk-test",
		Data: DonationReceived{DonationID: "D-1", Campaign: "weather-2022", DonorKind: "enterprise",
			DonorOrg: "鄂尔多斯市某能源有限公司", Form: FormMoney, Amount: 100_00}}
	if _, ok := appendContentFast(nil, contentOf(event)); !ok {
		t.Fatal("a money donation does not take the content hash's fast path")
	}
	checkContentFast(t, event)
}

// BenchmarkContentHash compares, on a money donation as most clerks record
// it, the content hash with its fast path and without it.
func BenchmarkContentHash(b *testing.B) {
	event := Event{ID: uuid.Must(uuid.NewV7()), Type: TypeDonationReceived, SchemaVersion: SchemaVersion,
		Aggregate: AggregateRef{Kind: AggregateCampaign, ID: "weather-2022"}, County: "150626",
		OccurredAt: time.Date(2022, 7, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)), RecordedAt: time.Now().UTC(),
		Actor: "clerk-test", IdempotencyKey: "bench-17",
		Data: DonationReceived{DonationID: "D-17", Campaign: "weather-2022", DonorKind: "enterprise",
			DonorOrg: "鄂尔多斯市某能源有限公司", Form: FormMoney, Amount: 100_17}}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := event.ContentHash(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := contentHashStrict(event); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A field added to a payload the fast path writes by hand is caught here,
// not left out of the hash: every string and number field of those
// payloads is set by reflection, whatever its name, and the two paths must
// still agree.
func TestContentHashFastPathCoversEveryField(t *testing.T) {
	for _, payload := range []Payload{DonationReceived{}, DonationPledged{}, FundsAllocated{}, EntryVoided{}} {
		value := reflect.New(reflect.TypeOf(payload)).Elem()
		for i := range value.NumField() {
			field := value.Field(i)
			switch field.Kind() {
			case reflect.String:
				field.SetString(fmt.Sprintf("value-%d", i))
			case reflect.Int64:
				field.SetInt(int64(100 + i))
			}
		}
		data := value.Interface().(Payload)
		event := Event{Type: data.EventType(), Aggregate: AggregateRef{Kind: AggregateCampaign, ID: "weather-2022"},
			County: "150626", OccurredAt: time.Date(2022, 7, 1, 8, 0, 0, 0, time.UTC), Actor: "clerk-test", Data: data}
		if _, ok := appendContentFast(nil, contentOf(event)); !ok {
			t.Errorf("%T with every field set does not take the fast path", data)
		}
		checkContentFast(t, event)
	}
}
