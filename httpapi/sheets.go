package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/sheets"
)

// template sends the spreadsheet template of one entry type.
func (s *Server) sheetTemplate(w http.ResponseWriter, r *http.Request, _ identity) error {
	eventType := domain.EventType(r.PathValue("type"))
	layout, ok := sheets.LayoutOf(eventType)
	if !ok {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: "type", Rule: "must be an entry type that has a spreadsheet"}}}
	}
	var book bytes.Buffer
	if err := sheets.Template(&book, s.options.Ledger.Catalog(), eventType); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.xlsx"`, layout.Type))
	_, err := w.Write(book.Bytes())
	return err
}

// sheetRow is one row of an imported sheet as the API answers it.
type sheetRow struct {
	Row       int            `json:"row"`
	Status    string         `json:"status"` // valid, recorded, duplicate, invalid, refused, unknown
	Summary   string         `json:"summary,omitempty"`
	EventID   string         `json:"event_id,omitempty"`
	Position  uint64         `json:"position,omitempty"`
	Problems  []sheetProblem `json:"problems,omitempty"`
	EventType string         `json:"type,omitempty"`
	// RecordedBy is who recorded a duplicate row: another clerk, when the
	// sheet was imported before by them.
	RecordedBy string `json:"recorded_by,omitempty"`
}

// sheetProblem names a problem as the clerk sees it: the row, the column's
// header, and the rule.
type sheetProblem struct {
	Column string `json:"column,omitempty"`
	Field  string `json:"field,omitempty"`
	Rule   string `json:"rule"`
	Where  string `json:"where"`
	// Code and Limit are the rule's code and bound, as the API's
	// violations carry them, when Rule is the ledger's own words: a
	// client says such a rule in its language (the dashboard in Chinese).
	// A rule the sheet words itself has none, being said already.
	Code  string `json:"code,omitempty"`
	Limit int64  `json:"limit,omitempty"`
}

// sheetImport records a filled spreadsheet (XLSX, or CSV in UTF-8 or GBK),
// all or nothing, as `ledger import` does: dry_run=true previews, with
// every row's status and problems; skip_invalid=true records the valid
// rows. A sheet with invalid rows, or one a rule of the ledger refuses,
// answers 422 with every row's status: a row breaking the rule is
// "refused", one recorded before a "duplicate", whatever else the sheet
// holds (app.LinesReport).
func (s *Server) sheetImport(w http.ResponseWriter, r *http.Request, who identity) error {
	query := r.URL.Query()
	lang, err := languageOf(query.Get("lang"))
	if err != nil {
		return err
	}
	// A flag that is not true or false (1 or 0) is refused before the body
	// is read, never taken for false: "dry_run=1" once recorded the sheet
	// it meant to preview.
	var options app.LinesOptions
	if options.DryRun, err = queryFlag(query, "dry_run"); err != nil {
		return err
	}
	if options.SkipInvalid, err = queryFlag(query, "skip_invalid"); err != nil {
		return err
	}
	content, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &domain.ValidationError{Violations: []domain.Violation{{Field: "$", Rule: fmt.Sprintf("a sheet may be at most %d bytes", sheets.FileBytesMax)}}}
		}
		return err
	}
	layout, lines, err := sheets.Read(content)
	if err != nil {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: "$", Rule: err.Error()}}}
	}
	if !who.role.mayRecord(string(layout.Type)) {
		return &apiError{status: http.StatusForbidden, code: "forbidden", message: fmt.Sprintf("role %s may not record %s entries", who.role, layout.Type)}
	}
	for i := range lines {
		lines[i].Event.Actor = who.name
	}
	options.Writing = app.Writing{Granted: who.personal}
	report, err := s.options.Ledger.ImportSheet(r.Context(), lines, options)
	rows := make([]sheetRow, len(report.Outcomes))
	for i, outcome := range report.Outcomes {
		rows[i] = sheetRow{Row: outcome.Number, Status: "valid", EventType: string(layout.Type)}
		if outcome.Event.Data != nil {
			rows[i].Summary = domain.EntityID(outcome.Event.Data)
		}
		switch {
		case outcome.Err != nil && outcome.Refused:
			rows[i].Status, rows[i].Problems = "refused", sheetProblems(layout, s.options.Ledger.Catalog(), outcome.Number, outcome.Err, lang)
		case outcome.Err != nil:
			rows[i].Status, rows[i].Problems = "invalid", sheetProblems(layout, s.options.Ledger.Catalog(), outcome.Number, outcome.Err, lang)
		case outcome.Result.Duplicate:
			rows[i].Status, rows[i].EventID, rows[i].Position = "duplicate", outcome.Result.EventID.String(), outcome.Result.Position
			rows[i].RecordedBy = outcome.Result.RecordedBy
		case outcome.Result.Position != 0:
			rows[i].Status, rows[i].EventID, rows[i].Position = "recorded", outcome.Result.EventID.String(), outcome.Result.Position
		}
	}
	body := map[string]any{"sheet": layout.Title, "type": layout.Type, "dry_run": options.DryRun, "rows": rows,
		"recorded": report.Recorded, "duplicates": report.Duplicates, "invalid": report.Invalid, "refused": report.Refused}
	if report.Untried > 0 {
		body["untried"] = report.Untried
	}
	var batch *app.BatchError
	var skip *app.SkipError
	switch {
	case errors.Is(err, app.ErrInvalidLines):
		body["error"] = map[string]any{"code": "invalid", "message": "some rows are invalid; nothing was recorded" + untried(report)}
		writeJSON(w, http.StatusUnprocessableEntity, body)
		return nil
	case errors.As(err, &batch) && (errors.Is(batch.Err, domain.ErrRejected) || errors.Is(batch.Err, domain.ErrInvalid)):
		// A rule refused the rows (an overspend, a donation received
		// twice): say which row, and what was recorded before it.
		message := domain.DescribeOther(batch.Err, func(event int, field string) string {
			if event > len(batch.Lines) {
				return fmt.Sprintf("events[%d]", event-1)
			}
			return layout.Where(batch.Lines[event-1], field, lang)
		}, func(other int) string {
			if other > len(batch.Lines) {
				return domain.RepeatsEvent(other)
			}
			return layout.Repeats(batch.Lines[other-1], lang)
		})
		code := "rejected"
		if !errors.Is(batch.Err, domain.ErrRejected) {
			code = "invalid"
		}
		switch {
		case errors.As(err, &skip):
			message = fmt.Sprintf("%s; more than %d rows break a rule of the ledger, the most that are skipped; nothing was recorded", message, skip.Max)
		case batch.Written > 0:
			message = fmt.Sprintf("%s; rows %d-%d were not recorded, the %d entries before them were", message,
				batch.Lines[0], batch.Lines[len(batch.Lines)-1], batch.Written)
		default:
			message += "; nothing was recorded" + untried(report)
		}
		body["error"] = map[string]any{"code": code, "message": message}
		writeJSON(w, http.StatusUnprocessableEntity, body)
		return nil
	case errors.As(err, &batch):
		// Not refused by a rule: the store failed while the rows were
		// written. The rows of earlier batches stay recorded, and the
		// answer says which.
		s.writeFailure(w, r, body, batch.Err, batch.Unknown, sheetFailure(rows, batch))
		return nil
	case err != nil:
		return err
	}
	status := http.StatusOK
	if report.Recorded > 0 {
		status = http.StatusCreated
		s.metrics.appended()
	}
	writeJSON(w, status, body)
	return nil
}

// untried says how many rows of a sheet that records nothing were not
// tried against the ledger's rules (app.LinesReport.Untried): their status
// is "valid" as far as their own cells go.
func untried(report app.LinesReport) string {
	if report.Untried == 0 {
		return ""
	}
	return fmt.Sprintf("; %d other rows were not tried against the ledger's rules", report.Untried)
}

// sheetFailure marks the rows of a batch whose write failed without saying
// whether it wrote as "unknown", and says what became of the rows.
func sheetFailure(rows []sheetRow, batch *app.BatchError) string {
	first, last := batch.Lines[0], batch.Lines[len(batch.Lines)-1]
	if !batch.Unknown {
		return fmt.Sprintf("rows %d-%d were not recorded, the %d entries before them were", first, last, batch.Written)
	}
	inBatch := make(map[int]bool, len(batch.Lines))
	for _, number := range batch.Lines {
		inBatch[number] = true
	}
	for i := range rows {
		if inBatch[rows[i].Row] {
			rows[i].Status = "unknown"
		}
	}
	return fmt.Sprintf("rows %d-%d may have been recorded; importing the same sheet again is safe, every row's key finds the row "+
		"if it was; the %d entries before them were recorded", first, last, batch.Written)
}

// writeFailure answers a write of several batches (a sheet's rows, a
// statement's parts) that failed after its input was checked, for a
// reason that is no rule's: body is the report of what was written, and
// its "error" says what failed and, in written, what became of the input.
// A write that failed without saying whether it wrote (unknown) is 503
// outcome_unknown; any other failure answers as toAPIError maps it.
func (s *Server) writeFailure(w http.ResponseWriter, r *http.Request, body map[string]any, err error, unknown bool, written string) {
	failure := &apiError{status: http.StatusServiceUnavailable, code: "outcome_unknown", message: "the store did not say whether it wrote"}
	if unknown {
		s.options.Logger.Error("write of unknown outcome", "method", r.Method, "path", r.URL.Path, "error", err)
	} else {
		failure = s.toAPIError(r, err)
	}
	s.metrics.rejection(failure.code)
	said := map[string]any{"code": failure.code, "message": failure.message + ": " + written}
	if len(failure.violations) > 0 {
		said["violations"] = failure.violations
	}
	body["error"] = said
	writeJSON(w, failure.status, body)
}

// sheetProblems are a row's problems named by column, and any other row
// one repeats by its number.
func sheetProblems(layout sheets.Layout, catalog *domain.Catalog, row int, err error, lang string) []sheetProblem {
	repeats := func(other int) string { return layout.Repeats(other, lang) }
	var validation *domain.ValidationError
	var rule *domain.RuleError
	switch {
	case errors.As(err, &validation):
		problems := make([]sheetProblem, len(validation.Violations))
		for i, violation := range validation.Violations {
			ledgers := violation.Rule
			violation.Rule = layout.Rule(violation, lang)
			problems[i] = sheetProblem{Column: layout.Header(violation.Field, lang), Field: violation.Field, Rule: violation.RuleWith(repeats),
				Where: layout.Where(row, violation.Field, lang)}
			if violation.Rule == ledgers {
				problems[i].Code, problems[i].Limit = violation.Code, violation.Limit
			}
		}
		return problems
	case errors.As(err, &rule) && rule.Event == 0:
		// The ledger's refusal in the sheet's words, at the column a
		// clerk changes, as `ledger import` says it; a rule the sheet has
		// no words for keeps its code, for the page to say it.
		field, text := layout.Refusal(*rule, lang, catalog)
		worded := *rule
		worded.Rule = text
		problem := sheetProblem{Column: layout.Header(field, lang), Field: field, Rule: worded.RuleWith(repeats), Where: layout.Where(row, field, lang)}
		if text == rule.Rule {
			problem.Code = rule.Code
		}
		return []sheetProblem{problem}
	}
	return []sheetProblem{{Rule: err.Error(), Where: layout.Where(row, "", lang)}}
}

// languageOf reads a lang parameter: zh (the default) or en.
func languageOf(text string) (string, error) {
	switch text {
	case "", "zh":
		return "zh", nil
	case "en":
		return "en", nil
	}
	return "", &domain.ValidationError{Violations: []domain.Violation{{Field: "lang", Rule: "must be zh or en"}}}
}
