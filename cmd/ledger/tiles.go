package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
	export, err := opened.App.ExportTiles(ctx, func(name string, content []byte) error {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, content, 0o644)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %d tiles and the checkpoint of %d events to %s\n", export.Tiles, export.Size, dir)
	return nil
}
