package integrity

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/internal/atomicfile"
	"github.com/ordos-union/ledger/projections"
)

// An audit bundle is a directory that proves a period's totals offline:
//
//	events.jsonl      every event of the log up to the checkpoint, exactly as
//	                  stored, one a line (line n is position n)
//	checkpoints.note  every signed checkpoint up to it, separated by a line
//	                  holding only "---"
//	consistency.json  consistency proofs between consecutive checkpoints
//	verifier.key      the ledger's verifier key
//	report.json       the period's totals, stamped with the tree they were
//	                  computed from
//
// verify-bundle trusts only the key it is given on its command line.
const (
	bundleEvents      = "events.jsonl"
	bundleCheckpoints = "checkpoints.note"
	bundleConsistency = "consistency.json"
	bundleKey         = "verifier.key"
	bundleReport      = "report.json"
	checkpointDivider = "---\n"
)

// Report is the totals of a period, as an audit bundle states them.
type PeriodReport struct {
	From   time.Time             `json:"from"`
	To     time.Time             `json:"to"`
	Tree   projections.TreeStamp `json:"tree"`
	Totals projections.Answer    `json:"totals"`
	Note   string                `json:"note"`
}

// ComputeReport folds the events into the period's totals per region and
// month: entries that occurred in [from, to], with every void and correction
// the log holds.
func ComputeReport(ctx context.Context, events [][]byte, from, to time.Time, stamp projections.TreeStamp) (PeriodReport, error) {
	totals := projections.NewTotals(projections.TotalsOptions{From: from, AsOf: to})
	lookup := func(_ context.Context, position uint64) (eventstore.Record, error) {
		if position == 0 || position > uint64(len(events)) {
			return eventstore.Record{}, fmt.Errorf("position %d: %w", position, domain.ErrNotFound)
		}
		event, err := domain.DecodeStoredEvent(events[position-1])
		return eventstore.Record{Position: position, Event: event, Data: events[position-1]}, err
	}
	for i := range events {
		record, err := lookup(ctx, uint64(i+1))
		if err != nil {
			return PeriodReport{}, fmt.Errorf("event at position %d: %w", i+1, err)
		}
		if err := totals.Apply(ctx, record, lookup); err != nil {
			return PeriodReport{}, err
		}
	}
	answer, err := totals.Query(projections.Query{By: projections.ByMonth})
	if err != nil {
		return PeriodReport{}, err
	}
	answer.Tree = &stamp
	return PeriodReport{From: from, To: to, Tree: stamp, Totals: answer,
		Note: "Entries that occurred in [from, to] (Beijing months), with every void and correction in the log up to the tree size."}, nil
}

// ErrBundleDirNotDirectory is CheckBundleDir's refusal of a place that
// is no directory: a file, or a symbolic link (not followed: another user
// could point one at a directory of ours).
var ErrBundleDirNotDirectory = errors.New("exists and is not a directory (a symbolic link is not followed)")

// ErrBundleDirExists is CheckBundleDir's refusal of an existing directory
// that was not to be replaced.
var ErrBundleDirExists = errors.New("exists")

// CheckBundleDir says whether ExportBundle may write a bundle into dir,
// before anything is computed for it: a directory that is not there yet
// is made; an existing one is taken only when replace (its bundle files
// are replaced, other files left); a file or a symbolic link never. The
// error names dir. A failure to look at dir other than its absence is
// left to the writing, which names it.
func CheckBundleDir(dir string, replace bool) error {
	info, err := os.Lstat(dir)
	switch {
	case err != nil:
		return nil
	case info.Mode()&fs.ModeSymlink != 0 || !info.IsDir():
		return fmt.Errorf("%s %w", dir, ErrBundleDirNotDirectory)
	case !replace:
		return fmt.Errorf("%s %w", dir, ErrBundleDirExists)
	}
	return nil
}

// ExportBundle writes a bundle of the first size events, the checkpoints up
// to the one of that size, and the period's report.
func ExportBundle(ctx context.Context, dir string, events [][]byte, signed [][]byte, keys Keys, from, to time.Time) (PeriodReport, error) {
	tree, _ := NewTree(&MemoryHashes{})
	for _, data := range events {
		if err := tree.Append(data); err != nil {
			return PeriodReport{}, err
		}
	}
	root, err := tree.Root(tree.Size())
	if err != nil {
		return PeriodReport{}, err
	}
	stamp := projections.TreeStamp{Size: tree.Size(), Root: root.String()}
	report, err := ComputeReport(ctx, events, from, to, stamp)
	if err != nil {
		return PeriodReport{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return PeriodReport{}, err
	}
	var lines bytes.Buffer
	for _, data := range events {
		lines.Write(data)
		lines.WriteByte('\n')
	}
	var notes bytes.Buffer
	var proofs []ConsistencyProof
	var previous []byte
	var previousCheckpoint Checkpoint
	for i, text := range signed {
		checkpoint, err := OpenCheckpoint(text, keys.Verifier)
		if err != nil {
			return PeriodReport{}, fmt.Errorf("checkpoint %d: %w", i+1, err)
		}
		if i > 0 {
			notes.WriteString(checkpointDivider)
			proof, err := ProveConsistency(tree, previous, previousCheckpoint, text, checkpoint)
			if err != nil {
				return PeriodReport{}, err
			}
			proofs = append(proofs, proof)
		}
		notes.Write(text)
		previous, previousCheckpoint = text, checkpoint
	}
	if previousCheckpoint.Size != tree.Size() || previousCheckpoint.Root != root {
		return PeriodReport{}, fmt.Errorf("the last checkpoint (size %d) does not commit to the bundle's %d events", previousCheckpoint.Size, tree.Size())
	}
	reportJSON, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return PeriodReport{}, err
	}
	proofJSON, err := json.MarshalIndent(proofs, "", "  ")
	if err != nil {
		return PeriodReport{}, err
	}
	files := map[string][]byte{bundleEvents: lines.Bytes(), bundleCheckpoints: notes.Bytes(), bundleConsistency: proofJSON,
		bundleKey: []byte(keys.VerifierKey + "\n"), bundleReport: append(reportJSON, '\n')}
	for name, content := range files {
		// Written whole and renamed over the old name, mode 0600: a
		// symbolic link left in its place is replaced, never followed.
		if err := atomicfile.Write(filepath.Join(dir, name), content, 0o600); err != nil {
			return PeriodReport{}, err
		}
	}
	return report, nil
}

// VerifyBundle checks a bundle with nothing but the verifier key: every
// checkpoint's signature and consistency, the tree over the events against
// the last checkpoint, and the report recomputed from the events, which must
// match the stored one bit for bit.
func VerifyBundle(ctx context.Context, dir string, verifier note.Verifier) (PeriodReport, error) {
	bundle, err := OpenBundle(ctx, dir, verifier)
	return bundle.Report, err
}

// Bundle is an audit bundle opened and verified: its events as stored,
// its signed checkpoints, and its period's totals report.
type Bundle struct {
	Events      [][]byte
	Checkpoints [][]byte
	Report      PeriodReport
}

// OpenBundle reads a bundle and checks it as VerifyBundle does.
func OpenBundle(ctx context.Context, dir string, verifier note.Verifier) (Bundle, error) {
	file, err := os.Open(filepath.Join(dir, bundleEvents))
	if err != nil {
		return Bundle{}, err
	}
	defer file.Close()
	var events [][]byte
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 0, 64<<10), domain.StoredEventBytesMax+1)
	tree, _ := NewTree(&MemoryHashes{})
	for scanner.Scan() {
		data := append([]byte(nil), scanner.Bytes()...)
		events = append(events, data)
		if err := tree.Append(data); err != nil {
			return Bundle{}, err
		}
	}
	if err := scanner.Err(); err != nil {
		return Bundle{}, fmt.Errorf("%s: %w", bundleEvents, err)
	}
	notes, err := os.ReadFile(filepath.Join(dir, bundleCheckpoints))
	if err != nil {
		return Bundle{}, err
	}
	var last Checkpoint
	texts := bytes.Split(notes, []byte(checkpointDivider))
	for i, text := range texts {
		checkpoint, err := OpenCheckpoint(text, verifier)
		if err != nil {
			return Bundle{}, fmt.Errorf("checkpoint %d: %w", i+1, err)
		}
		if checkpoint.Size > tree.Size() {
			return Bundle{}, fmt.Errorf("checkpoint %d commits to %d events; the bundle has %d", i+1, checkpoint.Size, tree.Size())
		}
		root, err := tree.Root(checkpoint.Size)
		if err != nil {
			return Bundle{}, err
		}
		if root != checkpoint.Root {
			return Bundle{}, fmt.Errorf("checkpoint %d (size %d) does not match the bundle's events: one was changed", i+1, checkpoint.Size)
		}
		last = checkpoint
	}
	if last.Size != tree.Size() {
		return Bundle{}, fmt.Errorf("the last checkpoint covers %d events; the bundle has %d", last.Size, tree.Size())
	}
	var proofs []ConsistencyProof
	proofJSON, err := os.ReadFile(filepath.Join(dir, bundleConsistency))
	if err != nil {
		return Bundle{}, err
	}
	if err := json.Unmarshal(proofJSON, &proofs); err != nil {
		return Bundle{}, fmt.Errorf("%s: %w", bundleConsistency, err)
	}
	// One proof links each checkpoint to the next: none may go missing.
	if len(proofs) != len(texts)-1 {
		return Bundle{}, fmt.Errorf("%d checkpoints need %d consistency proofs, the bundle has %d", len(texts), len(texts)-1, len(proofs))
	}
	for i, proof := range proofs {
		if proof.Older != string(texts[i]) || proof.Newer != string(texts[i+1]) {
			return Bundle{}, fmt.Errorf("consistency proof %d does not link checkpoints %d and %d", i+1, i+1, i+2)
		}
		if err := proof.Check(verifier); err != nil {
			return Bundle{}, fmt.Errorf("consistency proof %d: %w", i+1, err)
		}
	}
	storedReport, err := os.ReadFile(filepath.Join(dir, bundleReport))
	if err != nil {
		return Bundle{}, err
	}
	var stated PeriodReport
	if err := json.Unmarshal(storedReport, &stated); err != nil {
		return Bundle{}, fmt.Errorf("%s: %w", bundleReport, err)
	}
	stamp := projections.TreeStamp{Size: last.Size, Root: last.Root.String()}
	recomputed, err := ComputeReport(ctx, events, stated.From, stated.To, stamp)
	if err != nil {
		return Bundle{}, err
	}
	again, err := json.MarshalIndent(recomputed, "", "  ")
	if err != nil {
		return Bundle{}, err
	}
	if !bytes.Equal(append(again, '\n'), storedReport) {
		return Bundle{}, fmt.Errorf("%s does not match the totals recomputed from the events", bundleReport)
	}
	return Bundle{Events: events, Checkpoints: texts, Report: recomputed}, nil
}
