// Package app is the ledger's application layer: each use case (record,
// totals, audit, trace, reconcile, import a statement, decide) written
// once, over the parts of one running ledger. The command line and the
// HTTP API are front ends over it: they read their input, call a use case
// and show its answer, and neither re-implements one. Errors name the
// request's fields as data (domain.Violation); each front end names them
// its own way (--as-of, as_of).
package app

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/privacy"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/reconcile"
)

// Parts are what a ledger is made of. Store, Service and Catalog are
// required; the rest may be nil where a ledger has no such part.
type Parts struct {
	Store   eventstore.Store
	Service *ledger.Service
	Catalog *domain.Catalog
	// Sealer opens sealed personal data; nil when the ledger seals none.
	Sealer *privacy.Sealer
	// Keystore holds the personal-data keys the sealer uses.
	Keystore privacy.KeyArchive
	// AccessLog records every read of personal data.
	AccessLog *privacy.AccessLog
	// Signed are the signed checkpoints reports are bound to.
	Signed eventstore.SignedCheckpointLog
	// Checkpoints are the projections' checkpoints: a ledger without a
	// live projection loads the totals from them.
	Checkpoints eventstore.CheckpointStore
	// Tree opens the Merkle tree over the log, caught up, when a use case
	// needs one and none is followed; nil answers without a tree stamp.
	Tree func(ctx context.Context) (*integrity.Tree, error)
	// SealKey is the key the projection checkpoints are sealed with
	// (projections.CheckpointSeal): a loaded checkpoint whose seal does
	// not hold is not served, and the totals are folded from the log
	// instead. An error says why there is none: then no checkpoint is
	// trusted and none saved. Nil leaves checkpoints unsealed.
	SealKey func() ([]byte, error)
	Clock   func() time.Time
	Logger  *slog.Logger
}

// Ledger is one ledger's use cases.
type Ledger struct {
	parts Parts
	// The live projection and tree a long-running ledger follows
	// (Follow); without them a use case loads its own, once.
	mu     sync.Mutex
	runner *projections.Runner
	totals *projections.TotalsProjection
	tree   *integrity.Tree
	// treeFollowed says tree is kept up with the log by a running server.
	treeFollowed bool
	index        *projections.Index
}

// New makes the use cases over the parts.
func New(parts Parts) *Ledger {
	if parts.Clock == nil {
		parts.Clock = time.Now
	}
	if parts.Logger == nil {
		parts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Ledger{parts: parts}
}

// Follow hands the ledger the live totals projection and the tree that a
// running server keeps up with the log: answers then come from them.
func (l *Ledger) Follow(runner *projections.Runner, totals *projections.TotalsProjection, tree *integrity.Tree) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runner, l.totals, l.tree = runner, totals, tree
	l.treeFollowed = tree != nil
}

// UseIndex hands the ledger the entity index a running server keeps up
// with the log: audit trails, traces and lookups by id then read only the
// events it names (and the log after its position).
func (l *Ledger) UseIndex(index *projections.Index) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.index = index
}

// IndexPosition is the last log position the entity index has taken in;
// ok is false when the ledger keeps no index.
func (l *Ledger) IndexPosition() (position uint64, ok bool) {
	if index := l.entityIndex(); index != nil {
		return index.Position(), true
	}
	return 0, false
}

func (l *Ledger) entityIndex() *projections.Index {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.index
}

// Store is the ledger's event store.
func (l *Ledger) Store() eventstore.Store { return l.parts.Store }

// Service records events.
func (l *Ledger) Service() *ledger.Service { return l.parts.Service }

// Catalog is the ledger's reference data.
func (l *Ledger) Catalog() *domain.Catalog { return l.parts.Catalog }

// Sealer opens sealed personal data; nil when the ledger seals none.
func (l *Ledger) Sealer() *privacy.Sealer { return l.parts.Sealer }

// AccessLog records reads of personal data; nil when there is none.
func (l *Ledger) AccessLog() *privacy.AccessLog { return l.parts.AccessLog }

// Now is the ledger's clock.
func (l *Ledger) Now() time.Time { return l.parts.Clock() }

// Runner is the live totals runner, loading it (from its checkpoint, and
// catching up with the log) when the ledger follows none. progress may be
// nil.
func (l *Ledger) Runner(ctx context.Context, progress projections.Progress) (*projections.Runner, *projections.TotalsProjection, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runner != nil {
		return l.runner, l.totals, nil
	}
	if l.parts.Checkpoints == nil {
		return nil, nil, errors.New("totals: this ledger has no projection checkpoints")
	}
	projection := projections.NewTotalsProjection()
	runner := projections.NewRunner(l.parts.Store, l.parts.Checkpoints, projection, projections.RunnerOptions{Logger: l.parts.Logger,
		Seal: l.checkpointSealLocked()})
	if err := runner.Load(ctx); err != nil {
		return nil, nil, err
	}
	if err := runner.CatchUp(ctx, progress); err != nil {
		return nil, nil, err
	}
	l.runner, l.totals = runner, projection
	return runner, projection, nil
}

// checkpointSealLocked is the seal of the totals' checkpoint, with the
// root of the ledger's tree (opened once, as stamps open it); nil when the
// ledger keeps checkpoints unsealed. The caller holds l.mu: the runner
// calls the root only while Runner loads and catches it up.
func (l *Ledger) checkpointSealLocked() *projections.CheckpointSeal {
	if l.parts.SealKey == nil {
		return nil
	}
	key, err := l.parts.SealKey()
	return &projections.CheckpointSeal{Key: key, NoKey: err, Root: func(ctx context.Context, size uint64) (string, error) {
		tree, err := l.merkleTreeLocked(ctx, size)
		if err != nil {
			return "", err
		}
		if tree == nil {
			return "", errors.New("this ledger keeps no tree")
		}
		root, err := tree.Root(int64(size))
		if err != nil {
			return "", err
		}
		return root.String(), nil
	}}
}

// stamp names the tree an answer as of position was computed from. The
// followed tree is used when there is one; else the tree is opened once.
func (l *Ledger) stamp(ctx context.Context, position uint64) (*projections.TreeStamp, error) {
	tree, err := l.merkleTree(ctx, position)
	if tree == nil || err != nil {
		return nil, err
	}
	return integrity.Stamp(tree, position)
}

// merkleTree is the followed tree, or the tree opened once and caught up
// with the log whenever it has fewer than size leaves (a followed tree
// keeps pace by itself); nil when the ledger has none.
func (l *Ledger) merkleTree(ctx context.Context, size uint64) (*integrity.Tree, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.merkleTreeLocked(ctx, size)
}

// merkleTreeLocked is merkleTree for a caller that holds l.mu.
func (l *Ledger) merkleTreeLocked(ctx context.Context, size uint64) (*integrity.Tree, error) {
	if l.tree == nil {
		if l.parts.Tree == nil {
			return nil, nil
		}
		opened, err := l.parts.Tree(ctx)
		if err != nil {
			return nil, err
		}
		l.tree = opened
	}
	if !l.treeFollowed && uint64(l.tree.Size()) < size {
		if err := integrity.CatchUp(ctx, l.parts.Store, l.tree); err != nil {
			return nil, err
		}
	}
	return l.tree, nil
}

// Record appends the operator's events atomically (RecordAs with
// Operator): the command line's, whose operator may read everyone's
// personal data.
func (l *Ledger) Record(ctx context.Context, events []domain.Event) ([]ledger.Result, error) {
	return l.RecordAs(ctx, events, Operator)
}

// RecordAs appends a client's events atomically (ledger.Service.Record),
// as writing records them. A void or correction may name its target by
// its entry id or log position: it is stored with the event id that
// names (Target). A client may not choose a key the spreadsheet
// import makes (ReservedKeyRule) nor record an event the ledger makes
// itself (LedgerMadeRule), nor name an erased person's subject id
// (ErasedSubjectRule), nor, without the personal-data grant, a person the
// ledger already holds data of (ExistingSubjectRule; a retry of the
// writer's own entry is let through, and answered as the first): nothing
// is written, nothing sealed, and every event's problems are reported,
// each with its place in the batch.
func (l *Ledger) RecordAs(ctx context.Context, events []domain.Event, writing Writing) ([]ledger.Result, error) {
	var refused map[int]domain.Violation
	if len(events) <= eventstore.BatchEventsMax {
		// A batch too large is refused by Record before anything is read.
		var err error
		if events, refused, err = l.withTargets(ctx, events); err != nil {
			return nil, err
		}
	}
	var violations []domain.Violation
	for i, event := range events {
		// A target that names nothing refuses the request before the
		// ledger's own check: every event is checked here, so each one's
		// problems are reported with it.
		if len(refused) == 0 && !domain.ContentKeyed(event.IdempotencyKey) && LedgerMadeRule(event.Type) == "" {
			continue
		}
		err := l.Check(event)
		if violation, ok := refused[i]; ok {
			err = targetRefusal(violation, err)
		}
		var validation *domain.ValidationError
		if errors.As(err, &validation) {
			for _, violation := range validation.Violations {
				violation.Event = i + 1
				violations = append(violations, violation)
			}
		}
	}
	if len(violations) > 0 {
		return nil, &domain.ValidationError{Violations: violations}
	}
	if len(events) <= eventstore.BatchEventsMax {
		// A batch too large is refused by Record before anything is read.
		subjects := subjectCheck{ledger: l, writing: writing}
		for i, event := range events {
			found, err := subjects.violations(ctx, event)
			if err != nil {
				return nil, err
			}
			for _, violation := range found {
				violation.Event = i + 1
				violations = append(violations, violation)
			}
		}
		if len(violations) > 0 {
			return nil, &domain.ValidationError{Violations: violations}
		}
	}
	return l.parts.Service.Record(ctx, events)
}

// record appends events a use case made itself (a decision, an erasure):
// they are of the types the generic path refuses (LedgerMadeRule).
func (l *Ledger) record(ctx context.Context, events []domain.Event) ([]ledger.Result, error) {
	return l.parts.Service.Record(ctx, events)
}

// Check checks a client's event against its stateless rules, and its key
// against the keys reserved to the spreadsheet import (ReservedKeyRule),
// writing nothing (ledger.Service.Check): a front end that refuses a
// request for its own reason too reports the event's other problems with
// it.
//
// A void or correction that names its target by an entry id or a log
// position is checked as it is recorded, with the event id that names
// (RecordAs): its target's own rule, that it be an event id, is left out
// here, as whether it names an event is known only from the log.
func (l *Ledger) Check(event domain.Event) error {
	_, err := l.checkClient(event)
	if namesTargetByEntry(event) {
		return without(err, targetField)
	}
	return err
}

// ReservedKeyRule is the rule a client's idempotency key breaks when it
// begins domain.ContentKeyPrefix. Such a key is taken for one made from
// the entry's content (domain.SameRetry compares it without its actor), so
// only the spreadsheet import, which makes it from the row (package
// sheets), may send it: a client's key under it would let another actor's
// request be answered as the first one's entry, and lost.
const ReservedKeyRule = "keys starting with " + domain.ContentKeyPrefix + " are made by the spreadsheet import"

// checkClient is ledger.Service.Check for an event a client sent, with its
// own key: a reserved one (ReservedKeyRule) is one more violation, and so
// is a type the ledger makes itself (LedgerMadeRule).
func (l *Ledger) checkClient(event domain.Event) (ledger.Checked, error) {
	var extra []domain.Violation
	if domain.ContentKeyed(event.IdempotencyKey) {
		extra = append(extra, domain.Violation{Field: "idempotency_key", Rule: ReservedKeyRule})
	}
	return l.checkWith(event, extra)
}

// checkSheetRow is ledger.Service.Check for a spreadsheet's row: its key
// is the import's own, but its type may still be one the ledger makes
// itself (LedgerMadeRule).
func (l *Ledger) checkSheetRow(event domain.Event) (ledger.Checked, error) {
	return l.checkWith(event, nil)
}

// checkWith is ledger.Service.Check with the violations a front end's
// path adds (extra) and the type rule of every client path.
func (l *Ledger) checkWith(event domain.Event, extra []domain.Violation) (ledger.Checked, error) {
	if rule := LedgerMadeRule(event.Type); rule != "" {
		extra = append(extra, domain.Violation{Field: "type", Rule: rule})
	}
	checked, err := l.parts.Service.Check(event)
	if len(extra) == 0 {
		return checked, err
	}
	var validation *domain.ValidationError
	switch {
	case errors.As(err, &validation):
		violations := append(slices.Clone(validation.Violations), extra...)
		return checked, &domain.ValidationError{Violations: violations}
	case err != nil:
		return checked, err
	}
	return checked, &domain.ValidationError{Violations: extra}
}

// Unseal opens sealed personal data, or nothing when the ledger seals
// none.
func (l *Ledger) Unseal() reconcile.Unsealer {
	if l.parts.Sealer == nil {
		return nil
	}
	return l.parts.Sealer.Unseal
}

// invalid is a validation error naming one field.
func invalid(field, rule string) error {
	return &domain.ValidationError{Violations: []domain.Violation{{Field: field, Rule: rule}}}
}
