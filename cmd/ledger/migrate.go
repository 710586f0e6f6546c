package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ordos-union/ledger/migrate"
	"github.com/ordos-union/ledger/node"
)

func runMigrate(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "migrate", "--from URL --to URL\n\n"+
		"Copies the whole history from one store to another in log order, keeping event ids and stored bytes,\n"+
		"then checks counts and a content hash of both. Rerunning continues an interrupted copy; on a finished\n"+
		"one it copies nothing and checks again. A URL is a data directory (dir:PATH or a plain path, run by an\n"+
		"embedded server), nats://HOST:PORT (a running NATS JetStream) or esdb://HOST:2113?tls=false (EventStoreDB).\n"+
		"The personal-data keys are copied too. Signed and projection checkpoints\n"+
		"stay behind: projections rebuild, and `ledger checkpoint` signs the copied tree.")
	from := flags.String("from", "", "store to copy from")
	to := flags.String("to", "", "store to copy into (empty, or an earlier copy of the source)")
	var base storeFlags
	base.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usagef("give both --from and --to")
	}
	if *from == *to {
		return usagef("--from and --to are the same store")
	}
	source, err := openStoreURL(ctx, env, base, *from)
	if err != nil {
		return fmt.Errorf("open --from %s: %w", node.RedactedURL(*from), err)
	}
	defer source.Close()
	target, err := openStoreURL(ctx, env, base, *to)
	if err != nil {
		return fmt.Errorf("open --to %s: %w", node.RedactedURL(*to), err)
	}
	defer target.Close()
	report, err := migrate.CopyLedger(ctx, migrate.Ledger{Store: source.Store, Keys: source.Keystore},
		migrate.Ledger{Store: target.Store, Keys: target.Keystore}, migrate.Options{Progress: newProgress(env, "migrate")})
	encoded, _ := json.MarshalIndent(report, "", "  ")
	if err != nil {
		fmt.Fprintf(env.stderr, "%s\n", encoded)
		return err
	}
	fmt.Fprintf(env.stdout, "%s\n", encoded)
	return nil
}

// openStoreURL opens the ledger a migration URL names, through the same
// path every command takes.
func openStoreURL(ctx context.Context, env *environment, base storeFlags, url string) (*opened, error) {
	switch {
	case strings.HasPrefix(url, "esdb://"), strings.HasPrefix(url, "esdb+discover://"):
		base.store, base.natsURL = url, ""
	case strings.HasPrefix(url, "nats://"), strings.HasPrefix(url, "tls://"):
		base.store, base.natsURL, base.dataDir = "", url, ""
	case strings.Contains(url, "://"):
		return nil, usagef("unknown store %q: use dir:PATH, nats://HOST:PORT or esdb://HOST:PORT", node.RedactedURL(url))
	default:
		base.store, base.natsURL, base.dataDir = "", "", strings.TrimPrefix(url, "dir:")
	}
	return base.open(ctx, env, serverOptions{})
}
