package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// A backup holds every person's data: its directory is made its owner's
// alone (mode 0700, files 0600), an existing empty one of ours is
// tightened, and one another user owns or may write is refused before
// anything is written (they could plant a link where the backup writes a
// file). A restore refuses a backup, or an erasure list, that other users
// may change: what it would put back could be theirs.
func TestBackupDirectoryIsItsOwnersAlone(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not access control on Windows")
	}
	data := verifiedDataDir(t)

	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "backup", shared, "--data", data, "--plaintext").expect(t, 1, shared+" is mode 0777", "other users can put files in it")
	if entries, err := os.ReadDir(shared); err != nil || len(entries) > 0 {
		t.Fatalf("a refused backup wrote %v (%v)", entries, err)
	}
	if info, err := os.Stat(shared); err != nil || info.Mode().Perm() != 0o777 {
		t.Fatalf("a refused directory was changed: %v %v", info, err)
	}
	if os.Geteuid() == 0 {
		theirs := filepath.Join(t.TempDir(), "theirs")
		if err := os.Mkdir(theirs, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		runLedger(t, "", "backup", theirs, "--data", data, "--plaintext").expect(t, 1, theirs+" belongs to another user")
	}

	fresh := filepath.Join(t.TempDir(), "new", "backup")
	runLedger(t, "", "backup", fresh, "--data", data, "--plaintext").expect(t, 0, "backed up 121 events")
	own := filepath.Join(t.TempDir(), "own")
	if err := os.Mkdir(own, 0o755); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "backup", own, "--data", data, "--plaintext").expect(t, 0, "backed up 121 events")
	for _, dir := range []string{fresh, own} {
		if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
			t.Fatalf("backup directory %s: %v %v, want mode 0700", dir, info, err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) < 5 {
			t.Fatalf("backup %s holds %v (%v)", dir, entries, err)
		}
		for _, entry := range entries {
			if info, err := entry.Info(); err != nil || info.Mode().Perm() != 0o600 || !info.Mode().IsRegular() {
				t.Errorf("%s/%s: %v %v, want a file of mode 0600", dir, entry.Name(), info, err)
			}
		}
	}

	if err := os.Chmod(own, 0o777); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "restore", own, "--data", filepath.Join(t.TempDir(), "a")).expect(t, 1, own+" is mode 0777",
		"other users of this machine can change it")
	if err := os.Chmod(own, 0o700); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(own, "keys.json")
	if err := os.Chmod(keys, 0o666); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "restore", own, "--data", filepath.Join(t.TempDir(), "b")).expect(t, 1, keys+" is mode 0666")
	if err := os.Chmod(keys, 0o644); err != nil {
		t.Fatal(err)
	}
	erasures := filepath.Join(t.TempDir(), "erasures.txt")
	if err := os.WriteFile(erasures, []byte("# none\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(erasures, 0o666); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "restore", own, "--data", filepath.Join(t.TempDir(), "c"), "--erasures", erasures).expect(t, 2, erasures+" is mode 0666")
	if err := os.Chmod(erasures, 0o644); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "restore", own, "--data", filepath.Join(t.TempDir(), "d"), "--erasures", erasures).expect(t, 0,
		"restored 121 events", "OK: 121 events")

	// A signing key others could read is not copied into a backup.
	key := filepath.Join(data, "integrity", "signing.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "backup", filepath.Join(t.TempDir(), "e"), "--data", data, "--plaintext", "--with-signing-key").expect(t, 1,
		key+" is mode 0644", "chmod 600 "+key)
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}
	withKey := filepath.Join(t.TempDir(), "f")
	runLedger(t, "", "backup", withKey, "--data", data, "--plaintext", "--with-signing-key").expect(t, 0, "backed up 121 events")
	if info, err := os.Stat(filepath.Join(withKey, "signing.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the backup's signing key: %v %v, want a file of mode 0600", info, err)
	}
}
