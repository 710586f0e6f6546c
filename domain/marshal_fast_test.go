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

// checkMarshalFast holds Marshal's fast path to encoding/json on one
// event: whatever bytes the fast path writes, encoding/json writes too, and
// Marshal answers the same with the fast path and without it, errors
// included.
func checkMarshalFast(t *testing.T, event Event) {
	t.Helper()
	strict, strictErr := event.marshalStrict()
	if fast, ok := appendEventFast(nil, event); ok {
		if strictErr != nil {
			t.Fatalf("the fast path encoded what encoding/json refuses (%v):\n%q", strictErr, fast)
		}
		if !bytes.Equal(fast, strict) {
			t.Fatalf("the fast path encoded differently:\nfast:   %q\nstrict: %q", fast, strict)
		}
	}
	encoded, err := event.Marshal()
	if !bytes.Equal(encoded, strict) || (err == nil) != (strictErr == nil) {
		t.Fatalf("Marshal = %q, %v; encoding/json: %q, %v", encoded, err, strict, strictErr)
	}
}

// FuzzMarshalFast builds events of every payload the fast path knows, and
// one it does not, from arbitrary strings, amounts, times and zones, and
// holds Marshal's fast path to encoding/json on each.
func FuzzMarshalFast(f *testing.F) {
	f.Add(uint8(0), "150626", "clerk-test", "D-1", "bench-0", "鄂尔多斯市某能源有限公司", "", int64(10017), int64(1656633600), int64(0), 8*3600)
	f.Add(uint8(1), "150602", "a\"b", "D-2", "c\\d", "line\nbreak", "\u2028", int64(0), int64(-62135596800), int64(1), 0)
	f.Add(uint8(2), "150621", "<&>", "A-1", "x", "\x7f", "\xff", int64(-5), int64(253402300799), int64(999999999), -3600)
	f.Add(uint8(3), "", "", "", "", "", "", int64(-1<<63), int64(1<<62), int64(-1), 1)
	f.Add(uint8(4), "150626", "\t", "S-1", "bench-1", "é", "😀", int64(99), int64(0), int64(123456789), 23*3600+59*60)
	f.Add(uint8(0), "150626", "clerk", "D-3", "c", "x", "y", int64(1), int64(1656633600), int64(5), 24*3600)
	f.Fuzz(func(t *testing.T, kind uint8, county, actor, id, campaign, text, note string, amount, unixSeconds, nanoseconds int64, zoneSeconds int) {
		zone := time.FixedZone("Z", zoneSeconds%(48*3600))
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
				TargetLocation: TargetLocation{TargetPosition: uint64(amount) % 3, EffectivePosition: uint64(nanoseconds) % 2}}
		default:
			data = SuppliesDelivered{DeliveryID: id, Campaign: campaign, BeneficiaryGroup: text, Note: note, Spent: Money(amount)}
		}
		event := Event{ID: uuid.Must(uuid.NewV7()), Type: data.EventType(), SchemaVersion: int(amount % 4),
			Aggregate: AggregateRef{Kind: text, ID: campaign}, County: county, OccurredAt: occurredAt,
			RecordedAt: time.Unix(unixSeconds/2, nanoseconds).UTC(), Actor: actor, CorrelationID: note, CausationID: text,
			IdempotencyKey: id, Data: data}
		checkMarshalFast(t, event)
		withGoods := event
		withGoods.Data = DonationReceived{DonationID: id, Campaign: campaign, Form: FormGoods,
			Items: []GoodsItem{{Item: text, Quantity: amount, Value: Money(amount)}}}
		checkMarshalFast(t, withGoods)
		withPersonal := event
		withPersonal.Personal = &Personal{Donor: &Person{SubjectID: id, Name: text}}
		checkMarshalFast(t, withPersonal)
		withoutData := event
		withoutData.Data = nil
		checkMarshalFast(t, withoutData)
	})
}

// A field added to the envelope or to a payload the fast path writes by
// hand is caught here, not left out of the stored bytes: every string and
// number field is set by reflection, whatever its name, and the two paths
// must still agree.
func TestMarshalFastCoversEveryField(t *testing.T) {
	for _, payload := range []Payload{DonationReceived{}, DonationPledged{}, FundsAllocated{}, EntryVoided{}} {
		data := reflect.New(reflect.TypeOf(payload)).Elem()
		fillScalars(data, "data")
		event := reflect.New(reflect.TypeOf(Event{})).Elem()
		fillScalars(event, "event")
		filled := event.Interface().(Event)
		filled.ID = uuid.MustParse("01819d1c-6f3a-7c2e-9b1d-000000000008")
		filled.Aggregate = AggregateRef{Kind: "campaign", ID: "weather-2022"}
		filled.OccurredAt = time.Date(2022, 7, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
		filled.RecordedAt = time.Date(2022, 7, 1, 0, 0, 0, 1, time.UTC)
		filled.Data = data.Interface().(Payload)
		if _, ok := appendEventFast(nil, filled); !ok {
			t.Errorf("%T with every field set does not take the fast path", filled.Data)
		}
		checkMarshalFast(t, filled)
	}
}

// fillScalars sets every string and whole-number field of a struct to a
// value of its own.
func fillScalars(value reflect.Value, prefix string) {
	for i := range value.NumField() {
		field := value.Field(i)
		switch field.Kind() {
		case reflect.String:
			field.SetString(fmt.Sprintf("%s-%d", prefix, i))
		case reflect.Int, reflect.Int64:
			field.SetInt(int64(100 + i))
		}
	}
}

// Every stored fixture encodes the same with the fast path and without it,
// and the common money entries among them take the fast path.
func TestMarshalFixtures(t *testing.T) {
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
		checkMarshalFast(t, event)
		if _, ok := appendEventFast(nil, event); ok {
			fast++
		}
	}
	if fast == 0 {
		t.Fatal("no fixture takes Marshal's fast path")
	}
}
