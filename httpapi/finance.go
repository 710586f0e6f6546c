package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile"
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
	var unseal reconcile.Unsealer
	if s.options.Sealer != nil {
		unseal = s.options.Sealer.Unseal
	}
	book, err := reconcile.BuildBook(r.Context(), s.options.Store, unseal)
	if err != nil {
		return nil, reconcile.Result{}, err
	}
	return book, reconcile.Reconcile(book, reconcile.Options{Now: s.options.Clock()}), nil
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
	name := "reconciliation-" + s.options.Clock().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
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
