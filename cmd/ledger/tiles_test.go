package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/integrity"
)

// dirTiles reads exported tiles from a directory, for tlog's verifying
// hash reader.
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

// The exported tiles are what a mirror checks: the checkpoint's signature
// with the ledger's verifier key, every hash tile against the signed root
// (tlog's verifying reader), and every entry against its leaf hash; an
// entry changed in the export is caught.
func TestTilesExportVerifiesLikeAMirror(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	runLedger(t, "", "tiles", "export", filepath.Join(t.TempDir(), "none"), "--data", data).expect(t, 1, "signed checkpoint")
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	out := filepath.Join(t.TempDir(), "tiles")
	runLedger(t, "", "tiles", "export", out, "--data", data).expect(t, 0, "the checkpoint of 121 events")
	key := strings.TrimSpace(runLedger(t, "", "pubkey", "--data", data).stdout)
	verifier, err := integrity.NewVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := os.ReadFile(filepath.Join(out, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	checkpoint, err := integrity.OpenCheckpoint(signed, verifier)
	if err != nil || checkpoint.Size != 121 {
		t.Fatalf("exported checkpoint: %+v, %v", checkpoint, err)
	}
	reader := tlog.TileHashReader(tlog.Tree{N: checkpoint.Size, Hash: checkpoint.Root}, dirTiles{out})
	root, err := tlog.TreeHash(checkpoint.Size, reader)
	if err != nil || root != checkpoint.Root {
		t.Fatalf("the tiles do not add up to the signed root: %v, %v", root, err)
	}
	bundlePath := filepath.Join(out, "tile", "entries", "000.p", "121")
	bundle, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := integrity.SplitBundle(bundle)
	if err != nil || len(entries) != 121 {
		t.Fatalf("entry bundle: %d entries, %v", len(entries), err)
	}
	leaves, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, 0), tlog.StoredHashIndex(0, 120)})
	if err != nil {
		t.Fatal(err)
	}
	if tlog.RecordHash(entries[0]) != leaves[0] || tlog.RecordHash(entries[120]) != leaves[1] {
		t.Fatal("the entries do not hash to the tree's leaves")
	}
	// One byte of one entry changed: its leaf no longer matches.
	changed := bytes.Replace(entries[60], []byte(`"`), []byte(`'`), 1)
	if leaf, _ := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, 60)}); tlog.RecordHash(changed) == leaf[0] {
		t.Fatal("a changed entry still matches its leaf")
	}
}
