package node

import (
	"context"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/ledger"
)

// AuditExport is what ExportAudit wrote.
type AuditExport struct {
	Events      int
	Checkpoints int
	Report      integrity.PeriodReport
}

// ExportAudit writes a self-contained audit bundle of the period [from,
// to] to dir. The bundle ends at a checkpoint of the whole log as it is
// now (bundleEnd): the newest signed one when nothing was appended since
// it, else one it signs; and it takes every event and every signed
// checkpoint up to it. A period whose end is before its start is refused,
// naming the field to, before anything is signed or written.
func (n *Node) ExportAudit(ctx context.Context, dir string, from, to time.Time) (AuditExport, error) {
	// Such a period holds no entry, so its bundle would report empty
	// totals for a period no one meant (the two dates given the wrong way
	// round), and verify as if nothing had happened.
	if to.Before(from) {
		return AuditExport{}, &domain.ValidationError{Violations: []domain.Violation{{Field: "to",
			Rule: "must not be before the start of the period (" + from.Format(time.RFC3339) + ")"}}}
	}
	keys, tree, err := n.SigningTree(ctx)
	if err != nil {
		return AuditExport{}, err
	}
	checkpoint, err := n.bundleEnd(ctx, tree, keys)
	if err != nil {
		return AuditExport{}, err
	}
	var events [][]byte
	for record, err := range n.Store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			return AuditExport{}, err
		}
		if int64(record.Position) > checkpoint.Size {
			break
		}
		events = append(events, record.Data)
	}
	all, err := n.Signed.All(ctx)
	if err != nil {
		return AuditExport{}, err
	}
	var covered [][]byte
	for _, signed := range all {
		parsed, err := integrity.ParseCheckpointNote(signed)
		if err == nil && parsed.Size <= checkpoint.Size {
			covered = append(covered, signed)
		}
	}
	report, err := integrity.ExportBundle(ctx, dir, events, covered, keys, from, to)
	if err != nil {
		return AuditExport{}, err
	}
	return AuditExport{Events: len(events), Checkpoints: len(covered), Report: report}, nil
}

// bundleEnd is the checkpoint an audit bundle ends at. When the newest
// signed checkpoint, opened with the ledger's key, already covers the whole
// log, it is that one: a bundle ends at it with the cosignatures it carries
// (`ledger checkpoint --witness` had the witnesses cosign it), where a
// second checkpoint of the same events would carry none, and its bundle
// would fail a witness policy the log itself meets. A new checkpoint is
// signed when events were appended since, when there is none yet, and when
// witnesses are named for this export (Cosign): they then cosign the one
// the bundle ends at.
func (n *Node) bundleEnd(ctx context.Context, tree *integrity.Tree, keys integrity.Keys) (integrity.Checkpoint, error) {
	if n.Cosign == nil {
		if newest := integrity.LatestAnchor(ctx, n.Signed, keys); newest != nil {
			head, err := n.Store.Head(ctx)
			if err != nil {
				return integrity.Checkpoint{}, err
			}
			if newest.Size == int64(head) {
				return *newest, nil
			}
		}
	}
	checkpoint, _, err := n.signOwnTree(ctx, tree, keys, time.Now())
	return checkpoint, err
}

// PeriodChange is what ChangePeriod recorded.
type PeriodChange struct {
	Event  domain.Event
	Result ledger.Result
	// Checkpoint is the one signed at a close; CheckpointErr says why none
	// was (the close is recorded either way, and `ledger checkpoint` signs
	// one later).
	Checkpoint    *integrity.Checkpoint
	CheckpointErr error
}

// ChangePeriod closes a month (entries dated in it are then refused) and
// signs a checkpoint at the close, or reopens it with a reason.
func (n *Node) ChangePeriod(ctx context.Context, reopen bool, month, reasonOrNote, actor string) (PeriodChange, error) {
	var data domain.Payload = domain.PeriodClosed{Month: month, Note: reasonOrNote}
	if reopen {
		data = domain.PeriodReopened{Month: month, Reason: reasonOrNote}
	}
	event := domain.Event{Type: data.EventType(), County: n.Catalog.CityCode(), OccurredAt: time.Now(), Actor: actor, Data: data}
	results, err := n.Service.Record(ctx, []domain.Event{event})
	if err != nil {
		return PeriodChange{}, err
	}
	change := PeriodChange{Event: event, Result: results[0]}
	if reopen {
		return change, nil
	}
	keys, tree, err := n.SigningTree(ctx)
	if err == nil {
		var checkpoint integrity.Checkpoint
		if checkpoint, _, err = n.signOwnTree(ctx, tree, keys, time.Now()); err == nil {
			change.Checkpoint = &checkpoint
		}
	}
	change.CheckpointErr = err
	return change, nil
}
