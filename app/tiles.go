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
