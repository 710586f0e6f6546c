package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ordos-union/ledger/integrity"
)

// Repair mends what the doctor finds that the log itself can mend: a
// projection checkpoint that is damaged, unreadable or past the log is
// rebuilt from the log and saved; a tree file that disagrees with the log
// is made again from it; the data directory's secrets are made their
// owner's alone. What the log cannot mend (positions the log lost, signed
// history deleted) it leaves, and the doctor still names it. It says what
// it did.
func (n *Node) Repair(ctx context.Context) ([]string, error) {
	findings, err := n.Doctor(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, finding := range findings {
		if !finding.Problem {
			continue
		}
		switch {
		case strings.HasPrefix(finding.Store, "projection checkpoint"):
			if err := n.totalsRunner().Rebuild(ctx, nil); err != nil {
				return done, err
			}
			done = append(done, "rebuilt the totals from the log and saved their checkpoint")
		case finding.Store == "tree file" && strings.HasPrefix(finding.Repair, "remove "):
			if !n.HoldsDataDir() {
				return done, errors.New("the tree file is the running ledger's: stop `ledger serve`, then repair")
			}
			path := integrity.TreeFilePath(n.DataDir)
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return done, err
			}
			tree, err := n.OpenTree(ctx)
			if err != nil {
				return done, err
			}
			done = append(done, fmt.Sprintf("made the tree file again from the log (%d events)", tree.Size()))
		case strings.HasPrefix(finding.Repair, "chmod 600 "):
			path := strings.TrimPrefix(finding.Repair, "chmod 600 ")
			if err := os.Chmod(path, 0o600); err != nil {
				return done, err
			}
			done = append(done, "made "+path+" its owner's alone")
		}
	}
	return done, nil
}
