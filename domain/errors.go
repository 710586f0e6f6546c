package domain

import (
	"encoding/json"
	"errors"
	"fmt"
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
	// Code names the rule for a front end that words it in its own
	// language (a sheet's problems in Chinese); empty for a rule that is
	// said only in Rule. Rule stays the English text every other front
	// end shows.
	Code RuleCode `json:"-"`
	// Value is what broke the rule, when the rule quotes it: the unknown
	// code, the cell's value.
	Value string `json:"-"`
}

// RuleCode names a rule of a Violation, for a front end that words it in
// its own language; a front end may add codes of its own.
type RuleCode string

// The rules a clerk meets most, which a sheet words in Chinese.
const (
	// RuleRequired: a field left empty that must be given.
	RuleRequired RuleCode = "required"
	// RuleUnknownCode: a code not in the catalog (region, campaign, group,
	// item, site kind, topic); Value is the code.
	RuleUnknownCode RuleCode = "unknown-code"
	// RuleOneOf: a value not among the few the domain fixes (a service
	// kind, a training format, a donor kind, a donation's form); Value is
	// the value.
	RuleOneOf RuleCode = "one-of"
	// RulePositive: a count or an amount that must be more than zero.
	RulePositive RuleCode = "positive"
	// RuleFuture: a time later than the ledger's clock allows.
	RuleFuture RuleCode = "future"
	// RuleTooEarly: a time before earliestOccurredAt, a typing error.
	RuleTooEarly RuleCode = "too-early"
	// RuleEmptyForMoney: goods given with a donation of money.
	RuleEmptyForMoney RuleCode = "empty-for-money"
)

// Path names where the violation is: events[i].field within a batch.
func (v Violation) Path() string { return eventPath(v.Event, v.Field) }

func (v Violation) String() string { return v.Path() + ": " + v.RuleWith(RepeatsEvent) }

// RuleWith is the rule followed by the other event of the batch it
// repeats, if any, as repeats names it (a spreadsheet's 与第 3 行重复).
func (v Violation) RuleWith(repeats func(other int) string) string {
	return withOther(v.Rule, v.Other, repeats)
}

// MarshalJSON writes the path as the field, so clients of a batch read
// which event as before.
func (v Violation) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Field string `json:"field"`
		Rule  string `json:"rule"`
	}{v.Path(), v.RuleWith(RepeatsEvent)})
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
		return place(event, field) + ": "
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

// violations collects broken rules under a path prefix.
type violations struct {
	list []Violation
}

func (v *violations) add(field, format string, args ...any) {
	v.list = append(v.list, Violation{Field: field, Rule: fmt.Sprintf(format, args...)})
}

// coded adds a broken rule a front end may word its own way (RuleCode),
// with the value that broke it if the rule quotes one.
func (v *violations) coded(code RuleCode, value, field, format string, args ...any) {
	v.list = append(v.list, Violation{Field: field, Rule: fmt.Sprintf(format, args...), Code: code, Value: value})
}

func (v *violations) err() error {
	if len(v.list) == 0 {
		return nil
	}
	return &ValidationError{Violations: v.list}
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
