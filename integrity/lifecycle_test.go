package integrity_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/ledger"
)

// A command on a data directory that a running ledger holds copies the
// ledger's tree file rather than rebuild the tree from the first event: the
// copy, caught up with the log, has the root a tree rebuilt from the log
// has, whether the file is whole, cut in the middle of a record, behind
// the log, or missing.
func TestCopyTreeGivesTheRootOfTheLog(t *testing.T) {
	ctx := context.Background()
	store := natsjstest.Store(t, natsjs.Options{}, false)
	service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
	for i := range 20 {
		if _, err := service.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d", i), 1000)}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "hashes")
	kept, closeTree, err := integrity.OpenTree(ctx, store, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := closeTree(); err != nil {
		t.Fatal(err)
	}
	rebuilt, _, err := integrity.OpenTree(ctx, store, "")
	if err != nil {
		t.Fatal(err)
	}
	want, err := rebuilt.Root(20)
	if err != nil || kept.Size() != 20 {
		t.Fatalf("rebuilt root: %v, kept size %d", err, kept.Size())
	}
	check := func(name string) {
		t.Helper()
		copied, err := integrity.CopyTree(ctx, store, path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := copied.Root(20); err != nil || got != want || copied.Size() != 20 {
			t.Fatalf("%s: root %v (size %d), want %v: %v", name, got, copied.Size(), want, err)
		}
	}
	check("whole file")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, info.Size()-40); err != nil {
		t.Fatal(err)
	}
	check("file cut in the middle of a record")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	check("empty file")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	check("no file")
	// What is at the path and not a regular file is no tree file; a link
	// is not followed, even to a file of the right size.
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	check("a directory")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(t.TempDir(), "other")
	if err := os.WriteFile(elsewhere, make([]byte, info.Size()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, path); err != nil {
		t.Fatal(err)
	}
	check("a link to another file")
}
