package node

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/privacy"
	"github.com/ordos-union/ledger/projections"
)

// VerifyRequest is what an auditor verifies the ledger against.
type VerifyRequest struct {
	// Verifier checks the checkpoints; nil is the data directory's key.
	Verifier note.Verifier
	// Trusted are signed checkpoints kept outside the ledger: the log
	// must be consistent with each.
	Trusted []integrity.TrustedCheckpoint
	// Witnesses, when set, must have cosigned the newest checkpoint.
	Witnesses *integrity.WitnessPolicy
	// Progress hears how many events were read of the head; may be nil.
	Progress func(done, total uint64)
}

// Verification is Verify's outcome: the report, and the subjects whose
// key is missing although they were never erased.
type Verification struct {
	integrity.Report
	LostKeys []string `json:"lost_keys,omitempty"`
	// Totals says that the stored totals checkpoint is sealed and the
	// log's, when it is; figures that are not the log's are a problem of
	// the report instead, and a seal that does not hold a note.
	Totals string `json:"totals_checkpoint,omitempty"`
}

// Verify recomputes the Merkle tree from the raw log and checks every
// checkpoint and every event against it, the record of checkpoints this
// data directory saw, the trusted checkpoints, and (read only, when this
// process holds the directory) the tree file, which names the exact
// position whose bytes changed. A verified log's checkpoints are then
// remembered as seen. A lost keystore is reported too, not silent.
func (n *Node) Verify(ctx context.Context, request VerifyRequest) (Verification, error) {
	input := integrity.VerifyInput{Catalog: n.Catalog, Trusted: request.Trusted, Witnesses: request.Witnesses, Verifier: request.Verifier}
	var err error
	if input.Checkpoints, err = n.Signed.All(ctx); err != nil {
		return Verification{}, err
	}
	if n.SeenPath != "" {
		if input.Seen, err = integrity.LoadSeenCheckpoints(n.SeenPath); err != nil {
			return Verification{}, err
		}
	}
	if input.Verifier == nil {
		if input.Verifier, err = n.verifier(input); err != nil {
			return Verification{}, err
		}
	}
	closeTree, notFile := n.storedTree(&input)
	if closeTree != nil {
		defer closeTree()
	}
	head, err := n.Store.Head(ctx)
	if err != nil {
		return Verification{}, err
	}
	if request.Progress != nil {
		input.Progress = func(done uint64) { request.Progress(done, head) }
	}
	input.Messages, input.Placement = n.StoredMessages(ctx)
	report, err := integrity.Verify(ctx, input)
	if err != nil {
		return Verification{}, err
	}
	if notFile != "" {
		report.TreeFile = append(report.TreeFile, integrity.Problem{What: notFile})
	}
	verification := Verification{Report: report}
	if verification.LostKeys, err = n.lostKeys(ctx); err != nil {
		return Verification{}, err
	}
	for _, subject := range verification.LostKeys {
		verification.Problems = append(verification.Problems, integrity.Problem{What: fmt.Sprintf(
			"personal data of %s cannot be read: its key is missing but it was never erased (keystore lost?)", subject)})
	}
	if err := n.verifyTotals(ctx, head, &verification); err != nil {
		return Verification{}, err
	}
	if _, bad := verification.FirstBad(); !bad && len(input.Checkpoints) > 0 {
		if err := n.SawCheckpoints(len(input.Checkpoints), input.Checkpoints[len(input.Checkpoints)-1]); err != nil {
			return Verification{}, err
		}
	}
	return verification, nil
}

// verifier is the data directory's verifier key, for a verification
// asked for without --key. Verifying reads: it never makes a signing key
// (ExistingKeys). Without one, a log that has nothing signed (no
// checkpoint in the stream, none trusted, none this directory saw) is
// verified all the same, and nil is returned, for no verifier would be
// asked; a log with something signed is an error that is
// integrity.ErrNoSigningKey, for its signatures could not be checked.
func (n *Node) verifier(input integrity.VerifyInput) (note.Verifier, error) {
	keys, err := n.ExistingKeys()
	if err == nil {
		return keys.Verifier, nil
	}
	if errors.Is(err, integrity.ErrNoSigningKey) && len(input.Checkpoints) == 0 && len(input.Trusted) == 0 &&
		input.Seen.Count == 0 && input.Seen.Newest == "" {
		return nil, nil
	}
	if errors.Is(err, integrity.ErrNoSigningKey) {
		return nil, fmt.Errorf("the checkpoints cannot be checked without the ledger's key: give --key VERIFIER_KEY (`ledger pubkey` where "+
			"the signing key is), or --signing-key FILE: %w", err)
	}
	return nil, err
}

// storedTree hands verification the ledger's own tree file, read only,
// when this process holds the data directory; another process holding it,
// or no file, leaves checkpoints alone to narrow a change to a range. A
// path that holds something other than a regular file is no tree file:
// notFile says what is there, for the report, and no link is followed.
func (n *Node) storedTree(input *integrity.VerifyInput) (closeTree func() error, notFile string) {
	path := integrity.TreeFilePath(n.DataDir)
	if !n.HoldsDataDir() {
		return nil, ""
	}
	if kind := integrity.TreeFileKind(path); kind != "" {
		return nil, fmt.Sprintf("%s is %s, not the ledger's tree file: the log was verified without it; "+
			"`ledger repair` sets it aside and makes the file again from the log", path, kind)
	}
	if _, err := os.Lstat(path); err != nil {
		return nil, ""
	}
	file, err := integrity.OpenFileHashes(path)
	if err != nil {
		return nil, ""
	}
	stored, err := integrity.NewTree(file)
	if err != nil {
		_ = file.Close()
		return nil, ""
	}
	input.StoredSize = stored.Size()
	input.StoredLeaf = func(index int64) (tlog.Hash, bool) {
		if index >= stored.Size() {
			return tlog.Hash{}, false
		}
		leaf, err := stored.Leaf(index)
		return leaf, err == nil
	}
	input.StoredHashes = file
	return file.Close, ""
}

// lostKeys finds sealed subjects whose key is missing although they were
// never erased.
func (n *Node) lostKeys(ctx context.Context) ([]string, error) {
	erased := map[string]bool{}
	sealed := map[string]bool{}
	for record, err := range n.Store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			return nil, err
		}
		if data, ok := record.Event.Data.(domain.SubjectErased); ok {
			erased[data.SubjectID] = true
		}
		for _, subject := range privacy.Subjects(record.Event) {
			sealed[subject] = true
		}
	}
	var lost []string
	for subject := range sealed {
		if erased[subject] {
			continue
		}
		if _, err := n.Keystore.Key(ctx, subject); errors.Is(err, domain.ErrNotFound) {
			lost = append(lost, subject)
		} else if err != nil {
			return nil, err
		}
	}
	return lost, nil
}

// VerifyReport checks a printed report's seal against this ledger: the
// signed checkpoint of the seal's size must carry a valid signature of the
// ledger's key (or verifier, when given) and the seal's root, and the
// report recomputed from the log's first events must have the seal's
// figures. It returns the recomputed report.
func (n *Node) VerifyReport(ctx context.Context, sealText string, verifier note.Verifier) (*app.MonthReport, error) {
	seal, err := app.ParseReportSeal(sealText)
	if err != nil {
		return nil, err
	}
	if verifier == nil {
		keys, err := n.ExistingKeys()
		if err != nil {
			return nil, err
		}
		verifier = keys.Verifier
	}
	report, err := n.App.VerifyReport(ctx, seal)
	if err != nil {
		return report, err
	}
	if _, err := integrity.OpenCheckpoint([]byte(report.Signed), verifier); err != nil {
		return report, fmt.Errorf("the checkpoint the report is bound to is not signed by this ledger's key: %w", err)
	}
	return report, nil
}

// verifyTotals checks the stored totals checkpoint against the log
// (checkTotals: one more read of the log and a fold of it up to the
// checkpoint's position) and puts what it found into verification: a
// checkpoint whose figures are not the log's is a problem, for the
// figures served from it would be wrong while the log verifies; a seal
// that does not hold is a note, for no read loads such a checkpoint. A
// checkpoint that is missing, of another version, past the log or that
// does not decode is not served either, and the doctor names it.
func (n *Node) verifyTotals(ctx context.Context, head uint64, verification *Verification) error {
	checkpoint, err := n.Checkpoints.Load(ctx, "totals")
	if err != nil || checkpoint.Version != projections.TotalsVersion || checkpoint.Position > head ||
		(checkpoint.StateSHA256 != "" && checkpoint.StateSHA256 != projections.StateDigest(checkpoint.State)) ||
		projections.NewTotalsProjection().UnmarshalState(checkpoint.State) != nil {
		return nil
	}
	check, err := n.checkTotals(ctx, checkpoint, head, nil)
	if err != nil {
		return err
	}
	switch {
	case check.Disagreement != nil:
		verification.Problems = append(verification.Problems, integrity.Problem{What: totalsStore + " " + check.String() + "; " + totalsRepair})
	case check.Untrusted != nil && check.NoKey:
		verification.Notes = append(verification.Notes, integrity.Problem{What: totalsStore + " " + check.String()})
	case check.Untrusted != nil:
		verification.Notes = append(verification.Notes, integrity.Problem{What: totalsStore + " " + check.String() + "; " + totalsRepair})
	default:
		verification.Totals = totalsStore + " " + check.String()
	}
	return nil
}
