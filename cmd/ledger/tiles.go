package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/cli"
)

// runTiles has one subcommand: export.
func runTiles(ctx context.Context, env *cli.Environment, args []string) error {
	if len(args) > 0 && cli.IsHelp(args[0]) {
		fmt.Fprintln(env.Stdout, "Usage: ledger tiles export DIR\n\nRun 'ledger tiles export --help' for what it writes.")
		return nil
	}
	if len(args) == 0 || args[0] != "export" {
		return cli.Usagef("tiles needs export DIR")
	}
	return runTilesExport(ctx, env, args[1:])
}

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
