package domain

import (
	"bytes"
	"fmt"
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
	eachFixture(t, "Marshal's", func(event Event) bool {
		checkMarshalFast(t, event)
		_, ok := appendEventFast(nil, event)
		return ok
	})
}
