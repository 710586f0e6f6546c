package node_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/node"
)

// signedLedger is a data directory holding five events, its tree file, and
// (when signed) a checkpoint over all five; it returns the directory and
// the root of the log's tree.
func signedLedger(t *testing.T, signed bool) (string, tlog.Hash) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	ledger, err := node.Open(ctx, node.Config{DataDir: dir, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	for i := range 5 {
		if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d", i), 100000)}); err != nil {
			t.Fatal(err)
		}
	}
	tree, err := ledger.OpenTree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := tree.Root(5)
	if err != nil {
		t.Fatal(err)
	}
	if signed {
		if _, err := ledger.Checkpoint(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return dir, root
}

func openLedger(t *testing.T, dir string) *node.Node {
	t.Helper()
	ledger, err := node.Open(context.Background(), node.Config{DataDir: dir, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ledger.Close() })
	return ledger
}

// flipStoredHash changes a byte of the tree file's hash at index.
func flipStoredHash(t *testing.T, dir string, index int64) {
	t.Helper()
	path := integrity.TreeFilePath(dir)
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	content[index*tlog.HashSize+5] ^= 0xff
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
}

func treeFileFinding(t *testing.T, ledger *node.Node) app.Finding {
	t.Helper()
	findings, err := ledger.Doctor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, finding := range findings {
		if finding.Store == "tree file" {
			return finding
		}
	}
	t.Fatalf("no finding about the tree file: %+v", findings)
	return app.Finding{}
}

// A byte changed in the tree file, the log intact and signed: verify says
// the log verified and the file is damaged, the doctor agrees that the
// file is at fault, and the repair leaves both clean. A leaf and an inner
// hash alike. Unsigned, the same change fails verify, which says either
// may have changed.
func TestVerifyTellsADamagedTreeFileFromTampering(t *testing.T) {
	ctx := context.Background()
	for name, index := range map[string]int64{"a leaf": tlog.StoredHashIndex(0, 0), "an inner hash": tlog.StoredHashIndex(1, 0)} {
		dir, _ := signedLedger(t, true)
		flipStoredHash(t, dir, index)
		ledger := openLedger(t, dir)
		verified, err := ledger.Verify(ctx, node.VerifyRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if !verified.OK() || len(verified.TreeFile) != 1 || !strings.Contains(verified.TreeFile[0].What, "the tree file (a cache) is damaged, not the log") {
			t.Fatalf("%s damaged: %+v", name, verified.Report)
		}
		if finding := treeFileFinding(t, ledger); !finding.Problem || !strings.Contains(finding.What, "disagrees with the log") {
			t.Fatalf("%s damaged: the doctor says %+v", name, finding)
		}
		done, err := ledger.Repair(ctx)
		if err != nil || len(done) != 1 || !strings.Contains(done[0], "made the tree file again") {
			t.Fatalf("%s damaged: repair %v %v", name, done, err)
		}
		if verified, err := ledger.Verify(ctx, node.VerifyRequest{}); err != nil || !verified.OK() || len(verified.TreeFile) != 0 {
			t.Fatalf("%s damaged, after the repair: %+v %v", name, verified.Report, err)
		}
	}

	dir, _ := signedLedger(t, false)
	flipStoredHash(t, dir, tlog.StoredHashIndex(0, 2))
	verified, err := openLedger(t, dir).Verify(ctx, node.VerifyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if first, bad := verified.FirstBad(); !bad || first.Position != 3 || !strings.Contains(first.What, "either the log or the tree file changed here") {
		t.Fatalf("unsigned: %+v", verified.Report)
	}
}

// The tree file's path holding a directory, or a link to a file elsewhere,
// stops no read: totals are stamped with the log's root, checkpoints are
// signed, nothing is written through the link, verify passes naming the
// path, the doctor names it, and the repair sets it aside (it is not
// removed) and makes the file again.
func TestATreePathThatIsNoFileStopsNoRead(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"a directory", "a symbolic link"} {
		dir, root := signedLedger(t, true)
		path := integrity.TreeFilePath(dir)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		elsewhere := filepath.Join(t.TempDir(), "elsewhere")
		if err := os.WriteFile(elsewhere, []byte("someone's file"), 0o600); err != nil {
			t.Fatal(err)
		}
		if kind == "a directory" {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(path, "kept"), []byte("someone's file"), 0o600); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Symlink(elsewhere, path); err != nil {
			t.Fatal(err)
		}

		ledger := openLedger(t, dir)
		answer, err := ledger.App.Totals(ctx, app.TotalsRequest{})
		if err != nil {
			t.Fatalf("%s: totals: %v", kind, err)
		}
		if answer.Tree == nil || answer.Tree.Size != 5 || answer.Tree.Root != root.String() {
			t.Fatalf("%s: totals stamped %+v, want size 5 root %s", kind, answer.Tree, root)
		}
		if _, err := ledger.Checkpoint(ctx, time.Now()); err != nil {
			t.Fatalf("%s: checkpoint: %v", kind, err)
		}
		if content, err := os.ReadFile(elsewhere); err != nil || string(content) != "someone's file" {
			t.Fatalf("%s: the file elsewhere changed: %q %v", kind, content, err)
		}
		verified, err := ledger.Verify(ctx, node.VerifyRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if !verified.OK() || len(verified.TreeFile) != 1 || !strings.Contains(verified.TreeFile[0].What, path+" is "+kind) {
			t.Fatalf("%s: verify %+v", kind, verified.Report)
		}
		if finding := treeFileFinding(t, ledger); !finding.Problem || !strings.Contains(finding.What, "is "+kind) ||
			!strings.Contains(finding.Repair, "move "+path+" aside") {
			t.Fatalf("%s: the doctor says %+v", kind, finding)
		}
		done, err := ledger.Repair(ctx)
		if err != nil || len(done) != 2 || !strings.Contains(done[0], "aside to "+path+".set-aside-") ||
			!strings.Contains(done[1], "made the tree file again from the log (5 events)") {
			t.Fatalf("%s: repair %v %v", kind, done, err)
		}
		aside := done[0][strings.Index(done[0], "aside to ")+len("aside to "):]
		if info, err := os.Lstat(aside); err != nil || (kind == "a directory") != info.IsDir() {
			t.Fatalf("%s: not set aside at %s: %v", kind, aside, err)
		}
		if finding := treeFileFinding(t, ledger); finding.Problem {
			t.Fatalf("%s: after the repair the doctor says %+v", kind, finding)
		}
		if content, err := os.ReadFile(elsewhere); err != nil || string(content) != "someone's file" {
			t.Fatalf("%s: the repair changed the file elsewhere: %q %v", kind, content, err)
		}
	}
}
