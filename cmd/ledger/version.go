package main

import (
	"flag"
	"runtime/debug"

	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/report"
)

// version is the release, stamped by `make build` and `make release`
// (-ldflags "-X main.version=…"); a plain `go build` leaves "dev".
var version = "dev"

// runVersion says which build this is, for a bug report or an upgrade.
var runVersion = plainCommand(cli.Spec{Name: "version", Args: cli.AnyArgs,
	Usage: "\n\nPrints the version, the commit and the build date, and the Go and target it was built with."},
	func(flags *flag.FlagSet) action {
		return func(c *call) error {
			info, _ := debug.ReadBuildInfo()
			report.VersionText(c.Env.Stdout, version, info)
			return nil
		}
	})
