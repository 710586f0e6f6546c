package node

import (
	"context"

	"github.com/ordos-union/ledger/projections"
)

// totalsRunner is a runner of a fresh totals projection over the node's
// log and checkpoints, not yet loaded.
func (n *Node) totalsRunner() *projections.Runner {
	return projections.NewRunner(n.Store, n.Checkpoints, projections.NewTotalsProjection(), projections.RunnerOptions{Logger: n.logger})
}

// SavedProjectionStatus is the totals projection's checkpoint and its lag
// behind the log, as loaded from its checkpoint (nothing is folded).
func (n *Node) SavedProjectionStatus(ctx context.Context) (projections.Status, error) {
	runner := n.totalsRunner()
	if err := runner.Load(ctx); err != nil {
		return projections.Status{}, err
	}
	return runner.Status(ctx)
}

// RebuildTotals folds the totals projection again from the whole log,
// saves its checkpoint, and says where it now stands; progress, when not
// nil, hears how far it got.
func (n *Node) RebuildTotals(ctx context.Context, progress projections.Progress) (projections.Status, error) {
	runner := n.totalsRunner()
	if err := runner.Rebuild(ctx, progress); err != nil {
		return projections.Status{}, err
	}
	return runner.Status(ctx)
}
