package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ordos-union/ledger/domain"
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

// reconcile folds the book and matches it. Matching reads names (the
// similar-donor tier), so it always runs on the unsealed book; what a
// reader is shown is decided apart, by shownTo.
func (s *Server) reconcile(r *http.Request) (*reconcile.Book, reconcile.Result, error) {
	asOf := s.options.Clock()
	if text := r.URL.Query().Get("as_of"); text != "" {
		var err error
		if asOf, err = reconcile.ParseAsOf(text); err != nil {
			return nil, reconcile.Result{}, &domain.ValidationError{Violations: []domain.Violation{{Field: "as_of", Rule: err.Error()}}}
		}
	}
	book, err := reconcile.BuildBook(r.Context(), s.options.Store, s.unsealer())
	if err != nil {
		return nil, reconcile.Result{}, err
	}
	return book, reconcile.Reconcile(book, reconcile.Options{Now: asOf}), nil
}

func (s *Server) unsealer() reconcile.Unsealer {
	if s.options.Sealer == nil {
		return nil
	}
	return s.options.Sealer.Unseal
}

// statementImport takes a bank statement as the request body (CSV in GBK
// or UTF-8, CAMT.053, XLSX) and answers what importing it does: with
// preview=true it writes nothing; otherwise it imports, by the same plan
// and events as `ledger reconcile import`. The names in the answer come
// from the uploaded file; they are withheld without the personal-data
// grant all the same.
func (s *Server) statementImport(w http.ResponseWriter, r *http.Request, who identity) error {
	if !who.role.mayRecord(string(domain.TypeBankLineImported)) {
		return &apiError{status: http.StatusForbidden, code: "forbidden", message: "only finance and admins import bank statements"}
	}
	query := r.URL.Query()
	flag := func(name string) (bool, error) {
		switch query.Get(name) {
		case "", "false", "0":
			return false, nil
		case "true", "1":
			return true, nil
		}
		return false, &domain.ValidationError{Violations: []domain.Violation{{Field: name, Rule: "must be true or false"}}}
	}
	preview, err := flag("preview")
	if err != nil {
		return err
	}
	strict, err := flag("strict")
	if err != nil {
		return err
	}
	acceptGap, err := flag("accept_balance_gap")
	if err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &domain.ValidationError{Violations: []domain.Violation{{Field: "$",
				Rule: fmt.Sprintf("a statement may be at most %d bytes (64 MiB): split it", statement.MaxFileSize)}}}
		}
		return err
	}
	if len(body) == 0 {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: "$", Rule: "send the statement file as the request body"}}}
	}
	name := query.Get("file")
	if name == "" {
		name = "statement"
	}
	parsed, err := statement.ParseDetect(name, body, query.Get("profile"))
	if err != nil {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: "file", Rule: err.Error()}}}
	}
	request := reconcile.ImportRequest{Account: query.Get("account"), FileName: name, Actor: who.name, County: s.options.Catalog.CityCode(),
		Strict: strict, AcceptBalanceGap: acceptGap, Now: s.options.Clock()}
	var result reconcile.ImportResult
	status := http.StatusOK
	if preview {
		book, err := reconcile.BuildBook(r.Context(), s.options.Store, s.unsealer())
		if err != nil {
			return err
		}
		if result.ImportPlan, err = reconcile.PlanImport(book, parsed, request); err != nil {
			return err
		}
	} else {
		if result, err = reconcile.Import(r.Context(), s.options.Store, s.options.Service, s.unsealer(), parsed, request); err != nil {
			return err
		}
		status = http.StatusCreated
		s.metrics.appended()
	}
	if !s.personalGranted(who) {
		result.ImportPlan = result.WithoutPersonal()
	}
	writeJSON(w, status, map[string]any{"preview": preview, "import": result})
	return nil
}

// shownTo is the result as the reader may see it: with names only under
// the personal-data grant, and every such read recorded first.
func (s *Server) shownTo(r *http.Request, who identity, result reconcile.Result) (reconcile.Result, error) {
	if !s.personalGranted(who) {
		return result.WithoutPersonal(), nil
	}
	return result, s.recordAccess(r, who, nil)
}

func (s *Server) reconciliation(w http.ResponseWriter, r *http.Request, who identity) error {
	_, result, err := s.reconcile(r)
	if err != nil {
		return err
	}
	if result, err = s.shownTo(r, who, result); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"summary": result.Summaries(), "reconciliation": result})
	return nil
}

func (s *Server) reconciliationExport(w http.ResponseWriter, r *http.Request, who identity) error {
	_, result, err := s.reconcile(r)
	if err != nil {
		return err
	}
	if result, err = s.shownTo(r, who, result); err != nil {
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
	book, result, err := s.reconcile(r)
	if err != nil {
		return err
	}
	data, err := result.Decision(book, request)
	if err != nil {
		return err
	}
	event := domain.Event{Type: data.EventType(), County: s.options.Catalog.CityCode(), OccurredAt: s.options.Clock(), Actor: who.name, Data: data}
	results, err := s.options.Service.Record(r.Context(), []domain.Event{event})
	if err != nil {
		return unprefix(err)
	}
	s.metrics.appended()
	writeJSON(w, http.StatusCreated, recordResponse{Results: results})
	return nil
}

func (s *Server) pledges(w http.ResponseWriter, r *http.Request, who identity) error {
	_, result, err := s.reconcile(r)
	if err != nil {
		return err
	}
	if result, err = s.shownTo(r, who, result); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"outstanding": result.Outstanding, "position": result.Position})
	return nil
}
