package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/ledger"
)

// LinesOptions say how RecordLines treats bad lines.
type LinesOptions struct {
	// SkipInvalid records the valid lines and reports the others, instead
	// of recording nothing.
	SkipInvalid bool
	// DryRun checks every line and records nothing.
	DryRun bool
	// Writing is who records the lines: a line naming a person's
	// subject id is checked as RecordAs checks it (the command line's
	// operator is Operator).
	Writing Writing
}

// LineOutcome is what became of one line: recorded (or found recorded
// before: Duplicate), or refused with Err. Err is about the line alone; a
// rule it breaks together with another line (a donation received twice)
// has that line's Number as its Other.
type LineOutcome struct {
	Number int
	Event  domain.Event
	Result ledger.Result
	Err    error
}

// LinesReport is what RecordLines did. A dry run's Duplicates are the
// lines recorded before, with their Result.
type LinesReport struct {
	// Outcomes are the lines in input order: the invalid ones with their
	// error, the others with their result once recorded.
	Outcomes                      []LineOutcome
	Recorded, Duplicates, Invalid int
}

// ErrInvalidLines says some lines are invalid and nothing was recorded.
var ErrInvalidLines = errors.New("invalid lines: nothing was recorded")

// BatchError says a batch of lines was refused as a whole; Err's event
// indexes count within Lines.
type BatchError struct {
	Lines []int
	// Written counts the events recorded by earlier batches.
	Written int
	Err     error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("lines %d-%d (none of them written; %d earlier events were): %v", e.Lines[0], e.Lines[len(e.Lines)-1], e.Written, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// skippedLinesMax bounds the lines breaking a rule of the ledger that
// SkipInvalid skips: each one found tries the remaining lines again, and
// an input with more of them is more likely wrong as a whole.
const skippedLinesMax = 100

// SkipError says SkipInvalid met more lines breaking a rule of the ledger
// than it skips (Max): nothing was recorded. Err is the refusal that went
// past the limit, a *BatchError.
type SkipError struct {
	Max int
	Err error
}

func (e *SkipError) Error() string {
	return fmt.Sprintf("more than %d lines break a rule of the ledger, the most that are skipped: nothing was recorded: %v", e.Max, e.Err)
}

func (e *SkipError) Unwrap() error { return e.Err }

// RecordLines records numbered lines of entries (a file, a spreadsheet):
// every line is checked first, and one bad line records nothing unless
// options.SkipInvalid; the valid ones are then recorded in atomic batches
// of up to eventstore.BatchEventsMax. Lines of more than one batch, and
// every dry run or skipping run, are first tried whole against the
// ledger's rules (ledger.Service.Try), so a line that breaks one (the
// second receipt of a donation, 1200 lines on) records nothing as well: a
// *BatchError of every valid line, none written. With SkipInvalid such a
// line is reported and skipped as an invalid one, up to skippedLinesMax of
// them (then a *SkipError). The report says what became of each line; a
// batch refused after the try (another writer came in between) is a
// *BatchError naming what earlier batches wrote.
//
// A line's problems are its own whichever step finds them: those of what
// decoded of a malformed line are reported with the decoding's, and a
// correction whose replacement breaks its field rules, checked only once
// its target is found, is an invalid line like any other (the first such
// line the ledger comes to: it decides the lines in order and stops there).
//
// The lines are a client's (a file, a shortcut's entry): a key reserved to
// the spreadsheet import is refused (ReservedKeyRule). A sheet's rows go
// through ImportSheet.
func (l *Ledger) RecordLines(ctx context.Context, lines []ledger.Line, options LinesOptions) (LinesReport, error) {
	return l.recordLines(ctx, lines, options, l.checkClient)
}

// ImportSheet records the rows of a spreadsheet (sheets.Read) as
// RecordLines records lines. Their keys are the ones package sheets makes
// from each row's content (domain.ContentKeyPrefix), so a row imported
// again by another clerk is found recorded: this is the one way in for
// such keys, for every front end.
func (l *Ledger) ImportSheet(ctx context.Context, rows []ledger.Line, options LinesOptions) (LinesReport, error) {
	return l.recordLines(ctx, rows, options, l.checkSheetRow)
}

func (l *Ledger) recordLines(ctx context.Context, lines []ledger.Line, options LinesOptions,
	check func(domain.Event) (ledger.Checked, error)) (LinesReport, error) {
	var report LinesReport
	var valid []int
	var checked []ledger.Checked
	subjects := subjectCheck{ledger: l, writing: options.Writing}
	for _, line := range lines {
		outcome := LineOutcome{Number: line.Number, Event: line.Event, Err: refusedLine(line, check)}
		if outcome.Err == nil {
			var event ledger.Checked
			if event, outcome.Err = check(line.Event); outcome.Err == nil {
				outcome.Err = subjects.refuse(ctx, event.Event())
			}
			if outcome.Err == nil {
				valid = append(valid, len(report.Outcomes))
				checked = append(checked, event)
				outcome.Event = event.Event()
			}
		}
		if outcome.Err != nil {
			report.Invalid++
		}
		report.Outcomes = append(report.Outcomes, outcome)
	}
	if report.Invalid > 0 && !options.SkipInvalid {
		return report, fmt.Errorf("%d of %d lines: %w", report.Invalid, len(lines), ErrInvalidLines)
	}
	if len(valid) > 0 && (options.DryRun || options.SkipInvalid || len(valid) > eventstore.BatchEventsMax) {
		var err error
		if valid, checked, err = l.tryLines(ctx, &report, valid, checked, options.SkipInvalid); err != nil {
			return report, err
		}
	}
	if options.DryRun {
		for _, outcome := range report.Outcomes {
			if outcome.Result.Duplicate {
				report.Duplicates++
			}
		}
		return report, nil
	}
	for start := 0; start < len(valid); start += eventstore.BatchEventsMax {
		end := min(start+eventstore.BatchEventsMax, len(valid))
		results, err := l.parts.Service.RecordChecked(ctx, checked[start:end])
		if start == 0 {
			if invalid := invalidLines(&report, valid[start:end], err); invalid != nil {
				return report, invalid
			}
		}
		if err != nil {
			return report, &BatchError{Lines: lineNumbers(report, valid[start:end]), Written: report.Recorded, Err: err}
		}
		for j, result := range results {
			report.Outcomes[valid[start+j]].Result = result
			if result.Duplicate {
				report.Duplicates++
			} else {
				report.Recorded++
			}
		}
	}
	return report, nil
}

// lineNumbers are the line numbers of the outcomes at indexes.
func lineNumbers(report LinesReport, indexes []int) []int {
	numbers := make([]int, len(indexes))
	for j, i := range indexes {
		numbers[j] = report.Outcomes[i].Number
	}
	return numbers
}

// tryLines tries the valid lines (outcomes at valid, checked) against the
// ledger's rules, writing nothing. A refusal is a *BatchError of them all,
// unless skip: then each line the refusal is about becomes an invalid
// outcome and the rest is tried again. It returns the lines still valid.
func (l *Ledger) tryLines(ctx context.Context, report *LinesReport, valid []int, checked []ledger.Checked, skip bool) ([]int, []ledger.Checked, error) {
	for skipped := 0; len(checked) > 0; {
		results, err := l.parts.Service.Try(ctx, checked)
		if err == nil {
			// A dry run says which lines are there already (a sheet
			// imported again); a write's own results replace these.
			for j, result := range results {
				if result.Duplicate {
					report.Outcomes[valid[j]].Result = result
				}
			}
			return valid, checked, nil
		}
		numbers := lineNumbers(*report, valid)
		refused := lineErrors(err, numbers)
		if refused == nil {
			// Not about any one line (the store is unavailable): as a
			// failed write would be.
			return valid, checked, err
		}
		batch := &BatchError{Lines: numbers, Err: err}
		if !skip {
			if invalid := invalidLines(report, valid, err); invalid != nil {
				return valid, checked, invalid
			}
			return valid, checked, batch
		}
		if skipped+len(refused) > skippedLinesMax {
			return valid, checked, &SkipError{Max: skippedLinesMax, Err: batch}
		}
		keptValid, keptChecked := valid[:0:0], checked[:0:0]
		for j, i := range valid {
			if lineErr, ok := refused[j+1]; ok {
				report.Outcomes[i].Err = lineErr
				report.Invalid++
				skipped++
				continue
			}
			keptValid, keptChecked = append(keptValid, i), append(keptChecked, checked[j])
		}
		valid, checked = keptValid, keptChecked
	}
	return valid, checked, nil
}

// lineErrors splits a refusal of events (1-based places in a request) into
// each event's own error, about the event alone, with any other event it
// names (Other) as its line number. It returns nil when the refusal is
// not about events of the request alone.
func lineErrors(err error, numbers []int) map[int]error {
	line := func(other int) int {
		if other < 1 || other > len(numbers) {
			return 0
		}
		return numbers[other-1]
	}
	var validation *domain.ValidationError
	var rule *domain.RuleError
	var reused *domain.KeyReusedError
	switch {
	case errors.As(err, &validation):
		byEvent := map[int][]domain.Violation{}
		for _, violation := range validation.Violations {
			if violation.Event < 1 || violation.Event > len(numbers) {
				return nil
			}
			event := violation.Event
			violation.Event, violation.Other = 0, line(violation.Other)
			byEvent[event] = append(byEvent[event], violation)
		}
		errs := make(map[int]error, len(byEvent))
		for event, violations := range byEvent {
			errs[event] = &domain.ValidationError{Violations: violations}
		}
		return errs
	case errors.As(err, &rule) && rule.Event >= 1 && rule.Event <= len(numbers):
		alone := *rule
		alone.Event, alone.Other, alone.OtherID = 0, line(rule.Other), uuid.Nil
		return map[int]error{rule.Event: &alone}
	case errors.As(err, &reused) && reused.Event >= 1 && reused.Event <= len(numbers):
		alone := *reused
		alone.Event = 0
		return map[int]error{reused.Event: &alone}
	}
	return nil
}
