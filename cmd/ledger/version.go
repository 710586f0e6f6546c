package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is the release, stamped by `make build` and `make release`
// (-ldflags "-X main.version=…"); a plain `go build` leaves "dev".
var version = "dev"

func runVersion(_ context.Context, env *environment, args []string) error {
	flags := newFlags(env, "version", "\n\nPrints the version, the commit and the build date, and the Go and target it was built with.")
	if err := parse(flags, args); err != nil {
		return err
	}
	commit, built, modified := "unknown", "unknown", ""
	// The go command stamps the commit and its date into a build from a
	// git checkout.
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, setting := range info.Settings {
			switch setting.Key {
			case "vcs.revision":
				commit = setting.Value
			case "vcs.time":
				built = setting.Value
			case "vcs.modified":
				if setting.Value == "true" {
					modified = " (with uncommitted changes)"
				}
			}
		}
	}
	fmt.Fprintf(env.stdout, "ledger %s\ncommit %s%s\ndate %s\n%s %s/%s\n", version, commit, modified, built, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
