package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/esdb"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/migrate"
)

func runMigrate(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "migrate", "--from URL --to URL\n\n"+
		"Copies the whole history from one store to another in log order, keeping event ids and stored bytes,\n"+
		"then checks counts and a content hash of both. Rerunning continues an interrupted copy; on a finished\n"+
		"one it copies nothing and checks again. A URL is a data directory (dir:PATH or a plain path, run by an\n"+
		"embedded server), nats://HOST:PORT (a running NATS JetStream) or esdb://HOST:2113?tls=false (EventStoreDB).\n"+
		"Between JetStream stores the personal-data keys are copied too. Signed and projection checkpoints\n"+
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
		return fmt.Errorf("open --from %s: %w", *from, err)
	}
	defer source.close()
	target, err := openStoreURL(ctx, env, base, *to)
	if err != nil {
		return fmt.Errorf("open --to %s: %w", *to, err)
	}
	defer target.close()
	report := struct {
		migrate.Report
		KeysCopied int `json:"personal_data_keys_copied"`
	}{}
	report.Report, err = migrate.Copy(ctx, source.store, target.store, migrate.Options{Progress: newProgress(env, "migrate")})
	if err == nil {
		report.KeysCopied, err = copyKeys(ctx, env, source.keystore, target.keystore)
	}
	encoded, _ := json.MarshalIndent(report, "", "  ")
	if err != nil {
		fmt.Fprintf(env.stderr, "%s\n", encoded)
		return err
	}
	fmt.Fprintf(env.stdout, "%s\n", encoded)
	return nil
}

// copyKeys copies the personal-data keys, without which the copied sealed
// personal data could not be read. Keys of erased subjects are gone from the
// source and stay gone.
func copyKeys(ctx context.Context, env *environment, from, to *natsjs.Keystore) (int, error) {
	if from == nil || to == nil {
		fmt.Fprintln(env.stderr, "ledger migrate: personal-data keys are kept only by JetStream stores; they were not copied, "+
			"so personal data on the target reads as erased until the keys are restored from a backup")
		return 0, nil
	}
	keys, err := from.Export(ctx)
	if err != nil {
		return 0, fmt.Errorf("read personal-data keys: %w", err)
	}
	if err := to.Import(ctx, keys); err != nil {
		return 0, fmt.Errorf("copy personal-data keys: %w", err)
	}
	return len(keys), nil
}

// migrationStore is one end of a migration.
type migrationStore struct {
	store    eventstore.Store
	keystore *natsjs.Keystore
	close    func()
}

// openStoreURL opens the event store a migration URL names.
func openStoreURL(ctx context.Context, env *environment, base storeFlags, url string) (migrationStore, error) {
	switch {
	case strings.HasPrefix(url, "esdb://"), strings.HasPrefix(url, "esdb+discover://"):
		store, err := esdb.Open(ctx, url, esdb.Options{})
		if err != nil {
			return migrationStore{}, err
		}
		return migrationStore{store: store, close: func() { _ = store.Close() }}, nil
	case strings.HasPrefix(url, "nats://"), strings.HasPrefix(url, "tls://"):
		base.natsURL, base.dataDir = url, ""
	case strings.Contains(url, "://"):
		return migrationStore{}, usagef("unknown store %q: use dir:PATH, nats://HOST:PORT or esdb://HOST:PORT", url)
	default:
		base.natsURL, base.dataDir = "", strings.TrimPrefix(url, "dir:")
	}
	opened, err := base.open(ctx, env, serverOptions{})
	if err != nil {
		return migrationStore{}, err
	}
	return migrationStore{store: opened.store, keystore: opened.keystore, close: opened.Close}, nil
}
