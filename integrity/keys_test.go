package integrity_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/integrity"
)

// A signing key that group or other users may read or write is refused,
// in the data directory and as --signing-key FILE alike: whoever read it
// can sign checkpoints as the ledger. The error names the file, its mode
// and the fix, and the key is left as it was.
func TestSigningKeyOthersCanReadIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not access control on Windows")
	}
	dir := t.TempDir()
	if _, err := integrity.LoadOrCreateKeys(dir, "", testOrigin); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "signing.key")
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("a new signing key: %v %v, want mode 0600", info, err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o666, 0o604} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		for name, load := range map[string]func() error{
			"the data directory's key": func() error { _, err := integrity.LoadOrCreateKeys(dir, "", testOrigin); return err },
			"--signing-key FILE":       func() error { _, err := integrity.LoadOrCreateKeys(t.TempDir(), path, testOrigin); return err },
		} {
			err := load()
			if err == nil {
				t.Fatalf("%s of mode %04o was used", name, mode)
			}
			for _, part := range []string{path, "is mode 0" + modeDigits(mode), "chmod 600 " + path} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("%s of mode %04o: the error %q does not say %q", name, mode, err, part)
				}
			}
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("a refused signing key was rewritten")
	}
	// The verifier key is public: its mode does not matter.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "verifier.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := integrity.LoadOrCreateKeys(dir, "", testOrigin); err != nil {
		t.Fatalf("a signing key of mode 0600: %v", err)
	}
}

func modeDigits(mode os.FileMode) string {
	perm := mode.Perm()
	return string([]byte{'0' + byte(perm>>6&7), '0' + byte(perm>>3&7), '0' + byte(perm&7)})
}

// The projection checkpoints' seal key is derived from the signing key:
// the same key file gives the same seal key wherever it is loaded (every
// node of a cluster shares the signing key, so they share the seal key),
// another signing key another, and it is not the signing key's bytes. A
// process that must not make a key (LoadExistingKeys) gets
// ErrNoSigningKey where there is none, and writes nothing.
func TestSealKeyIsDerivedFromTheSigningKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := integrity.LoadExistingKeys(dir, "", testOrigin); !errors.Is(err, integrity.ErrNoSigningKey) {
		t.Fatalf("no key there: %v, want ErrNoSigningKey", err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Fatalf("LoadExistingKeys wrote %v (%v)", entries, err)
	}
	made, err := integrity.LoadOrCreateKeys(dir, "", testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := integrity.LoadExistingKeys(dir, "", testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	other, err := integrity.LoadOrCreateKeys(t.TempDir(), "", testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	signing, err := os.ReadFile(filepath.Join(dir, "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case len(made.SealKey) != 32 || !bytes.Equal(made.SealKey, loaded.SealKey):
		t.Fatalf("seal keys %x and %x of one signing key", made.SealKey, loaded.SealKey)
	case bytes.Equal(made.SealKey, other.SealKey):
		t.Fatal("two signing keys give one seal key")
	case bytes.Contains(signing, made.SealKey):
		t.Fatal("the seal key is part of the signing key's file")
	}
}
