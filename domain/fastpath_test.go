package domain

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The hand-written encoders (the content hash's and Marshal's) are held to
// encoding/json on the same inputs: the fuzz seeds and events below, and
// every stored fixture.

// FuzzFastEncoders holds both hand-written encoders to encoding/json on the
// events fuzzEvents builds: the content hash's (checkContentFast) and
// Marshal's (checkMarshalFast).
func FuzzFastEncoders(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, kind uint8, county, actor, id, campaign, text, note string, amount, unixSeconds, nanoseconds int64, zoneSeconds int) {
		for _, event := range fuzzEvents(kind, county, actor, id, campaign, text, note, amount, unixSeconds, nanoseconds, zoneSeconds) {
			checkContentFast(t, event)
			checkMarshalFast(t, event)
		}
	})
}

// addFuzzSeeds adds inputs for fuzzEvents that reach the edges: strings
// encoding/json escapes, invalid UTF-8, the extreme times and amounts,
// zones of a day or more.
func addFuzzSeeds(f *testing.F) {
	f.Add(uint8(0), "150626", "clerk-test", "D-1", "bench-0", "鄂尔多斯市某能源有限公司", "", int64(10017), int64(1656633600), int64(0), 8*3600)
	f.Add(uint8(1), "150602", "a\"b", "D-2", "c\\d", "line\nbreak", "\u2028", int64(0), int64(-62135596800), int64(1), 0)
	f.Add(uint8(2), "150621", "<&>", "A-1", "x", "\x7f", "\xff", int64(-5), int64(253402300799), int64(999999999), -3600)
	f.Add(uint8(3), "", "", "", "", "", "", int64(-1<<63), int64(1<<62), int64(-1), 1)
	f.Add(uint8(4), "150626", "\t", "S-1", "bench-1", "é", "😀", int64(99), int64(0), int64(123456789), 23*3600+59*60)
	f.Add(uint8(0), "150626", "clerk", "D-3", "c", "x", "y", int64(1), int64(1656633600), int64(5), 24*3600)
}

// fuzzEvents builds from one fuzz input an event of a payload the fast
// paths know (or of one they do not), and the same event with goods, with
// personal data and with no payload, which are encoding/json's to write.
func fuzzEvents(kind uint8, county, actor, id, campaign, text, note string, amount, unixSeconds, nanoseconds int64, zoneSeconds int) []Event {
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
	withGoods := event
	withGoods.Data = DonationReceived{DonationID: id, Campaign: campaign, Form: FormGoods,
		Items: []GoodsItem{{Item: text, Quantity: amount, Value: Money(amount)}}}
	withPersonal := event
	withPersonal.Personal = &Personal{Donor: &Person{SubjectID: id, Name: text}}
	withoutData := event
	withoutData.Data = nil
	return []Event{event, withGoods, withPersonal, withoutData}
}

// eachFixture decodes every stored fixture and checks it; check says
// whether the fixture took the fast path, and at least one must (else the
// fast path would be measured, not used).
func eachFixture(t *testing.T, fastPath string, check func(Event) (fast bool)) {
	t.Helper()
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
		if check(event) {
			fast++
		}
	}
	if fast == 0 {
		t.Fatalf("no fixture takes %s fast path", fastPath)
	}
}
