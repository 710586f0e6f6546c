package integrity

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// TileHeight is the C2SP tlog-tiles height: 256 hashes or entries a tile.
const TileHeight = 8

// tileWidthMax is a full tile's width.
const tileWidthMax = 1 << TileHeight

// ParseTile reads a C2SP tlog-tiles path below the log's prefix:
// "tile/<L>/<N>[.p/<W>]" for hash tiles and "tile/entries/<N>[.p/<W>]" for
// entry bundles (the tile's level is then -1). N is written in groups of
// three digits, all but the last with an "x" in front (x001/x234/567).
func ParseTile(path string) (tlog.Tile, error) {
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return tlog.Tile{}, fmt.Errorf("%q is not a tile path: %w", path, domain.ErrInvalid)
	}
	// The Go checksum database's tile paths carry the height and call
	// entries "data"; its parser does the rest of the syntax.
	if strings.HasPrefix(rest, "data/") {
		return tlog.Tile{}, fmt.Errorf("%q is not a tile path: %w", path, domain.ErrInvalid)
	}
	if entries, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest = "data/" + entries
	}
	tile, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", TileHeight, rest))
	if err != nil {
		return tlog.Tile{}, fmt.Errorf("%q is not a tile path: %w", path, domain.ErrInvalid)
	}
	if tile.L > TileLevelMax {
		return tlog.Tile{}, fmt.Errorf("%q is not a tile path: level %d is beyond tlog-tiles' levels 0 to %d: %w", path, tile.L, TileLevelMax, domain.ErrInvalid)
	}
	return tile, nil
}

// TilePath is a tile's C2SP path: the inverse of ParseTile.
func TilePath(tile tlog.Tile) string {
	path := strings.TrimPrefix(tile.Path(), fmt.Sprintf("tile/%d/", TileHeight))
	if entries, ok := strings.CutPrefix(path, "data/"); ok {
		return "tile/entries/" + entries
	}
	return "tile/" + path
}

// Tiles are the tiles of a tree of size leaves: the full ones and the
// partial one at the right edge of each level, as a mirror fetches them.
func Tiles(size int64) []tlog.Tile {
	var tiles []tlog.Tile
	for _, tile := range tlog.NewTiles(TileHeight, 0, size) {
		tiles = append(tiles, tile)
		if tile.L == 0 {
			entries := tile
			entries.L = -1
			tiles = append(tiles, entries)
		}
	}
	return tiles
}

// TileLevelMax is the highest level C2SP tlog-tiles has: a tree of at
// most 2^63 leaves has hashes at no higher level than 63.
const TileLevelMax = 63

// tileFits says whether a tile lies within a tree of size leaves: a tile
// of the published tree, not one of a larger tree that no signed
// checkpoint has committed to yet, nor one at a level or index no tree
// of that size has. Its last hash stands for (N·256 + W) · 2^(8·level)
// leaves; that is compared as N·256 + W against size / 2^(8·level), which
// cannot overflow, where multiplying once made the leaves of a tile at
// level 8 or above wrap to 0 and so "fit" any tree, and a tile of
// invented hashes was served as immutable.
func tileFits(tile tlog.Tile, size int64) bool {
	level := max(tile.L, 0)
	if tile.H != TileHeight || tile.W < 1 || tile.W > tileWidthMax || tile.L > TileLevelMax ||
		tile.N < 0 || tile.N > (math.MaxInt64-tileWidthMax)/tileWidthMax || size < 0 {
		return false
	}
	shift := uint(level) * TileHeight
	if shift >= 63 {
		return false
	}
	return tile.N*tileWidthMax+int64(tile.W) <= size>>shift
}

// TileData is a hash tile of the tree, which must hold at least size
// leaves: the concatenated hashes, as tlog-tiles serves them.
func TileData(tree *Tree, tile tlog.Tile, size int64) ([]byte, error) {
	if tile.L < 0 || !tileFits(tile, size) || size > tree.Size() {
		return nil, fmt.Errorf("tile %s is not in a tree of %d leaves: %w", TilePath(tile), size, domain.ErrNotFound)
	}
	return tlog.ReadTileData(tile, tree.storage)
}

// EntryBundle is an entries tile: the stored bytes of each event of the
// tile, each after its length as two big-endian bytes (the C2SP entry
// bundle), read from the store. The leaves hash the same bytes.
func EntryBundle(ctx context.Context, store eventstore.Store, tile tlog.Tile, size int64) ([]byte, error) {
	if tile.L != -1 || !tileFits(tile, size) {
		return nil, fmt.Errorf("tile %s is not in a log of %d events: %w", TilePath(tile), size, domain.ErrNotFound)
	}
	first := uint64(tile.N * tileWidthMax)
	var bundle []byte
	count := 0
	for record, err := range store.Read(ctx, first, eventstore.Filter{}) {
		if err != nil {
			return nil, err
		}
		if record.Position != first+uint64(count)+1 {
			return nil, fmt.Errorf("tile %s: the log lacks position %d: %w", TilePath(tile), first+uint64(count)+1, domain.ErrNotFound)
		}
		if len(record.Data) > 0xFFFF {
			return nil, fmt.Errorf("event %d is %d bytes, more than an entry bundle holds", record.Position, len(record.Data))
		}
		bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(record.Data)))
		bundle = append(bundle, record.Data...)
		count++
		if count == tile.W {
			return bundle, nil
		}
	}
	return nil, fmt.Errorf("tile %s: the log ends before it: %w", TilePath(tile), domain.ErrNotFound)
}

// SplitBundle reads an entry bundle back into its entries.
func SplitBundle(bundle []byte) ([][]byte, error) {
	var entries [][]byte
	for len(bundle) > 0 {
		if len(bundle) < 2 {
			return nil, fmt.Errorf("entry bundle: a length cut short: %w", domain.ErrInvalid)
		}
		length := int(binary.BigEndian.Uint16(bundle))
		if len(bundle) < 2+length {
			return nil, fmt.Errorf("entry bundle: an entry cut short: %w", domain.ErrInvalid)
		}
		entries = append(entries, bundle[2:2+length])
		bundle = bundle[2+length:]
	}
	return entries, nil
}
