package mirror_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/mirror"
)

// modesIn returns every path below dir (dir itself as ".") with its mode.
func modesIn(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	modes := map[string]fs.FileMode{}
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		relative, err := filepath.Rel(dir, path)
		modes[filepath.ToSlash(relative)] = info.Mode()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return modes
}

// A log served only with a token is not public: its entry bundles are the
// stored events. Its mirror is its owner's alone, every directory 0700
// and every file 0600, and an existing mirror directory others could
// read is made so. A public log's mirror may stay readable by all.
func TestMirrorOfAPrivateLogIsItsOwnersAlone(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not access control on Windows")
	}
	ctx := context.Background()
	keys := testKeys(t)
	private := serveLog(t, "secret")
	publish(t, private.dir, keys, entries("p", 0, 300))
	dir := filepath.Join(t.TempDir(), "private")
	options := mirror.Options{URL: private.URL + "/tlog", Dir: dir, Verifier: keys.Verifier, Token: "secret"}
	if _, err := mirror.Update(ctx, options); err != nil {
		t.Fatal(err)
	}
	publish(t, private.dir, keys, entries("p", 0, 600))
	if _, err := mirror.Update(ctx, options); err != nil {
		t.Fatal(err)
	}
	modes := modesIn(t, dir)
	if _, ok := modes["tile/entries/000"]; !ok {
		t.Fatalf("the mirror lacks its first entry bundle: %v", modes)
	}
	for path, mode := range modes {
		want := fs.FileMode(0o600)
		if mode.IsDir() {
			want = 0o700
		}
		if mode.Perm() != want {
			t.Errorf("%s in the mirror of a private log: %v, want %04o", path, mode, want)
		}
	}

	public := serveLog(t, "")
	publish(t, public.dir, keys, entries("q", 0, 300))
	open := filepath.Join(t.TempDir(), "public")
	if _, err := mirror.Update(ctx, mirror.Options{URL: public.URL + "/tlog", Dir: open, Verifier: keys.Verifier}); err != nil {
		t.Fatal(err)
	}
	modes = modesIn(t, open)
	for _, path := range []string{".", "tile", "tile/entries"} {
		if modes[path].Perm() != 0o755 {
			t.Errorf("%s of a public log's mirror: %v, want 0755", path, modes[path])
		}
	}
	for _, path := range []string{"checkpoint", "tile/entries/000", "tile/0/000"} {
		if modes[path].Perm() != 0o644 {
			t.Errorf("%s of a public log's mirror: %v, want 0644", path, modes[path])
		}
	}

	// The public mirror's directory is taken for a private log: it is made
	// its owner's alone, so what it held before is too.
	publish(t, private.dir, keys, entries("p", 0, 600))
	if _, err := mirror.Update(ctx, mirror.Options{URL: private.URL + "/tlog", Dir: open, Verifier: keys.Verifier, Token: "secret"}); err == nil ||
		!strings.Contains(err.Error(), "not consistent") {
		t.Fatalf("another log into a mirror: %v, want it refused as inconsistent", err)
	}
	if info, err := os.Stat(open); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("a mirror directory a token run took: %v %v, want it made 0700", info, err)
	}

	// A directory other users may write is refused for a private log:
	// they could have put links or files in it.
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := mirror.Update(ctx, mirror.Options{URL: private.URL + "/tlog", Dir: shared, Verifier: keys.Verifier, Token: "secret"})
	if err == nil || !strings.Contains(err.Error(), "other users can put files in it") {
		t.Fatalf("a private log mirrored into a directory of mode 0777: %v", err)
	}
	if entries, _ := os.ReadDir(shared); len(entries) > 0 {
		t.Fatalf("the refused mirror wrote %v", entries)
	}
}
