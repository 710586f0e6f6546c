package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
)

// LinesShown says how RecordedLinesText names and prints the lines of a
// file or a sheet.
type LinesShown struct {
	// Where names a line's field for people ("line 7: data.amount"); nil
	// is LineWhere. A sheet names its own rows and columns.
	Where func(number int, field string) string
	// Repeats names the other line a line's problem repeats ("repeats
	// line 3"); nil is "repeats " and the line as Where names it.
	Repeats func(number int) string
	// Rule words a line's problem; nil is the rule's own text. A sheet
	// words the rules a clerk meets in the sheet's language.
	Rule func(violation domain.Violation) string
	// Refusal words a line's broken rule of the ledger and names the
	// field it is about; nil is the rule's own text at its own field. A
	// sheet words it in the sheet's language, at a column.
	Refusal func(rule domain.RuleError) (field, text string)
	// Words word what is said of the lines as a whole and of each line
	// written; nil is a file's, in English (SheetWords for a sheet's).
	Words LinesWords
	// AsJSON prints each written line as one JSON object.
	AsJSON bool
	// DryRun says the lines were only checked, so the count says nothing
	// was written.
	DryRun bool
	// One says the lines are one entry the user gave by other means than
	// lines (a command's flags): no line is named, and no count follows.
	// Its fields are named by Names (a command's flags, as FieldsNamed
	// names them), or as they are.
	One   bool
	Names map[string]string
}

// RecordedLinesText prints what app.Ledger.RecordLines did with numbered
// lines, given its report and its error: each refused line's problems to
// problems, each written line to out, then the count. It returns why the
// command that gave the lines fails, in the lines' own numbers (the store
// numbers a batch's events from 1), or nil when every line was recorded.
func RecordedLinesText(out, problems io.Writer, recorded app.LinesReport, err error, shown LinesShown) error {
	switch {
	case shown.One:
		shown.Where = func(_ int, field string) string {
			if name, ok := FieldName(shown.Names, field); ok {
				return name
			}
			return field
		}
		// The rules' texts name fields too ("name it in closed_period").
		if shown.Rule == nil {
			shown.Rule = func(violation domain.Violation) string { return fieldsInRuleNamed(violation.Rule, shown.Names) }
		}
		if shown.Refusal == nil {
			shown.Refusal = func(rule domain.RuleError) (string, string) {
				return rule.Field, fieldsInRuleNamed(rule.Rule, shown.Names)
			}
		}
	case shown.Where == nil:
		shown.Where = LineWhere
	}
	if shown.Repeats == nil {
		shown.Repeats = func(number int) string { return "repeats " + shown.Where(number, "") }
	}
	if shown.Words == nil {
		shown.Words = fileWords{}
	}
	words := shown.Words
	// RecordLines counts a line refused by a rule of the ledger with the
	// invalid ones; a sheet tells them apart.
	invalid, refused := 0, 0
	for _, outcome := range recorded.Outcomes {
		switch {
		case outcome.Err != nil:
			if errors.Is(outcome.Err, domain.ErrRejected) {
				refused++
			} else {
				invalid++
			}
			if err := refusedLineText(out, problems, outcome, shown); err != nil {
				return err
			}
		case outcome.Result.EventID != uuid.Nil:
			if err := writtenText(out, outcome.Number, shown.Where(outcome.Number, ""), outcome.Event, outcome.Result, shown.AsJSON, words); err != nil {
				return err
			}
		case recorded.Settled:
			// A run that records nothing still tells every line's status:
			// this one passes (or could not be told).
			if err := passingLineText(out, outcome, shown); err != nil {
				return err
			}
		}
	}
	// RecordLines reports every line it was given, refused or not.
	lines := len(recorded.Outcomes)
	var batch *app.BatchError
	var skip *app.SkipError
	switch {
	case errors.Is(err, app.ErrInvalidLines):
		return errors.New(words.invalid(invalid, refused, lines))
	case errors.As(err, &skip) && errors.As(skip.Err, &batch):
		return errors.New(words.tooManyRefused(skip.Max, words.problems(batch.Err, batch.Lines, shown)))
	case errors.As(err, &batch) && batch.Unknown:
		return errors.New(words.unknown(batch.Lines[0], batch.Lines[len(batch.Lines)-1], batch.Unkeyed, batch.Written,
			words.problems(batch.Err, batch.Lines, shown)))
	case errors.As(err, &batch) && batch.Written == 0 && len(batch.Lines) == lines-recorded.Invalid:
		return errors.New(words.nothingWritten(words.problems(batch.Err, batch.Lines, shown)))
	case errors.As(err, &batch):
		return errors.New(words.notWritten(batch.Lines[0], batch.Lines[len(batch.Lines)-1], batch.Written,
			words.problems(batch.Err, batch.Lines, shown)))
	case err != nil:
		return err
	}
	if shown.DryRun {
		// With --json standard output is JSON lines alone.
		summary := out
		if shown.AsJSON {
			summary = problems
		}
		fmt.Fprintln(summary, words.dryRun(lines-recorded.Invalid, recorded.Duplicates))
		return nil
	}
	if shown.One {
		return nil
	}
	fmt.Fprintln(problems, words.counts(recorded.Recorded, recorded.Duplicates, invalid, refused))
	if recorded.Invalid > 0 {
		return errors.New(words.skipped(invalid, refused))
	}
	return nil
}

// lineStatus is one line's status as --json prints it, for a line that
// was not written: "invalid", "refused" (a rule of the ledger), "valid"
// (it would have been written) or "untried", with its problem.
type lineStatus struct {
	Line    int    `json:"line"`
	Status  string `json:"status"`
	Problem string `json:"problem,omitempty"`
}

// refusedLineText prints a refused line's problems to problems and, with
// --json, its status to out.
func refusedLineText(out, problems io.Writer, outcome app.LineOutcome, shown LinesShown) error {
	var text bytes.Buffer
	lineErrorText(&text, outcome.Number, outcome.Err, shown)
	if _, err := problems.Write(text.Bytes()); err != nil || !shown.AsJSON {
		return err
	}
	status := "invalid"
	if outcome.Refused || errors.Is(outcome.Err, domain.ErrRejected) {
		status = "refused"
	}
	return jsonLine(out, lineStatus{Line: outcome.Number, Status: status, Problem: strings.TrimSuffix(text.String(), "\n")})
}

// passingLineText prints the status of a line that a run which recorded
// nothing found would have been written, or could not tell.
func passingLineText(out io.Writer, outcome app.LineOutcome, shown LinesShown) error {
	if shown.AsJSON {
		status := "valid"
		if outcome.Untried {
			status = "untried"
		}
		return jsonLine(out, lineStatus{Line: outcome.Number, Status: status})
	}
	_, err := fmt.Fprintln(out, shown.Words.passes(shown.Where(outcome.Number, ""), outcome.Event, outcome.Untried))
	return err
}

// jsonLine prints value as one line of JSON.
func jsonLine(out io.Writer, value any) error {
	line, err := json.Marshal(value)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(line))
	return err
}

// renumber names each problem of a batch's error, and any other event of
// the batch it repeats, by the input line its event came from.
func renumber(err error, numbers []int, shown LinesShown) string {
	// One entry given by a command's flags has the fields its rules' texts
	// name renamed too (fieldsInRuleNamed; no Names renames none).
	return fieldsInRuleNamed(domain.DescribeOther(err, func(event int, field string) string {
		if event > len(numbers) {
			return fmt.Sprintf("events[%d]", event-1)
		}
		return shown.Where(numbers[event-1], field)
	}, func(other int) string {
		if other > len(numbers) {
			return domain.RepeatsEvent(other)
		}
		return shown.Repeats(numbers[other-1])
	}), shown.Names)
}

// Reworded is an error said in a front end's words: Error is Text, and
// errors.Is and errors.As still find Err.
type Reworded struct {
	Text string
	Err  error
}

func (e *Reworded) Error() string { return e.Text }

func (e *Reworded) Unwrap() error { return e.Err }

// FieldsNamed rewrites the fields of a validation error or of a refusal
// into the names a front end gives them (a command's flags: "--reason is
// required"), since its users never see the fields. called says the error
// is a validation error about named fields alone, so about how the front
// end was called. A refusal of what the ledger holds (a business rule
// broken, something not found, decided already or changed meanwhile) is
// never about how it was called, even when it names one of its fields: it
// comes back with the field named (--target: no event has the id …), and
// keeps what it matches. An error about anything else comes back as it is.
//
// names is looked up by the whole path first, then without "data."; an
// element of a list (data.items[0].value) is named as its list, followed
// by the rest of the path (--items[0].value).
func FieldsNamed(err error, names map[string]string) (called bool, named error) {
	field := func(path string) (string, bool) { return FieldName(names, path) }
	var validation *domain.ValidationError
	if errors.As(err, &validation) {
		messages := make([]string, 0, len(validation.Violations))
		refused := refusesWhatIsHeld(err)
		// A rule says what the field must be ("--reason is required"); a
		// refusal says what the ledger holds ("--target: no event has …").
		separator := " "
		if refused {
			separator = ": "
		}
		called = !refused
		for _, violation := range validation.Violations {
			message := violation.String()
			if name, ok := field(violation.Field); ok {
				message = name + separator + fieldsInRuleNamed(violation.Rule, names)
			} else {
				called = false
			}
			// Two fields from one flag (an allocation's county and
			// to_county) break one rule once, as the caller sees it.
			if !slices.Contains(messages, message) {
				messages = append(messages, message)
			}
		}
		text := strings.Join(messages, "; ")
		switch {
		case called:
			return true, errors.New(text)
		case refused:
			return false, &Reworded{Text: text, Err: err}
		}
		return false, fmt.Errorf("%s: %w", text, domain.ErrInvalid)
	}
	var rule *domain.RuleError
	if errors.As(err, &rule) {
		if name, ok := field(rule.Field); ok {
			return false, &Reworded{Text: name + ": " + fieldsInRuleNamed(rule.RuleWith(domain.RepeatsEvent), names), Err: err}
		}
	}
	return false, err
}

// fieldsInRuleNamed renames the fields a rule's text refers to ("name it
// in closed_period", "or its campaign" as the ledger words them for its
// API) as names names them, so a front end's users read the name they
// give ("name it in --closed-period"). Only the references the ledger's
// texts make are rewritten: a field's name that is also a word ("give the
// campaign the entry is in") stays a word.
func fieldsInRuleNamed(rule string, names map[string]string) string {
	var pairs []string
	for _, reference := range ruleFieldReferences {
		if name, ok := FieldName(names, reference.field); ok {
			pairs = append(pairs, reference.text, strings.Replace(reference.text, reference.field, name, 1))
		}
	}
	return strings.NewReplacer(pairs...).Replace(rule)
}

// ruleFieldReferences are the references to a field the ledger's rule
// texts make, each as it is worded there.
var ruleFieldReferences = []struct{ text, field string }{
	{"name it in closed_period", "closed_period"},
	{"or its campaign", "campaign"},
}

// FieldName is the name names gives the field at path, as FieldsNamed
// looks it up, and whether it gives one.
func FieldName(names map[string]string, path string) (string, bool) {
	if name, ok := names[path]; ok {
		return name, true
	}
	path = strings.TrimPrefix(path, "data.")
	if name, ok := names[path]; ok {
		return name, true
	}
	if list, element, found := strings.Cut(path, "["); found {
		if name, ok := names[list]; ok {
			return name + "[" + element, true
		}
	}
	return "", false
}

// refusesWhatIsHeld says whether err refuses for what the ledger holds
// rather than for how it was asked: a business rule, something not found
// or found more than once, or a change meanwhile.
func refusesWhatIsHeld(err error) bool {
	return errors.Is(err, domain.ErrRejected) || errors.Is(err, domain.ErrNotFound) || errors.Is(err, app.ErrTargetAmbiguous) ||
		errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrIdempotencyKeyReused)
}

// ListedEventText prints one event of app.Ledger.Events: as a line for
// people or as stored, one JSON object a line; with its personal part
// opened when personal.
func ListedEventText(out io.Writer, listed app.ListedEvent, name RegionName, personal, asJSON bool) error {
	switch {
	case personal && asJSON:
		line, err := listed.Event.Marshal()
		if err != nil {
			return err
		}
		fmt.Fprintln(out, string(line))
	case personal:
		fmt.Fprintln(out, EventLine(listed.Record, name), PersonalSummary(listed.Event.Personal))
	case asJSON:
		fmt.Fprintln(out, string(listed.Data))
	default:
		fmt.Fprintln(out, EventLine(listed.Record, name))
	}
	return nil
}
