package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ordos-union/ledger/integrity"
)

func runTiles(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return usagef("tiles needs export DIR")
	}
	flags, store := newLedgerFlags(env, "tiles export", "DIR\n\nWrites the log in the C2SP tlog-tiles layout (checkpoint, tile/<L>/<N>, tile/entries/<N>) for the newest signed\n"+
		"checkpoint, for publishing on any static web server or object store. Entries are the events as stored: sealed personal\n"+
		"data stays sealed.")
	opened, err := openParsed(ctx, env, flags, store, args[1:], 1, "give one DIR")
	if err != nil {
		return err
	}
	defer opened.Close()
	dir := flags.Arg(0)
	signed, _, err := opened.App.LogFile(ctx, "checkpoint")
	if err != nil {
		return fmt.Errorf("tiles need a signed checkpoint (ledger checkpoint): %w", err)
	}
	checkpoint, err := integrity.ParseCheckpointNote(signed)
	if err != nil {
		return err
	}
	write := func(name string, content []byte) error {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, content, 0o644)
	}
	tiles := integrity.Tiles(checkpoint.Size)
	for _, tile := range tiles {
		path := integrity.TilePath(tile)
		content, _, err := opened.App.LogFile(ctx, path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := write(path, content); err != nil {
			return err
		}
	}
	// The checkpoint last: a reader that finds it finds every tile it names.
	if err := write("checkpoint", signed); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %d tiles and the checkpoint of %d events to %s\n", len(tiles), checkpoint.Size, dir)
	return nil
}
