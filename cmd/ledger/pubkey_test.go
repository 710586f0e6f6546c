package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pubkey never makes a key: a --data with a typo is refused and left as
// it was, and so is a ledger that never signed; a restore that kept only
// integrity/verifier.key prints that key, the same the signing key gives.
func TestPubkeyMakesNoKey(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "OTHERD")
	out := runLedger(t, "", "pubkey", "--data", missing)
	out.expect(t, 1, "holds neither signing.key nor verifier.key")
	if out.stdout != "" {
		t.Errorf("pubkey printed a key for a directory that does not exist: %q", out.stdout)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("pubkey made %s (%v)", missing, err)
	}

	dir := filepath.Join(t.TempDir(), "ledger")
	runLedger(t, "", "demo", "--data", dir).expect(t, 0)
	runLedger(t, "", "pubkey", "--data", dir).expect(t, 1, "holds neither signing.key nor verifier.key")
	if _, err := os.Stat(filepath.Join(dir, "integrity", "signing.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("pubkey made a signing key (%v)", err)
	}

	runLedger(t, "", "checkpoint", "--data", dir).expect(t, 0)
	key := runLedger(t, "", "pubkey", "--data", dir)
	key.expect(t, 0, "ordos-union-ledger+")
	if err := os.Remove(filepath.Join(dir, "integrity", "signing.key")); err != nil {
		t.Fatal(err)
	}
	restored := runLedger(t, "", "pubkey", "--data", dir)
	restored.expect(t, 0)
	if restored.stdout != key.stdout || strings.Count(restored.stdout, "\n") != 1 {
		t.Fatalf("pubkey without the signing key printed %q, with it %q", restored.stdout, key.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "integrity", "signing.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("pubkey made a signing key beside verifier.key (%v)", err)
	}
}
