package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/integrity"
)

// Repair mends what the doctor finds that the log itself can mend: a
// projection checkpoint that is damaged, unreadable, past the log, not
// sealed with this ledger's key, or whose figures are not the log's is
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
	// The projection is rebuilt last, once: its checkpoint is sealed with
	// the root of the tree, which must be the log's (made again first,
	// when the tree file is what is damaged).
	rebuildTotals := false
	for _, finding := range findings {
		if !finding.Problem {
			continue
		}
		switch {
		case strings.HasPrefix(finding.Store, "projection checkpoint"):
			rebuildTotals = true
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
	if rebuildTotals {
		runner := n.totalsRunner()
		if err := runner.Rebuild(ctx, nil); err != nil {
			return done, err
		}
		status, err := runner.Status(ctx)
		switch {
		case err != nil:
			return done, err
		case status.CheckpointPosition != status.Position:
			// Rebuild saves at its end; a checkpoint it could not save (no
			// key to seal it with, a store that does not answer) was logged,
			// and the doctor that follows names what is still wrong.
			done = append(done, fmt.Sprintf("rebuilt the totals from the log (position %d), but could not save their checkpoint", status.Position))
		default:
			done = append(done, fmt.Sprintf("rebuilt the totals from the log and saved their checkpoint, sealed, at position %d", status.Position))
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

// dataDirSecrets are the data directory's secret files, by path inside it:
// the API tokens, the checkpoint signing key, and everything in nats/ (the
// users' seeds and the cluster's route secret).
func dataDirSecrets(dataDir string) []string {
	paths := []string{filepath.Join(dataDir, "tokens.json"), filepath.Join(dataDir, "integrity", "signing.key")}
	if entries, err := os.ReadDir(filepath.Join(dataDir, "nats")); err == nil {
		for _, entry := range entries {
			paths = append(paths, filepath.Join(dataDir, "nats", entry.Name()))
		}
	}
	return paths
}

// TightenSecrets makes each secret of the data directory that others may
// read its owner's alone, and says what it changed. It runs before the
// ledger is opened: opening refuses an exposed secret (internal/private),
// so the doctor's repair of one must come first. A symbolic link is
// neither followed nor changed (the doctor names it), and only files of
// this user are changed.
func TightenSecrets(dataDir string) ([]string, error) {
	var done []string
	for _, path := range dataDirSecrets(dataDir) {
		info, err := os.Lstat(path)
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(path, 0o600); err != nil {
			return done, fmt.Errorf("make %s its owner's alone: %w", path, err)
		}
		done = append(done, fmt.Sprintf("made %s its owner's alone (it was mode %04o)", path, info.Mode().Perm()))
	}
	return done, nil
}

// RepairSteps hear of each step of RepairDataDir once it is done, so that
// a front end says what was done even when a later step fails. A nil
// step is not told.
type RepairSteps struct {
	// Tightened hears which secrets were made their owner's alone
	// (TightenSecrets), also when making one so failed.
	Tightened func(actions []string)
	// LostRestored hears what putting back the log's lost positions did
	// (RestoreLost), when a source of them was given.
	LostRestored func(restored LogRestored)
	// Repaired hears what Repair did, and whether it finished: what it
	// did before it failed was done all the same.
	Repaired func(done []string, finished bool)
}

// RepairDataDir is the whole repair of the ledger config names, as
// `ledger repair` runs it: the data directory's secrets are made their
// owner's alone first, for a secret others may read keeps the ledger from
// opening; the ledger is opened; the positions its log lost are put back
// from lost when it is given (RestoreLost: a ConfigError where that
// cannot work); what the log can mend is mended (Repair); and the ledger
// is closed and opened again, so that the doctor's findings it returns
// are those of the mended ledger as the next command opens it.
func RepairDataDir(ctx context.Context, config Config, lost LostSource, steps RepairSteps) ([]app.Finding, error) {
	tightened, err := TightenSecrets(config.DataDir)
	if steps.Tightened != nil {
		steps.Tightened(tightened)
	}
	if err != nil {
		return nil, err
	}
	opened, err := Open(ctx, config)
	if err != nil {
		return nil, err
	}
	// Closing twice is safe: it is closed early below, before the
	// ledger is opened again.
	defer opened.Close()
	if lost != nil {
		restored, err := opened.RestoreLost(ctx, lost)
		if err != nil {
			return nil, err
		}
		if steps.LostRestored != nil {
			steps.LostRestored(restored)
		}
	}
	done, err := opened.Repair(ctx)
	if steps.Repaired != nil {
		steps.Repaired(done, err == nil)
	}
	opened.Close()
	if err != nil {
		return nil, err
	}
	mended, err := Open(ctx, config)
	if err != nil {
		return nil, err
	}
	defer mended.Close()
	return mended.Doctor(ctx)
}
