package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

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
// log and its root is the log's tree root at that size, it is that one: a
// bundle ends at it with the cosignatures it carries (`ledger checkpoint
// --witness` had the witnesses cosign it), where a second checkpoint of the
// same events would carry none, and its bundle would fail a witness policy
// the log itself meets. One of the log's size whose root is not the log's
// is refused (CheckpointNotOfLogError): the log or the checkpoint stream
// was changed, and signing a second checkpoint of the same size with
// another root would put two signed histories side by side. A new
// checkpoint is signed when events were appended since, when there is none
// yet, and when witnesses are named for this export (Cosign): they then
// cosign the one the bundle ends at.
func (n *Node) bundleEnd(ctx context.Context, tree *integrity.Tree, keys integrity.Keys) (integrity.Checkpoint, error) {
	if n.Cosign == nil {
		if newest := integrity.LatestAnchor(ctx, n.Signed, keys); newest != nil {
			head, err := n.Store.Head(ctx)
			if err != nil {
				return integrity.Checkpoint{}, err
			}
			if newest.Size == int64(head) {
				root, err := n.logRoot(ctx, tree, newest)
				if err != nil {
					return integrity.Checkpoint{}, err
				}
				if root != newest.Root {
					return integrity.Checkpoint{}, &CheckpointNotOfLogError{Size: newest.Size, Signed: newest.Root, Log: root}
				}
				return *newest, nil
			}
		}
	}
	checkpoint, _, err := n.signOwnTree(ctx, tree, keys, time.Now())
	return checkpoint, err
}

// logRoot is the root of the log's tree over the anchor's size. The tree
// is checked against the log first (Tree.CheckedRoot, which the anchor
// spares reading the log when the stored leaves give its root): the tree
// file is a cache, and a damaged one is made again from the log
// (rebuildTree) rather than taken for a log that differs from the
// checkpoint.
func (n *Node) logRoot(ctx context.Context, tree *integrity.Tree, anchor *integrity.Checkpoint) (tlog.Hash, error) {
	if tree.Size() < anchor.Size {
		if err := integrity.CatchUp(ctx, n.Store, tree); err != nil {
			return tlog.Hash{}, err
		}
	}
	if _, _, damage := tree.CheckedRoot(ctx, n.logBytes, anchor); errors.Is(damage, integrity.ErrTreeFileDamaged) {
		rebuilt, how, err := n.rebuildTree(ctx)
		if err != nil {
			return tlog.Hash{}, errors.Join(damage, err)
		}
		n.logger.Warn("the tree file is damaged; the audit bundle is checked against a tree made again from the log", "damage", damage, "tree", how)
		tree = rebuilt
	} else if damage != nil {
		return tlog.Hash{}, damage
	}
	return tree.Root(anchor.Size)
}

// CheckpointNotOfLogError refuses an audit export whose log the newest
// signed checkpoint covers in size but not in root: Size events, the root
// the checkpoint signed (Signed) and the log's tree root at that size
// (Log). Nothing is written and nothing signed. It is
// integrity.ErrBadCheckpoint.
type CheckpointNotOfLogError struct {
	Size        int64
	Signed, Log tlog.Hash
}

func (e *CheckpointNotOfLogError) Error() string {
	return fmt.Sprintf("%v: the newest signed checkpoint covers the log's %d events with root %s, but the log's tree at that size has root %s: "+
		"the log or the checkpoint stream was changed; `ledger verify` names where. No bundle was written and no checkpoint signed",
		integrity.ErrBadCheckpoint, e.Size, e.Signed, e.Log)
}

// Is makes errors.Is(err, integrity.ErrBadCheckpoint) true.
func (e *CheckpointNotOfLogError) Is(target error) bool { return target == integrity.ErrBadCheckpoint }

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
