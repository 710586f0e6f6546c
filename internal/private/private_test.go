package private_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/internal/private"
)

func skipWithoutModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not access control on Windows")
	}
}

// A secret with any permission bit for group or others is refused, with
// the file, its mode and the fix named; one its owner alone may read is
// read.
func TestSecretFileModes(t *testing.T) {
	skipWithoutModes(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "signing.key")
	if err := os.WriteFile(path, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		content, err := private.ReadFile(path)
		if err != nil || string(content) != "secret\n" {
			t.Fatalf("mode %04o: %q, %v; want the content", mode, content, err)
		}
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o666} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		content, err := private.ReadFile(path)
		if err == nil || content != nil {
			t.Fatalf("mode %04o was read: %q", mode, content)
		}
		for _, part := range []string{path, "is mode " + octal(mode), "chmod 600 " + path} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("mode %04o: the error %q does not say %q", mode, err, part)
			}
		}
		if !private.IsExposed(err) || !private.IsExposed(errors.Join(errors.New("read signing key"), err)) {
			t.Errorf("mode %04o: %v is not an ExposedError", mode, err)
		}
		if file, err := private.Open(path); err == nil {
			file.Close()
			t.Errorf("mode %04o: Open opened it", mode)
		}
	}
	if _, err := private.ReadFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing secret: %v, want fs.ErrNotExist", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := private.ReadFile(dir); err == nil || private.IsExposed(err) {
		t.Errorf("a directory read as a secret: %v", err)
	}
}

func octal(mode os.FileMode) string {
	const digits = "01234567"
	perm := uint32(mode.Perm())
	return string([]byte{'0', digits[perm>>6&7], digits[perm>>3&7], digits[perm&7]})
}

// A new directory is made its owner's alone; an existing one of ours that
// others may read is tightened, one they may write or that is another
// user's is refused.
func TestOpenDir(t *testing.T) {
	skipWithoutModes(t)
	fresh := filepath.Join(t.TempDir(), "a", "b")
	root, err := private.OpenDir(fresh)
	if err != nil {
		t.Fatal(err)
	}
	root.Close()
	for _, dir := range []string{fresh, filepath.Dir(fresh)} {
		if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v %v, want mode 0700", dir, info, err)
		}
	}

	readable := t.TempDir()
	if err := os.Chmod(readable, 0o755); err != nil {
		t.Fatal(err)
	}
	root, err = private.OpenDir(readable)
	if err != nil {
		t.Fatal(err)
	}
	root.Close()
	if info, err := os.Stat(readable); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("an existing 0755 directory: %v %v, want it tightened to 0700", info, err)
	}

	for _, mode := range []os.FileMode{0o777, 0o770, 0o777 | os.ModeSticky, 0o702} {
		writable := t.TempDir()
		if err := os.Chmod(writable, mode); err != nil {
			t.Fatal(err)
		}
		if root, err := private.OpenDir(writable); err == nil {
			root.Close()
			t.Fatalf("a directory of mode %v was taken", mode)
		} else if !strings.Contains(err.Error(), writable) || !strings.Contains(err.Error(), "other users can put files in it") {
			t.Errorf("mode %v: the error %q does not name the directory and why", mode, err)
		}
	}

	theirs := t.TempDir()
	if os.Geteuid() == 0 {
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(theirs, 0o700); err != nil {
			t.Fatal(err)
		}
	} else {
		theirs = "/"
	}
	if root, err := private.OpenDir(theirs); err == nil {
		root.Close()
		t.Fatalf("%s, another user's, was taken", theirs)
	} else if !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("another user's directory: %v", err)
	}
}

// What others may change is refused for reading.
func TestCheckNotWritable(t *testing.T) {
	skipWithoutModes(t)
	path := filepath.Join(t.TempDir(), "erasures.txt")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if err := private.CheckNotWritable(path, info); err != nil {
		t.Fatalf("mode 0644: %v", err)
	}
	for _, mode := range []os.FileMode{0o664, 0o646} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(path)
		if err := private.CheckNotWritable(path, info); err == nil || !strings.Contains(err.Error(), "chmod go-w "+path) {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
}

// OpenNotWritable reads a file others may read but not write, refuses one
// they may write with the fix named, and says a missing file is missing.
func TestOpenNotWritable(t *testing.T) {
	skipWithoutModes(t)
	path := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := private.OpenNotWritable(path)
	if err != nil {
		t.Fatalf("mode 0644: %v", err)
	}
	_ = file.Close()
	if err := os.Chmod(path, 0o664); err != nil {
		t.Fatal(err)
	}
	if file, err := private.OpenNotWritable(path); err == nil || !strings.Contains(err.Error(), "chmod go-w "+path) {
		if file != nil {
			_ = file.Close()
		}
		t.Errorf("mode 0664: %v", err)
	}
	if _, err := private.OpenNotWritable(path + ".missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
}
