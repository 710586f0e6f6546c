package main

import (
	"flag"
	"runtime/debug"

	"github.com/ordos-union/ledger/report"
)

// version is the release, stamped by `make build` and `make release`
// (-ldflags "-X main.version=…"); a plain `go build` leaves "dev".
var version = "dev"

// runVersion says which build this is, for a bug report or an upgrade.
var runVersion = plainCommand(commandSpec{name: "version", args: -1,
	usage: "\n\nPrints the version, the commit and the build date, and the Go and target it was built with."},
	func(flags *flag.FlagSet) action {
		return func(c *call) error {
			info, _ := debug.ReadBuildInfo()
			report.VersionText(c.env.stdout, version, info)
			return nil
		}
	})
