package mirror_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/mirror"
)

// publish writes a log of entries in the tlog-tiles layout into dir, as
// `ledger tiles export` does, with a checkpoint signed by keys.
func publish(t *testing.T, dir string, keys integrity.Keys, entries [][]byte) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	tree, err := integrity.NewTree(&integrity.MemoryHashes{})
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		if err := tree.Append(entry); err != nil {
			t.Fatal(err)
		}
	}
	size := tree.Size()
	write := func(path string, content []byte) {
		file := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tile := range integrity.Tiles(size) {
		if tile.L >= 0 {
			content, err := integrity.TileData(tree, tile, size)
			if err != nil {
				t.Fatal(err)
			}
			write(integrity.TilePath(tile), content)
			continue
		}
		var bundle []byte
		first := tile.N << integrity.TileHeight
		for _, entry := range entries[first : first+int64(tile.W)] {
			bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(entry)))
			bundle = append(bundle, entry...)
		}
		write(integrity.TilePath(tile), bundle)
	}
	root, err := tree.Root(size)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := integrity.Checkpoint{Origin: integrity.Origin, Size: size, Root: root, Time: time.Now()}.Sign(keys.Signer)
	if err != nil {
		t.Fatal(err)
	}
	write("checkpoint", signed)
}

// logServer serves a published directory under /tlog/, to the bearer of
// token only (to anyone when token is empty), and records every path asked for.
type logServer struct {
	*httptest.Server
	dir string
	mu  sync.Mutex
	got []string
}

func serveLog(t *testing.T, token string) *logServer {
	t.Helper()
	server := &logServer{dir: t.TempDir()}
	files := http.StripPrefix("/tlog/", http.FileServer(http.Dir(server.dir)))
	server.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "token", http.StatusUnauthorized)
			return
		}
		server.mu.Lock()
		server.got = append(server.got, strings.TrimPrefix(r.URL.Path, "/tlog/"))
		server.mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(server.Close)
	return server
}

// fetched returns and forgets the paths asked for so far.
func (s *logServer) fetched() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := s.got
	s.got = nil
	slices.Sort(got)
	return got
}

func entries(prefix string, from, to int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, []byte(fmt.Sprintf(`{"entry":"%s-%d"}`, prefix, i)))
	}
	return out
}

func testKeys(t *testing.T) integrity.Keys {
	t.Helper()
	keys, err := integrity.LoadOrCreateKeys(t.TempDir(), "", "test-ledger")
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// A mirror fetches only the tiles it lacks: full tiles once, partial ones
// again as the log grows, and the stale partial ones go; what it keeps
// reads back entry for entry.
func TestMirrorFetchesIncrementally(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	server := serveLog(t, "secret")
	dir := filepath.Join(t.TempDir(), "mirror")
	options := mirror.Options{URL: server.URL + "/tlog", Dir: dir, Verifier: keys.Verifier, Token: "secret"}
	log := entries("a", 0, 300)
	publish(t, server.dir, keys, log)
	result, err := mirror.Update(ctx, options)
	if err != nil || result.Checkpoint.Size != 300 || result.Previous != 0 {
		t.Fatalf("first mirror: %+v, %v", result, err)
	}
	want := []string{"checkpoint", "tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1", "tile/entries/000", "tile/entries/001.p/44"}
	if got := server.fetched(); !slices.Equal(got, want) {
		t.Fatalf("first mirror fetched %v, want %v", got, want)
	}
	log = append(log, entries("a", 300, 600)...)
	publish(t, server.dir, keys, log)
	if result, err = mirror.Update(ctx, options); err != nil || result.Checkpoint.Size != 600 || result.Previous != 300 {
		t.Fatalf("second mirror: %+v, %v", result, err)
	}
	// tile/0/000 and tile/entries/000 are full and kept: not fetched again.
	want = []string{"checkpoint", "tile/0/001", "tile/0/002.p/88", "tile/1/000.p/2", "tile/entries/001", "tile/entries/002.p/88"}
	if got := server.fetched(); !slices.Equal(got, want) {
		t.Fatalf("second mirror fetched %v, want %v", got, want)
	}
	for _, stale := range []string{"tile/0/001.p/44", "tile/entries/001.p/44", "tile/1/000.p/1", "tile/0/001.p", "tile/entries/001.p"} {
		if _, err := os.Stat(filepath.Join(dir, stale)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s of the older tree is still in the mirror: %v", stale, err)
		}
	}
	opened, err := mirror.Open(ctx, dir, keys.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for message, err := range opened.Entries(ctx) {
		if err != nil || string(message.Data) != string(log[message.Position-1]) {
			t.Fatalf("entry %d: %q, %v", message.Position, message.Data, err)
		}
		count++
	}
	history, err := opened.History()
	if count != 600 || err != nil || len(history) != 2 {
		t.Fatalf("the mirror reads %d entries and %d accepted checkpoints (%v), want 600 and 2", count, len(history), err)
	}
	// The same checkpoint again: only it and the partial tiles are asked for.
	if _, err := mirror.Update(ctx, options); err != nil {
		t.Fatal(err)
	}
	want = []string{"checkpoint", "tile/0/002.p/88", "tile/1/000.p/2", "tile/entries/002.p/88"}
	if got := server.fetched(); !slices.Equal(got, want) {
		t.Fatalf("mirror of an unchanged log fetched %v, want %v", got, want)
	}
}

// The mirror's tiles are the C2SP layout: tlog's own verifying client
// (tlog.TileHashReader over the directory) reads them against the signed
// root, and the kept checkpoint is a note golang.org/x/mod/sumdb/note opens.
func TestMirrorIsReadByTlogsClient(t *testing.T) {
	keys := testKeys(t)
	server := serveLog(t, "")
	dir := t.TempDir()
	log := entries("b", 0, 700)
	publish(t, server.dir, keys, log)
	if _, err := mirror.Update(context.Background(), mirror.Options{URL: server.URL + "/tlog/", Dir: dir, Verifier: keys.Verifier}); err != nil {
		t.Fatal(err)
	}
	signed, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	opened, err := note.Open(signed, note.VerifierList(keys.Verifier))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(opened.Text, "\n")
	if lines[0] != integrity.Origin || lines[1] != "700" || len(opened.Sigs) != 1 || opened.Sigs[0].Name != keys.Verifier.Name() {
		t.Fatalf("checkpoint note: %q, %+v", opened.Text, opened.Sigs)
	}
	checkpoint, err := integrity.ParseCheckpoint(opened.Text)
	if err != nil {
		t.Fatal(err)
	}
	reader := tlog.TileHashReader(tlog.Tree{N: 700, Hash: checkpoint.Root}, dirTiles{dir})
	indexes := []int64{tlog.StoredHashIndex(0, 0), tlog.StoredHashIndex(0, 300), tlog.StoredHashIndex(0, 699)}
	leaves, err := reader.ReadHashes(indexes)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{0, 300, 699} {
		if leaves[i] != tlog.RecordHash(log[n]) {
			t.Errorf("leaf %d read through tlog's client is not the entry's hash", n)
		}
	}
	if root, err := tlog.TreeHash(700, reader); err != nil || root != checkpoint.Root {
		t.Fatalf("tlog's client computes root %v, %v; the checkpoint signs %v", root, err, checkpoint.Root)
	}
}

// dirTiles is a tlog.TileReader over a directory in the C2SP layout,
// written for this test from tlog's interface alone.
type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return integrity.TileHeight }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, tile := range tiles {
		content, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(integrity.TilePath(tile))))
		if err != nil {
			return nil, err
		}
		data[i] = content
	}
	return data, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// flip changes one byte of a published file.
func flip(t *testing.T, dir, path string, at int) {
	t.Helper()
	file := filepath.Join(dir, filepath.FromSlash(path))
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	content[at] ^= 0x01
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A tile changed on the server is refused, and named; the mirror keeps
// what it had. A hash tile and an entry bundle are each caught.
func TestMirrorNamesAChangedTile(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	server := serveLog(t, "")
	dir := t.TempDir()
	options := mirror.Options{URL: server.URL + "/tlog/", Dir: dir, Verifier: keys.Verifier}
	log := entries("c", 0, 300)
	publish(t, server.dir, keys, log)
	if _, err := mirror.Update(ctx, options); err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	log = append(log, entries("c", 300, 520)...)
	// An entry's data starts after the lengths and entries before it.
	entryAt := func(first, k int) int {
		offset := 2
		for _, entry := range log[first : first+k] {
			offset += 2 + len(entry)
		}
		return offset + 5
	}
	for _, change := range []struct {
		path string
		at   int
		want string
	}{
		{"tile/0/001", 40, "tile/0/001: hash does not match the signed tree"},
		{"tile/1/000.p/2", 40, "tile/1/000.p/2: hash does not match the signed tree"},
		{"tile/0/002.p/8", 40, "tile/0/002.p/8: hash does not match the signed tree"},
		{"tile/entries/001", entryAt(256, 0), "tile/entries/001: the entry at log position 257 does not match the signed tree"},
		{"tile/entries/002.p/8", entryAt(512, 3), "tile/entries/002.p/8: the entry at log position 516 does not match the signed tree"},
		// A full tile the mirror keeps is not fetched again, so a change
		// to it on the server is not seen: last, as the mirror then
		// takes the new checkpoint.
		{"tile/entries/000", entryAt(0, 0), ""},
	} {
		path, want := change.path, change.want
		publish(t, server.dir, keys, log)
		flip(t, server.dir, path, change.at)
		_, err := mirror.Update(ctx, options)
		if want == "" {
			if err != nil {
				t.Fatalf("%s changed after it was kept: %v", path, err)
			}
			continue
		}
		if !errors.Is(err, mirror.ErrTileMismatch) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s changed: %v, want %q", path, err, want)
		}
		if now, _ := os.ReadFile(filepath.Join(dir, "checkpoint")); string(now) != string(kept) {
			t.Fatalf("%s changed, yet the mirror replaced its checkpoint", path)
		}
		if _, err := os.Stat(filepath.Join(dir, "tile", "0", "001")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s changed, yet the mirror kept new tiles: %v", path, err)
		}
	}
	// A wrong key, and no key, are refused before anything is kept.
	other := testKeys(t)
	publish(t, server.dir, other, log)
	if _, err := mirror.Update(ctx, options); !errors.Is(err, integrity.ErrBadCheckpoint) {
		t.Fatalf("a checkpoint signed with another key: %v", err)
	}
}

// A checkpoint of a rewritten history, signed with the ledger's own key,
// is refused as inconsistent with the kept one, and so is a smaller tree;
// the mirror keeps its checkpoint and tiles.
func TestMirrorRefusesARewrittenHistory(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	server := serveLog(t, "")
	dir := t.TempDir()
	options := mirror.Options{URL: server.URL + "/tlog/", Dir: dir, Verifier: keys.Verifier}
	log := entries("d", 0, 300)
	publish(t, server.dir, keys, log)
	if _, err := mirror.Update(ctx, options); err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	keptTile, err := os.ReadFile(filepath.Join(dir, "tile", "0", "000"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][][]byte{
		// Entry 10 rewritten, inside the full tile the mirror keeps.
		"rewritten in a kept full tile": append(append(append([][]byte{}, log[:10]...), []byte(`{"entry":"forged"}`)), append(log[11:], entries("d", 300, 400)...)...),
		// Entry 280 rewritten, in a partial tile the mirror fetches again.
		"rewritten in a partial tile": append(append(append([][]byte{}, log[:280]...), []byte(`{"entry":"forged"}`)), append(log[281:], entries("d", 300, 400)...)...),
		// The same size, another root.
		"rewritten at the same size": append(append([][]byte{}, log[:299]...), []byte(`{"entry":"forged"}`)),
		"a smaller tree":             log[:200],
	}
	for name, rewritten := range cases {
		publish(t, server.dir, keys, rewritten)
		if _, err := mirror.Update(ctx, options); !errors.Is(err, mirror.ErrInconsistent) {
			t.Fatalf("%s: %v, want it refused as inconsistent", name, err)
		}
		if now, _ := os.ReadFile(filepath.Join(dir, "checkpoint")); string(now) != string(kept) {
			t.Fatalf("%s: the mirror replaced its checkpoint", name)
		}
		if now, _ := os.ReadFile(filepath.Join(dir, "tile", "0", "000")); string(now) != string(keptTile) {
			t.Fatalf("%s: the mirror replaced a kept tile", name)
		}
	}
	// The true history goes on: the mirror takes it.
	publish(t, server.dir, keys, append(log, entries("d", 300, 310)...))
	if result, err := mirror.Update(ctx, options); err != nil || result.Checkpoint.Size != 310 {
		t.Fatalf("the true history after refusals: %+v, %v", result, err)
	}
}

// A run cut short keeps nothing half done: the next run resumes, and a
// kept tile damaged on disk is caught offline and mended by the next run.
// A mirror opens only with the key it was made with, and runs one at a
// time.
func TestMirrorResumesAfterAFailureAndChecksItsDisk(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	server := serveLog(t, "token")
	dir := t.TempDir()
	options := mirror.Options{URL: server.URL + "/tlog/", Dir: dir, Verifier: keys.Verifier}
	publish(t, server.dir, keys, entries("e", 0, 300))
	if _, err := mirror.Update(ctx, options); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Fatalf("without the token: %v", err)
	}
	options.Token = "token"
	if err := os.Remove(filepath.Join(server.dir, "tile", "entries", "001.p", "44")); err != nil {
		t.Fatal(err)
	}
	if _, err := mirror.Update(ctx, options); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("a tile missing on the server: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed first run kept a checkpoint: %v", err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".[it]*")); len(leftovers) != 0 {
		t.Fatalf("a failed run left %v", leftovers)
	}
	// What a crash in the middle of a run leaves: a staging directory and
	// a temporary file never renamed. The next run removes them.
	crashed := []string{filepath.Join(dir, ".incoming-1", "tile", "0", "000"), filepath.Join(dir, "tile", "0", ".tmp-2")}
	for _, path := range crashed {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("half a tile"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, server.dir, keys, entries("e", 0, 300))
	server.fetched()
	if _, err := mirror.Update(ctx, options); err != nil {
		t.Fatal(err)
	}
	if _, err := mirror.Open(ctx, dir, keys.Verifier); err != nil {
		t.Fatal(err)
	}
	for _, path := range crashed {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s, left by a crash, is still there: %v", path, err)
		}
	}
	flip(t, dir, "tile/0/000", 7)
	if _, err := mirror.Open(ctx, dir, keys.Verifier); !errors.Is(err, mirror.ErrTileMismatch) || !strings.Contains(err.Error(), "tile/0/000:") {
		t.Fatalf("a kept tile damaged on disk, opened offline: %v", err)
	}
	// Mirroring again fetches the damaged full tile afresh and mends it.
	if _, err := mirror.Update(ctx, options); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(server.fetched(), "tile/0/000") {
		t.Fatal("the damaged kept tile was not fetched again")
	}
	if _, err := mirror.Open(ctx, dir, keys.Verifier); err != nil {
		t.Fatalf("after mending: %v", err)
	}
	// A mirror opened with another key is refused: its kept checkpoint
	// does not verify.
	if _, err := mirror.Open(ctx, dir, testKeys(t).Verifier); !errors.Is(err, integrity.ErrBadCheckpoint) {
		t.Fatalf("a mirror opened with another key: %v", err)
	}
	// One run at a time.
	held := flock.New(filepath.Join(dir, ".lock"))
	if locked, err := held.TryLock(); !locked || err != nil {
		t.Fatalf("lock: %v, %v", locked, err)
	}
	defer held.Unlock()
	if _, err := mirror.Update(ctx, options); !errors.Is(err, mirror.ErrBusy) {
		t.Fatalf("a run while another holds the directory: %v", err)
	}
}
