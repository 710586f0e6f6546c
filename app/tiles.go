package app

import (
	"context"
	"fmt"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
)

// LogFile is one file of the log as C2SP tlog-tiles publishes it:
// "checkpoint" (the newest signed checkpoint), a hash tile
// ("tile/<L>/<N>[.p/<W>]") or an entry bundle ("tile/entries/<N>[.p/<W>]")
// of the tree that checkpoint signs. immutable says the file never changes
// (a full tile); the checkpoint and partial tiles are replaced as the log
// grows. An entry is the event's stored bytes: the leaf hashes match, and
// personal data stays as it is stored, sealed.
func (l *Ledger) LogFile(ctx context.Context, path string) (content []byte, immutable bool, err error) {
	if l.parts.Signed == nil {
		return nil, false, fmt.Errorf("this ledger keeps no signed checkpoints: %w", domain.ErrNotFound)
	}
	signed, err := l.parts.Signed.Latest(ctx)
	if err != nil {
		return nil, false, err
	}
	if path == "checkpoint" {
		return signed, false, nil
	}
	checkpoint, err := integrity.ParseCheckpointNote(signed)
	if err != nil {
		return nil, false, err
	}
	tile, err := integrity.ParseTile(path)
	if err != nil {
		return nil, false, err
	}
	immutable = tile.W == 1<<integrity.TileHeight
	if tile.L == -1 {
		content, err = integrity.EntryBundle(ctx, l.parts.Store, tile, checkpoint.Size)
		return content, immutable, err
	}
	tree, err := l.merkleTree(ctx, uint64(checkpoint.Size))
	if err != nil {
		return nil, false, err
	}
	if tree == nil {
		return nil, false, fmt.Errorf("this ledger keeps no Merkle tree: %w", domain.ErrNotFound)
	}
	content, err = integrity.TileData(tree, tile, checkpoint.Size)
	return content, immutable, err
}

// TilesExport is what ExportTiles wrote.
type TilesExport struct {
	Tiles int
	Size  int64
}

// ExportTiles writes the log in the tlog-tiles layout, as LogFile serves
// it, for the newest signed checkpoint: every tile, then the checkpoint
// last, so a reader that finds the checkpoint finds every tile it names.
// write puts one file in place (its name uses forward slashes).
func (l *Ledger) ExportTiles(ctx context.Context, write func(name string, content []byte) error) (TilesExport, error) {
	signed, _, err := l.LogFile(ctx, "checkpoint")
	if err != nil {
		return TilesExport{}, fmt.Errorf("tiles need a signed checkpoint (ledger checkpoint): %w", err)
	}
	checkpoint, err := integrity.ParseCheckpointNote(signed)
	if err != nil {
		return TilesExport{}, err
	}
	tiles := integrity.Tiles(checkpoint.Size)
	for _, tile := range tiles {
		path := integrity.TilePath(tile)
		content, _, err := l.LogFile(ctx, path)
		if err != nil {
			return TilesExport{}, fmt.Errorf("%s: %w", path, err)
		}
		if err := write(path, content); err != nil {
			return TilesExport{}, err
		}
	}
	if err := write("checkpoint", signed); err != nil {
		return TilesExport{}, err
	}
	return TilesExport{Tiles: len(tiles), Size: checkpoint.Size}, nil
}
