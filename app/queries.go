package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/projections"
)

// TotalsRequest is a totals question as a person asks it: filters, a
// grouping, and two optional instants as text (RFC 3339, or a day meaning
// the end of that day in Beijing time).
type TotalsRequest struct {
	County   string
	Campaign string
	By       string
	// AsOf counts what occurred at or before it: what really happened by
	// then. KnownAt counts what the ledger had recorded by it: what was
	// reported then.
	AsOf    string
	KnownAt string
	// Progress hears how far loading the projection got; may be nil.
	Progress projections.Progress
}

// Totals answers a totals question: from the live projection when no
// instant is asked for, else by folding the log. Every answer names the
// Merkle tree it was computed from. Errors name the fields by, county,
// campaign, as_of and known_at.
func (l *Ledger) Totals(ctx context.Context, request TotalsRequest) (projections.Answer, error) {
	question, err := request.question(l.parts.Catalog)
	if err != nil {
		return projections.Answer{}, err
	}
	var answer projections.Answer
	if question.asOf.IsZero() && question.knownAt.IsZero() {
		runner, projection, err := l.Runner(ctx, request.Progress)
		if err != nil {
			return projections.Answer{}, err
		}
		runner.View(func(uint64) { answer, err = projection.Query(question.query) })
		if err != nil {
			return projections.Answer{}, err
		}
	} else if answer, err = question.fold(ctx, l.parts.Store); err != nil {
		return projections.Answer{}, err
	}
	if err := l.LogDamage(); err != nil {
		answer.Warnings = append(answer.Warnings, err.Error())
	}
	answer.Tree, err = l.stamp(ctx, answer.Position)
	return answer, err
}

// TotalsOfCopy answers a totals question over a verified copy of a log
// (a mirror's entries) by folding it: the same question, checked the same
// way, as Ledger.Totals answers. The answer names no tree: the copy's
// owner stamps it with the checkpoint it verified.
func TotalsOfCopy(ctx context.Context, store eventstore.Store, catalog *domain.Catalog, request TotalsRequest) (projections.Answer, error) {
	question, err := request.question(catalog)
	if err != nil {
		return projections.Answer{}, err
	}
	return question.fold(ctx, store)
}

// totalsQuestion is a checked totals request: what to sum, and the
// instants it is asked as of (zero: none).
type totalsQuestion struct {
	query         projections.Query
	asOf, knownAt time.Time
}

// question checks the request against the catalog and reads its instants.
func (r TotalsRequest) question(catalog *domain.Catalog) (totalsQuestion, error) {
	question := totalsQuestion{query: projections.Query{County: r.County, Campaign: r.Campaign, By: r.By}}
	if err := CheckTotalsQuery(catalog, question.query); err != nil {
		return question, err
	}
	var err error
	if question.asOf, err = instant("as_of", r.AsOf); err != nil {
		return question, err
	}
	question.knownAt, err = instant("known_at", r.KnownAt)
	return question, err
}

// fold answers the question by folding the whole log.
func (q totalsQuestion) fold(ctx context.Context, store eventstore.Store) (projections.Answer, error) {
	totals, err := projections.FoldTotals(ctx, store, projections.TotalsOptions{AsOf: q.asOf}, q.knownAt, q.query.Campaign)
	if err != nil {
		return projections.Answer{}, err
	}
	return totals.Query(q.query)
}

// CheckTotalsQuery refuses a totals question no answer fits: a grouping
// other than day, month or year, or a region or campaign the catalog does
// not list. Every event carries catalog codes, so a filter by any other
// code (a typo such as 150699) would answer with empty figures, which read
// as "nothing happened" instead of naming the mistake. It is exported for
// the copies of a log that fold their own totals (package mirror). Errors
// name the fields by, county and campaign.
func CheckTotalsQuery(catalog *domain.Catalog, query projections.Query) error {
	switch query.By {
	case projections.ByNone, projections.ByDay, projections.ByMonth, projections.ByYear:
	default:
		return invalid("by", "must be day, month or year")
	}
	return checkFilters(catalog, query.County, query.Campaign)
}

// checkFilters refuses a region or a campaign the catalog does not list,
// for every read that keeps only one region's or one campaign's entries;
// empty keeps all. Errors name the fields county and campaign.
func checkFilters(catalog *domain.Catalog, county, campaign string) error {
	if county != "" {
		if _, ok := catalog.Region(county); !ok {
			return invalid("county", "must be a region code of the catalog")
		}
	}
	if campaign != "" && !slices.ContainsFunc(catalog.Campaigns, func(label domain.Label) bool { return label.Code == campaign }) {
		return invalid("campaign", "must be a campaign code of the catalog")
	}
	return nil
}

// LogDamage says which positions the log lacks, where the live totals or
// the entity index read it (nil: none found). The log has no gaps of its
// own making, so a missing position is damage.
func (l *Ledger) LogDamage() error {
	l.mu.Lock()
	runner, index := l.runner, l.index
	l.mu.Unlock()
	var gaps projections.Gaps
	if runner != nil {
		gaps = runner.Gaps()
	}
	if index != nil && index.Gaps().Missing() > gaps.Missing() {
		gaps = index.Gaps()
	}
	return gaps.Err()
}

// instant reads an optional instant; empty is the zero time.
func instant(field, text string) (time.Time, error) {
	if text == "" {
		return time.Time{}, nil
	}
	value, err := domain.ParseInstant(text)
	if err != nil {
		return time.Time{}, invalid(field, "must be an RFC 3339 time or a date (YYYY-MM-DD, meaning the end of that day in Beijing time)")
	}
	return value, nil
}

// EntityQuery names the entity an audit trail or a trace is about, and
// what its reader may see of it.
type EntityQuery struct {
	// ID is an event id, an entry id, a campaign or a region (an audit),
	// or a donation's or a spending entry's id (a trace).
	ID string
	// WithoutAccounts leaves out the events of bank accounts (bank lines,
	// statement imports, match decisions, refund pairs, write-offs): the
	// reconciliation's, for a reader who may not read it, as
	// EventsQuery.WithoutAccounts leaves them out of a listing. An id whose
	// history is only such events is refused with ErrReconciliationOnly,
	// naming neither the account nor anything of its lines.
	WithoutAccounts bool
}

// ErrReconciliationOnly refuses a reader who may not read the
// reconciliation an entity whose history is a bank account's.
var ErrReconciliationOnly = errors.New("bank accounts' events are the reconciliation's")

// Audit is the complete history of an entry, a donation, a campaign fund
// or a region, as the operator reads it: every event, bank accounts'
// included.
func (l *Ledger) Audit(ctx context.Context, id string) (*projections.AuditTrail, error) {
	return l.AuditOf(ctx, EntityQuery{ID: id})
}

// AuditOf is the history query.ID names, as query says its reader may see
// it: without WithoutAccounts, every event of it; with it, its bank
// accounts' events are left out (a region's history keeps the rest), and
// an entry's history that is only theirs (a bank line's, a match
// decision's, an account event's by its event id) is refused with
// ErrReconciliationOnly.
func (l *Ledger) AuditOf(ctx context.Context, query EntityQuery) (*projections.AuditTrail, error) {
	trail, err := projections.AuditIndexed(ctx, l.parts.Store, l.entityIndex(), l.parts.Catalog, query.ID)
	if err != nil || !query.WithoutAccounts {
		return trail, err
	}
	kept := make([]projections.AuditEntry, 0, len(trail.Entries))
	for _, entry := range trail.Entries {
		if !domain.IsAccountEvent(entry.Type) {
			kept = append(kept, entry)
		}
	}
	// An entry's history that was only the account's is the account's; a
	// region's or a fund's history is the region's, however little of it
	// is left.
	if trail.Kind == "entry" && len(kept) == 0 && len(trail.Entries) > 0 {
		return nil, fmt.Errorf("%q names a bank account's entries: %w", query.ID, ErrReconciliationOnly)
	}
	trail.Entries = kept
	return trail, nil
}

// Trace follows a donation's money to what it paid for, or a delivery
// back to the donations, as the operator reads it.
func (l *Ledger) Trace(ctx context.Context, id string) (*projections.Trace, error) {
	return l.TraceOf(ctx, EntityQuery{ID: id})
}

// TraceOf is Trace as query says its reader may see it. A trace follows
// campaigns' money only, so it shows nothing of a bank account; but an id
// that is not traced is answered naming the aggregates it was found in,
// and a bank line's is its account. With WithoutAccounts, an id that a
// bank account's event carries and that is not traced is refused with
// ErrReconciliationOnly instead.
func (l *Ledger) TraceOf(ctx context.Context, query EntityQuery) (*projections.Trace, error) {
	trace, err := projections.TraceEntity(ctx, l.parts.Store, l.entityIndex(), query.ID)
	if err == nil || !query.WithoutAccounts || !errors.Is(err, domain.ErrNotFound) {
		return trace, err
	}
	account, lookErr := l.ofAccount(ctx, query.ID)
	if lookErr != nil {
		return nil, lookErr
	}
	if account {
		return nil, fmt.Errorf("%q names a bank account's entries: %w", query.ID, ErrReconciliationOnly)
	}
	return nil, err
}

// ofAccount says whether an event of a bank account carries id (as its
// event id or its entity id).
func (l *Ledger) ofAccount(ctx context.Context, id string) (bool, error) {
	for record, err := range projections.EntityRecords(ctx, l.parts.Store, l.entityIndex(), id) {
		if err != nil {
			return false, err
		}
		if record.Event.Aggregate.Kind == domain.AggregateAccount && projections.Carries(record.Event, id) {
			return true, nil
		}
	}
	return false, nil
}

// Find returns the event an id names: the event with that event id, or the
// latest event of an entry id.
func (l *Ledger) Find(ctx context.Context, id string) (eventstore.Record, error) {
	return projections.Latest(ctx, l.parts.Store, l.entityIndex(), id)
}

// ProjectionStatus is the totals projection's checkpoint and lag.
func (l *Ledger) ProjectionStatus(ctx context.Context) (projections.Status, error) {
	runner, _, err := l.Runner(ctx, nil)
	if err != nil {
		return projections.Status{}, err
	}
	return runner.Status(ctx)
}
