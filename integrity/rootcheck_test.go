package integrity_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/ledger"
)

// memoryCheckpoints is a signed checkpoint log in memory.
type memoryCheckpoints struct{ notes [][]byte }

func (m *memoryCheckpoints) Append(_ context.Context, signed []byte) error {
	m.notes = append(m.notes, signed)
	return nil
}

func (m *memoryCheckpoints) Latest(context.Context) ([]byte, error) {
	if len(m.notes) == 0 {
		return nil, domain.ErrNotFound
	}
	return m.notes[len(m.notes)-1], nil
}

func (m *memoryCheckpoints) All(context.Context) ([][]byte, error) { return m.notes, nil }

// loggedStore is a real JetStream log of count donations.
func loggedStore(t *testing.T, count int) eventstore.Store {
	t.Helper()
	ctx := context.Background()
	store := natsjstest.Store(t, natsjs.Options{}, false)
	service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
	for i := range count {
		if _, err := service.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d", i), 1000)}); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

// flipFileHash changes one byte of the stored hash at index in the file.
func flipFileHash(t *testing.T, path string, index int64) {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	content[index*tlog.HashSize+7] ^= 0xff
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A tree file with one stored hash changed is never signed: an inner hash
// on the root's path (which makes the stored root false), one off it (which
// makes proofs false), and a leaf hash the file held when it was opened
// (which makes the leaves' root false, and the stored root of any tree
// appended after it: it is compared with the log). The
// check names the hash; the checkpoint log stays empty. An anchor
// checkpoint whose root the stored leaves give spares reading the log;
// one they do not give (signed before the check existed, from a damaged
// file) does not make a damaged leaf pass.
func TestWriteCheckpointSignsNoRootOfADamagedTreeFile(t *testing.T) {
	ctx := context.Background()
	const size = 70 // 64 + 4 + 2 leaves: three hashes on the root's path
	store := loggedStore(t, size)
	original := filepath.Join(t.TempDir(), "hashes")
	tree, closeTree, err := integrity.OpenTree(ctx, store, original)
	if err != nil {
		t.Fatal(err)
	}
	want, err := tree.Root(size)
	if err != nil {
		t.Fatal(err)
	}
	if err := closeTree(); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(original)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := integrity.LoadOrCreateKeys(t.TempDir(), "", integrity.Origin)
	if err != nil {
		t.Fatal(err)
	}
	damaged := func(t *testing.T, index int64) (*integrity.Tree, string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "hashes")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if index >= 0 {
			flipFileHash(t, path, index)
		}
		tree, closeTree, err := integrity.OpenTree(ctx, store, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeTree() })
		return tree, path
	}
	for _, damage := range []struct {
		name      string
		index     int64
		says      string
		wrongRoot bool
	}{
		{"an inner hash on the root's path", tlog.StoredHashIndex(6, 0), "its hash 126 (over positions 1-64", true},
		{"an inner hash off the root's path", tlog.StoredHashIndex(1, 0), "its hash 2 (over positions 1-2)", false},
		{"a leaf hash", tlog.StoredHashIndex(0, 65), "its leaf hash for position 66 differs from the log's", false},
	} {
		t.Run(damage.name, func(t *testing.T) {
			tree, _ := damaged(t, damage.index)
			if stored, err := tree.Root(size); err != nil || (stored != want) != damage.wrongRoot {
				t.Fatalf("the stored root %v, the log's %v (%v): not the damage this case is about", stored, want, err)
			}
			signed := &memoryCheckpoints{}
			_, _, err := integrity.WriteCheckpoint(ctx, signed, integrity.StoreBytes(store), tree, keys, time.Now(), "", nil)
			if !errors.Is(err, integrity.ErrTreeFileDamaged) || !strings.Contains(err.Error(), damage.says) || !strings.Contains(err.Error(), "`ledger repair`") {
				t.Fatalf("WriteCheckpoint: %v, want ErrTreeFileDamaged saying %q", err, damage.says)
			}
			if len(signed.notes) != 0 {
				t.Fatalf("a damaged tree was signed: %s", signed.notes[0])
			}
		})
	}

	t.Run("anchored", func(t *testing.T) {
		// The stored leaves give the anchor's root: they are proven
		// without the log, and a log that lacks them is never read.
		tree, _ := damaged(t, -1)
		anchor := integrity.Checkpoint{Origin: integrity.Origin, Size: size, Root: want}
		size, root, err := tree.CheckedRoot(ctx, nil, &anchor)
		if err != nil || size != 70 || root != want {
			t.Fatalf("anchored check: %d %v %v, want %v", size, root, err, want)
		}
		// An anchor signed from a damaged leaf proves nothing: the leaves
		// are read from the log, which names the damage.
		tree, path := damaged(t, tlog.StoredHashIndex(0, 3))
		copied, err := integrity.CopyTree(ctx, store, path)
		if err != nil {
			t.Fatal(err)
		}
		fromLeaves, err := integrity.NewTree(&integrity.MemoryHashes{})
		if err != nil {
			t.Fatal(err)
		}
		for n := range int64(size) {
			leaf, err := copied.Leaf(n)
			if err != nil {
				t.Fatal(err)
			}
			if err := fromLeaves.AppendLeaf(leaf); err != nil {
				t.Fatal(err)
			}
		}
		wrong, err := fromLeaves.Root(size)
		if err != nil || wrong == want {
			t.Fatalf("the damaged leaves' root %v: %v", wrong, err)
		}
		anchor.Root = wrong
		if _, _, err := tree.CheckedRoot(ctx, integrity.StoreBytes(store), &anchor); !errors.Is(err, integrity.ErrTreeFileDamaged) ||
			!strings.Contains(err.Error(), "position 4") {
			t.Fatalf("a wrong anchor: %v", err)
		}
	})
}

// A check hashes only what the last one did not, and still reads the
// root's path again: damage done to the file after a check is found by the
// next. Appends go on while a check runs, and the check gives the root of
// the size the tree had when it began.
func TestCheckedRootIsIncrementalAndLetsAppendsGoOn(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hashes")
	tree, file := newFileTree(t, path)
	defer file.Close()
	for i := range 1000 {
		if err := tree.Append(leafData(i)); err != nil {
			t.Fatal(err)
		}
	}
	var appended sync.WaitGroup
	appended.Go(func() {
		for i := 1000; i < 3000; i++ {
			if err := tree.Append(leafData(i)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 3 {
		size, root, err := tree.CheckedRoot(ctx, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want, err := tree.Root(size); err != nil || root != want {
			t.Fatalf("checked root at %d: %v, want %v (%v)", size, root, want, err)
		}
	}
	appended.Wait()
	if _, _, err := tree.CheckedRoot(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := tree.Sync(); err != nil {
		t.Fatal(err)
	}
	// 3000 leaves: 2048 + 512 + 256 + 128 + 32 + 16 + 8; the 512 is on
	// the root's path and was hashed by an earlier check.
	flipFileHash(t, path, tlog.StoredHashIndex(9, 4))
	if _, _, err := tree.CheckedRoot(ctx, nil, nil); !errors.Is(err, integrity.ErrTreeFileDamaged) ||
		!strings.Contains(err.Error(), "on the root's path") {
		t.Fatalf("damage after a check: %v", err)
	}
}
