package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

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
	// Refused says Err is a rule of the ledger the line breaks with the
	// lines tried before it (an overspend, a donation received twice),
	// in a run that records nothing for it: the line is well formed on
	// its own. A skipping run reports such a line invalid instead.
	Refused bool
	// Untried says the line is valid on its own but a run that records
	// nothing did not find its status (LinesReport.Untried).
	Untried bool
}

// LinesReport is what RecordLines did. A dry run's Duplicates are the
// lines recorded before, with their Result; so are those of a sheet that
// records nothing for invalid or refused rows (ImportSheet, settleLines).
type LinesReport struct {
	// Outcomes are the lines in input order: the invalid ones with their
	// error, the others with their result once recorded.
	Outcomes                      []LineOutcome
	Recorded, Duplicates, Invalid int
	// Refused counts the lines a rule of the ledger refused (Refused) in a
	// sheet that records nothing; Untried the lines of such a sheet whose
	// status it did not find (past skippedLinesMax refused lines, or a
	// try that failed for no line's reason): neither refused nor
	// duplicates nor known to pass.
	Refused, Untried int
	// Settled says the valid lines of a run that records nothing were
	// tried (settleLines): each line without Err, Result or Untried
	// passes.
	Settled bool
}

// ErrInvalidLines says some lines are invalid and nothing was recorded.
var ErrInvalidLines = errors.New("invalid lines: nothing was recorded")

// BatchError says a batch of lines was not recorded: refused as a whole
// (none of its lines written), or, when Unknown, with its outcome unknown.
// Err's event indexes count within Lines.
type BatchError struct {
	Lines []int
	// Written counts the events recorded by earlier batches.
	Written int
	// Unknown says the batch's write failed without saying whether it
	// wrote (the store did not answer in time, or failed): its lines may
	// be in the log. The error is then also ErrOutcomeUnknown.
	Unknown bool
	// Unkeyed counts the lines of an Unknown batch without an idempotency
	// key: sent again, they would be recorded again if they were written.
	Unkeyed int
	Err     error
}

func (e *BatchError) Error() string {
	if e.Unknown {
		return fmt.Sprintf("lines %d-%d (%s; %d earlier events were written): %v", e.Lines[0], e.Lines[len(e.Lines)-1],
			UnknownAdvice(e.Unkeyed), e.Written, e.Err)
	}
	return fmt.Sprintf("lines %d-%d (none of them written; %d earlier events were): %v", e.Lines[0], e.Lines[len(e.Lines)-1], e.Written, e.Err)
}

// Unwrap gives Err, and ErrOutcomeUnknown too when the outcome is unknown.
func (e *BatchError) Unwrap() []error {
	if e.Unknown {
		return []error{ErrOutcomeUnknown, e.Err}
	}
	return []error{e.Err}
}

// ErrOutcomeUnknown says a write failed without saying whether it wrote:
// the store did not answer before the write's deadline (its events may
// land all the same), or it failed. Sending the same events again is safe
// for those with an idempotency key: the ledger finds them recorded and
// answers with the first (docs/EVENTS.md, Idempotency keys). An event
// without one would be recorded a second time.
var ErrOutcomeUnknown = errors.New("outcome unknown: they may have been written")

// UnknownAdvice says what a writer of lines whose outcome is unknown
// should do, given how many of them have no idempotency key.
func UnknownAdvice(unkeyed int) string {
	advice := "outcome unknown: they may have been written; recording the same lines again is safe, " +
		"their idempotency keys find those written"
	if unkeyed > 0 {
		advice += fmt.Sprintf(", but %d of them have no idempotency key: look in the log before sending those again", unkeyed)
	}
	return advice
}

// refusedWhole says err is a refusal of a whole atomic batch, so none of
// its events were written: a rule, a validation, a concurrent change or a
// key reused, or a failure the store knows wrote nothing
// (eventstore.ErrNotWritten: a store closed before the write, a deadline
// met while the write waited its turn). Any other failure of a write says
// nothing of whether it wrote.
func refusedWhole(err error) bool {
	for _, refusal := range []error{domain.ErrInvalid, domain.ErrRejected, domain.ErrConflict, domain.ErrIdempotencyKeyReused,
		eventstore.ErrDuplicate, eventstore.ErrUnsupported, eventstore.ErrNotWritten} {
		if errors.Is(err, refusal) {
			return true
		}
	}
	return false
}

// batchWriteSeconds bounds the write of one batch of checked lines (and of
// one part of a statement). The write runs apart from the caller's
// context, so only a store that stopped answering meets it: a batch of
// BatchEventsMax events is one atomic publish, and the JetStream store
// retries a publish for at most 30 s (natsjs.Options.RetryWindow).
const batchWriteSeconds = 120

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
// Once the lines are checked (and tried), they are written apart from
// ctx: its end (a client hanging up, an interrupt) does not cut the input
// in half between two batches. Each batch's write has its own deadline
// (batchWriteSeconds); one that fails without saying whether it wrote is a
// *BatchError with Unknown set (and ErrOutcomeUnknown), never "none of
// them written". If ctx ends before the first write, nothing is written.
//
// A line's problems are its own whichever step finds them: those of what
// decoded of a malformed line are reported with the decoding's, and a
// correction whose replacement breaks its field rules, checked only once
// its target is found, is an invalid line like any other (the first such
// line the ledger comes to: it decides the lines in order and stops there).
//
// The lines are a client's (a file, a shortcut's entry): a key reserved to
// the spreadsheet import is refused (ReservedKeyRule). A sheet's rows go
// through ImportSheet. A void or correction may name its target by its
// entry id or log position: it is recorded with the event id that names
// (Ledger.Target).
func (l *Ledger) RecordLines(ctx context.Context, lines []ledger.Line, options LinesOptions) (LinesReport, error) {
	return l.recordLines(ctx, lines, options, l.checkClient, false)
}

// ImportSheet records the rows of a spreadsheet (sheets.Read) as
// RecordLines records lines. Their keys are the ones package sheets makes
// from each row's content (domain.ContentKeyPrefix), so a row imported
// again by another clerk is found recorded: this is the one way in for
// such keys, for every front end.
//
// A row whose cells broke the sheet's rules carries the event its other
// cells make, when its error says which fields it covers (partialRow):
// the ledger's rules are checked on that event too, and the row's problems
// are all of them at once, the cells' and the ledger's, so a clerk fixes
// a row in one go. A sheet that records nothing (invalid rows, a row a
// rule of the ledger refuses) still reports every row's status
// (settleLines): the clerk's preview shows what the sheet holds.
func (l *Ledger) ImportSheet(ctx context.Context, rows []ledger.Line, options LinesOptions) (LinesReport, error) {
	rows = slices.Clone(rows)
	for i, row := range rows {
		var partial partialRow
		if row.Err != nil && row.Event.Type != "" && errors.As(row.Err, &partial) {
			rows[i].Err = l.withFieldRules(row.Event, row.Err, partial)
		}
	}
	return l.recordLines(ctx, rows, options, l.checkSheetRow, true)
}

// partialRow is the error of a row some of whose cells could not be read
// (sheets.RowError). Covers says whether a problem about a field (a path
// in the event) is one the error tells already: the field of a cell it
// names, or one made from such cells.
type partialRow interface {
	error
	Covers(field string) bool
}

// withFieldRules is a partial row's error with the ledger's stateless
// rules about the fields it does not cover added after its own.
func (l *Ledger) withFieldRules(event domain.Event, err error, partial partialRow) error {
	var cells, fields *domain.ValidationError
	if _, checkErr := l.checkSheetRow(event); !errors.As(checkErr, &fields) || !errors.As(err, &cells) {
		return err
	}
	violations := slices.Clone(cells.Violations)
	for _, violation := range fields.Violations {
		if !partial.Covers(violation.Field) {
			violations = append(violations, violation)
		}
	}
	return &domain.ValidationError{Violations: violations}
}

// recordLines is RecordLines with check the lines' check; settle says
// whether an input that records nothing reports every line's status
// (settleLines), as a sheet's preview does.
func (l *Ledger) recordLines(ctx context.Context, lines []ledger.Line, options LinesOptions,
	check func(domain.Event) (ledger.Checked, error), settle bool) (LinesReport, error) {
	tell := func(*LinesReport, []int, []ledger.Checked, error) {}
	if settle {
		tell = func(report *LinesReport, valid []int, checked []ledger.Checked, refusal error) {
			l.settleLines(ctx, report, valid, checked, refusal)
		}
	}
	var report LinesReport
	var valid []int
	var checked []ledger.Checked
	subjects := subjectCheck{ledger: l, writing: options.Writing}
	lookups := targets{ledger: l}
	for _, line := range lines {
		outcome := LineOutcome{Number: line.Number, Event: line.Event, Err: refusedLine(line, check)}
		target, refused := "", (*domain.Violation)(nil)
		if outcome.Err == nil {
			target, refused, outcome.Err = lookups.resolve(ctx, line.Event)
		}
		if outcome.Err == nil && refused != nil {
			_, checkErr := check(line.Event)
			outcome.Err = targetRefusal(*refused, checkErr)
		}
		if outcome.Err == nil {
			if target != "" {
				line.Event = retargeted(line.Event, target)
			}
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
		// Nothing is recorded, and the other lines are tried all the same:
		// the report tells each one's status (a duplicate, a refusal), so
		// a clerk fixes an input once, not once for each kind of problem.
		tell(&report, valid, checked, nil)
		return report, fmt.Errorf("%d of %d lines: %w", report.Invalid, len(lines), ErrInvalidLines)
	}
	if len(valid) > 0 && (options.DryRun || options.SkipInvalid || len(valid) > eventstore.BatchEventsMax) {
		var err error
		if valid, checked, err = l.tryLines(ctx, &report, valid, checked, options.SkipInvalid, tell); err != nil {
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
	if len(valid) > 0 && ctx.Err() != nil {
		return report, fmt.Errorf("nothing was recorded: %w", context.Cause(ctx))
	}
	// The caller's context carries its values to the writes, not its end.
	detached := context.WithoutCancel(ctx)
	for start := 0; start < len(valid); start += eventstore.BatchEventsMax {
		end := min(start+eventstore.BatchEventsMax, len(valid))
		results, err := l.recordBatch(detached, checked[start:end])
		if start == 0 {
			if invalid := invalidLines(&report, valid[start:end], err); invalid != nil {
				tell(&report, valid, checked, nil)
				return report, invalid
			}
		}
		if err != nil {
			batch := &BatchError{Lines: lineNumbers(report, valid[start:end]), Written: report.Recorded, Err: err, Unknown: !refusedWhole(err)}
			if start == 0 && !batch.Unknown {
				// Nothing was written: the report tells each line's status.
				tell(&report, valid, checked, err)
			}
			if batch.Unknown {
				for _, event := range checked[start:end] {
					if event.Event().IdempotencyKey == "" {
						batch.Unkeyed++
					}
				}
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

// recordBatch records one batch of checked lines, waiting for the store
// at most batchWriteSeconds.
func (l *Ledger) recordBatch(ctx context.Context, batch []ledger.Checked) ([]ledger.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, batchWriteSeconds*time.Second)
	defer cancel()
	return l.parts.Service.RecordChecked(ctx, batch)
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
// outcome and the rest is tried again. Without skip, tell is given the
// lines and the refusal (recordLines' settle). It returns the lines still
// valid.
func (l *Ledger) tryLines(ctx context.Context, report *LinesReport, valid []int, checked []ledger.Checked, skip bool,
	tell func(*LinesReport, []int, []ledger.Checked, error)) ([]int, []ledger.Checked, error) {
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
				tell(report, valid, checked, nil)
				return valid, checked, invalid
			}
			tell(report, valid, checked, err)
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

// settleLines tells the status of each valid line (the outcomes at valid,
// checked) of a run that records nothing, for its invalid lines or for
// refusal, the ledger's refusal of the valid lines tried together (nil:
// none). Each line the refusal is about is marked refused, and the lines
// left are tried again without it until they pass, which tells the
// duplicates among them (a sheet imported before), or until
// skippedLinesMax lines are refused, as a skipping run would find them:
// without this, one refused line hid every other line's status, and a
// sheet imported again showed its recorded rows as new. Lines an earlier
// step found invalid are left out. The lines it cannot tell (past the
// limit, or after a try that failed for no line's reason, the store's)
// are counted Untried. It writes nothing.
func (l *Ledger) settleLines(ctx context.Context, report *LinesReport, valid []int, checked []ledger.Checked, refusal error) {
	report.Settled = true
	for refused := 0; ; {
		if refusal != nil {
			lineErrs := lineErrors(refusal, lineNumbers(*report, valid))
			for j, i := range valid {
				if lineErr, ok := lineErrs[j+1]; ok {
					report.Outcomes[i].Err, report.Outcomes[i].Refused = lineErr, true
					report.Refused++
					refused++
				}
			}
			if lineErrs == nil {
				refused = skippedLinesMax
			}
		}
		keptValid, keptChecked := valid[:0:0], checked[:0:0]
		for j, i := range valid {
			if report.Outcomes[i].Err == nil {
				keptValid, keptChecked = append(keptValid, i), append(keptChecked, checked[j])
			}
		}
		valid, checked = keptValid, keptChecked
		switch {
		case len(checked) == 0:
			return
		case refused >= skippedLinesMax:
			report.Untried += len(valid)
			for _, i := range valid {
				report.Outcomes[i].Untried = true
			}
			return
		}
		results, err := l.parts.Service.Try(ctx, checked)
		if err == nil {
			for j, result := range results {
				if result.Duplicate {
					report.Outcomes[valid[j]].Result = result
					report.Duplicates++
				}
			}
			return
		}
		refusal = err
	}
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
