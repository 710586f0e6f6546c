package app

import (
	"context"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
)

// Reconciliation folds the log into the book and matches it, ageing
// pledges as of asOf (text as people give it; empty is now). Matching reads
// names, so it runs on the unsealed book; what a reader is shown is the
// front end's to decide (Result.WithoutPersonal). Errors name as_of.
func (l *Ledger) Reconciliation(ctx context.Context, asOf string) (*reconcile.Book, reconcile.Result, error) {
	day := l.Now()
	if asOf != "" {
		var err error
		if day, err = domain.ParseInstant(asOf); err != nil {
			return nil, reconcile.Result{}, invalid("as_of", err.Error())
		}
	}
	book, err := reconcile.BuildBook(ctx, l.parts.Store, l.Unseal())
	if err != nil {
		return nil, reconcile.Result{}, err
	}
	return book, reconcile.Reconcile(book, reconcile.Options{Now: day}), nil
}

// Decided is a recorded decision on the reconciliation, and the pledges it
// settles whose receipt is still to be recorded: the clerk is told to
// record them, so that the totals count the money, once.
type Decided struct {
	Event     domain.Event
	Result    ledger.Result
	ToReceive []string
}

// Decide records a person's decision on the reconciliation: confirm or
// reject a suggestion (or reject an automatic match), write a line off,
// undo a decision. The decision is dated now and recorded as actor's.
// Errors name the request's fields (reason, amount, id), and a refusal by
// the account names its rule.
func (l *Ledger) Decide(ctx context.Context, actor string, request reconcile.DecisionRequest) (Decided, error) {
	book, result, err := l.Reconciliation(ctx, "")
	if err != nil {
		return Decided{}, err
	}
	data, err := result.Decision(book, request)
	if err != nil {
		return Decided{}, err
	}
	event := domain.Event{Type: data.EventType(), County: l.parts.Catalog.CityCode(), OccurredAt: l.Now(), Actor: actor, Data: data}
	results, err := l.Record(ctx, []domain.Event{event})
	if err != nil {
		return Decided{Event: event}, Unprefix(err)
	}
	return Decided{Event: event, Result: results[0], ToReceive: book.ToReceive(data)}, nil
}

// StatementRequest is a bank statement to import and how.
type StatementRequest struct {
	// FileName names the file (its extension tells the format when the
	// content does not); Data is the file as the bank exported it.
	FileName string
	Data     []byte
	// Profile is the column profile of CSV and XLSX; empty detects it.
	Profile string
	// Account is our account number when the statement does not say it.
	Account          string
	Actor            string
	Strict           bool
	AcceptBalanceGap bool
	// Preview plans the import and writes nothing.
	Preview bool
}

// ImportStatement reads a statement and imports it (or, with Preview,
// answers what importing it would do): new lines, lines already there,
// rows printed twice and the checks, then the lines and the
// statement_imported events. A plan with problems is refused, with the
// plan. Errors name the fields file and account.
func (l *Ledger) ImportStatement(ctx context.Context, request StatementRequest) (reconcile.ImportResult, statement.Statement, error) {
	if len(request.Data) == 0 {
		return reconcile.ImportResult{}, statement.Statement{}, invalid("file", "is empty: give the statement file")
	}
	parsed, err := statement.ParseDetect(request.FileName, request.Data, request.Profile)
	if err != nil {
		return reconcile.ImportResult{}, parsed, invalid("file", err.Error())
	}
	// The preview checks the events with the rules the service records
	// them by, so it refuses what the import would.
	check := domain.Validator{Catalog: l.parts.Catalog, Now: l.Now}.Validate
	if l.parts.Service != nil {
		check = func(event domain.Event) error {
			_, err := l.parts.Service.Check(event)
			return err
		}
	}
	// The preview makes the ids' secret too, on a ledger's first
	// statement: it shows the ids the import will write.
	ids, err := reconcile.NewLineIDs(ctx, l.parts.Keystore)
	if err != nil {
		return reconcile.ImportResult{}, parsed, err
	}
	plan := reconcile.ImportRequest{Account: request.Account, FileName: request.FileName, Actor: request.Actor,
		County: l.parts.Catalog.CityCode(), Strict: request.Strict, AcceptBalanceGap: request.AcceptBalanceGap, Now: l.Now(),
		Check: check, LineIDs: ids}
	if !request.Preview {
		result, err := reconcile.Import(ctx, l.parts.Store, l.parts.Service, l.Unseal(), parsed, plan)
		return result, parsed, err
	}
	book, err := reconcile.BuildBook(ctx, l.parts.Store, l.Unseal())
	if err != nil {
		return reconcile.ImportResult{}, parsed, err
	}
	var result reconcile.ImportResult
	result.ImportPlan, err = reconcile.PlanImport(book, parsed, plan)
	return result, parsed, err
}

// Unprefix drops the place in the batch from a single event's errors, so
// a front end names the event's own fields.
func Unprefix(err error) error { return domain.OutOfBatch(err) }
