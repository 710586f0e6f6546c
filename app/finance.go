package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/privacy"
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
	// Receipts are those pledges' receipts, with what recording each
	// takes.
	Receipts []reconcile.Receipt
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
	results, err := l.record(ctx, []domain.Event{event})
	if err != nil {
		return Decided{Event: event}, Unprefix(err)
	}
	return Decided{Event: event, Result: results[0], ToReceive: book.ToReceive(data), Receipts: book.Receipts(data)}, nil
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
	// Personal says the importer holds the personal-data grant (the
	// operator of the data directory always does). A statement that names
	// counterparties needs it, preview or not: its names are compared with
	// the ones the ledger holds, and "already there" or "new" would
	// otherwise tell a reader without the grant whether a guessed name is
	// the one on a line.
	Personal bool
	// Access is who imports, in what role and through what, as the access
	// log records the read (its subjects are filled in here).
	Access privacy.AccessRecord
}

// ErrPersonalDataGrant refuses an import or preview of a statement that
// names counterparties to a reader without the personal-data grant.
var ErrPersonalDataGrant = errors.New("the personal-data grant is required")

// namesCounterparties says whether a statement carries personal data: a
// counterparty's name or account on any line.
func namesCounterparties(parsed statement.Statement) bool {
	for _, line := range parsed.Lines {
		if line.Counterparty != "" || line.CounterpartyAccount != "" {
			return true
		}
	}
	return false
}

// ImportStatement reads a statement and imports it (or, with Preview,
// answers what importing it would do): new lines, lines already there,
// rows printed twice and the checks, then the lines and the
// statement_imported events. A plan with problems is refused, with the
// plan. Errors name the fields file and account. A statement that names
// counterparties is refused with ErrPersonalDataGrant, before anything is
// read or made, unless request.Personal; otherwise the read is recorded
// in the access log (request.Access, with the subjects of the lines found
// already there) before it is answered.
func (l *Ledger) ImportStatement(ctx context.Context, request StatementRequest) (reconcile.ImportResult, statement.Statement, error) {
	if len(request.Data) == 0 {
		return reconcile.ImportResult{}, statement.Statement{}, invalid("file", "is empty: give the statement file")
	}
	parsed, err := statement.ParseDetect(request.FileName, request.Data, request.Profile)
	if err != nil {
		return reconcile.ImportResult{}, parsed, invalid("file", err.Error())
	}
	personal := namesCounterparties(parsed)
	if personal && !request.Personal {
		return reconcile.ImportResult{}, statement.Statement{}, fmt.Errorf("%w: the statement names counterparties, whose names and "+
			"accounts are personal data compared with those the ledger holds, so importing or previewing it needs the grant "+
			"(\"personal\": true on the token)", ErrPersonalDataGrant)
	}
	writes := ctx
	if !request.Preview {
		if err := ctx.Err(); err != nil {
			return reconcile.ImportResult{}, parsed, fmt.Errorf("nothing was imported: %w", context.Cause(ctx))
		}
		// The import writes part after part: the caller's end (a client
		// hanging up, an interrupt) must not cut it between two parts. Its
		// writes run apart from ctx, bounded as a whole and part by part
		// (statementRecorder); reading the log and planning, before any
		// part is written, stay on ctx, so a caller gone by then costs no
		// more of that work (reconcile.Import).
		var cancel context.CancelFunc
		writes, cancel = context.WithTimeout(context.WithoutCancel(ctx), statementImportMinutes*time.Minute)
		defer cancel()
	}
	result, parsed, err := l.importStatement(ctx, writes, request, parsed)
	if err != nil && result.Written == 0 && ctx.Err() != nil && errors.Is(err, ctx.Err()) && !errors.Is(err, ErrOutcomeUnknown) {
		// The caller ended while the import read the log or planned:
		// no part was sent.
		err = fmt.Errorf("nothing was imported: %w", err)
	}
	if personal && (len(result.New) > 0 || len(result.Already) > 0) {
		// Recorded on the writes' context: lines read and written are
		// recorded as read even when the caller has gone.
		if recordErr := l.recordImportRead(writes, request.Access, result.ImportPlan); recordErr != nil {
			return reconcile.ImportResult{}, parsed, errors.Join(recordErr, err)
		}
	}
	return result, parsed, err
}

// recordImportRead records an import's or preview's read of the
// counterparties already in the ledger, in the access log and the process
// log. An import has written its lines by then; a preview has written
// nothing. Either way the answer is not given unless the read is recorded.
func (l *Ledger) recordImportRead(ctx context.Context, access privacy.AccessRecord, plan reconcile.ImportPlan) error {
	access.Subjects = plan.Subjects()
	return l.recordRead(ctx, access)
}

// recordRead records a read of personal data in the access log and the
// process log.
func (l *Ledger) recordRead(ctx context.Context, access privacy.AccessRecord) error {
	l.parts.Logger.Info("personal data read", "reader", access.Reader, "role", access.Role, "via", access.Via, "subjects", access.Subjects)
	if l.parts.AccessLog == nil {
		return nil
	}
	return l.parts.AccessLog.Record(ctx, access)
}

// Reading is who reads a use case's answer: the access log's record of
// the read (reader, role, and the route or command it comes through),
// whose subjects the use case fills in with whose data it shows, and
// whether the reader holds the personal-data grant.
type Reading struct {
	Access  privacy.AccessRecord
	Granted bool
}

// ReadReconciliation is the reconciliation with pledges aged as of asOf
// (Reconciliation) as reading may see it: to a reader with the grant
// whole, its read recorded naming the subjects shown returns (all of the
// result's, or those of the part a front end shows); to one without,
// with the personal data withheld and nothing recorded, since none is
// read. The command line and the API both read it so.
func (l *Ledger) ReadReconciliation(ctx context.Context, asOf string, reading Reading, shown func(reconcile.Result) []string) (reconcile.Result, error) {
	_, result, err := l.Reconciliation(ctx, asOf)
	if err != nil {
		return reconcile.Result{}, err
	}
	if !reading.Granted {
		return result.WithoutPersonal(), nil
	}
	access := reading.Access
	access.Subjects = shown(result)
	return result, l.recordRead(ctx, access)
}

// importStatement plans a parsed statement and imports it, or only plans
// it (request.Preview). ctx bounds reading and planning, writes the
// writes (reconcile.Import).
func (l *Ledger) importStatement(ctx, writes context.Context, request StatementRequest, parsed statement.Statement) (reconcile.ImportResult,
	statement.Statement, error) {
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
		recorder := &statementRecorder{service: l.parts.Service}
		result, err := reconcile.Import(ctx, writes, l.parts.Store, recorder, l.Unseal(), parsed, plan)
		if err != nil && recorder.unknown {
			err = fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
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

// statementImportMinutes bounds a whole statement import's writes, from
// the start of the import: writing its parts, each of which has its own
// deadline (batchWriteSeconds), and planning it again against the log
// once a part is written (when another clerk imports the same lines
// meanwhile). A statement has at most statement.MaxLines lines, in parts
// of domain.StatementPartLinesMax.
const statementImportMinutes = 30

// statementRecorder records the parts of a statement, each waiting for the
// store at most batchWriteSeconds, and notes a part whose write failed
// without saying whether it wrote: the import's outcome is then unknown.
type statementRecorder struct {
	service *ledger.Service
	unknown bool
}

func (r *statementRecorder) Record(ctx context.Context, events []domain.Event) ([]ledger.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, batchWriteSeconds*time.Second)
	defer cancel()
	results, err := r.service.Record(ctx, events)
	r.unknown = err != nil && !refusedWhole(err)
	return results, err
}

// Unprefix drops the place in the batch from a single event's errors, so
// a front end names the event's own fields.
func Unprefix(err error) error { return domain.OutOfBatch(err) }
