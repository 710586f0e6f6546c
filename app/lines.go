package app

import (
	"context"
	"errors"
	"fmt"

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
}

// LineOutcome is what became of one line: recorded (or found recorded
// before: Duplicate), or refused with Err.
type LineOutcome struct {
	Number int
	Event  domain.Event
	Result ledger.Result
	Err    error
}

// LinesReport is what RecordLines did.
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

// RecordLines records numbered lines of entries (a file, a spreadsheet):
// every line is checked first, and one bad line records nothing unless
// options.SkipInvalid; the valid ones are then recorded in atomic batches
// of up to eventstore.BatchEventsMax. The report says what became of each
// line; a refused batch is a *BatchError.
func (l *Ledger) RecordLines(ctx context.Context, lines []ledger.Line, options LinesOptions) (LinesReport, error) {
	var report LinesReport
	var valid []int
	var checked []ledger.Checked
	for _, line := range lines {
		outcome := LineOutcome{Number: line.Number, Event: line.Event, Err: line.Err}
		if outcome.Err == nil {
			var event ledger.Checked
			if event, outcome.Err = l.parts.Service.Check(line.Event); outcome.Err == nil {
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
	if options.DryRun {
		return report, nil
	}
	for start := 0; start < len(valid); start += eventstore.BatchEventsMax {
		end := min(start+eventstore.BatchEventsMax, len(valid))
		results, err := l.parts.Service.RecordChecked(ctx, checked[start:end])
		if err != nil {
			batch := &BatchError{Written: report.Recorded, Err: err}
			for _, i := range valid[start:end] {
				batch.Lines = append(batch.Lines, report.Outcomes[i].Number)
			}
			return report, batch
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
