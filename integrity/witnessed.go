package integrity

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// WitnessPolicy says whose cosignatures an auditor requires on the newest
// checkpoint: at least Quorum of the Witnesses' keys. A witness cosigns
// only a checkpoint consistent with every one it cosigned before, so a
// quorum of independent witnesses makes a rewritten or split history
// visible without trusting the ledger's server.
type WitnessPolicy struct {
	// Witnesses are the witnesses' cosignature verifier keys.
	Witnesses []note.Verifier
	Quorum    int
}

// ErrWitnessQuorum marks a checkpoint cosigned by fewer witnesses than the
// policy requires.
var ErrWitnessQuorum = errors.New("witness quorum not met")

// Check opens the signed checkpoint with the policy's keys and returns the
// names of the witnesses whose cosignature verifies; fewer than the quorum
// is ErrWitnessQuorum naming the missing ones. A cosignature line of a
// policy key that does not verify is an error of its own: someone forged
// it or changed the checkpoint.
func (p WitnessPolicy) Check(signed []byte) ([]string, error) {
	verifiers := p.distinct()
	var cosigners []string
	opened, err := note.Open(signed, note.VerifierList(verifiers...))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &invalid):
		return nil, fmt.Errorf("the cosignature of witness %s does not verify: %w", invalid.Name, err)
	case errors.As(err, &unverified):
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
	default:
		for _, signature := range opened.Sigs {
			cosigners = append(cosigners, signature.Name)
		}
	}
	if len(cosigners) >= p.Quorum {
		return cosigners, nil
	}
	var missing []string
	for _, verifier := range verifiers {
		if !contains(opened, verifier) {
			missing = append(missing, fmt.Sprintf("%s+%08x", verifier.Name(), verifier.KeyHash()))
		}
	}
	return cosigners, fmt.Errorf("%w: %d of the %d witnesses given cosigned, the quorum is %d; no cosignature of %s",
		ErrWitnessQuorum, len(cosigners), len(verifiers), p.Quorum, strings.Join(missing, ", "))
}

// distinct is the policy's keys, each once: note.VerifierList refuses a
// key given twice, and a witness counts once however often it is named.
func (p WitnessPolicy) distinct() []note.Verifier {
	seen := map[string]bool{}
	var verifiers []note.Verifier
	for _, verifier := range p.Witnesses {
		id := fmt.Sprintf("%s+%08x", verifier.Name(), verifier.KeyHash())
		if !seen[id] {
			seen[id] = true
			verifiers = append(verifiers, verifier)
		}
	}
	return verifiers
}

func contains(opened *note.Note, verifier note.Verifier) bool {
	if opened == nil {
		return false
	}
	for _, signature := range opened.Sigs {
		if signature.Name == verifier.Name() && signature.Hash == verifier.KeyHash() {
			return true
		}
	}
	return false
}

// checkWitnesses checks the policy on the newest checkpoint the ledger's
// key verifies: the one an auditor relies on.
func checkWitnesses(report *Report, input VerifyInput) {
	if input.Witnesses == nil {
		return
	}
	for i := len(input.Checkpoints) - 1; i >= 0; i-- {
		checkpoint, err := OpenCheckpoint(input.Checkpoints[i], input.Verifier)
		if err != nil {
			continue
		}
		cosigners, err := input.Witnesses.Check(input.Checkpoints[i])
		report.Cosigners = cosigners
		if err != nil {
			report.add(0, "the newest checkpoint (checkpoint %d, size %d): %v", i+1, checkpoint.Size, err)
		}
		return
	}
	report.add(0, "%v: no checkpoint signed by the ledger's key, so none cosigned by a witness", ErrWitnessQuorum)
}

// CheckBundleWitnesses checks the policy on an audit bundle's last
// checkpoint, the one its events and totals are bound to; VerifyBundle
// checks the rest. A checkpoint's cosignatures travel in its note.
func CheckBundleWitnesses(dir string, policy WitnessPolicy) ([]string, error) {
	notes, err := os.ReadFile(filepath.Join(dir, bundleCheckpoints))
	if err != nil {
		return nil, err
	}
	texts := bytes.Split(notes, []byte(checkpointDivider))
	cosigners, err := policy.Check(texts[len(texts)-1])
	if err != nil {
		return cosigners, fmt.Errorf("the bundle's last checkpoint: %w", err)
	}
	return cosigners, nil
}
