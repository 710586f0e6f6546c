package main

import (
	"flag"

	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/cli"
)

var runTilesExport = ledgerCommand(cli.Spec{Name: "tiles export", Args: 1, ArgsWanted: "give one DIR",
	Usage: "DIR\n\nWrites the log in the C2SP tlog-tiles layout (checkpoint, tile/<L>/<N>, tile/entries/<N>) for the newest signed\n" +
		"checkpoint, for publishing on any static web server or object store. Entries are the events as stored: sealed personal\n" +
		"data stays sealed."},
	func(*flag.FlagSet) action {
		return func(c *call) error {
			export, err := c.ledger.App.ExportTiles(c.Ctx, integrity.TileFileWriter(c.Arg(0)))
			if err != nil {
				return err
			}
			c.Printf("wrote %d tiles and the checkpoint of %d events to %s\n", export.Tiles, export.Size, c.Arg(0))
			return nil
		}
	})
