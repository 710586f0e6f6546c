package atomicfile_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/internal/atomicfile"
)

// TestWriteReplacesWholeAndLeavesNoTemporary: the new content replaces the
// old with the mode asked for, and no temporary file stays behind, also
// when the write fails.
func TestWriteReplacesWholeAndLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := atomicfile.Write(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, []byte("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(path)
	if err != nil || string(content) != "new\n" {
		t.Fatalf("read %q, %v", content, err)
	}
	if info, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && info.Mode().Perm() != 0o600) {
		t.Fatalf("mode %v, %v", info.Mode(), err)
	}
	// A path whose directory is a file cannot be written; nothing is left.
	if err := atomicfile.Write(filepath.Join(path, "inside"), []byte("x"), 0o600); err == nil {
		t.Fatal("wrote below a file")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		if strings.HasPrefix(entry.Name(), atomicfile.TemporaryPrefix) {
			t.Errorf("left %s behind", entry.Name())
		}
	}
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want 1", len(entries))
	}
}
