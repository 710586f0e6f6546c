package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
)

// newLedger runs the service on a real embedded JetStream server with file
// storage in a temporary directory.
func newLedger(t *testing.T) (*ledger.Service, eventstore.Store) {
	t.Helper()
	store := natsjstest.Store(t, natsjs.Options{}, false)
	return ledger.New(store, ledger.Options{Clock: eventstoretest.Clock}), store
}

func record(t *testing.T, service *ledger.Service, events ...domain.Event) []ledger.Result {
	t.Helper()
	results, err := service.Record(context.Background(), events)
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	return results
}

// refused checks that recording fails with the sentinel and writes nothing.
func refused(t *testing.T, service *ledger.Service, store eventstore.Store, sentinel error, events ...domain.Event) error {
	t.Helper()
	before, _ := store.Head(context.Background())
	_, err := service.Record(context.Background(), events)
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	if after, _ := store.Head(context.Background()); after != before {
		t.Fatalf("a refused record moved the head from %d to %d", before, after)
	}
	return err
}

func void(campaign, county, target string) domain.Event {
	return domain.Event{Type: domain.TypeEntryVoided, County: county, OccurredAt: eventstoretest.Clock(), Actor: "clerk",
		Data: domain.EntryVoided{Campaign: campaign, TargetEventID: target, Reason: "录入错误"}}
}

func TestDoubleReceiveRejected(t *testing.T) {
	service, store := newLedger(t)
	record(t, service, eventstoretest.Donation("general", "150626", "D-1", 500000))
	err := refused(t, service, store, domain.ErrRejected, eventstoretest.Donation("general", "150626", "D-1", 500000))
	var rule *domain.RuleError
	if !errors.As(err, &rule) || rule.Path() != "events[0].data.donation_id" {
		t.Fatalf("rule error = %#v, want one on events[0].data.donation_id", err)
	}
	// Received in another county of the same campaign: still the same donation.
	refused(t, service, store, domain.ErrRejected, eventstoretest.Donation("general", "150602", "D-1", 100))
}

func TestDoubleVoidRejected(t *testing.T) {
	service, store := newLedger(t)
	results := record(t, service, eventstoretest.Donation("general", "150626", "D-1", 500000))
	target := results[0].EventID.String()
	voided := record(t, service, void("general", "150626", target))
	stored, err := store.Get(context.Background(), voided[0].Position)
	if err != nil {
		t.Fatal(err)
	}
	if location := stored.Event.Data.(domain.EntryVoided).TargetLocation; location.TargetPosition != results[0].Position ||
		location.EffectivePosition != results[0].Position {
		t.Fatalf("stored void locates its target at %+v, want position %d", location, results[0].Position)
	}
	// Voiding an entry of the same request is refused: its position is not
	// known until the request is written.
	same := eventstoretest.Donation("general", "150626", "D-9", 100)
	same.ID = uuid.Must(uuid.NewV7())
	refused(t, service, store, domain.ErrRejected, same, void("general", "150626", same.ID.String()))
	err = refused(t, service, store, domain.ErrRejected, void("general", "150626", target))
	if want := "already voided"; !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to say %q", err, want)
	}
	// A void of an entry that does not exist in the campaign.
	refused(t, service, store, domain.ErrRejected, void("general", "150626", "01a224c9-0000-7000-8000-000000000000"))
	// After the void the donation may be received again (the first was wrong).
	record(t, service, eventstoretest.Donation("general", "150626", "D-1", 400000))
}

func TestOverspendRejected(t *testing.T) {
	service, store := newLedger(t)
	record(t, service, eventstoretest.Donation("general", "150626", "D-1", 100000))
	refused(t, service, store, domain.ErrRejected, eventstoretest.Delivery("general", "150626", "V-1", 100001))
	// Money received in another county does not pay for this one.
	refused(t, service, store, domain.ErrRejected, eventstoretest.Delivery("general", "150602", "V-2", 1))
	// Spending exactly the balance is fine; then nothing more.
	record(t, service, eventstoretest.Delivery("general", "150626", "V-3", 100000))
	refused(t, service, store, domain.ErrRejected, eventstoretest.Delivery("general", "150626", "V-4", 1))
	// Voiding the receipt now would leave the county below zero.
	events, _ := readAll(store)
	refused(t, service, store, domain.ErrRejected, void("general", "150626", events[0].Event.ID.String()))
}

func TestAllocationLimitedByCityBalance(t *testing.T) {
	service, store := newLedger(t)
	record(t, service, eventstoretest.Donation("general", "150600", "D-1", 100000))
	allocate := func(id string, fen domain.Money) domain.Event {
		return domain.Event{Type: domain.TypeFundsAllocated, County: "150626", OccurredAt: eventstoretest.Clock(), Actor: "finance",
			Data: domain.FundsAllocated{AllocationID: id, Campaign: "general", FromCounty: "150600", ToCounty: "150626", Amount: fen}}
	}
	refused(t, service, store, domain.ErrRejected, allocate("A-1", 100001))
	record(t, service, allocate("A-2", 60000), eventstoretest.Delivery("general", "150626", "V-1", 60000))
	refused(t, service, store, domain.ErrRejected, allocate("A-3", 40001))
}

func TestCorrectionAppliesAndIsChecked(t *testing.T) {
	service, store := newLedger(t)
	results := record(t, service, eventstoretest.Donation("general", "150626", "D-1", 100000),
		eventstoretest.Delivery("general", "150626", "V-1", 80000))
	correct := func(amount string) domain.Event {
		replacement, _ := json.Marshal(map[string]any{"donation_id": "D-1", "campaign": "general", "donor_kind": "enterprise",
			"donor_organisation": "某公司", "form": "money", "amount": amount})
		return domain.Event{Type: domain.TypeEntryCorrected, County: "150626", OccurredAt: eventstoretest.Clock(), Actor: "finance",
			Data: &domain.EntryCorrected{Campaign: "general", TargetEventID: results[0].EventID.String(),
				Reason: "与银行对账单核对", Replacement: replacement}}
	}
	// Lowering the receipt below what was spent is refused; a bad
	// replacement is a validation error with its path.
	refused(t, service, store, domain.ErrRejected, correct("700.00"))
	err := refused(t, service, store, domain.ErrInvalid, correct("-5"))
	if !strings.Contains(err.Error(), "data.replacement.amount") {
		t.Fatalf("err = %v, want the path data.replacement.amount", err)
	}
	record(t, service, correct("1200.00"))
	// The corrected receipt now covers 400.00 more.
	record(t, service, eventstoretest.Delivery("general", "150626", "V-2", 40000))
	refused(t, service, store, domain.ErrRejected, eventstoretest.Delivery("general", "150626", "V-3", 1))
}

func TestStatelessViolationsAllReported(t *testing.T) {
	service, store := newLedger(t)
	bad := eventstoretest.Delivery("general", "150699", "", -5)
	err := refused(t, service, store, domain.ErrInvalid, eventstoretest.Donation("general", "150626", "D-1", 100), bad)
	var validation *domain.ValidationError
	if !errors.As(err, &validation) {
		t.Fatalf("err = %T, want *domain.ValidationError", err)
	}
	want := map[string]bool{"events[1].county": false, "events[1].data.delivery_id": false, "events[1].data.spent": false}
	for _, violation := range validation.Violations {
		if _, ok := want[violation.Path()]; ok {
			want[violation.Path()] = true
		}
	}
	for field, seen := range want {
		if !seen {
			t.Errorf("no violation for %s in %v", field, validation.Violations)
		}
	}
}

func readAll(store eventstore.Store) ([]eventstore.Record, error) {
	var records []eventstore.Record
	for record, err := range store.Read(context.Background(), 0, eventstore.Filter{}) {
		if err != nil {
			return nil, err
		}
		records = append(records, record)
	}
	return records, nil
}

func TestCorrectionCarriesPersonalData(t *testing.T) {
	service, _ := newLedger(t)
	donation := eventstoretest.Donation("general", "150626", "D-1", 100000)
	donation.Data = domain.DonationReceived{DonationID: "D-1", Campaign: "general", DonorKind: "individual",
		Form: domain.FormMoney, Amount: 100000}
	donation.Personal = &domain.Personal{Donor: &domain.Person{Name: "王某某", Phone: "13900000001"}}
	results := record(t, service, donation)
	replacement, _ := json.Marshal(domain.DonationReceived{DonationID: "D-1", Campaign: "general", DonorKind: "individual",
		Form: domain.FormMoney, Amount: 120000})
	correction := domain.Event{Type: domain.TypeEntryCorrected, County: "150626", OccurredAt: eventstoretest.Clock(), Actor: "finance",
		Data:     &domain.EntryCorrected{Campaign: "general", TargetEventID: results[0].EventID.String(), Reason: "姓名更正", Replacement: replacement},
		Personal: &domain.Personal{Donor: &domain.Person{Name: "王某", Phone: "13900000001"}}}
	record(t, service, correction)
	// Workers on a donation's correction are still refused once the type is known.
	correction.Personal = &domain.Personal{Workers: []domain.Person{{Name: "李某"}}}
	correction.IdempotencyKey = ""
	if _, err := service.Record(context.Background(), []domain.Event{correction}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("workers on a donation's correction: err = %v, want ErrInvalid", err)
	}
}

func TestClosedMonthRefusesBackDatedEntries(t *testing.T) {
	service, store := newLedger(t)
	june := eventstoretest.Donation("general", "150626", "D-1", 100000) // occurred 2022-07-01 08:00 CST: July
	june.OccurredAt = time.Date(2022, 6, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	results := record(t, service, june)
	closing := domain.Event{Type: domain.TypePeriodClosed, County: "150600", OccurredAt: eventstoretest.Clock(), Actor: "finance",
		Data: domain.PeriodClosed{Month: "2022-06"}}
	record(t, service, closing)
	// A second close of the same month is refused.
	refused(t, service, store, domain.ErrRejected, closing)
	backDated := eventstoretest.Donation("general", "150626", "D-2", 100)
	backDated.OccurredAt = june.OccurredAt
	err := refused(t, service, store, domain.ErrRejected, backDated)
	if !strings.Contains(err.Error(), "2022-06 is closed") {
		t.Fatalf("err = %v, want it to name the closed month", err)
	}
	// A new entry cannot name a closed month (only a void or correction
	// may), so it is told to change its date, never to name the month.
	var rule *domain.RuleError
	if !errors.As(err, &rule) || rule.Field != "occurred_at" || rule.Code != domain.CodeClosedMonth ||
		!strings.Contains(rule.Rule, "change the entry's date") || strings.Contains(rule.Rule, "closed_period") {
		t.Fatalf("a new entry of a closed month: err = %v, want occurred_at refused, advising a new date and no closed_period", err)
	}
	// July is open.
	record(t, service, eventstoretest.Donation("general", "150626", "D-3", 100))
	// A back-dated void must name the closed month, and is told so.
	voidJune := void("general", "150626", results[0].EventID.String())
	voidJune.OccurredAt = june.OccurredAt
	err = refused(t, service, store, domain.ErrRejected, voidJune)
	if !errors.As(err, &rule) || !strings.Contains(rule.Rule, `names closed_period "2022-06"`) {
		t.Fatalf("a back-dated void: err = %v, want it told to name closed_period", err)
	}
	named := voidJune
	named.Data = domain.EntryVoided{Campaign: "general", TargetEventID: results[0].EventID.String(), Reason: "录入错误", ClosedPeriod: "2022-06"}
	record(t, service, named)
	// Reopened, the month takes entries again.
	record(t, service, domain.Event{Type: domain.TypePeriodReopened, County: "150600", OccurredAt: eventstoretest.Clock(), Actor: "finance",
		Data: domain.PeriodReopened{Month: "2022-06", Reason: "补录"}})
	record(t, service, backDated)
}

// A void or correction dated in an open month still changes the month its
// target occurred in (the totals count it there): if that month is
// closed, it must name it.
func TestClosedMonthRefusesChangesThatLandInIt(t *testing.T) {
	service, store := newLedger(t)
	june := time.Date(2022, 6, 20, 10, 0, 0, 0, domain.Beijing)
	first, second := eventstoretest.Donation("general", "150626", "D-1", 100000), eventstoretest.Donation("general", "150626", "D-2", 5000)
	first.OccurredAt, second.OccurredAt = june, june
	results := record(t, service, first, second)
	record(t, service, domain.Event{Type: domain.TypePeriodClosed, County: "150600", OccurredAt: eventstoretest.Clock(), Actor: "finance",
		Data: domain.PeriodClosed{Month: "2022-06"}})
	// Dated 1 July, an open month, but it takes D-1 out of June.
	voidToday := void("general", "150626", results[0].EventID.String())
	err := refused(t, service, store, domain.ErrRejected, voidToday)
	if !strings.Contains(err.Error(), "data.closed_period") || !strings.Contains(err.Error(), "occurred in 2022-06, a closed month") {
		t.Fatalf("err = %v, want it to name data.closed_period and the closed month", err)
	}
	// Naming another month is no way round it.
	wrong := voidToday
	wrong.Data = domain.EntryVoided{Campaign: "general", TargetEventID: results[0].EventID.String(), Reason: "录入错误", ClosedPeriod: "2022-05"}
	refused(t, service, store, domain.ErrRejected, wrong)
	replacement, _ := json.Marshal(domain.DonationReceived{DonationID: "D-2", Campaign: "general", DonorKind: "enterprise",
		DonorOrg: "鄂尔多斯市某能源有限公司", Form: domain.FormMoney, Amount: 6000})
	correction := domain.Event{Type: domain.TypeEntryCorrected, County: "150626", OccurredAt: eventstoretest.Clock(), Actor: "finance",
		Data: &domain.EntryCorrected{Campaign: "general", TargetEventID: results[1].EventID.String(), Reason: "金额有误", Replacement: replacement}}
	err = refused(t, service, store, domain.ErrRejected, correction)
	if !strings.Contains(err.Error(), "the corrected entry occurred in 2022-06") {
		t.Fatalf("err = %v, want it to say the corrected entry's month is closed", err)
	}
	// Named, both land in June deliberately.
	named := voidToday
	named.Data = domain.EntryVoided{Campaign: "general", TargetEventID: results[0].EventID.String(), Reason: "录入错误", ClosedPeriod: "2022-06"}
	record(t, service, named)
	correction.Data.(*domain.EntryCorrected).ClosedPeriod = "2022-06"
	record(t, service, correction)
}

// A change dated in one closed month cannot land in another closed month:
// naming either month leaves the other's rule broken, and only a change
// dated in an open month lands, named, in its target's closed month.
func TestChangeDatedInOneClosedMonthCannotLandInAnother(t *testing.T) {
	service, store := newLedger(t)
	donation := eventstoretest.Donation("general", "150626", "D-1", 100000)
	donation.OccurredAt = time.Date(2022, 5, 20, 10, 0, 0, 0, domain.Beijing)
	target := record(t, service, donation)[0].EventID.String()
	for _, month := range []string{"2022-05", "2022-06"} {
		record(t, service, domain.Event{Type: domain.TypePeriodClosed, County: "150600", OccurredAt: eventstoretest.Clock(), Actor: "finance",
			Data: domain.PeriodClosed{Month: month}})
	}
	datedInJune := void("general", "150626", target)
	datedInJune.OccurredAt = time.Date(2022, 6, 25, 10, 0, 0, 0, domain.Beijing)
	// Unnamed, its own date is refused; naming May, its own date (June)
	// is still refused; naming June, its target's month (May) is.
	for named, field := range map[string]string{"": "occurred_at", "2022-05": "occurred_at", "2022-06": "data.closed_period"} {
		change := datedInJune
		change.Data = domain.EntryVoided{Campaign: "general", TargetEventID: target, Reason: "录入错误", ClosedPeriod: named}
		err := refused(t, service, store, domain.ErrRejected, change)
		if !strings.Contains(err.Error(), field) {
			t.Fatalf("a void dated in June of May's entry, closed_period %q: err = %v, want it to name %s", named, err, field)
		}
	}
	datedToday := void("general", "150626", target)
	datedToday.Data = domain.EntryVoided{Campaign: "general", TargetEventID: target, Reason: "录入错误", ClosedPeriod: "2022-05"}
	record(t, service, datedToday)
}

// closed_period names the closed month a change lands in, closed when the
// change is recorded: naming an open month, the change's own month, a
// closed month it does not land in, or a month finance has reopened, is
// refused on data.closed_period with the code open_month and the month it
// lands in, and writes nothing. Over the API finance records only changes
// that name closed_period, so any of these would let it change an open
// month.
func TestClosedPeriodNamesAClosedMonth(t *testing.T) {
	service, store := newLedger(t) // its clock: 2022-07-01 09:00 Beijing
	juneDonation := eventstoretest.Donation("general", "150626", "D-1", 100000)
	juneDonation.OccurredAt = time.Date(2022, 6, 20, 10, 0, 0, 0, domain.Beijing)
	julyDonation := eventstoretest.Donation("general", "150626", "D-2", 5000) // 2022-07-01 08:00 Beijing
	results := record(t, service, juneDonation, julyDonation)
	june, july := results[0].EventID.String(), results[1].EventID.String()
	voidNaming := func(target, named string, occurred time.Time) domain.Event {
		change := void("general", "150626", target)
		change.Actor = "finance"
		change.OccurredAt = occurred
		change.Data = domain.EntryVoided{Campaign: "general", TargetEventID: target, Reason: "录入错误", ClosedPeriod: named}
		return change
	}
	today, inJune := eventstoretest.Clock(), time.Date(2022, 6, 28, 10, 0, 0, 0, domain.Beijing)
	openMonth := func(step string, change domain.Event, landsIn string) {
		t.Helper()
		err := refused(t, service, store, domain.ErrRejected, change)
		var rule *domain.RuleError
		if !errors.As(err, &rule) || rule.Field != "data.closed_period" || rule.Code != domain.CodeOpenMonth || rule.Details["month"] != landsIn {
			t.Fatalf("%s: err = %v (%+v), want data.closed_period refused as %s with the month %s", step, err, rule, domain.CodeOpenMonth, landsIn)
		}
	}
	// No month is closed yet: the entry's own month names no closed month.
	openMonth("July's void naming July, nothing closed", voidNaming(july, "2022-07", today), "2022-07")
	record(t, service, domain.Event{Type: domain.TypePeriodClosed, County: "150600", OccurredAt: today, Actor: "finance",
		Data: domain.PeriodClosed{Month: "2022-06"}})
	openMonth("July's void naming July", voidNaming(july, "2022-07", today), "2022-07")
	openMonth("July's void naming closed June", voidNaming(july, "2022-06", today), "2022-07")
	// Dated in closed June, the void still changes July, which is open.
	openMonth("July's void dated in June naming June", voidNaming(july, "2022-06", inJune), "2022-07")
	replacement, _ := json.Marshal(domain.DonationReceived{DonationID: "D-2", Campaign: "general", DonorKind: "enterprise",
		DonorOrg: "鄂尔多斯市某能源有限公司", Form: domain.FormMoney, Amount: 6000})
	correction := domain.Event{Type: domain.TypeEntryCorrected, County: "150626", OccurredAt: today, Actor: "finance",
		Data: &domain.EntryCorrected{Campaign: "general", TargetEventID: july, Reason: "金额有误", Replacement: replacement, ClosedPeriod: "2022-07"}}
	openMonth("July's correction naming July", correction, "2022-07")
	// Reopened, June is no closed month to name.
	record(t, service, domain.Event{Type: domain.TypePeriodReopened, County: "150600", OccurredAt: today, Actor: "finance",
		Data: domain.PeriodReopened{Month: "2022-06", Reason: "补录"}})
	openMonth("June's void naming reopened June", voidNaming(june, "2022-06", today), "2022-06")
	// Closed again, June is named and changed; July's entry is voided
	// naming nothing.
	record(t, service, domain.Event{Type: domain.TypePeriodClosed, County: "150600", OccurredAt: today, Actor: "finance",
		Data: domain.PeriodClosed{Month: "2022-06"}})
	record(t, service, voidNaming(june, "2022-06", today))
	record(t, service, voidNaming(july, "", today))
}

// June closes at 00:00 on 1 July Beijing time (16:00 UTC on 30 June), not
// a second before.
func TestMonthClosesAtBeijingMidnight(t *testing.T) {
	_, store := newLedger(t)
	closing := func(at time.Time) domain.Event {
		return domain.Event{Type: domain.TypePeriodClosed, County: "150600", OccurredAt: at, Actor: "finance",
			Data: domain.PeriodClosed{Month: "2022-06"}}
	}
	before := time.Date(2022, 6, 30, 15, 59, 59, 0, time.UTC)
	early := ledger.New(store, ledger.Options{Clock: func() time.Time { return before }})
	err := refused(t, early, store, domain.ErrRejected, closing(before))
	if !strings.Contains(err.Error(), "data.month") || !strings.Contains(err.Error(), "2022-06 has not ended yet") {
		t.Fatalf("closing June at 23:59:59 Beijing: err = %v, want it to name the month and the rule", err)
	}
	midnight := time.Date(2022, 6, 30, 16, 0, 0, 0, time.UTC)
	onTime := ledger.New(store, ledger.Options{Clock: func() time.Time { return midnight }})
	record(t, onTime, closing(midnight))
}

// A month can be closed once it has ended (Beijing time), not before.
func TestOnlyAnEndedMonthCloses(t *testing.T) {
	service, store := newLedger(t) // its clock: 2022-07-01 09:00 Beijing
	closing := func(month string) domain.Event {
		return domain.Event{Type: domain.TypePeriodClosed, County: "150600", OccurredAt: eventstoretest.Clock(), Actor: "finance",
			Data: domain.PeriodClosed{Month: month}}
	}
	for _, month := range []string{"2022-07", "2022-08", "2027-01"} {
		err := refused(t, service, store, domain.ErrRejected, closing(month))
		if !strings.Contains(err.Error(), "data.month") || !strings.Contains(err.Error(), month+" has not ended yet") {
			t.Fatalf("closing %s: err = %v, want it to name the month and the rule", month, err)
		}
	}
	record(t, service, closing("2022-06"))
}

// Thirty-two writers, each its own service as if in its own process, spend
// from one county pot at once: conflicts are retried, nothing overspends, and
// the totals are exact.
func TestThirtyTwoWritersOneFund(t *testing.T) {
	_, store := newLedger(t)
	seed := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
	record(t, seed, eventstoretest.Donation("general", "150626", "D-1", 100_00))
	const writers = 32
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
			_, err := service.Record(context.Background(), []domain.Event{eventstoretest.Delivery("general", "150626", fmt.Sprintf("V-%d", i), 3_00)})
			errs <- err
		}()
	}
	succeeded := 0
	for range writers {
		switch err := <-errs; {
		case err == nil:
			succeeded++
		case errors.Is(err, domain.ErrRejected):
		default:
			t.Errorf("writer: %v", err)
		}
	}
	// 100.00 pays for 33 spends of 3.00; 32 writers all fit, with 4.00 left.
	if succeeded != writers {
		t.Fatalf("%d of %d writers succeeded; each spend fits the pot", succeeded, writers)
	}
	var spent domain.Money
	records, err := readAll(store)
	if err != nil {
		t.Fatal(err)
	}
	for _, record := range records {
		if delivery, ok := record.Event.Data.(domain.SuppliesDelivered); ok {
			spent += delivery.Spent
		}
	}
	if spent != writers*3_00 {
		t.Fatalf("spent %s, want %s", spent, domain.Money(writers*3_00))
	}
	// Now a 33rd writer fits and a 34th does not.
	record(t, seed, eventstoretest.Delivery("general", "150626", "V-33", 3_00))
	refused(t, seed, store, domain.ErrRejected, eventstoretest.Delivery("general", "150626", "V-34", 3_00))
}

// An event recorded without a schema version is stamped with its type's
// current version, not the first: a training session in today's shape is
// version 2, and is read back unchanged.
func TestRecordStampsCurrentVersion(t *testing.T) {
	service, store := newLedger(t)
	session := domain.Event{Type: domain.TypeTrainingHeld, County: "150627", OccurredAt: eventstoretest.Clock(), Actor: "clerk",
		Data: domain.TrainingHeld{SessionID: "S-1", Campaign: "2022-health-law-lectures", Topic: "safety", Title: "安全生产",
			Format: domain.FormatBoth, Participants: 30, DurationMinutes: 90, Venue: "活动中心"}}
	record(t, service, session)
	records, err := readAll(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 {
		t.Fatalf("read %d records, want 1", len(records))
	}
	stored := records[0].Event
	if want := domain.CurrentVersion(domain.TypeTrainingHeld); stored.SchemaVersion != want || stored.UpcastFrom != 0 || want < 2 {
		t.Fatalf("stored version %d (upcast from %d), want %d as written", stored.SchemaVersion, stored.UpcastFrom, want)
	}
	if format := stored.Data.(domain.TrainingHeld).Format; format != domain.FormatBoth {
		t.Fatalf("format read back as %q, want %q", format, domain.FormatBoth)
	}
}

// A correction is stored with its replacement re-encoded from its decoding
// (keys in the payload's order, not the client's); a retry with the same
// idempotency key, sending the client's bytes again, is still the same
// request and answered as a duplicate, not refused as a reused key.
func TestCorrectionRetryIsTheSameRequest(t *testing.T) {
	service, store := newLedger(t)
	results := record(t, service, eventstoretest.Donation("general", "150626", "D-1", 100000))
	correct := func() domain.Event {
		// json.Marshal of a map sorts the keys: not the order the ledger
		// encodes a donation in.
		replacement, _ := json.Marshal(map[string]any{"donation_id": "D-1", "campaign": "general", "donor_kind": "enterprise",
			"donor_organisation": "某公司", "form": "money", "amount": "1200.00"})
		return domain.Event{Type: domain.TypeEntryCorrected, County: "150626", OccurredAt: eventstoretest.Clock(), Actor: "finance",
			IdempotencyKey: "correct-D-1",
			Data: &domain.EntryCorrected{Campaign: "general", TargetEventID: results[0].EventID.String(),
				Reason: "与银行对账单核对", Replacement: replacement}}
	}
	first := record(t, service, correct())
	head, _ := store.Head(context.Background())
	again := record(t, service, correct())
	if !again[0].Duplicate || again[0].EventID != first[0].EventID {
		t.Fatalf("retry: %+v, want a duplicate of %s", again[0], first[0].EventID)
	}
	if after, _ := store.Head(context.Background()); after != head {
		t.Fatalf("the retry moved the head from %d to %d", head, after)
	}
}

// TestSheetRowRetryByAnotherActor: a spreadsheet row's key is made from its
// content, so the row sent again by another clerk is the entry the first
// recorded, and the answer says who recorded it. Different content under
// that key is still refused, and a key a client chose still names one
// actor's request.
func TestSheetRowRetryByAnotherActor(t *testing.T) {
	service, store := newLedger(t)
	row := func(actor, key string, fen domain.Money) domain.Event {
		event := eventstoretest.Donation("general", "150626", "D-"+key, fen)
		event.Actor, event.IdempotencyKey = actor, key
		return event
	}
	key := domain.ContentKeyPrefix + "1da30e7082a3386a4a50bc52"
	first := record(t, service, row("clerk-1", key, 500000))
	head, _ := store.Head(context.Background())
	again := record(t, service, row("clerk-2", key, 500000))
	if !again[0].Duplicate || again[0].EventID != first[0].EventID || again[0].RecordedBy != "clerk-1" {
		t.Fatalf("the row again by clerk-2: %+v, want a duplicate of %s recorded by clerk-1", again[0], first[0].EventID)
	}
	if after, _ := store.Head(context.Background()); after != head {
		t.Fatalf("the row again moved the head from %d to %d", head, after)
	}
	err := refused(t, service, store, domain.ErrIdempotencyKeyReused, row("clerk-2", key, 500001))
	var reused *domain.KeyReusedError
	if !errors.As(err, &reused) || reused.EventID != first[0].EventID.String() {
		t.Fatalf("other content under the row's key: %v, want a KeyReusedError naming %s", err, first[0].EventID)
	}
	record(t, service, row("clerk-1", "client-7", 100))
	refused(t, service, store, domain.ErrIdempotencyKeyReused, row("clerk-2", "client-7", 100))
}
