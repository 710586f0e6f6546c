// Package domain holds the ledger's events, reference data, validation rules
// and the campaign aggregate that guards money. It imports only the standard
// library and uuid, so every adapter depends on it and never the reverse.
package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
)

// EventType names what happened. Types are single lower-case tokens because
// the JetStream store puts them into subjects.
type EventType string

// The event catalogue. docs/EVENTS.md shows each with a JSON example.
const (
	TypeDonationPledged   EventType = "donation_pledged"
	TypeDonationReceived  EventType = "donation_received"
	TypeFundsAllocated    EventType = "funds_allocated"
	TypeSuppliesDelivered EventType = "supplies_delivered"
	TypeTrainingHeld      EventType = "training_held"
	TypeServiceProvided   EventType = "service_provided"
	TypeEntryVoided       EventType = "entry_voided"
	TypeEntryCorrected    EventType = "entry_corrected"
)

// EventTypes lists every type in catalogue order.
var EventTypes = []EventType{
	TypeDonationPledged, TypeDonationReceived, TypeFundsAllocated, TypeSuppliesDelivered,
	TypeTrainingHeld, TypeServiceProvided, TypeEntryVoided, TypeEntryCorrected,
}

// SchemaVersion is the first version of every event type's schema; see
// CurrentVersion for the version each type is written in now.
const SchemaVersion = 1

// AggregateCampaign is the kind of the campaign aggregate: every entry of a
// campaign belongs to it, because the campaign's fund is the consistency
// boundary for money (see docs/ARCHITECTURE.md).
const AggregateCampaign = "campaign"

// AggregateRef names an aggregate: the unit of optimistic concurrency.
type AggregateRef struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

func (a AggregateRef) String() string { return a.Kind + "/" + a.ID }

// Event is one immutable fact with its envelope. Data holds the type's
// payload; Personal holds every piece of personal data, apart from the rest so
// that it can be encrypted per person and erased without touching the money.
type Event struct {
	ID             uuid.UUID    `json:"id"`
	Type           EventType    `json:"type"`
	SchemaVersion  int          `json:"schema_version"`
	Aggregate      AggregateRef `json:"aggregate"`
	County         string       `json:"county"`
	OccurredAt     time.Time    `json:"occurred_at"`
	RecordedAt     time.Time    `json:"recorded_at"`
	Actor          string       `json:"actor"`
	CorrelationID  string       `json:"correlation_id,omitempty"`
	CausationID    string       `json:"causation_id,omitempty"`
	IdempotencyKey string       `json:"idempotency_key"`
	Data           Payload      `json:"data"`
	Personal       *Personal    `json:"personal,omitempty"`
	// Sealed is the personal part as stored: each person encrypted with
	// that person's own key, so destroying the key erases the person and
	// nothing else. The ledger seals; clients send Personal.
	Sealed []SealedPerson `json:"sealed_personal,omitempty"`
	// UpcastFrom is the schema version as stored when the event was read
	// in an older version and upcast (0: stored in the current version).
	UpcastFrom int `json:"-"`
}

// SealedPerson is one person's data encrypted with the person's key.
type SealedPerson struct {
	SubjectID  string `json:"subject_id"`
	Role       string `json:"role"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
	// Digest is a keyed hash of the plaintext: what an idempotent retry is
	// compared by, and as erasable as the data itself.
	Digest []byte `json:"digest"`
}

// Person roles in a sealed event.
const (
	RoleDonor  = "donor"
	RoleWorker = "worker"
)

// Payload is the type-specific part of an event.
type Payload interface {
	EventType() EventType
	// CampaignCode names the campaign, and so the aggregate, of the entry.
	CampaignCode() string
}

// Personal is the only place personal data may appear. Nothing in it is ever
// copied into subjects, headers, ids or idempotency keys.
type Personal struct {
	Donor   *Person  `json:"donor,omitempty"`
	Workers []Person `json:"workers,omitempty"`
}

// Person is one data subject. SubjectID is a pseudonymous id that the erasure
// feature keys its per-person encryption on.
type Person struct {
	SubjectID string `json:"subject_id,omitempty"`
	// Erased is true when the person's key was destroyed: the other
	// fields are then empty.
	Erased      bool   `json:"erased,omitempty"`
	Name        string `json:"name,omitempty"`
	Phone       string `json:"phone,omitempty"`
	IDNumber    string `json:"id_number,omitempty"`
	BankAccount string `json:"bank_account,omitempty"`
}

// GoodsItem is a line of goods: how many of what, and their assessed value.
type GoodsItem struct {
	Item     string `json:"item"`
	Unit     string `json:"unit,omitempty"`
	Quantity int64  `json:"quantity"`
	Value    Money  `json:"value"`
}

// Funding names a donation that paid part of a spending entry. Entries that
// name none are funded first-in first-out by the fund flow projection.
type Funding struct {
	DonationID string `json:"donation_id"`
	Amount     Money  `json:"amount"`
}

// Site is where a delivery or service took place.
type Site struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Donation forms.
const (
	FormMoney = "money"
	FormGoods = "goods"
)

// DonationPledged: a donor promised money or goods to a campaign.
type DonationPledged struct {
	DonationID string      `json:"donation_id"`
	Campaign   string      `json:"campaign"`
	DonorKind  string      `json:"donor_kind"`
	DonorOrg   string      `json:"donor_organisation,omitempty"`
	Form       string      `json:"form"`
	Amount     Money       `json:"amount,omitempty"`
	Items      []GoodsItem `json:"items,omitempty"`
	Note       string      `json:"note,omitempty"`
}

// DonationReceived: money arrived in the union's account, or goods arrived.
// For goods, Amount is the total assessed value of Items.
type DonationReceived struct {
	DonationID    string      `json:"donation_id"`
	Campaign      string      `json:"campaign"`
	DonorKind     string      `json:"donor_kind"`
	DonorOrg      string      `json:"donor_organisation,omitempty"`
	Form          string      `json:"form"`
	Amount        Money       `json:"amount,omitempty"`
	Items         []GoodsItem `json:"items,omitempty"`
	BankReference string      `json:"bank_reference,omitempty"`
	Note          string      `json:"note,omitempty"`
}

// FundsAllocated: campaign money moved from one level to a county. The event's
// county is the receiving county.
type FundsAllocated struct {
	AllocationID string `json:"allocation_id"`
	Campaign     string `json:"campaign"`
	FromCounty   string `json:"from_county"`
	ToCounty     string `json:"to_county"`
	Amount       Money  `json:"amount"`
	Purpose      string `json:"purpose,omitempty"`
}

// SuppliesDelivered: goods handed to a beneficiary group at a site. Spent is
// the money the campaign fund paid for them (zero when all were donated goods).
type SuppliesDelivered struct {
	DeliveryID       string      `json:"delivery_id"`
	Campaign         string      `json:"campaign"`
	Site             Site        `json:"site"`
	BeneficiaryGroup string      `json:"beneficiary_group"`
	Headcount        int64       `json:"headcount"`
	Items            []GoodsItem `json:"items"`
	Spent            Money       `json:"spent,omitempty"`
	FundedBy         []Funding   `json:"funded_by,omitempty"`
	Note             string      `json:"note,omitempty"`
}

// Training formats.
const (
	FormatOnline  = "online"
	FormatOffline = "offline"
	FormatBoth    = "both"
)

// TrainingHeld: a training session or lecture.
type TrainingHeld struct {
	SessionID        string    `json:"session_id"`
	Campaign         string    `json:"campaign"`
	Topic            string    `json:"topic"`
	Title            string    `json:"title"`
	Format           string    `json:"format"`
	Participants     int64     `json:"participants"`
	DurationMinutes  int64     `json:"duration_minutes"`
	Venue            string    `json:"venue"`
	BeneficiaryGroup string    `json:"beneficiary_group,omitempty"`
	Cost             Money     `json:"cost,omitempty"`
	FundedBy         []Funding `json:"funded_by,omitempty"`
}

// Service kinds.
const (
	ServiceHealthCheckup      = "health-checkup"
	ServiceLegalConsultation  = "legal-consultation"
	ServiceVisit              = "visit"
	ServiceStationOpened      = "station-opened"
	ServiceGeneralAssistance  = "assistance"
	serviceKindsListedForHelp = "health-checkup, legal-consultation, visit, station-opened, assistance"
)

// ServiceProvided: health checkups, legal consultations, visits, service
// stations opened. Count is how many services; PersonTimes is 人次 served.
type ServiceProvided struct {
	ServiceID        string    `json:"service_id"`
	Campaign         string    `json:"campaign"`
	Kind             string    `json:"kind"`
	BeneficiaryGroup string    `json:"beneficiary_group"`
	Count            int64     `json:"count"`
	PersonTimes      int64     `json:"person_times"`
	Site             *Site     `json:"site,omitempty"`
	Cost             Money     `json:"cost,omitempty"`
	FundedBy         []Funding `json:"funded_by,omitempty"`
	Note             string    `json:"note,omitempty"`
}

// EntryVoided: an earlier entry is cancelled. The original stays in the log.
type EntryVoided struct {
	Campaign      string `json:"campaign"`
	TargetEventID string `json:"target_event_id"`
	Reason        string `json:"reason"`
	// ClosedPeriod names the closed month (YYYY-MM) a back-dated void
	// deliberately lands in; without it such a void is refused.
	ClosedPeriod string `json:"closed_period,omitempty"`
	TargetLocation
}

// Amendment is what a void and a correction both say: which entry they
// change, why, and the closed month they deliberately land in, if any.
type Amendment struct {
	TargetEventID string
	Reason        string
	ClosedPeriod  string
}

// AmendmentOf is the amendment a payload makes; ok is false for a payload
// that is neither a void nor a correction.
func AmendmentOf(payload Payload) (amendment Amendment, ok bool) {
	switch data := payload.(type) {
	case EntryVoided:
		return Amendment{data.TargetEventID, data.Reason, data.ClosedPeriod}, true
	case *EntryCorrected:
		return Amendment{data.TargetEventID, data.Reason, data.ClosedPeriod}, true
	}
	return Amendment{}, false
}

// TargetLocation says where a voided or corrected entry sits in the log: the
// original event, and the event whose payload is in effect (the original, or
// its last correction). The ledger fills both when it records the void or
// correction, so a reader can undo the entry with two direct reads instead of
// keeping an index of every event it has seen.
type TargetLocation struct {
	TargetPosition    uint64 `json:"target_position,omitempty"`
	EffectivePosition uint64 `json:"effective_position,omitempty"`
}

// TargetLocationOf is where a void or correction says its target is; zero
// for any other payload, and for one stored before the ledger filled it.
func TargetLocationOf(payload Payload) TargetLocation {
	switch data := payload.(type) {
	case EntryVoided:
		return data.TargetLocation
	case *EntryCorrected:
		return data.TargetLocation
	}
	return TargetLocation{}
}

// EntryCorrected: an earlier entry is replaced by a corrected version of the
// same type. Replacement holds the whole corrected payload.
type EntryCorrected struct {
	Campaign      string          `json:"campaign"`
	TargetEventID string          `json:"target_event_id"`
	Reason        string          `json:"reason"`
	Replacement   json.RawMessage `json:"replacement"`
	ClosedPeriod  string          `json:"closed_period,omitempty"`
	TargetLocation

	// replacement is the decoded Replacement, filled by decoding once the
	// target's type is known.
	replacement Payload
}

func (DonationPledged) EventType() EventType   { return TypeDonationPledged }
func (DonationReceived) EventType() EventType  { return TypeDonationReceived }
func (FundsAllocated) EventType() EventType    { return TypeFundsAllocated }
func (SuppliesDelivered) EventType() EventType { return TypeSuppliesDelivered }
func (TrainingHeld) EventType() EventType      { return TypeTrainingHeld }
func (ServiceProvided) EventType() EventType   { return TypeServiceProvided }
func (EntryVoided) EventType() EventType       { return TypeEntryVoided }
func (*EntryCorrected) EventType() EventType   { return TypeEntryCorrected }

func (p DonationPledged) CampaignCode() string   { return p.Campaign }
func (p DonationReceived) CampaignCode() string  { return p.Campaign }
func (p FundsAllocated) CampaignCode() string    { return p.Campaign }
func (p SuppliesDelivered) CampaignCode() string { return p.Campaign }
func (p TrainingHeld) CampaignCode() string      { return p.Campaign }
func (p ServiceProvided) CampaignCode() string   { return p.Campaign }
func (p EntryVoided) CampaignCode() string       { return p.Campaign }
func (p *EntryCorrected) CampaignCode() string   { return p.Campaign }

// ReplacementPayload returns the decoded corrected payload, or nil before the
// correction has been checked against its target.
func (p *EntryCorrected) ReplacementPayload() Payload { return p.replacement }

// newPayload returns an empty payload of the type, or nil if it is unknown.
func newPayload(eventType EventType) Payload {
	switch eventType {
	case TypeDonationPledged:
		return &DonationPledged{}
	case TypeDonationReceived:
		return &DonationReceived{}
	case TypeFundsAllocated:
		return &FundsAllocated{}
	case TypeSuppliesDelivered:
		return &SuppliesDelivered{}
	case TypeTrainingHeld:
		return &TrainingHeld{}
	case TypeServiceProvided:
		return &ServiceProvided{}
	case TypeEntryVoided:
		return &EntryVoided{}
	case TypeEntryCorrected:
		return &EntryCorrected{}
	case TypeBankLineImported:
		return &BankLineImported{}
	case TypeMatchConfirmed:
		return &MatchConfirmed{}
	case TypeMatchRejected:
		return &MatchRejected{}
	case TypeFeeWrittenOff:
		return &FeeWrittenOff{}
	case TypeDecisionUndone:
		return &DecisionUndone{}
	case TypePeriodClosed:
		return &PeriodClosed{}
	case TypePeriodReopened:
		return &PeriodReopened{}
	case TypeSubjectErased:
		return &SubjectErased{}
	case TypeStatementImported:
		return &StatementImported{}
	case TypeRefundPaired:
		return &RefundPaired{}
	case TypeLineWrittenOff:
		return &LineWrittenOff{}
	}
	return nil
}

// derefPayload turns the pointers decoding produces into the value types the
// rest of the code switches on. EntryCorrected stays a pointer because it
// carries its decoded replacement.
func derefPayload(payload Payload) Payload {
	switch p := payload.(type) {
	case *DonationPledged:
		return *p
	case *DonationReceived:
		return *p
	case *FundsAllocated:
		return *p
	case *SuppliesDelivered:
		return *p
	case *TrainingHeld:
		return *p
	case *ServiceProvided:
		return *p
	case *EntryVoided:
		return *p
	case *BankLineImported:
		return *p
	case *MatchConfirmed:
		return *p
	case *MatchRejected:
		return *p
	case *FeeWrittenOff:
		return *p
	case *DecisionUndone:
		return *p
	case *PeriodClosed:
		return *p
	case *PeriodReopened:
		return *p
	case *SubjectErased:
		return *p
	case *StatementImported:
		return *p
	case *RefundPaired:
		return *p
	case *LineWrittenOff:
		return *p
	}
	return payload
}

// EntityID is the id of the thing an entry is about: a donation, allocation,
// delivery, session or service. Voids and corrections return "".
func EntityID(payload Payload) string {
	switch p := payload.(type) {
	case DonationPledged:
		return p.DonationID
	case DonationReceived:
		return p.DonationID
	case FundsAllocated:
		return p.AllocationID
	case SuppliesDelivered:
		return p.DeliveryID
	case TrainingHeld:
		return p.SessionID
	case ServiceProvided:
		return p.ServiceID
	case BankLineImported:
		return p.LineID
	case MatchConfirmed:
		return p.MatchID
	}
	return ""
}

// jsonUnmarshal exists so money.go does not need its own import of json.
func jsonUnmarshal(data []byte, target any) error { return json.Unmarshal(data, target) }

func sortStrings(values []string) { sort.Strings(values) }

// Marshal encodes an event in its stored form.
func (e Event) Marshal() ([]byte, error) {
	if !fastPathOff {
		if encoded, ok := appendEventFast(make([]byte, 0, eventBytesGuess), e); ok {
			return encoded, nil
		}
	}
	return e.marshalStrict()
}

// marshalStrict is Marshal through encoding/json: the definition of the
// stored bytes, which the fast path is held to.
func (e Event) marshalStrict() ([]byte, error) {
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(e); err != nil {
		return nil, fmt.Errorf("marshal event %s: %w", e.ID, err)
	}
	return bytes.TrimSuffix(buffer.Bytes(), []byte("\n")), nil
}

// sealedDigest is what the content hash takes of a sealed person: not the
// ciphertext, which differs on every sealing, but the keyed digest.
type sealedDigest struct {
	SubjectID string `json:"subject_id"`
	Role      string `json:"role"`
	Digest    []byte `json:"digest"`
}

func sealedDigests(sealed []SealedPerson) []sealedDigest {
	if len(sealed) == 0 {
		return nil
	}
	out := make([]sealedDigest, len(sealed))
	for i, person := range sealed {
		out[i] = sealedDigest{SubjectID: person.SubjectID, Role: person.Role, Digest: person.Digest}
	}
	return out
}
