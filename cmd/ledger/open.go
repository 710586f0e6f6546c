package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/node"
)

// storeFlags are the flags every command uses to reach the ledger.
type storeFlags struct {
	store      string
	dataDir    string
	natsURL    string
	natsCreds  string
	sync       string
	catalog    string
	replicas   int
	signingKey string
}

func (f *storeFlags) register(flags *flag.FlagSet) {
	flags.StringVar(&f.store, "store", os.Getenv("LEDGER_STORE"), "keep the events in EventStoreDB (KurrentDB) instead of JetStream, e.g. esdb://127.0.0.1:2113?tls=false (env LEDGER_STORE); --data then holds only tokens, the signing key and the tree file")
	flags.StringVar(&f.dataDir, "data", envOr("LEDGER_DATA", "./ledger-data"), "data directory of the embedded server (env LEDGER_DATA)")
	flags.StringVar(&f.natsURL, "nats", os.Getenv("LEDGER_NATS_URL"), "URL of a running NATS server or cluster to use instead of the data directory, e.g. nats://127.0.0.1:4222 (env LEDGER_NATS_URL)")
	flags.StringVar(&f.natsCreds, "nats-creds", os.Getenv("LEDGER_NATS_CREDS"), "credentials for --nats: a .creds file or an nkey seed file such as DATA/nats/runtime.nk (env LEDGER_NATS_CREDS)")
	flags.StringVar(&f.sync, "sync", "always", "durability of the embedded server: 'always' fsyncs before acknowledging (concurrent appends share one fsync); 'interval' fsyncs every 2 minutes, faster but a power loss can lose the last 2 minutes. An external server (--nats) keeps its own setting (sync_interval: always in its config)")
	flags.StringVar(&f.signingKey, "signing-key", os.Getenv("LEDGER_SIGNING_KEY"), "file with the checkpoint signing key (default: DATA/integrity/signing.key, made by the first command that signs)")
	flags.IntVar(&f.replicas, "replicas", 1, "replicas of the ledger stream: 1, or 3 on a JetStream cluster (with --nats)")
	flags.StringVar(&f.catalog, "catalog", os.Getenv("LEDGER_CATALOG"), "JSON file with regions, campaigns, groups and items replacing the built-in Ordos lists (env LEDGER_CATALOG)")
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func (f *storeFlags) loadCatalog() (*domain.Catalog, error) {
	if f.catalog == "" {
		return domain.DefaultCatalog(), nil
	}
	file, err := os.Open(f.catalog)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer file.Close()
	return domain.LoadCatalog(file)
}

// opened is the running ledger a command works on.
type opened = node.Node

// jetStreamOnly refuses what only a JetStream ledger can do.
func (f *storeFlags) jetStreamOnly(what string) error {
	if f.store != "" {
		return cli.Usagef("%s works on the JetStream store; for EventStoreDB use its own backups, or copy the ledger to a "+
			"directory with `ledger migrate --from %s --to dir:PATH` (see docs/OPERATIONS.md)", what, node.RedactedURL(f.store))
	}
	return nil
}

// serverOptions says how to start the embedded server when one is needed.
type serverOptions = node.ServerConfig

// open reaches the ledger the flags name (node.Open). A configuration
// that cannot work is a usage error.
func (f *storeFlags) open(ctx context.Context, env *cli.Environment, listen serverOptions) (*opened, error) {
	config, err := f.config(env, listen)
	if err != nil {
		return nil, err
	}
	opened, err := node.Open(ctx, config)
	var configError *node.ConfigError
	if errors.As(err, &configError) {
		return nil, cli.Usagef("%s", configError.Message)
	}
	return opened, err
}

// config is the node configuration the flags name.
func (f *storeFlags) config(env *cli.Environment, listen serverOptions) (node.Config, error) {
	catalog, err := f.loadCatalog()
	if err != nil {
		return node.Config{}, err
	}
	if f.sync != "always" && f.sync != "interval" {
		return node.Config{}, cli.Usagef("--sync must be always or interval, not %q", f.sync)
	}
	return node.Config{Store: f.store, DataDir: f.dataDir, NATSURL: f.natsURL, NATSCreds: f.natsCreds,
		SyncAlways: f.sync == "always", Replicas: f.replicas, SigningKey: f.signingKey, Catalog: catalog, Server: listen,
		Logger: env.Logger, Notice: func(message string) { fmt.Fprintf(env.Stderr, "ledger: %s\n", message) }}, nil
}

// operator names who runs the command, for the access log.
func operator() string { return actorNamed("operator") }
