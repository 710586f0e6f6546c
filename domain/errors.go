package domain

import (
	"errors"
	"fmt"
	"strings"
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

// Violation is one broken rule: the field's path and the rule it breaks, as in
// "data.items[2].quantity: must be > 0".
type Violation struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

func (v Violation) String() string { return v.Field + ": " + v.Rule }

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
	Field string
	Rule  string
	Cause error
}

// ErrAlreadyErased is the refusal to erase a data subject twice.
var ErrAlreadyErased = errors.New("already erased")

// Unwrap gives the rule's cause, so errors.Is finds it.
func (e *RuleError) Unwrap() error { return e.Cause }

func (e *RuleError) Error() string {
	if e.Field == "" {
		return "rejected: " + e.Rule
	}
	return "rejected: " + e.Field + ": " + e.Rule
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

func (v *violations) err() error {
	if len(v.list) == 0 {
		return nil
	}
	return &ValidationError{Violations: v.list}
}

// PrefixViolations puts a prefix such as "line 3" or "events[2]" before the
// field of every violation, so a batch reports where each one is.
func PrefixViolations(err error, prefix string) error {
	var validation *ValidationError
	if !errors.As(err, &validation) {
		return err
	}
	prefixed := make([]Violation, len(validation.Violations))
	for i, violation := range validation.Violations {
		prefixed[i] = Violation{Field: prefix + "." + violation.Field, Rule: violation.Rule}
		if violation.Field == "$" {
			prefixed[i].Field = prefix
		}
	}
	return &ValidationError{Violations: prefixed}
}
