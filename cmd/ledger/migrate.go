package main

import (
	"flag"
	"fmt"

	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/migrate"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/report"
)

// runMigrate copies the whole history from one store to another. The
// store flags other than the store's place apply to both (openStoreURL).
var runMigrate = storeCommand(cli.Spec{Name: "migrate", Args: cli.AnyArgs, Usage: "--from URL --to URL\n\n" +
	"Copies the whole history from one store to another in log order, keeping event ids and stored bytes,\n" +
	"then checks counts and a content hash of both. Rerunning continues an interrupted copy; on a finished\n" +
	"one it copies nothing and checks again. A URL is a data directory (dir:PATH or a plain path, run by an\n" +
	"embedded server), nats://HOST:PORT (a running NATS JetStream) or esdb://HOST:2113?tls=false (EventStoreDB).\n" +
	"The personal-data keys are copied too. Signed and projection checkpoints\n" +
	"stay behind: projections rebuild, and `ledger checkpoint` signs the copied tree."},
	func(flags *flag.FlagSet) action {
		from := flags.String("from", "", "store to copy from")
		to := flags.String("to", "", "store to copy into (empty, or an earlier copy of the source)")
		return func(c *call) error {
			if *from == "" || *to == "" {
				return cli.Usagef("give both --from and --to")
			}
			if *from == *to {
				return cli.Usagef("--from and --to are the same store")
			}
			source, err := openStoreURL(c, *from)
			if err != nil {
				return fmt.Errorf("open --from %s: %w", node.RedactedURL(*from), err)
			}
			defer source.Close()
			target, err := openStoreURL(c, *to)
			if err != nil {
				return fmt.Errorf("open --to %s: %w", node.RedactedURL(*to), err)
			}
			defer target.Close()
			copied, err := migrate.CopyLedger(c.Ctx, migrate.Ledger{Store: source.Store, Keys: source.Keystore},
				migrate.Ledger{Store: target.Store, Keys: target.Keystore}, migrate.Options{Progress: cli.Progress(c.Env, "migrate")})
			// What was copied is said on failure too, on standard error.
			out := c.Env.Stdout
			if err != nil {
				out = c.Env.Stderr
			}
			_ = report.WriteJSON(out, copied)
			return err
		}
	})

// openStoreURL opens the ledger a migration URL names (node.ConfigForURL),
// through the same path every command takes: the call's store flags with
// the store's place replaced. Unlike call.open, it leaves closing the
// ledger to the caller. A URL of no store is named before the flags'
// configuration is read, as it always was.
func openStoreURL(c *call, url string) (*opened, error) {
	base, baseErr := c.store.config(c.Env, serverOptions{})
	config, err := node.ConfigForURL(base, url)
	if err != nil {
		return nil, configUsage(err)
	}
	if baseErr != nil {
		return nil, baseErr
	}
	opened, err := node.Open(c.Ctx, config)
	return opened, configUsage(err)
}
