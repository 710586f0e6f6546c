package domain

import (
	"bytes"
	"fmt"
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

// The stored fixtures of every type and version hash the same with the
// fast path and without it, and the common money entries among them take
// the fast path (else it would be measured, not used).
func TestContentHashFixtures(t *testing.T) {
	eachFixture(t, "the content hash's", func(event Event) bool {
		checkContentFast(t, event)
		_, ok := appendContentFast(nil, contentOf(event))
		return ok
	})
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
