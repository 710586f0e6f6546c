package backup_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/backup"
)

// TestErasureListReadsBack: the list `ledger erasures` writes is what
// restore reads; a line with two ids is refused by its number.
func TestErasureListReadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "erasures.txt")
	subjects := []string{"donor-2f1c", "rider-77ab"}
	if err := os.WriteFile(path, append(backup.ErasuresList(subjects), "\n# a note\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	read, err := backup.ReadErasures(path)
	if err != nil || !slices.Equal(read, subjects) {
		t.Fatalf("read %v, %v; want %v", read, err, subjects)
	}
	if err := os.WriteFile(path, []byte("donor-2f1c\ndonor-a donor-b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.ReadErasures(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("two ids on a line: %v", err)
	}
}
