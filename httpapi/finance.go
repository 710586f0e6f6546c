package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
)

var financeTypes = map[string]bool{}

func init() {
	for _, eventType := range domain.EventTypes {
		if domain.IsFinance(eventType) {
			financeTypes[string(eventType)] = true
		}
	}
}

// reconcile is the reconciliation as of the request's as_of (default
// now), as the reader may see it (app.Ledger.ReadReconciliation, which the
// command line reads it by too): names only under the personal-data
// grant, and every such read recorded first, naming whose data it shows
// (subjectsOf: all of the result's, or only the pledges' for a route that
// answers only those). Every answer of the reconciliation comes through
// here, so none can show names the grant would have withheld.
func (s *Server) reconcile(r *http.Request, who identity, subjectsOf func(reconcile.Result) []string) (reconcile.Result, error) {
	return s.options.Ledger.ReadReconciliation(r.Context(), r.URL.Query().Get("as_of"),
		app.Reading{Access: s.accessRecord(r, who, nil), Granted: s.personalGranted(who)}, subjectsOf)
}

// statementImport takes a bank statement as the request body (CSV in GBK
// or UTF-8, CAMT.053, XLSX) and answers what importing it does: with
// preview=true it writes nothing; otherwise it imports, by the same use
// case as `ledger reconcile import`. A statement that names counterparties
// needs the personal-data grant (403 without it); one that names none is
// imported by finance and admins alike, and any name in an answer is
// withheld without the grant all the same.
func (s *Server) statementImport(w http.ResponseWriter, r *http.Request, who identity) error {
	if !who.role.mayRecord(string(domain.TypeBankLineImported)) {
		return &apiError{status: http.StatusForbidden, code: "forbidden", message: "only finance and admins import bank statements"}
	}
	query := r.URL.Query()
	// Names in the statement are compared with those the ledger holds, so
	// the use case refuses a statement that names counterparties to a
	// reader without the grant, and records the read of one who has it.
	request := app.StatementRequest{FileName: query.Get("file"), Profile: query.Get("profile"), Account: query.Get("account"), Actor: who.name,
		Personal: s.personalGranted(who), Access: s.accessRecord(r, who, nil)}
	var err error
	for _, option := range []struct {
		name   string
		target *bool
	}{{"preview", &request.Preview}, {"strict", &request.Strict}, {"accept_balance_gap", &request.AcceptBalanceGap}} {
		if *option.target, err = queryFlag(query, option.name); err != nil {
			return err
		}
	}
	if request.FileName == "" {
		request.FileName = "statement"
	}
	if request.Data, err = io.ReadAll(r.Body); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &domain.ValidationError{Violations: []domain.Violation{{Field: "$",
				Rule: fmt.Sprintf("a statement may be at most %d bytes (64 MiB): split it", statement.MaxFileSize)}}}
		}
		return err
	}
	result, _, err := s.options.Ledger.ImportStatement(r.Context(), request)
	unknown := errors.Is(err, app.ErrOutcomeUnknown)
	if err != nil && (request.Preview || result.Written == 0 && !unknown) {
		return err
	}
	if !s.personalGranted(who) {
		result.ImportPlan = result.WithoutPersonal()
	}
	body := map[string]any{"preview": request.Preview, "import": result}
	if err != nil {
		// Parts of the statement were written before the import failed,
		// or the last part's outcome is unknown: the answer says what was
		// written.
		written := fmt.Sprintf("%d line events were written before", result.Written)
		if unknown {
			written = fmt.Sprintf("the statement's last part may have been written, after %d line events; importing the same statement "+
				"again is safe, its lines written are found", result.Written)
		}
		s.writeFailure(w, r, body, err, unknown, written)
		return nil
	}
	status := http.StatusOK
	if !request.Preview {
		status = http.StatusCreated
		s.metrics.appended()
	}
	writeJSON(w, status, body)
	return nil
}

func (s *Server) reconciliation(w http.ResponseWriter, r *http.Request, who identity) error {
	result, err := s.reconcile(r, who, reconcile.Result.Subjects)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"summary": result.Summaries(), "reconciliation": result})
	return nil
}

func (s *Server) reconciliationExport(w http.ResponseWriter, r *http.Request, who identity) error {
	result, err := s.reconcile(r, who, reconcile.Result.Subjects)
	if err != nil {
		return err
	}
	name := "reconciliation-" + result.AsOf
	switch format := r.URL.Query().Get("format"); format {
	case "", "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		return result.WriteXLSX(w)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		return result.WriteCSV(w)
	}
	return &domain.ValidationError{Violations: []domain.Violation{{Field: "format", Rule: "must be xlsx or csv"}}}
}

func (s *Server) reconciliationDecision(w http.ResponseWriter, r *http.Request, who identity) error {
	if !who.role.mayRecord(string(domain.TypeMatchConfirmed)) {
		return &apiError{status: http.StatusForbidden, code: "forbidden", message: "only finance and admins decide the reconciliation"}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	var request reconcile.DecisionRequest
	if err := json.Unmarshal(body, &request); err != nil {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: "$", Rule: "must be {\"action\", \"id\", \"reason\", \"note\"}"}}}
	}
	decided, err := s.options.Ledger.Decide(r.Context(), who.name, request)
	if err != nil {
		return err
	}
	s.metrics.appended()
	// A confirmation that settles pledges with no receipt says which
	// receipts to record, so that the totals count the money.
	writeJSON(w, http.StatusCreated, decisionResponse{Results: []ledger.Result{decided.Result}, ToReceive: decided.ToReceive})
	return nil
}

// decisionResponse is a recorded decision's answer: its result, and the
// pledges it settles whose receipts are still to be recorded.
type decisionResponse struct {
	Results   []ledger.Result `json:"results"`
	ToReceive []string        `json:"to_receive,omitempty"`
}

func (s *Server) pledges(w http.ResponseWriter, r *http.Request, who identity) error {
	result, err := s.reconcile(r, who, reconcile.Result.PledgeSubjects)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"outstanding": result.Outstanding, "position": result.Position})
	return nil
}
