package domain

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// WorkersPerEventMax caps the people one event lists. Each person is
// sealed with a key of their own (about 220 bytes stored even for a bare
// name, and a key in the keystore), so 250 people with short details fill
// most of StoredEventBytesMax; more could never be stored.
const WorkersPerEventMax = 250

// Limits on text and lists. Each is stated in the rule a violation reports.
const (
	shortTextRunesMax   = 200
	longTextRunesMax    = 2000
	actorRunesMax       = 64
	keyBytesMax         = 128
	itemsPerEventMax    = 100
	fundingsPerEntryMax = 50
	// countMax caps headcounts, quantities and participants: far above any
	// real entry, low enough that sums never overflow.
	countMax = 100_000_000
	// durationMinutesMax is one week: longer is not one session.
	durationMinutesMax = 7 * 24 * 60
	// FutureToleranceMinutes is how far occurred-at may lie ahead of the
	// ledger's clock, to absorb clock skew between a clerk's device and the
	// ledger. More is a typing error.
	FutureToleranceMinutes = 10
)

// earliestOccurredAt rejects typing errors such as year 0202.
var earliestOccurredAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	// entityIDPattern and keyPattern are what isEntityID and isKey match,
	// by hand: every event has a key and most an entity id, and a
	// regular expression costs more than decoding a field.
	entityIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	keyPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	phonePattern    = regexp.MustCompile(`^\+?[0-9][0-9 -]{4,19}$`)
	idNumberPattern = regexp.MustCompile(`^[0-9A-Za-z]{6,32}$`)
	// bankAccountPattern also takes *: Chinese banks print a counterparty's
	// account masked (6222****1222), and a bank line holds what the bank
	// printed. At least bankAccountDigitsMin of it must be letters or digits.
	bankAccountPattern = regexp.MustCompile(`^[0-9A-Za-z*]{6,32}$`)
)

// bankAccountDigitsMin is how many letters or digits a bank account must
// show, masked or not: an account of stars alone names nothing.
const bankAccountDigitsMin = 4

// Validator checks events against the catalog and the clock.
type Validator struct {
	Catalog *Catalog
	Now     func() time.Time
}

// Validate returns every violation of the event's stateless rules as one
// *ValidationError, or nil. Rules that need history (double receipt, void of a
// voided entry, overspend) are the campaign aggregate's.
func (v Validator) Validate(event Event) error {
	var problems violations
	v.validateEnvelope(&problems, event)
	if event.Data != nil {
		v.validatePayload(&problems, "data", event.Data, event.County)
		v.validatePersonal(&problems, event)
	}
	return problems.err()
}

func (v Validator) validateEnvelope(problems *violations, event Event) {
	if event.ID != uuid.Nil && event.ID.Version() != 7 {
		problems.add("id", "must be a UUIDv7 (or left out for the ledger to assign)")
	}
	if current := CurrentVersion(event.Type); event.SchemaVersion != 0 && event.SchemaVersion != current {
		problems.add("schema_version", "must be %d: older versions are read, never written", current)
	}
	if event.Data != nil && event.Aggregate != (AggregateRef{}) {
		if want := AggregateOf(event.Data); event.Aggregate != want {
			problems.add("aggregate", "must be %s, the aggregate of the entry (or left out)", want)
		}
	}
	v.checkRegion(problems, "county", event.County)
	if !event.OccurredAt.IsZero() {
		latest := v.Now().Add(FutureToleranceMinutes * time.Minute)
		if event.OccurredAt.After(latest) {
			problems.addLimit("occurred_at", CodeFuture, FutureToleranceMinutes, "must not be more than %d minutes in the future", FutureToleranceMinutes)
		}
		if event.OccurredAt.Before(earliestOccurredAt) {
			problems.coded(CodeTooEarly, "", "occurred_at", "must be after 2000-01-01")
		}
	} else {
		problems.coded(CodeRequired, "", "occurred_at", "is required")
	}
	checkText(problems, "actor", event.Actor, actorRunesMax, true)
	checkKey(problems, "idempotency_key", event.IdempotencyKey)
	checkKey(problems, "correlation_id", event.CorrelationID)
	checkKey(problems, "causation_id", event.CausationID)
}

func checkKey(problems *violations, field, key string) {
	switch {
	case key == "":
	case len(key) > keyBytesMax:
		problems.add(field, "must be at most %d bytes", keyBytesMax)
	case !isKey(key):
		problems.add(field, "must use only letters, digits and . _ : - (and start with a letter or digit)")
	}
}

func (v Validator) checkRegion(problems *violations, field, code string) {
	if code == "" {
		problems.coded(CodeRequired, "", field, "is required")
		return
	}
	if _, ok := v.Catalog.Region(code); !ok {
		problems.coded(CodeUnknownCode, code, field, "unknown region code %q (GB/T 2260 codes of the catalog)", code)
	}
}

func (v Validator) checkCode(problems *violations, field, set, code string) {
	if code == "" {
		problems.coded(CodeRequired, "", field, "is required")
		return
	}
	if !v.Catalog.has(set, code) {
		problems.coded(CodeUnknownCode, code, field, "unknown %s %q; known: %s", set, code, v.Catalog.codes(set))
	}
}

func checkText(problems *violations, field, text string, runesMax int, required bool) {
	if strings.TrimSpace(text) == "" {
		if required {
			problems.coded(CodeRequired, "", field, "is required")
		}
		return
	}
	if utf8.RuneCountInString(text) > runesMax {
		problems.addLimit(field, CodeTooLong, int64(runesMax), "must be at most %d characters", runesMax)
	}
	for _, r := range text {
		switch {
		// U+2028 and U+2029 are line separators that JSON encoders escape
		// to six bytes each; they have no place in a ledger entry either.
		// C1 controls (U+0080 to U+009F) are controls like the C0 ones.
		case (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029:
			problems.add(field, "must not contain control characters or line separators")
			return
		// Bidirectional overrides and isolates make text display in
		// another order than it is stored: a name or a remark that reads
		// one way on screen and another in the log.
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			problems.add(field, "must not contain bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)")
			return
		}
	}
}

// entityIDBytesMax is the longest entity id, in bytes (ASCII only).
const entityIDBytesMax = 64

// isEntityID matches entityIDPattern.
func isEntityID(id string) bool {
	return len(id) <= entityIDBytesMax && matchesCode(id, "._-")
}

// isKey matches keyPattern.
func isKey(key string) bool { return matchesCode(key, "._:-") }

// matchesCode says text is an ASCII letter or digit followed by letters,
// digits and the punctuation given.
func matchesCode(text, punctuation string) bool {
	if text == "" {
		return false
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		alphanumeric := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alphanumeric && (i == 0 || strings.IndexByte(punctuation, c) < 0) {
			return false
		}
	}
	return true
}

func checkEntityID(problems *violations, field, id string) {
	if id == "" {
		problems.coded(CodeRequired, "", field, "is required")
	} else if !isEntityID(id) {
		problems.addCode(field, CodeEntityID, "must be 1-64 letters, digits, '.', '_' or '-'")
	}
}

func checkCount(problems *violations, field string, value int64, allowZero bool) {
	switch {
	case value < 0 || (value == 0 && !allowZero):
		problems.coded(CodePositive, "", field, "must be > 0")
	case value > countMax:
		problems.addLimit(field, CodeAtMost, countMax, "must be at most %d", countMax)
	}
}

func checkMoney(problems *violations, field string, amount Money, required bool) {
	problem := amount.problemAllowZero()
	if required {
		problem = amount.problem()
	}
	if problem != "" {
		problems.addCode(field, amount.problemCode(), "%s", problem)
	}
}

func (v Validator) checkItems(problems *violations, field string, items []GoodsItem, required bool) Money {
	if len(items) == 0 {
		if required {
			problems.coded(CodeRequired, "", field, "must list at least one item")
		}
		return 0
	}
	if len(items) > itemsPerEventMax {
		problems.add(field, "must list at most %d items", itemsPerEventMax)
		return 0
	}
	var total Money
	for i, item := range items {
		v.checkCode(problems, fieldPath(field, i, "item"), "item kind", item.Item)
		checkText(problems, fieldPath(field, i, "unit"), item.Unit, 16, false)
		checkCount(problems, fieldPath(field, i, "quantity"), item.Quantity, false)
		checkMoney(problems, fieldPath(field, i, "value"), item.Value, true)
		if item.Value.problem() == "" {
			total += item.Value
		}
	}
	return total
}

func checkFundings(problems *violations, field string, fundings []Funding, spent Money, spentField string) {
	if len(fundings) > fundingsPerEntryMax {
		problems.add(field, "must list at most %d donations", fundingsPerEntryMax)
		return
	}
	var total Money
	seen := map[string]bool{}
	for i, funding := range fundings {
		checkEntityID(problems, fieldPath(field, i, "donation_id"), funding.DonationID)
		if seen[funding.DonationID] {
			problems.add(fieldPath(field, i, "donation_id"), "names the same donation twice")
		}
		seen[funding.DonationID] = true
		checkMoney(problems, fieldPath(field, i, "amount"), funding.Amount, true)
		if funding.Amount.problem() == "" {
			total += funding.Amount
		}
	}
	if len(fundings) > 0 && total > spent {
		problems.add(field, "adds up to %s yuan, more than %s (%s yuan)", total, spentField, spent)
	}
}

func (v Validator) validatePayload(problems *violations, path string, payload Payload, county string) {
	at := func(field string) string { return fieldPath(path, -1, field) }
	if IsFinance(payload.EventType()) {
		v.validateFinance(problems, at, payload)
		return
	}
	v.checkCode(problems, at("campaign"), "campaign", payload.CampaignCode())
	switch p := payload.(type) {
	case DonationPledged:
		checkEntityID(problems, at("donation_id"), p.DonationID)
		v.checkDonation(problems, at, p.DonorKind, p.DonorOrg, p.Form, p.Amount, p.Items)
		checkText(problems, at("note"), p.Note, longTextRunesMax, false)
	case DonationReceived:
		checkEntityID(problems, at("donation_id"), p.DonationID)
		v.checkDonation(problems, at, p.DonorKind, p.DonorOrg, p.Form, p.Amount, p.Items)
		checkText(problems, at("bank_reference"), p.BankReference, 64, false)
		checkText(problems, at("note"), p.Note, longTextRunesMax, false)
	case FundsAllocated:
		checkEntityID(problems, at("allocation_id"), p.AllocationID)
		v.checkRegion(problems, at("from_county"), p.FromCounty)
		v.checkRegion(problems, at("to_county"), p.ToCounty)
		if p.FromCounty != "" && p.FromCounty == p.ToCounty {
			problems.add(at("to_county"), "must differ from from_county")
		}
		if p.ToCounty != "" && county != "" && p.ToCounty != county {
			problems.add("county", "must be the receiving county to_county (%s)", p.ToCounty)
		}
		checkMoney(problems, at("amount"), p.Amount, true)
		checkText(problems, at("purpose"), p.Purpose, longTextRunesMax, false)
	case SuppliesDelivered:
		checkEntityID(problems, at("delivery_id"), p.DeliveryID)
		v.checkSite(problems, at("site"), p.Site)
		v.checkCode(problems, at("beneficiary_group"), "beneficiary group", p.BeneficiaryGroup)
		checkCount(problems, at("headcount"), p.Headcount, false)
		v.checkItems(problems, at("items"), p.Items, true)
		checkMoney(problems, at("spent"), p.Spent, false)
		checkFundings(problems, at("funded_by"), p.FundedBy, p.Spent, "spent")
		checkText(problems, at("note"), p.Note, longTextRunesMax, false)
	case TrainingHeld:
		checkEntityID(problems, at("session_id"), p.SessionID)
		v.checkCode(problems, at("topic"), "training topic", p.Topic)
		checkText(problems, at("title"), p.Title, shortTextRunesMax, true)
		if p.Format != FormatOnline && p.Format != FormatOffline && p.Format != FormatBoth {
			problems.coded(CodeOneOf, p.Format, at("format"), "must be online, offline or both")
		}
		checkCount(problems, at("participants"), p.Participants, false)
		checkCount(problems, at("duration_minutes"), p.DurationMinutes, false)
		if p.DurationMinutes > durationMinutesMax {
			problems.addLimit(at("duration_minutes"), CodeAtMost, durationMinutesMax, "must be at most %d (one week)", durationMinutesMax)
		}
		checkText(problems, at("venue"), p.Venue, shortTextRunesMax, true)
		if p.BeneficiaryGroup != "" {
			v.checkCode(problems, at("beneficiary_group"), "beneficiary group", p.BeneficiaryGroup)
		}
		checkMoney(problems, at("cost"), p.Cost, false)
		checkFundings(problems, at("funded_by"), p.FundedBy, p.Cost, "cost")
	case ServiceProvided:
		checkEntityID(problems, at("service_id"), p.ServiceID)
		switch p.Kind {
		case ServiceHealthCheckup, ServiceLegalConsultation, ServiceVisit, ServiceStationOpened, ServiceGeneralAssistance:
		default:
			problems.coded(CodeOneOf, p.Kind, at("kind"), "must be one of %s", serviceKindsListedForHelp)
		}
		v.checkCode(problems, at("beneficiary_group"), "beneficiary group", p.BeneficiaryGroup)
		checkCount(problems, at("count"), p.Count, false)
		checkCount(problems, at("person_times"), p.PersonTimes, true)
		if p.Site != nil {
			v.checkSite(problems, at("site"), *p.Site)
		}
		checkMoney(problems, at("cost"), p.Cost, false)
		checkFundings(problems, at("funded_by"), p.FundedBy, p.Cost, "cost")
		checkText(problems, at("note"), p.Note, longTextRunesMax, false)
	case EntryVoided:
		checkTarget(problems, at("target_event_id"), p.TargetEventID)
		checkText(problems, at("reason"), p.Reason, longTextRunesMax, true)
		checkClosedPeriod(problems, at("closed_period"), p.ClosedPeriod)
	case *EntryCorrected:
		checkTarget(problems, at("target_event_id"), p.TargetEventID)
		checkText(problems, at("reason"), p.Reason, longTextRunesMax, true)
		checkClosedPeriod(problems, at("closed_period"), p.ClosedPeriod)
		if trimmed := strings.TrimSpace(string(p.Replacement)); trimmed == "" || trimmed == "null" {
			problems.add(at("replacement"), "is required: the whole corrected payload")
		}
		if p.replacement != nil {
			if p.replacement.CampaignCode() != p.Campaign {
				problems.add(at("replacement.campaign"), "must stay %q: move an entry by voiding it and recording it anew", p.Campaign)
			}
			v.validatePayload(problems, at("replacement"), p.replacement, county)
		}
	}
}

func checkClosedPeriod(problems *violations, field, month string) {
	if month != "" && !monthPattern.MatchString(month) {
		problems.add(field, "must be a month YYYY-MM")
	}
}

func checkTarget(problems *violations, field, id string) {
	parsed, err := uuid.Parse(id)
	switch {
	case id == "":
		problems.addCode(field, CodeRequired, "is required")
	case err != nil || parsed == uuid.Nil:
		problems.add(field, "must be the UUID of an earlier event")
	case parsed.String() != id:
		// One spelling per id, so the id compares equal wherever it is kept.
		problems.add(field, "must be written in canonical form, lower case with hyphens: %s", parsed)
	}
}

func (v Validator) checkSite(problems *violations, field string, site Site) {
	v.checkCode(problems, fieldPath(field, -1, "kind"), "site kind", site.Kind)
	checkText(problems, fieldPath(field, -1, "name"), site.Name, shortTextRunesMax, true)
}

func (v Validator) checkDonation(problems *violations, at func(string) string, donorKind, donorOrg, form string, amount Money, items []GoodsItem) {
	switch donorKind {
	case "enterprise", "organisation", "union-allocation":
		checkText(problems, at("donor_organisation"), donorOrg, shortTextRunesMax, true)
	case "individual":
		if donorOrg != "" {
			problems.add(at("donor_organisation"), "must be empty for an individual: a person's name belongs in personal.donor")
		}
	case "":
		problems.coded(CodeRequired, "", at("donor_kind"), "is required")
	default:
		problems.coded(CodeOneOf, donorKind, at("donor_kind"), "must be enterprise, organisation, union-allocation or individual")
	}
	switch form {
	case FormMoney:
		checkMoney(problems, at("amount"), amount, true)
		if len(items) > 0 {
			problems.coded(CodeEmptyForMoney, "", at("items"), "must be empty for a money donation")
		}
	case FormGoods:
		total := v.checkItems(problems, at("items"), items, true)
		if amount != 0 && amount.problem() == "" && amount != total {
			problems.add(at("amount"), "must equal the items' total value %s yuan (or be left out)", total)
		} else if amount != 0 {
			checkMoney(problems, at("amount"), amount, true)
		}
	case "":
		problems.coded(CodeRequired, "", at("form"), "is required")
	default:
		problems.coded(CodeOneOf, form, at("form"), "must be money or goods")
	}
}

func (v Validator) validatePersonal(problems *violations, event Event) {
	personal := event.Personal
	if personal == nil {
		return
	}
	kind := event.Data.EventType()
	if correction, ok := event.Data.(*EntryCorrected); ok {
		if correction.replacement == nil {
			// The replacement's type is known only once the target is
			// found: Campaign.Decide validates again with it.
			kind = ""
		} else {
			kind = correction.replacement.EventType()
		}
	}
	isDonation := kind == TypeDonationPledged || kind == TypeDonationReceived || kind == TypeBankLineImported
	if personal.Donor != nil {
		if !isDonation && kind != "" {
			problems.add("personal.donor", "only donations have a donor")
		}
		checkPerson(problems, "personal.donor", *personal.Donor)
	}
	if len(personal.Workers) > 0 {
		if kind != TypeSuppliesDelivered && kind != TypeServiceProvided && kind != TypeTrainingHeld && kind != "" {
			problems.add("personal.workers", "only deliveries, services and sessions list workers")
		}
		if len(personal.Workers) > WorkersPerEventMax {
			problems.add("personal.workers", "must list at most %d people", WorkersPerEventMax)
		}
		for i, worker := range personal.Workers {
			checkPerson(problems, fmt.Sprintf("personal.workers[%d]", i), worker)
		}
	}
	// Personal data must never leak into what is not encrypted: ids and keys
	// end up in subjects, headers and indexes.
	exposed := map[string]string{"idempotency_key": event.IdempotencyKey, "correlation_id": event.CorrelationID, "causation_id": event.CausationID}
	if id := EntityID(event.Data); id != "" {
		exposed["data."+idField(event.Data)] = id
	}
	people := append(append([]Person(nil), personal.Workers...), derefPerson(personal.Donor)...)
	for _, field := range sortedKeys(exposed) {
	person:
		for _, person := range people {
			for _, secret := range []string{person.Phone, person.IDNumber, person.Name} {
				if len(secret) >= 4 && strings.Contains(exposed[field], secret) {
					problems.add(field, "must not contain personal data (a name, phone or id number from personal)")
					break person
				}
			}
		}
	}
}

func derefPerson(person *Person) []Person {
	if person == nil {
		return nil
	}
	return []Person{*person}
}

func checkPerson(problems *violations, field string, person Person) {
	checkText(problems, field+".name", person.Name, 100, false)
	if person.Phone != "" && !phonePattern.MatchString(person.Phone) {
		problems.add(field+".phone", "must be a phone number of 5-20 digits")
	}
	if person.IDNumber != "" && !idNumberPattern.MatchString(person.IDNumber) {
		problems.add(field+".id_number", "must be 6-32 letters and digits")
	}
	checkKey(problems, field+".subject_id", person.SubjectID)
	if account := strings.ReplaceAll(person.BankAccount, " ", ""); account != "" &&
		(!bankAccountPattern.MatchString(account) || len(account)-strings.Count(account, "*") < bankAccountDigitsMin) {
		problems.add(field+".bank_account", "must be 6-32 letters and digits (or * where the bank masks one), at least %d of them unmasked", bankAccountDigitsMin)
	}
}
