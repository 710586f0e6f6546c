package integrity_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ordos-union/ledger/integrity"
)

// A bundle goes into a new directory, or an existing one when it is to be
// replaced; never into a file or through a symbolic link, and the refusal
// names the place.
func TestCheckBundleDir(t *testing.T) {
	root := t.TempDir()
	if err := integrity.CheckBundleDir(filepath.Join(root, "new"), false); err != nil {
		t.Fatalf("a new directory: %v", err)
	}
	existing := filepath.Join(root, "existing")
	if err := os.Mkdir(existing, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := integrity.CheckBundleDir(existing, false); !errors.Is(err, integrity.ErrBundleDirExists) || err.Error() != existing+" exists" {
		t.Fatalf("an existing directory: %v", err)
	}
	if err := integrity.CheckBundleDir(existing, true); err != nil {
		t.Fatalf("an existing directory to replace: %v", err)
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	refused := []string{file}
	if runtime.GOOS != "windows" {
		link := filepath.Join(root, "link")
		if err := os.Symlink(existing, link); err != nil {
			t.Fatal(err)
		}
		refused = append(refused, link)
	}
	for _, path := range refused {
		err := integrity.CheckBundleDir(path, true)
		if !errors.Is(err, integrity.ErrBundleDirNotDirectory) ||
			err.Error() != path+" exists and is not a directory (a symbolic link is not followed)" {
			t.Errorf("%s: %v", path, err)
		}
	}
}
