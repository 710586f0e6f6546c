package integrity_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/integrity"
)

// storedFile writes the log's tree to a tree file, as the ledger keeps it,
// with damage applied to its bytes, and opens it again for verification:
// the input then reads the file's leaves and all its hashes.
func (l *verifyLog) storedFile(t *testing.T, messages []integrity.Message, damage func(content []byte)) integrity.VerifyInput {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hashes")
	file, err := integrity.OpenFileHashes(path)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := integrity.NewTree(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, message := range l.messages {
		if err := tree.Append(message.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	damage(content)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if file, err = integrity.OpenFileHashes(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	stored, err := integrity.NewTree(file)
	if err != nil {
		t.Fatal(err)
	}
	input := l.input(messages, false)
	input.StoredSize = stored.Size()
	input.StoredLeaf = func(n int64) (tlog.Hash, bool) {
		if n >= stored.Size() {
			return tlog.Hash{}, false
		}
		leaf, err := stored.Leaf(n)
		return leaf, err == nil
	}
	input.StoredHashes = file
	return input
}

// flipHash changes one byte of the stored hash at index.
func flipHash(index int64) func(content []byte) {
	return func(content []byte) { content[index*tlog.HashSize+5] ^= 0xff }
}

func hasTreeFile(report integrity.Report, position uint64, what string) bool {
	for _, damage := range report.TreeFile {
		if damage.Position == position && strings.Contains(damage.What, what) {
			return true
		}
	}
	return false
}

// A leaf hash of the tree file that differs from the log's, where signed
// checkpoints prove the log's bytes, is the file's damage: the log
// verifies, and the file is named with its repair. Without a checkpoint
// over the position, nothing tells the two apart, and the report says
// exactly that and fails; a checkpoint over it that does not match leaves
// it the log's problem.
func TestVerifyTellsADamagedTreeFileFromAChangedLog(t *testing.T) {
	log := newVerifyLog(t)
	for _, k := range []int{1, 7, 12, 20} {
		input := log.storedFile(t, log.messages, flipHash(tlog.StoredHashIndex(0, int64(k-1))))
		report := verify(t, input)
		if !report.OK() || len(report.TreeFile) != 1 {
			t.Fatalf("k=%d, every position signed: the file's damage fails the log or goes unnamed: %+v", k, report)
		}
		by := "signed checkpoint 3 (size 20)"
		if k <= 5 {
			by = "signed checkpoint 1 (size 5)"
		} else if k <= 10 {
			by = "signed checkpoint 2 (size 10)"
		}
		if !hasTreeFile(report, uint64(k), by+" proves the log's bytes") || !hasTreeFile(report, uint64(k), "`ledger repair`") {
			t.Fatalf("k=%d: tree file damage %+v, want it proven by %s", k, report.TreeFile, by)
		}
	}

	// Only the first five positions signed: 12 is no one's to judge.
	input := log.storedFile(t, log.messages, flipHash(tlog.StoredHashIndex(0, 11)))
	input.Checkpoints = log.signed(5)
	report := verify(t, input)
	wantFirstBad(t, report, 12, "either the log or the tree file changed here")
	if len(report.TreeFile) != 0 {
		t.Fatalf("an unsigned position called the file's damage: %+v", report.TreeFile)
	}
	// A checkpoint kept outside the ledger signs it too.
	input.Trusted = []integrity.TrustedCheckpoint{{Source: "the auditor's checkpoint", Signed: log.checkpoints[20]}}
	report = verify(t, input)
	if !report.OK() || !hasTreeFile(report, 12, "the auditor's checkpoint (size 20) proves") {
		t.Fatalf("proven by a trusted checkpoint: %+v", report)
	}

	// A covering checkpoint that does not match: the log is suspect.
	root9, _ := log.tree.Root(9)
	_, forged := signCheckpoint(t, log.keys, integrity.Checkpoint{Origin: testOrigin, Size: 10, Root: root9, Time: checkpointTime})
	input = log.storedFile(t, log.messages, flipHash(tlog.StoredHashIndex(0, 6)))
	input.Checkpoints = [][]byte{log.checkpoints[5], forged, log.checkpoints[20]}
	report = verify(t, input)
	wantFirstBad(t, report, 7, "differ from those the ledger hashed")
	if len(report.TreeFile) != 0 {
		t.Fatalf("a position a checkpoint disputes called the file's damage: %+v", report.TreeFile)
	}
}

// An inner hash of the tree file that differs from the log's, over leaves
// that agree, is the file's damage whatever the checkpoints say; a change
// of the log never is, though every inner hash over it then differs too.
func TestVerifyComparesTheTreeFilesInnerHashes(t *testing.T) {
	log := newVerifyLog(t)
	// Index 2 is the hash over positions 1-2; 6 the one over 1-4.
	for index, over := range map[int64]string{2: "(over positions 1-2)", 6: "(over positions 1-4)"} {
		input := log.storedFile(t, log.messages, flipHash(index))
		report := verify(t, input)
		if !report.OK() || len(report.TreeFile) != 1 || !strings.Contains(report.TreeFile[0].What, over) ||
			!strings.Contains(report.TreeFile[0].What, "tree file (a cache) is damaged, not the log") {
			t.Fatalf("inner hash %d damaged: %+v", index, report)
		}
		// With no checkpoint at all, the file is still the one to blame.
		input.Checkpoints = nil
		if report := verify(t, input); !report.OK() || len(report.TreeFile) != 1 {
			t.Fatalf("inner hash %d damaged, nothing signed: %+v", index, report)
		}
	}
	for k := 1; k <= 20; k++ {
		messages := log.clone()
		flipActor(t, messages[k-1].Data)
		report := verify(t, log.storedFile(t, messages, func([]byte) {}))
		wantFirstBad(t, report, uint64(k), "differ from those the ledger hashed")
		if len(report.TreeFile) != 0 {
			t.Fatalf("k=%d: a changed log called the file's damage: %+v", k, report.TreeFile)
		}
	}
}
