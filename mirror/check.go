package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/integrity"
)

// tileFiles reads tiles from the first of its directories that holds
// them: staged tiles before kept ones. It is a tlog.TileReader, so tlog's
// own verifying client (tlog.TileHashReader) reads through it.
type tileFiles struct{ dirs []string }

func (t *tileFiles) Height() int { return integrity.TileHeight }

// read reads one tile, refusing one of the wrong size: a hash tile holds
// exactly W hashes, and no file may exceed its bound.
func (t *tileFiles) read(tile tlog.Tile) ([]byte, error) {
	path := integrity.TilePath(tile)
	for _, dir := range t.dirs {
		file := filepath.Join(dir, filepath.FromSlash(path))
		info, err := os.Stat(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if info.Size() > tileLimit(tile) {
			return nil, fmt.Errorf("%s: %d bytes, more than a tile holds: %w", path, info.Size(), ErrTileMismatch)
		}
		content, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if tile.L >= 0 && len(content) != tile.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, not %d hashes: %w", path, len(content), tile.W, ErrTileMismatch)
		}
		return content, nil
	}
	return nil, fmt.Errorf("%s: missing from the mirror: %w", path, fs.ErrNotExist)
}

// entries reads an entry bundle, which must hold exactly W entries.
func (t *tileFiles) entries(tile tlog.Tile) ([][]byte, error) {
	content, err := t.read(tile)
	if err != nil {
		return nil, err
	}
	entries, err := integrity.SplitBundle(content)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", integrity.TilePath(tile), err)
	}
	if len(entries) != tile.W {
		return nil, fmt.Errorf("%s: holds %d entries, not %d: %w", integrity.TilePath(tile), len(entries), tile.W, ErrTileMismatch)
	}
	return entries, nil
}

// ReadTiles is tlog.TileReader's: the tiles' contents, in order.
func (t *tileFiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, tile := range tiles {
		content, err := t.read(tile)
		if err != nil {
			return nil, err
		}
		data[i] = content
	}
	return data, nil
}

// SaveTiles is tlog.TileReader's; the mirror keeps tiles itself, after
// checking all of them.
func (t *tileFiles) SaveTiles([]tlog.Tile, [][]byte) {}

// bundleTile is the entry bundle holding leaf n of a tree of size leaves.
func bundleTile(n, size int64) tlog.Tile {
	width := int64(1) << integrity.TileHeight
	tile := tlog.Tile{H: integrity.TileHeight, L: -1, N: n / width, W: int(width)}
	if end := (tile.N + 1) * width; end > size {
		tile.W = int(size - tile.N*width)
	}
	return tile
}

// check verifies the tiles of a checkpoint's tree: the entries rebuild a
// tree whose root must be the signed one (then they are what the ledger
// signed), the kept checkpoint's tree must be a prefix of it (a
// consistency proof), and every hash tile must be, byte for byte, the one
// that tree gives. It returns the rebuilt tree. A tile that does not match
// is named.
func check(ctx context.Context, files *tileFiles, checkpoint, kept integrity.Checkpoint) (*integrity.Tree, error) {
	tree, err := integrity.NewTree(&integrity.MemoryHashes{})
	if err != nil {
		return nil, err
	}
	tiles := integrity.Tiles(checkpoint.Size)
	for _, tile := range tiles {
		if tile.L != -1 {
			continue
		}
		// A large log takes a while to hash: a cancelled run stops.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		entries, err := files.entries(tile)
		if err != nil {
			return nil, err
		}
		for _, entry := range entries {
			if err := tree.Append(entry); err != nil {
				return nil, err
			}
		}
	}
	root, err := tree.Root(checkpoint.Size)
	if err != nil {
		return nil, err
	}
	if root != checkpoint.Root {
		return nil, locate(files, tree, checkpoint)
	}
	if kept.Size > 0 {
		proof, err := tree.ProveConsistency(checkpoint.Size, kept.Size)
		if err == nil {
			err = tlog.CheckTree(proof, checkpoint.Size, checkpoint.Root, kept.Size, kept.Root)
		}
		if err != nil {
			return nil, fmt.Errorf("the checkpoint of %d entries does not extend the kept one of %d (root %s): history was rewritten: %w",
				checkpoint.Size, kept.Size, kept.Root, ErrInconsistent)
		}
	}
	for _, tile := range tiles {
		if tile.L < 0 {
			continue
		}
		got, err := files.read(tile)
		if err != nil {
			return nil, err
		}
		want, err := integrity.TileData(tree, tile, checkpoint.Size)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(got, want) {
			return nil, fmt.Errorf("%s: hash %w", integrity.TilePath(tile), ErrTileMismatch)
		}
	}
	return tree, nil
}

// locate names the entry bundle that makes the entries miss the signed
// root. tlog's verifying client reads the leaf hashes from the hash tiles,
// authenticated against the signed root; the first entry whose hash is not
// its leaf names its bundle. When the hash tiles do not add up to the
// root either, the first of them that differs from what the entries give
// is named.
func locate(files *tileFiles, tree *integrity.Tree, checkpoint integrity.Checkpoint) error {
	reader := tlog.TileHashReader(tlog.Tree{N: checkpoint.Size, Hash: checkpoint.Root}, files)
	for _, tile := range integrity.Tiles(checkpoint.Size) {
		if tile.L != -1 {
			continue
		}
		first := tile.N << integrity.TileHeight
		indexes := make([]int64, tile.W)
		for i := range indexes {
			indexes[i] = tlog.StoredHashIndex(0, first+int64(i))
		}
		leaves, err := reader.ReadHashes(indexes)
		if err != nil {
			return disagreement(files, tree, checkpoint, err)
		}
		entries, err := files.entries(tile)
		if err != nil {
			return err
		}
		for i, entry := range entries {
			if tlog.RecordHash(entry) != leaves[i] {
				return fmt.Errorf("%s: the entry at log position %d %w", integrity.TilePath(tile), first+int64(i)+1, ErrTileMismatch)
			}
		}
	}
	return fmt.Errorf("the entries do not add up to the signed tree of %d entries: %w", checkpoint.Size, ErrTileMismatch)
}

// disagreement is the error when neither the entries nor the hash tiles
// give the signed root.
func disagreement(files *tileFiles, tree *integrity.Tree, checkpoint integrity.Checkpoint, cause error) error {
	for _, tile := range integrity.Tiles(checkpoint.Size) {
		if tile.L < 0 {
			continue
		}
		got, err := files.read(tile)
		if err != nil {
			return err
		}
		if want, err := integrity.TileData(tree, tile, checkpoint.Size); err == nil && !bytes.Equal(got, want) {
			return fmt.Errorf("neither the entries nor the hash tiles give the signed root of %d entries (%v); %s is the first hash tile "+
				"that differs from the entries: %w", checkpoint.Size, cause, integrity.TilePath(tile), ErrTileMismatch)
		}
	}
	return fmt.Errorf("neither the entries nor the hash tiles give the signed root of %d entries (%v): %w", checkpoint.Size, cause, ErrTileMismatch)
}
