package witness

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The witness's directory is its owner's alone: a new one is made mode
// 0700, an existing one others may read is tightened, one others may
// write is refused (they could replace the key or the records of what it
// cosigned). A key others may read or write is refused, not used: whoever
// read it can cosign as the witness.
func TestWitnessKeyAndDirectoryArePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not access control on Windows")
	}
	fresh := filepath.Join(t.TempDir(), "witness")
	if _, err := LoadOrCreateSigner(fresh, "w.example"); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(fresh); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("a new witness directory: %v %v, want mode 0700", info, err)
	}

	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(dir, "w.example"); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("an existing witness directory of mode 0755: %v %v, want it made 0700", info, err)
	}
	path := filepath.Join(dir, signingKeyFile)
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("a new witness key: %v %v, want mode 0600", info, err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o606} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreateSigner(dir, "w.example")
		if err == nil {
			t.Fatalf("a witness key of mode %04o was used", mode)
		}
		for _, part := range []string{path, "is mode " + octal(mode), "chmod 600 " + path} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("mode %04o: the error %q does not say %q", mode, err, part)
			}
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("a refused witness key was rewritten")
	}

	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(open, "w.example"); err == nil || !strings.Contains(err.Error(), "other users can put files in it") {
		t.Fatalf("a witness directory others may write: %v", err)
	}
	if _, err := os.Stat(filepath.Join(open, signingKeyFile)); err == nil {
		t.Fatal("a key was made in a directory others may write")
	}
}

func octal(mode os.FileMode) string {
	perm := mode.Perm()
	return string([]byte{'0', '0' + byte(perm>>6&7), '0' + byte(perm>>3&7), '0' + byte(perm&7)})
}
