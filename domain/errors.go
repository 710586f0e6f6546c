package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Sentinel errors. Callers test for them with errors.Is; the HTTP layer maps
// each to one status code and never shows the wrapped internals.
var (
	// ErrInvalid: the input breaks a validation rule. Nothing was written.
	ErrInvalid = errors.New("invalid input")
	// ErrRejected: the input is well formed but breaks a business rule
	// (double receipt, overspend, void of a voided entry). Nothing was written.
	ErrRejected = errors.New("rejected by a business rule")
	// ErrConflict: the aggregate changed since the writer read it.
	ErrConflict = errors.New("concurrent modification")
	// ErrNotFound: the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrIdempotencyKeyReused: a key was sent again with different content.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused with different content")
	// ErrUnavailable: the store cannot be reached or refused for a reason of
	// its own (full disk, leader election). The request may be retried.
	ErrUnavailable = errors.New("store unavailable")
)

// Rule codes name the common rules by a stable word, so that a front end
// can say a broken rule in its own language (the dashboard's Chinese) from
// data, never by reading the rule's English words. A violation or broken
// rule carries one where the rule is one of these; any other is said in
// the ledger's words (Rule) alone.
const (
	// CodeRequired: the field is missing, or only white space.
	CodeRequired = "required"
	// CodeYuan: not an amount of yuan written as a string with at most two
	// decimals, such as "1250.50".
	CodeYuan = "yuan"
	// CodePositive: must be more than zero.
	CodePositive = "positive"
	// CodeTooLong: text longer than Limit characters.
	CodeTooLong = "too_long"
	// CodeAtMost: a number larger than Limit.
	CodeAtMost = "at_most"
	// CodeWholeNumber: must be a whole number (a JSON integer).
	CodeWholeNumber = "whole_number"
	// CodeUnknownCode: not a code of the catalog (a region, campaign,
	// group, item, site kind or topic).
	CodeUnknownCode = "unknown_code"
	// CodeEntityID: not an entity id (1 to 64 ASCII letters, digits, '.',
	// '_' or '-').
	CodeEntityID = "entity_id"
	// CodeTime: not an RFC 3339 time.
	CodeTime = "time"
	// CodeFuture: more than Limit minutes ahead of the ledger's clock.
	CodeFuture = "future"
	// CodeAlreadyRecorded: the entry's id is recorded already, in the
	// campaign or earlier in the same input.
	CodeAlreadyRecorded = "already_recorded"
	// CodeAlreadyVoided: the entry a void or correction names is voided.
	CodeAlreadyVoided = "already_voided"
	// CodeNoEntry: the entry a void or correction names is no entry of
	// the campaign.
	CodeNoEntry = "no_entry"
	// CodeOverspent: more would be spent or allocated than came in
	// (Details: "campaign" and "county", "balance", "after" and
	// "shortfall" for a region's funds; "campaign" and "donation",
	// "spent", "received" and "shortfall" for one donation's).
	CodeOverspent = "overspent"
	// CodeOneOf: a value not among the few the domain fixes (a service
	// kind, a training format, a donor kind, a donation's form); Value is
	// the value.
	CodeOneOf = "one_of"
	// CodeTooEarly: a time before earliestOccurredAt, a typing error.
	CodeTooEarly = "too_early"
	// CodeEmptyForMoney: goods given with a donation of money.
	CodeEmptyForMoney = "empty_for_money"
	// CodeClosedMonth: the change lands in a month finance has closed
	// (Details: "month"), and does not name it in closed_period.
	CodeClosedMonth = "closed_month"
	// CodeOpenMonth: a void or correction names closed_period, but the
	// month its change lands in is not closed (Details: "month", the month
	// it lands in, and "named", the month it names). closed_period is
	// only for the deliberate change of a closed month.
	CodeOpenMonth = "open_month"
)

// Violation is one broken rule: which event of a batch, the field's path
// and the rule it breaks, as in "data.items[2].quantity: must be > 0".
// Where it is stays data: a front end names it its own way (the command
// line's "line 7", the API's "events[6].data.items[2].quantity").
type Violation struct {
	// Event is the 1-based place of the event in its batch the violation
	// is about; 0 when it is about no one event of a batch.
	Event int    `json:"-"`
	Field string `json:"field"`
	Rule  string `json:"rule"`
	// Other is the 1-based place of another event of the same batch the
	// event repeats (the first use of an idempotency key); 0 for none. A
	// front end names it its own way, as it names Event.
	Other int `json:"-"`
	// Code names the rule when it is one of the common ones (CodeRequired
	// and the rest); empty for any other.
	Code string `json:"code,omitempty"`
	// Limit is the bound a CodeTooLong, CodeAtMost or CodeFuture rule
	// sets; 0 for the others.
	Limit int64 `json:"limit,omitempty"`
	// Value is what broke the rule, when the rule quotes it: the unknown
	// code, the cell's value. A sheet quotes it in its own words; the
	// API's rule already says it.
	Value string `json:"-"`
	// Details are the facts a broken business rule quotes, by name (an
	// overspend's campaign, county, balance and shortfall; a closed
	// month), for a front end that words the rule in its own language
	// and would otherwise drop them; nil for the rest.
	Details map[string]string `json:"details,omitempty"`
}

// Path names where the violation is: events[i].field within a batch.
func (v Violation) Path() string { return eventPath(v.Event, v.Field) }

func (v Violation) String() string { return v.Path() + ": " + v.RuleWith(RepeatsEvent) }

// RuleWith is the rule followed by the other event of the batch it
// repeats, if any, as repeats names it (a spreadsheet's 与第 3 行重复).
func (v Violation) RuleWith(repeats func(other int) string) string {
	return withOther(v.Rule, v.Other, repeats)
}

// MarshalJSON writes the path as the field, so clients of a batch read
// which event as before. The code and the limit follow the rule only when
// there is one, so a client that reads field and rule reads what it did.
func (v Violation) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Field   string            `json:"field"`
		Rule    string            `json:"rule"`
		Code    string            `json:"code,omitempty"`
		Limit   int64             `json:"limit,omitempty"`
		Details map[string]string `json:"details,omitempty"`
	}{v.Path(), v.RuleWith(RepeatsEvent), v.Code, v.Limit, v.Details})
}

// RepeatsEvent names the other event of a batch a problem is about as the
// API does: "repeats events[2]".
func RepeatsEvent(other int) string { return "repeats " + eventPath(other, "") }

// withOther is rule followed by the other event repeats names, if any.
func withOther(rule string, other int, repeats func(other int) string) string {
	if other == 0 {
		return rule
	}
	return rule + " (" + repeats(other) + ")"
}

// eventPath is field within the event-th event of a batch (1-based), or
// field alone.
func eventPath(event int, field string) string {
	switch {
	case event == 0:
		return field
	case field == "" || field == "$":
		return fmt.Sprintf("events[%d]", event-1)
	}
	return fmt.Sprintf("events[%d].%s", event-1, field)
}

// ValidationError carries every violation of one call. It matches ErrInvalid.
type ValidationError struct {
	Violations []Violation
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Violations))
	for i, violation := range e.Violations {
		lines[i] = violation.String()
	}
	return "invalid input: " + strings.Join(lines, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// RuleError is a broken business rule. It matches ErrRejected, and its
// Cause when there is one (ErrAlreadyErased).
type RuleError struct {
	// Event is the 1-based place of the event in its batch; 0 for none.
	Event int
	Field string
	Rule  string
	Cause error
	// Other is the 1-based place of another event of the same batch that
	// breaks the rule together with this one (an earlier receipt of the
	// same donation); 0 for none. A front end names it its own way.
	Other int
	// OtherID is the id of that other event while it is not written yet:
	// the aggregate knows events by id, and the ledger, which knows the
	// batch, turns it into Other. It is never shown: the event does not
	// exist for anyone else.
	OtherID uuid.UUID
	// Code names the rule when it is one of the common ones
	// (CodeAlreadyRecorded and the rest); empty for any other.
	Code string
	// Figures are what the rule quotes, as data, where it has a Code: a
	// front end that says the rule in its own language (a sheet's
	// Chinese) says them too, and never reads them out of Rule.
	Figures Figures
	// Details are the facts the rule quotes, by name, as Violation's: what
	// the API answers, for a page to word the rule in its language.
	Details map[string]string
}

// Figures are the figures a coded refusal quotes. Each is set where its
// rule quotes it and is zero elsewhere.
type Figures struct {
	// Campaign is the id of the campaign whose rule is broken.
	Campaign string
	// Region is the code of the region whose money would go below zero
	// (CodeOverspent by a region); empty for the other rules.
	Region string
	// Entry is the id of the entry the rule is about: the one recorded
	// already (CodeAlreadyRecorded), voided already (CodeAlreadyVoided)
	// or not found (CodeNoEntry); or the donation that would pay for more
	// than it brought in (CodeOverspent by a donation).
	Entry string
	// By is the event that recorded or voided Entry already; uuid.Nil
	// when that is another event of the same input (RuleError.Other).
	By uuid.UUID
	// Would is what Region would hold, or what the donation Entry would
	// pay for (CodeOverspent).
	Would Money
	// Holds is what Region holds, or what the donation Entry brought in
	// (CodeOverspent).
	Holds Money
}

// Path names where the rule broke: events[i].field within a batch.
func (e *RuleError) Path() string { return eventPath(e.Event, e.Field) }

// KeyReusedError is the refusal of an idempotency key that already wrote
// an event with other content. It matches ErrIdempotencyKeyReused.
type KeyReusedError struct {
	// Event is the 1-based place of the event in its batch; 0 for none.
	Event    int
	Key      string
	EventID  string
	Position uint64
	// Aggregate names the other aggregate (campaign/general) that used the
	// key, when it was not the event's own.
	Aggregate string
}

func (e *KeyReusedError) Error() string {
	return eventPath(e.Event, "idempotency_key") + ": " + e.detail()
}

func (e *KeyReusedError) detail() string {
	if e.Aggregate != "" {
		return fmt.Sprintf("key %q already wrote event %s (position %d) of %s: a key names one entry: %s", e.Key, e.EventID, e.Position,
			e.Aggregate, ErrIdempotencyKeyReused)
	}
	return fmt.Sprintf("key %q already wrote event %s (position %d) with different content: %s", e.Key, e.EventID, e.Position,
		ErrIdempotencyKeyReused)
}

// Describe renders err naming the event of a batch each problem is about
// with place (the command line's "line 7"); problems about no one event,
// and other errors, read as Error does. Another event of the batch a
// problem repeats is named "repeats " and its place.
func Describe(err error, place func(event int) string) string {
	return DescribeOther(err, func(event int, field string) string {
		if field == "" || field == "$" {
			return place(event)
		}
		return place(event) + ": " + field
	}, func(other int) string { return "repeats " + place(other) })
}

// DescribeAt is Describe with place naming the event and the field
// together (a spreadsheet's 第 7 行「金额（元）」); field is empty for a
// problem about the whole event. Another event of the batch a problem
// repeats is named "repeats " and its place.
func DescribeAt(err error, place func(event int, field string) string) string {
	return DescribeOther(err, place, func(other int) string { return "repeats " + place(other, "") })
}

// DescribeOther is DescribeAt with repeats naming the other event of the
// batch a problem repeats in the front end's own words (a spreadsheet's
// 与第 3 行重复).
func DescribeOther(err error, place func(event int, field string) string, repeats func(other int) string) string {
	at := func(event int, field string) string {
		if event == 0 {
			return eventPath(0, field) + ": "
		}
		if field == "$" {
			field = ""
		}
		// A front end that names no place for an event (one entry given
		// by a command's flags) gets the rule alone.
		if named := place(event, field); named != "" {
			return named + ": "
		}
		return ""
	}
	var validation *ValidationError
	var rule *RuleError
	var reused *KeyReusedError
	switch {
	case errors.As(err, &validation):
		lines := make([]string, len(validation.Violations))
		for i, violation := range validation.Violations {
			lines[i] = at(violation.Event, violation.Field) + violation.RuleWith(repeats)
		}
		return "invalid input: " + strings.Join(lines, "; ")
	case errors.As(err, &rule):
		if rule.Event == 0 && rule.Field == "" {
			return "rejected: " + rule.RuleWith(repeats)
		}
		return "rejected: " + at(rule.Event, rule.Field) + rule.RuleWith(repeats)
	case errors.As(err, &reused):
		return at(reused.Event, "idempotency_key") + reused.detail()
	case err == nil:
		return ""
	}
	return err.Error()
}

// Is makes errors.Is(err, ErrIdempotencyKeyReused) true.
func (e *KeyReusedError) Is(target error) bool { return target == ErrIdempotencyKeyReused }

// ErrAlreadyErased is the refusal to erase a data subject twice.
var ErrAlreadyErased = errors.New("already erased")

// Unwrap gives the rule's cause, so errors.Is finds it.
func (e *RuleError) Unwrap() error { return e.Cause }

func (e *RuleError) Error() string {
	if path := e.Path(); path != "" {
		return "rejected: " + path + ": " + e.RuleWith(RepeatsEvent)
	}
	return "rejected: " + e.RuleWith(RepeatsEvent)
}

// RuleWith is the rule followed by the other event of the batch it is
// about, if any, as repeats names it (a spreadsheet's 与第 3 行重复).
func (e *RuleError) RuleWith(repeats func(other int) string) string {
	return withOther(e.Rule, e.Other, repeats)
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RuleError) Is(target error) bool { return target == ErrRejected }

func rejectf(field, format string, args ...any) error {
	return &RuleError{Field: field, Rule: fmt.Sprintf(format, args...)}
}

// rejectCode is rejectf for a rule with a code, and the figures it quotes.
func rejectCode(field, code string, figures Figures, format string, args ...any) error {
	return &RuleError{Field: field, Rule: fmt.Sprintf(format, args...), Code: code, Figures: figures}
}

// violations collects broken rules under a path prefix.
type violations struct {
	list []Violation
}

func (v *violations) add(field, format string, args ...any) {
	v.list = append(v.list, Violation{Field: field, Rule: fmt.Sprintf(format, args...)})
}

// addCode adds a broken rule that has a code.
func (v *violations) addCode(field, code, format string, args ...any) {
	v.list = append(v.list, Violation{Field: field, Rule: fmt.Sprintf(format, args...), Code: code})
}

// addLimit adds a broken rule that has a code and a bound.
func (v *violations) addLimit(field, code string, limit int64, format string, args ...any) {
	v.list = append(v.list, Violation{Field: field, Rule: fmt.Sprintf(format, args...), Code: code, Limit: limit})
}

// coded adds a broken rule that has a code, with the value that broke
// it, which a sheet quotes.
func (v *violations) coded(code, value, field, format string, args ...any) {
	v.list = append(v.list, Violation{Field: field, Rule: fmt.Sprintf(format, args...), Code: code, Value: value})
}

func (v *violations) err() error {
	if len(v.list) == 0 {
		return nil
	}
	return &ValidationError{Violations: v.list}
}

// JoinChecked is refused, DecodeEvent's refusal of an event it returned
// with what did decode, joined with checked, what the event's rules
// (Validator.Validate, or a front end's check that adds rules of its own)
// found in that: refused's violations, then every violation of checked
// about a field that none of refused's names, nor contains. A field the
// decoding named was given but malformed, and decoded as zero, so what the
// rules say of it ("is required") is not so, and it is named once. Both
// are about the same one event. refused comes back as it is when checked
// found nothing, and when either is not a *ValidationError.
func JoinChecked(refused, checked error) error {
	var decoded, found *ValidationError
	if !errors.As(refused, &decoded) || !errors.As(checked, &found) {
		return refused
	}
	joined := slices.Clone(decoded.Violations)
	for _, violation := range found.Violations {
		if !slices.ContainsFunc(decoded.Violations, func(named Violation) bool { return fieldContains(named.Field, violation.Field) }) {
			joined = append(joined, violation)
		}
	}
	return &ValidationError{Violations: joined}
}

// fieldContains says the field path outer is inner or holds it
// ("data.site" holds "data.site.kind", "data.items" holds
// "data.items[0].item"); the whole event ("$", or no field) holds every
// field.
func fieldContains(outer, inner string) bool {
	if outer == "" || outer == "$" || outer == inner {
		return true
	}
	rest, found := strings.CutPrefix(inner, outer)
	return found && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "["))
}

// InEvent places every violation or broken rule of err in the index-th
// event (0-based) of a batch; other errors pass unchanged.
func InEvent(err error, index int) error {
	var validation *ValidationError
	if errors.As(err, &validation) {
		placed := make([]Violation, len(validation.Violations))
		for i, violation := range validation.Violations {
			violation.Event = index + 1
			placed[i] = violation
		}
		return &ValidationError{Violations: placed}
	}
	var rule *RuleError
	if errors.As(err, &rule) {
		placed := *rule
		placed.Event = index + 1
		return &placed
	}
	return err
}

// OutOfBatch drops the place in the batch from err's violations or broken
// rule: an answer about a request of one event names the event's own
// fields.
func OutOfBatch(err error) error {
	var validation *ValidationError
	if errors.As(err, &validation) {
		placed := make([]Violation, len(validation.Violations))
		for i, violation := range validation.Violations {
			violation.Event = 0
			if violation.Field == "" {
				violation.Field = "$"
			}
			placed[i] = violation
		}
		return &ValidationError{Violations: placed}
	}
	var rule *RuleError
	if errors.As(err, &rule) {
		placed := *rule
		placed.Event = 0
		return &placed
	}
	return err
}
