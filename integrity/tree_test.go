package integrity_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/integrity"
)

// leafData is the test vectors' record n.
func leafData(n int) []byte { return []byte(fmt.Sprintf("leaf-%d", n)) }

// rfc6962Root is MTH(D[0:n]) written straight from RFC 6962 section 2.1,
// independent of tlog: leaf hash SHA-256(0x00 || d), node hash
// SHA-256(0x01 || left || right), split at the largest power of two < n.
func rfc6962Root(leaves [][]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0x00}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	left, right := rfc6962Root(leaves[:k]), rfc6962Root(leaves[k:])
	node := append([]byte{0x01}, left[:]...)
	return sha256.Sum256(append(node, right[:]...))
}

// sliceHashes is a tlog.HashReader over stored hashes computed directly
// with tlog, the reference.
type sliceHashes []tlog.Hash

func (s sliceHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, index := range indexes {
		if index < 0 || index >= int64(len(s)) {
			return nil, fmt.Errorf("reference: hash %d not stored (have %d)", index, len(s))
		}
		out[i] = s[index]
	}
	return out, nil
}

// referenceHashes stores n records with tlog.StoredHashes directly.
func referenceHashes(t *testing.T, n int) sliceHashes {
	t.Helper()
	var stored sliceHashes
	for i := range n {
		hashes, err := tlog.StoredHashes(int64(i), leafData(i), stored)
		if err != nil {
			t.Fatalf("reference StoredHashes(%d): %v", i, err)
		}
		stored = append(stored, hashes...)
	}
	if int64(len(stored)) != tlog.StoredHashCount(int64(n)) {
		t.Fatalf("reference holds %d hashes, want %d", len(stored), tlog.StoredHashCount(int64(n)))
	}
	return stored
}

func newFileTree(t *testing.T, path string) (*integrity.Tree, *integrity.FileHashes) {
	t.Helper()
	file, err := integrity.OpenFileHashes(path)
	if err != nil {
		t.Fatalf("OpenFileHashes: %v", err)
	}
	tree, err := integrity.NewTree(file)
	if err != nil {
		file.Close()
		t.Fatalf("NewTree on file: %v", err)
	}
	return tree, file
}

func TestTreeVectorsAgainstRFC6962AndTlog(t *testing.T) {
	const sizeMax = 64
	var leaves [][]byte
	for i := range sizeMax {
		leaves = append(leaves, leafData(i))
	}
	// The expected roots of every prefix, both ways.
	rfc := make([]tlog.Hash, sizeMax+1)
	for n := 0; n <= sizeMax; n++ {
		rfc[n] = rfc6962Root(leaves[:n])
	}
	reference := referenceHashes(t, sizeMax)
	for n := 0; n <= sizeMax; n++ {
		ref, err := tlog.TreeHash(int64(n), reference)
		if err != nil {
			t.Fatalf("reference TreeHash(%d): %v", n, err)
		}
		if ref != rfc[n] {
			t.Fatalf("the two references disagree at size %d: tlog %s, RFC 6962 %s", n, ref, tlog.Hash(rfc[n]))
		}
	}
	// Pin one vector so the references themselves cannot drift together.
	if got := rfc6962Root(leaves[:1]); got != sha256.Sum256([]byte("\x00leaf-0")) {
		t.Fatalf("MTH of one leaf = %x", got)
	}

	for size := 1; size <= sizeMax; size++ {
		memory, err := integrity.NewTree(&integrity.MemoryHashes{})
		if err != nil {
			t.Fatal(err)
		}
		file, fileHashes := newFileTree(t, filepath.Join(t.TempDir(), "hashes"))
		for i := range size {
			if err := memory.Append(leaves[i]); err != nil {
				t.Fatalf("size %d: memory append %d: %v", size, i, err)
			}
			if err := file.Append(leaves[i]); err != nil {
				t.Fatalf("size %d: file append %d: %v", size, i, err)
			}
		}
		// The file tree is checked with its hashes pending in memory, and
		// again once they are written to the file and read back from it.
		checks := []struct {
			name string
			tree *integrity.Tree
		}{{"memory", memory}, {"file (pending)", file}, {"file (synced)", file}}
		for _, check := range checks {
			name, tree := check.name, check.tree
			if name == "file (synced)" {
				if err := tree.Sync(); err != nil {
					t.Fatalf("sync: %v", err)
				}
			}
			if tree.Size() != int64(size) {
				t.Fatalf("%s tree of %d leaves has Size %d", name, size, tree.Size())
			}
			for n := 1; n <= size; n++ {
				root, err := tree.Root(int64(n))
				if err != nil {
					t.Fatalf("%s tree of %d: Root(%d): %v", name, size, n, err)
				}
				if root != rfc[n] {
					t.Fatalf("%s tree of %d: Root(%d) = %s, want %s", name, size, n, root, tlog.Hash(rfc[n]))
				}
			}
			if _, err := tree.Root(int64(size) + 1); err == nil {
				t.Errorf("%s tree of %d: Root(%d) succeeded past the end", name, size, size+1)
			}
			if root, err := tree.Root(0); err != nil || root != rfc[0] {
				t.Errorf("%s tree: Root(0) = %s, %v; want SHA-256 of nothing", name, root, err)
			}
		}
		if err := fileHashes.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
	}
}

func TestTreeLeafIsRecordHash(t *testing.T) {
	for _, storage := range []struct {
		name string
		open func(t *testing.T) integrity.HashStorage
	}{
		{"memory", func(*testing.T) integrity.HashStorage { return &integrity.MemoryHashes{} }},
		{"file", func(t *testing.T) integrity.HashStorage {
			file, err := integrity.OpenFileHashes(filepath.Join(t.TempDir(), "hashes"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { file.Close() })
			return file
		}},
	} {
		t.Run(storage.name, func(t *testing.T) {
			tree, err := integrity.NewTree(storage.open(t))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 40 {
				if err := tree.Append(leafData(i)); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 40 {
				leaf, err := tree.Leaf(int64(i))
				if err != nil {
					t.Fatalf("Leaf(%d): %v", i, err)
				}
				if want := tlog.RecordHash(leafData(i)); leaf != want {
					t.Errorf("Leaf(%d) = %s, want RecordHash %s", i, leaf, want)
				}
				if want := sha256.Sum256(append([]byte{0}, leafData(i)...)); leaf != want {
					t.Errorf("Leaf(%d) is not SHA-256(0x00||data)", i)
				}
			}
		})
	}
}

func TestFileHashesPersistAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "integrity", "hashes")
	tree, file := newFileTree(t, path)
	const size = 45
	for i := range size {
		if err := tree.Append(leafData(i)); err != nil {
			t.Fatal(err)
		}
	}
	roots := make([]tlog.Hash, size+1)
	for n := 1; n <= size; n++ {
		var err error
		if roots[n], err = tree.Root(int64(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := file.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := tlog.StoredHashCount(size) * tlog.HashSize; info.Size() != want {
		t.Fatalf("file holds %d bytes after close, want %d", info.Size(), want)
	}

	reopened, file := newFileTree(t, path)
	if reopened.Size() != size {
		t.Fatalf("reopened tree has %d leaves, want %d", reopened.Size(), size)
	}
	for n := 1; n <= size; n++ {
		root, err := reopened.Root(int64(n))
		if err != nil || root != roots[n] {
			t.Fatalf("reopened Root(%d) = %s, %v; want %s", n, root, err, roots[n])
		}
	}
	// It keeps growing where it stopped.
	for i := size; i < size+5; i++ {
		if err := reopened.Append(leafData(i)); err != nil {
			t.Fatal(err)
		}
	}
	var all [][]byte
	for i := range size + 5 {
		all = append(all, leafData(i))
	}
	if root, err := reopened.Root(size + 5); err != nil || root != rfc6962Root(all) {
		t.Fatalf("after reopen and append: Root(%d) = %s, %v; want %s", size+5, root, err, tlog.Hash(rfc6962Root(all)))
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	again, file := newFileTree(t, path)
	defer file.Close()
	if again.Size() != size+5 {
		t.Fatalf("second reopen: %d leaves, want %d", again.Size(), size+5)
	}
}

func TestFileHashesCutTornHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hashes")
	tree, file := newFileTree(t, path)
	const size = 21
	for i := range size {
		if err := tree.Append(leafData(i)); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := tree.Root(size)
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	whole := tlog.StoredHashCount(size) * tlog.HashSize
	appendFile(t, path, []byte("torn!!!")) // 7 bytes of a hash that never finished
	if info, _ := os.Stat(path); info.Size() != whole+7 {
		t.Fatalf("setup: file is %d bytes, want %d", info.Size(), whole+7)
	}

	reopened, file := newFileTree(t, path)
	if got := file.Count(); got != tlog.StoredHashCount(size) {
		t.Errorf("Count after a torn hash = %d, want %d", got, tlog.StoredHashCount(size))
	}
	if info, _ := os.Stat(path); info.Size() != whole {
		t.Errorf("torn hash not cut off: file is %d bytes, want %d", info.Size(), whole)
	}
	if reopened.Size() != size {
		t.Fatalf("reopened tree has %d leaves, want %d", reopened.Size(), size)
	}
	if root, err := reopened.Root(size); err != nil || root != want {
		t.Fatalf("Root(%d) after cutting = %s, %v; want %s", size, root, err, want)
	}
	// The next leaf lands where the torn bytes were, not after them.
	if err := reopened.Append(leafData(size)); err != nil {
		t.Fatal(err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	again, file := newFileTree(t, path)
	defer file.Close()
	var all [][]byte
	for i := range size + 1 {
		all = append(all, leafData(i))
	}
	if root, err := again.Root(size + 1); err != nil || root != rfc6962Root(all) {
		t.Fatalf("Root(%d) after append over the torn bytes = %s, %v; want %s", size+1, root, err, tlog.Hash(rfc6962Root(all)))
	}
}

// A storage holding part of a record's hashes never yields a tree that
// claims the partial record or reports wrong roots.
func TestNewTreePartialRecord(t *testing.T) {
	reference := referenceHashes(t, 4) // counts by records: 1, 3, 4, 7
	storage := &integrity.MemoryHashes{}
	if err := storage.Append(reference[:5]); err != nil { // record 3 is half there
		t.Fatal(err)
	}
	tree, err := integrity.NewTree(storage)
	if err != nil {
		t.Logf("NewTree on a partial record: %v", err)
		return // refusing is safe: the file is a cache rebuilt from the log
	}
	if tree.Size() != 3 {
		t.Fatalf("NewTree on 5 hashes (3 whole records and part of one) has Size %d, want 3 or an error", tree.Size())
	}
	if root, err := tree.Root(3); err != nil || root != rfc6962Root([][]byte{leafData(0), leafData(1), leafData(2)}) {
		t.Fatalf("Root(3) = %s, %v", root, err)
	}
}

// More hashes than the file keeps pending: roots read from the file and
// from the pending tail alike.
func TestFileHashesLargeTree(t *testing.T) {
	const size = 2500 // about 5000 hashes: more than one write of pending hashes
	path := filepath.Join(t.TempDir(), "hashes")
	tree, file := newFileTree(t, path)
	var leaves [][]byte
	for i := range size {
		leaves = append(leaves, leafData(i))
		if err := tree.Append(leaves[i]); err != nil {
			t.Fatal(err)
		}
	}
	reference := referenceHashes(t, size)
	for _, n := range []int64{1, 2047, 2048, 2049, 2100, 2499, 2500} {
		want, _ := tlog.TreeHash(n, reference)
		if root, err := tree.Root(n); err != nil || root != want {
			t.Fatalf("Root(%d) = %s, %v; want %s", n, root, err, want)
		}
	}
	if root, _ := tree.Root(size); root != rfc6962Root(leaves) {
		t.Fatalf("Root(%d) differs from RFC 6962", size)
	}
	for _, n := range []int64{0, 1000, 2100, 2499} {
		if leaf, err := tree.Leaf(n); err != nil || leaf != tlog.RecordHash(leaves[n]) {
			t.Fatalf("Leaf(%d) = %s, %v", n, leaf, err)
		}
	}
	if err := tree.Sync(); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Size() != tlog.StoredHashCount(size)*tlog.HashSize {
		t.Fatalf("after Sync the file holds %d bytes, want %d", info.Size(), tlog.StoredHashCount(size)*tlog.HashSize)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
}

// AppendLeaf, which verify uses with a leaf it hashed itself, builds the
// same tree as Append, in memory (its own path) and in a file (tlog's), and
// both match RFC 6962 at every size.
func TestAppendLeafBuildsTheSameTree(t *testing.T) {
	const leavesCount = 70
	file, err := integrity.OpenFileHashes(filepath.Join(t.TempDir(), "hashes"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	byData, _ := integrity.NewTree(&integrity.MemoryHashes{})
	byLeafInMemory, _ := integrity.NewTree(&integrity.MemoryHashes{})
	byLeafInFile, err := integrity.NewTree(file)
	if err != nil {
		t.Fatal(err)
	}
	var data [][]byte
	for i := range leavesCount {
		data = append(data, leafData(i))
		if err := byData.Append(leafData(i)); err != nil {
			t.Fatal(err)
		}
		for _, tree := range []*integrity.Tree{byLeafInMemory, byLeafInFile} {
			if err := tree.AppendLeaf(tlog.RecordHash(leafData(i))); err != nil {
				t.Fatal(err)
			}
		}
		want := rfc6962Root(data)
		for name, tree := range map[string]*integrity.Tree{"Append": byData, "AppendLeaf in memory": byLeafInMemory, "AppendLeaf in a file": byLeafInFile} {
			root, err := tree.Root(int64(i + 1))
			if err != nil {
				t.Fatal(err)
			}
			if root != want {
				t.Fatalf("%s: root of %d leaves is %s, want %s", name, i+1, root, tlog.Hash(want))
			}
		}
	}
}

// The tree file's path holding a directory or a link is refused as what
// it is, without following the link or touching what it leads to, and a
// copy of the tree reads the log instead.
func TestTreeFileMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hashes")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := integrity.OpenFileHashes(path); !errors.Is(err, integrity.ErrTreeFileNotRegular) || !strings.Contains(err.Error(), "a directory") {
		t.Fatalf("a directory opened as the tree file: %v", err)
	}
	if kind := integrity.TreeFileKind(path); kind != "a directory" {
		t.Fatalf("kind %q", kind)
	}
	elsewhere := filepath.Join(t.TempDir(), "other")
	if err := os.WriteFile(elsewhere, []byte("not hashes"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}
	if _, err := integrity.OpenFileHashes(link); !errors.Is(err, integrity.ErrTreeFileNotRegular) || !strings.Contains(err.Error(), "a symbolic link") {
		t.Fatalf("a link opened as the tree file: %v", err)
	}
	dangling := filepath.Join(dir, "dangling")
	target := filepath.Join(t.TempDir(), "made")
	if err := os.Symlink(target, dangling); err != nil {
		t.Fatal(err)
	}
	if _, err := integrity.OpenFileHashes(dangling); !errors.Is(err, integrity.ErrTreeFileNotRegular) {
		t.Fatalf("a dangling link opened as the tree file: %v", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("opening made the file a dangling link leads to: %v", err)
	}
	if content, err := os.ReadFile(elsewhere); err != nil || string(content) != "not hashes" {
		t.Fatalf("the link's target changed: %q %v", content, err)
	}
	if kind := integrity.TreeFileKind(filepath.Join(dir, "none")); kind != "" {
		t.Fatalf("nothing there is %q", kind)
	}
}
