package node

import (
	"context"

	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/projections"
)

// totalsRunner is a runner of a fresh totals projection over the node's
// log and checkpoints, sealed (checkpointSeal) with a tree this runner
// opens when it first needs one; not yet loaded.
func (n *Node) totalsRunner() *projections.Runner {
	runner, _ := n.sealedTotalsRunner()
	return runner
}

// sealedTotalsRunner is totalsRunner with its projection.
func (n *Node) sealedTotalsRunner() (*projections.Runner, *projections.TotalsProjection) {
	var tree *integrity.Tree
	seal := n.checkpointSeal(func(ctx context.Context) (*integrity.Tree, error) {
		if tree != nil {
			return tree, nil
		}
		opened, err := n.OpenTree(ctx)
		if err == nil {
			tree = opened
		}
		return opened, err
	})
	projection := projections.NewTotalsProjection()
	return projections.NewRunner(n.Store, n.Checkpoints, projection, projections.RunnerOptions{Logger: n.logger, Seal: seal}), projection
}

// LedgerKeys is the checkpoint signing key pair as this node signs a
// backup's manifest with it. A ledger on the data directory makes the
// signing key at first use, as signing a checkpoint does; one reached with
// an external NATS (--nats) takes only a key that is there, for it must
// not make a key of its own that no other node has and sign a backup with
// it.
func (n *Node) LedgerKeys() (integrity.Keys, error) {
	if n.config.NATSURL == "" {
		return n.Keys()
	}
	return n.ExistingKeys()
}

// SealKey is the key the projection checkpoints are sealed with, derived
// from the checkpoint signing key (integrity.Keys.SealKey), which the
// nodes of a cluster share. It is asked for by every read of the totals,
// so it never makes a signing key (ExistingKeys): without one, a read
// folds the totals from the log and saves no checkpoint.
func (n *Node) SealKey() ([]byte, error) {
	keys, err := n.ExistingKeys()
	if err != nil {
		return nil, err
	}
	return keys.SealKey, nil
}

// checkpointSeal is the seal of this node's projection checkpoints: its
// SealKey, and the root of the tree tree opens (caught up with the log
// when it has fewer events than asked for). A tree that cannot be opened
// leaves the root out; the seal still holds.
func (n *Node) checkpointSeal(tree func(ctx context.Context) (*integrity.Tree, error)) *projections.CheckpointSeal {
	key, err := n.SealKey()
	return &projections.CheckpointSeal{Key: key, NoKey: err, Root: treeRoot(n, tree)}
}

// treeRoot is the root of the tree tree opens at a size, caught up with
// the log first when it is shorter.
func treeRoot(n *Node, tree func(ctx context.Context) (*integrity.Tree, error)) func(ctx context.Context, size uint64) (string, error) {
	return func(ctx context.Context, size uint64) (string, error) {
		opened, err := tree(ctx)
		if err != nil {
			return "", err
		}
		if uint64(opened.Size()) < size {
			if err := integrity.CatchUp(ctx, n.Store, opened); err != nil {
				return "", err
			}
		}
		root, err := opened.Root(int64(size))
		if err != nil {
			return "", err
		}
		return root.String(), nil
	}
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
