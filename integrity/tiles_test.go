package integrity_test

import (
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/integrity"
)

// Tile paths are the C2SP tlog-tiles ones: no height, "entries" for the
// entry bundles, and the number in x-prefixed groups of three digits.
func TestTilePaths(t *testing.T) {
	for path, want := range map[string]tlog.Tile{
		"tile/0/000":             {H: 8, L: 0, N: 0, W: 256},
		"tile/0/x001/234":        {H: 8, L: 0, N: 1234, W: 256},
		"tile/1/000.p/5":         {H: 8, L: 1, N: 0, W: 5},
		"tile/entries/001.p/121": {H: 8, L: -1, N: 1, W: 121},
		"tile/entries/x005/067":  {H: 8, L: -1, N: 5067, W: 256},
		"tile/63/000.p/1":        {H: 8, L: 63, N: 0, W: 1},
	} {
		tile, err := integrity.ParseTile(path)
		if err != nil || tile != want {
			t.Errorf("ParseTile(%q) = %+v, %v; want %+v", path, tile, err, want)
			continue
		}
		if back := integrity.TilePath(tile); back != path {
			t.Errorf("TilePath(%+v) = %q, want %q", tile, back, path)
		}
	}
	for _, path := range []string{"tile/8/0/000", "tile/0/1", "tile/entries/000.p/0", "tile/0/000.p/257", "checkpoint", "tile/data/000", "tile/64/000", "tile/99/000.p/1"} {
		if tile, err := integrity.ParseTile(path); err == nil {
			t.Errorf("ParseTile(%q) = %+v, want an error", path, tile)
		}
	}
	// A tree of 300 leaves has one full level-0 tile and a partial one of
	// 44, the matching entry bundles, and a partial level-1 tile of 1.
	var paths []string
	for _, tile := range integrity.Tiles(300) {
		paths = append(paths, integrity.TilePath(tile))
	}
	want := map[string]bool{"tile/0/000": true, "tile/entries/000": true, "tile/0/001.p/44": true, "tile/entries/001.p/44": true, "tile/1/000.p/1": true}
	for _, path := range paths {
		delete(want, path)
	}
	if len(want) != 0 {
		t.Fatalf("tiles of 300 leaves %v lack %v", paths, want)
	}
}
