package backup

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"filippo.io/age"
)

// A backup file is always a new one: a link standing where the manifest
// or a data file is about to be made (planted while the backup ran, the
// reviewer's race) is refused, and the file it points at is not touched.
func TestBackupFilesNeverWriteThroughALink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("making symbolic links needs a privilege on Windows")
	}
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	for _, recipients := range [][]age.Recipient{nil, {identity.Recipient()}} {
		dir := t.TempDir()
		root, err := openNewDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { root.Close() })
		out := files{dir: dir, root: root, recipients: recipients}
		victim := filepath.Join(t.TempDir(), "victim")
		if err := os.WriteFile(victim, []byte("someone else's file"), 0o600); err != nil {
			t.Fatal(err)
		}
		dataName := keysName
		if out.encrypted() {
			dataName += backupAgeSuffix
		}
		for _, name := range []string{manifestName, dataName} {
			if err := os.Symlink(victim, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		if err := out.writeClear(manifestName, []byte("{}\n")); err == nil {
			t.Error("the manifest was written through a link")
		}
		if err := out.write(keysName, []byte("{}\n")); err == nil {
			t.Errorf("%s was written through a link", dataName)
		}
		if content, err := os.ReadFile(victim); err != nil || string(content) != "someone else's file" {
			t.Fatalf("the linked file became %q (%v)", content, err)
		}
		// A file that is there already, even one of the backup's own, is
		// never written over.
		if err := out.write(checkpointsName, nil); err != nil {
			t.Fatal(err)
		}
		if err := out.write(checkpointsName, nil); err == nil {
			t.Error("a backup file was written twice")
		}
	}
}

// The backup directory must be new or empty.
func TestBackupDirectoryMustBeEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "other"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if root, err := openNewDir(dir); err == nil {
		root.Close()
		t.Fatal("a directory holding a file was taken for a backup")
	}
}
