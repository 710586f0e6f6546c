package node

import (
	"context"
	"fmt"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/projections"
)

// totalsStore names the totals' checkpoint in the doctor's findings and
// verify's problems; totalsRepair says what mends it.
const (
	totalsStore  = "projection checkpoint (totals)"
	totalsRepair = "`ledger repair` (or `ledger rebuild totals`) folds it again from the log and saves it sealed"
)

// TotalsCheck is what checking the stored totals checkpoint against the
// log found: whether the seal vouches for it, and whether the log folded
// to its position gives its figures.
type TotalsCheck struct {
	// Position is the checkpoint's, Head the log's.
	Position, Head uint64
	// Untrusted is why the seal does not vouch for it (nil: it does);
	// NoKey says there was no key to check the seal with.
	Untrusted error
	NoKey     bool
	// Disagreement is where its figures and the log's part (nil: they
	// agree).
	Disagreement *projections.Disagreement
}

// checkTotals checks a totals checkpoint that decodes and is of the
// projection's version: its seal, with the root of the tree root gives
// (nil: no root check), and its figures against the log folded to its
// position (projections.CheckTotals: a read and a fold of the log up to
// there, what a rebuild of the totals costs).
func (n *Node) checkTotals(ctx context.Context, checkpoint eventstore.Checkpoint, head uint64,
	root func(ctx context.Context, size uint64) (string, error)) (TotalsCheck, error) {
	key, keyErr := n.SealKey()
	seal := &projections.CheckpointSeal{Key: key, NoKey: keyErr, Root: root}
	check := TotalsCheck{Position: checkpoint.Position, Head: head, Untrusted: seal.Check(ctx, checkpoint), NoKey: len(key) == 0}
	var err error
	check.Disagreement, err = projections.CheckTotals(ctx, n.Store, checkpoint)
	return check, err
}

// Problem says whether the check found something to repair: figures that
// are not the log's, or a seal that does not hold (a checkpoint no read
// will load). A seal that could not be checked for want of a key is none:
// reads fold the totals from the log, and the key's absence is named
// where it matters (signing).
func (c TotalsCheck) Problem() bool {
	return c.Disagreement != nil || (c.Untrusted != nil && !c.NoKey)
}

// String says what the check found, in words for the doctor and verify.
func (c TotalsCheck) String() string {
	at := fmt.Sprintf("at position %d of %d", c.Position, c.Head)
	switch {
	case c.Disagreement != nil && c.Untrusted != nil:
		return fmt.Sprintf("%s, its figures are not the log's folded to that position (%s), and it is not trusted: %v. "+
			"Forged or damaged; reads fold the totals from the log instead of loading it", at, c.Disagreement, c.Untrusted)
	case c.Disagreement != nil:
		return fmt.Sprintf("%s, its figures are not the log's folded to that position (%s), although its seal holds: damaged by a fault "+
			"of the ledger's, or forged by someone who holds its signing key. The totals served from it are wrong", at, c.Disagreement)
	case c.Untrusted != nil && c.NoKey:
		return fmt.Sprintf("%s, its figures are the log's folded to that position; its seal cannot be checked (%v), "+
			"so reads fold the totals from the log instead of loading it", at, c.Untrusted)
	case c.Untrusted != nil:
		return fmt.Sprintf("%s, its figures are the log's folded to that position, but it is not trusted: %v. "+
			"Reads fold the totals from the log instead of loading it", at, c.Untrusted)
	}
	return fmt.Sprintf("%s, sealed, and the log folded to that position gives its figures", at)
}
