package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

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
		case finding.Store == "tree file" && (strings.HasPrefix(finding.Repair, "remove ") || strings.HasPrefix(finding.Repair, "move ")):
			if !n.HoldsDataDir() {
				return done, errors.New("the tree file is the running ledger's: stop `ledger serve`, then repair")
			}
			path := integrity.TreeFilePath(n.DataDir)
			if kind := integrity.TreeFileKind(path); kind != "" {
				aside, err := setAside(path)
				if err != nil {
					return done, err
				}
				done = append(done, fmt.Sprintf("moved %s, which was %s, aside to %s", path, kind, aside))
			} else if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
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

// setAside renames what is at path (a directory, a link: renamed itself,
// never followed) to a name next to it that nothing has, and returns that
// name. It is not removed: it is not the ledger's, and may matter to
// whoever put it there.
func setAside(path string) (string, error) {
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for i := 0; i < 100; i++ {
		aside := fmt.Sprintf("%s.set-aside-%s", path, stamp)
		if i > 0 {
			aside = fmt.Sprintf("%s-%d", aside, i)
		}
		// Rename would replace a file of that name, so only a free name
		// is taken; the directory's lock keeps other ledgers out.
		if _, err := os.Lstat(aside); errors.Is(err, os.ErrNotExist) {
			if err := os.Rename(path, aside); err != nil {
				return "", fmt.Errorf("set the tree file aside: %w", err)
			}
			return aside, nil
		}
	}
	return "", fmt.Errorf("set the tree file aside: no free name next to %s", path)
}
