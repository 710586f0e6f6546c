package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/esdb"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/privacy"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/reconcile"
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
	flags.StringVar(&f.signingKey, "signing-key", os.Getenv("LEDGER_SIGNING_KEY"), "file with the checkpoint signing key (default: DATA/integrity/signing.key, made at first start)")
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

// opened is a ledger ready to use, and how to put it away.
type opened struct {
	store eventstore.Store
	// jetstream is the store when it is JetStream: backups, restores and
	// the live totals bucket need it. Nil on EventStoreDB.
	jetstream   *natsjs.Store
	eventStore  *esdb.Store
	keystore    privacy.KeyArchive
	sealer      *privacy.Sealer
	checkpoints checkpointStore
	signed      eventstore.SignedCheckpointLog
	// accessLog records every read of personal data; accessStream is its
	// JetStream stream, for the guard (nil on EventStoreDB).
	accessLog    *privacy.AccessLog
	accessStream *natsjs.SignedCheckpoints
	closers      []func() error
	service      *ledger.Service
	catalog      *domain.Catalog
	server       *server.Server
	lock         *natsjs.DataDirLock
	conn         *nats.Conn
	location     string
	dataDir      string
	// seenPath is the data directory's record of the checkpoint stream
	// (integrity.SeenCheckpoints); empty when the ledger was reached with
	// --nats, whose history is not this directory's.
	seenPath string
}

// checkpointStore is what the commands need of projection checkpoints.
type checkpointStore interface {
	eventstore.CheckpointStore
	eventstore.Leases
	eventstore.CheckpointArchive
}

func (o *opened) Close() {
	for _, closer := range o.closers {
		_ = closer()
	}
	if o.store != nil {
		_ = o.store.Close()
	}
	if o.conn != nil {
		o.conn.Close()
	}
	if o.server != nil {
		o.server.Shutdown()
		o.server.WaitForShutdown()
	}
	_ = o.lock.Release()
}

// jetStreamOnly refuses what only a JetStream ledger can do.
func (f *storeFlags) jetStreamOnly(what string) error {
	if f.store != "" {
		return usagef("%s works on the JetStream store; for EventStoreDB use its own backups, or copy the ledger to a "+
			"directory with `ledger migrate --from %s --to dir:PATH` (see docs/OPERATIONS.md)", what, redactedURL(f.store))
	}
	return nil
}

// serverOptions says how to start the embedded server when one is needed.
type serverOptions struct {
	listen  bool
	host    string
	port    int
	cluster clusterOptions
}

// clusterOptions join the embedded server to a JetStream cluster.
type clusterOptions struct {
	name       string
	serverName string
	host       string
	port       int
	routes     []string
	tls        *natsjs.ClusterTLS
}

// open reaches the ledger: an external NATS when --nats is given; else the
// data directory with an embedded server; and when a running `ledger serve`
// holds the directory, the NATS that server announced.
func (f *storeFlags) open(ctx context.Context, env *environment, listen serverOptions) (*opened, error) {
	catalog, err := f.loadCatalog()
	if err != nil {
		return nil, err
	}
	if f.sync != "always" && f.sync != "interval" {
		return nil, usagef("--sync must be always or interval, not %q", f.sync)
	}
	result := &opened{catalog: catalog, dataDir: f.dataDir}
	if f.natsURL == "" {
		result.seenPath = seenCheckpointsPath(f.dataDir)
	}
	if f.store != "" {
		return f.openEventStoreDB(ctx, env, listen, result)
	}
	natsURL := f.natsURL
	if natsURL == "" {
		lock, holder, err := natsjs.LockDataDir(f.dataDir)
		switch {
		case errors.Is(err, natsjs.ErrDataDirInUse) && holder.NATSURL != "" && !listen.listen:
			fmt.Fprintf(env.stderr, "ledger: %s is held by a running ledger (pid %d); using its NATS at %s\n", f.dataDir, holder.PID, holder.NATSURL)
			natsURL = holder.NATSURL
		case errors.Is(err, natsjs.ErrDataDirInUse):
			return nil, fmt.Errorf("%w; stop it, or point this command at its NATS server with --nats URL", err)
		case err != nil:
			return nil, err
		default:
			result.lock = lock
		}
	}
	durable := f.sync == "always"
	if f.natsCreds != "" && f.natsURL == "" {
		return nil, usagef("--nats-creds goes with --nats; the data directory's own credentials are used for it")
	}
	switch {
	case f.natsURL != "":
		// Replies come on the ledger's own inbox prefix, which an external
		// server's permissions can keep from other users as the embedded
		// server's do.
		options := append(connectionOptions(env), nats.CustomInboxPrefix(natsjs.RuntimeInboxPrefix))
		if f.natsCreds != "" {
			credentials, err := natsjs.ConnectOptionFromFile(f.natsCreds)
			if err != nil {
				return nil, err
			}
			options = append(options, credentials)
		}
		conn, err := nats.Connect(natsURL, options...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", natsURL, err)
		}
		result.conn = conn
		result.location = natsURL
	case natsURL != "":
		// A running serve holds the directory: its NATS takes this
		// directory's runtime credentials.
		credentials, err := natsjs.LoadCredentials(f.dataDir)
		if err != nil {
			return nil, fmt.Errorf("connect to the running ledger: %w", err)
		}
		options := append(connectionOptions(env), credentials.ConnectOptions(natsjs.RoleRuntime)...)
		conn, err := nats.Connect(natsURL, options...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", natsURL, err)
		}
		result.conn = conn
		result.location = natsURL
	default:
		if err := f.startEmbedded(ctx, env, listen, result, durable); err != nil {
			result.Close()
			return nil, err
		}
	}
	// Grouping appends into atomic batches shares one fsync among them on a
	// single server. On a cluster raft already batches what it replicates,
	// and an atomic batch costs about what it saves: with three nodes under
	// load, appends ran at 2.3k/s ungrouped and 2.2k/s grouped.
	storeOptions := natsjs.Options{GroupCommit: durable && f.replicas == 1, Replicas: f.replicas, Logger: env.logger}
	if result.server != nil {
		storeOptions.FreeBytes = natsjs.FreeStoreBytes(result.server)
	}
	store, err := natsjs.Open(ctx, result.conn, storeOptions)
	if err != nil {
		result.Close()
		return nil, err
	}
	result.store, result.jetstream = store, store
	if result.checkpoints, err = natsjs.OpenCheckpoints(ctx, result.conn, f.replicas); err != nil {
		result.Close()
		return nil, err
	}
	if result.signed, err = natsjs.OpenSignedCheckpoints(ctx, result.conn, f.replicas); err != nil {
		result.Close()
		return nil, err
	}
	if result.keystore, err = natsjs.OpenKeystore(ctx, result.conn, f.replicas); err != nil {
		result.Close()
		return nil, err
	}
	accessLog, err := natsjs.OpenAccessLog(ctx, result.conn, f.replicas)
	if err != nil {
		result.Close()
		return nil, err
	}
	result.accessLog, result.accessStream = privacy.NewAccessLog(accessLog, nil), accessLog
	result.finish(env)
	return result, nil
}

// startEmbedded runs the data directory's NATS server with its
// credentials (made at first start), makes the streams as the operator,
// and connects as the runtime user.
func (f *storeFlags) startEmbedded(ctx context.Context, env *environment, listen serverOptions, result *opened, durable bool) error {
	credentials, created, err := natsjs.LoadOrCreateCredentials(f.dataDir)
	if listen.cluster.name != "" && (created || errors.Is(err, natsjs.ErrNoCredentials)) {
		// Every node of a cluster needs the same route secret and users;
		// a node that made its own could never join the others.
		return usagef("a cluster node needs the cluster's NATS credentials in %s before its first start: make them once with "+
			"`ledger nats-credentials init --data DIR` and copy that folder to every node's data directory", natsjs.CredentialsDir(f.dataDir))
	}
	if err != nil {
		return err
	}
	if created {
		env.logger.Info("made NATS credentials", "dir", natsjs.CredentialsDir(f.dataDir))
	}
	natsServer, err := natsjs.StartServer(natsjs.ServerOptions{
		DataDir: f.dataDir, SyncAlways: durable, Listen: listen.listen, Host: listen.host, Port: listen.port,
		ServerName: listen.cluster.serverName, ClusterName: listen.cluster.name, ClusterHost: listen.cluster.host,
		ClusterPort: listen.cluster.port, Routes: listen.cluster.routes, ReadyTimeout: 2 * time.Minute,
		Credentials: credentials, ClusterTLS: listen.cluster.tls,
	})
	if err != nil {
		return err
	}
	result.server = natsServer
	operator, err := natsjs.ConnectInProcess(natsServer, "ledger-operator",
		append(credentials.ConnectOptions(natsjs.RoleOperator), nats.ErrorHandler(logNATSError(env)))...)
	if err != nil {
		return err
	}
	defer operator.Close()
	if err := f.refuseEmptyRestart(ctx, operator); err != nil {
		return err
	}
	if err := natsjs.Provision(ctx, operator, natsjs.Options{Replicas: f.replicas}); err != nil {
		return err
	}
	operator.Close()
	conn, err := natsjs.ConnectInProcess(natsServer, "ledger",
		append(credentials.ConnectOptions(natsjs.RoleRuntime), nats.ErrorHandler(logNATSError(env)))...)
	if err != nil {
		return err
	}
	result.conn = conn
	result.location = f.dataDir
	return nil
}

// connectionOptions are every ledger connection's to a NATS URL.
func connectionOptions(env *environment) []nats.Option {
	return []nats.Option{nats.Name("ledger"), nats.Timeout(5 * time.Second), nats.MaxReconnects(-1), nats.ErrorHandler(logNATSError(env))}
}

// logNATSError sends the client's asynchronous errors (a permission the
// server refused, a slow consumer) to the log instead of standard error.
func logNATSError(env *environment) nats.ErrHandler {
	return func(_ *nats.Conn, subscription *nats.Subscription, err error) {
		subject := ""
		if subscription != nil {
			subject = subscription.Subject
		}
		env.logger.Warn("nats", "subject", subject, "error", err)
	}
}

// refuseEmptyRestart stops the ledger from quietly making a new, empty log
// where the data directory shows one was: its tree file or the checkpoints
// it has seen say the log held events, so a missing stream was deleted.
func (f *storeFlags) refuseEmptyRestart(ctx context.Context, connection *nats.Conn) error {
	exists, err := natsjs.StreamExists(ctx, connection, "LEDGER")
	if err != nil || exists {
		return err
	}
	seen, err := integrity.LoadSeenCheckpoints(seenCheckpointsPath(f.dataDir))
	if err != nil {
		return err
	}
	var treeBytes int64
	if info, err := os.Stat(filepath.Join(integrityDir(f.dataDir), "hashes")); err == nil {
		treeBytes = info.Size()
	}
	if seen.Count == 0 && treeBytes == 0 {
		return nil
	}
	return fmt.Errorf("the ledger stream LEDGER is missing from %s, although this data directory has seen %d signed checkpoints "+
		"and its tree file holds %d bytes: the log was deleted; restore it from a backup into a new data directory (ledger restore), "+
		"rather than start an empty ledger here", f.dataDir, seen.Count, treeBytes)
}

// openEventStoreDB reaches a ledger kept in EventStoreDB. The data
// directory still holds what is the node's own: tokens, the signing key and
// the tree file, which `serve` locks; the other commands share the store
// through the database and take no lock.
func (f *storeFlags) openEventStoreDB(ctx context.Context, env *environment, listen serverOptions, result *opened) (*opened, error) {
	if !strings.HasPrefix(f.store, "esdb://") && !strings.HasPrefix(f.store, "esdb+discover://") {
		return nil, usagef("--store %q: use esdb://HOST:2113?tls=false (or esdb+discover://); without --store the ledger is JetStream", f.store)
	}
	if f.natsURL != "" || f.replicas != 1 || listen.cluster.name != "" {
		return nil, usagef("--nats, --replicas and the cluster flags are for JetStream; EventStoreDB keeps its own replicas")
	}
	if listen.listen {
		lock, _, err := natsjs.LockDataDir(f.dataDir)
		if errors.Is(err, natsjs.ErrDataDirInUse) {
			return nil, fmt.Errorf("%w; give each serve process its own --data", err)
		}
		if err != nil {
			return nil, err
		}
		result.lock = lock
	}
	store, err := esdb.Open(ctx, f.store, esdb.Options{Logger: env.logger})
	if err != nil {
		result.Close()
		return nil, err
	}
	result.store, result.eventStore, result.location = store, store, redactedURL(f.store)
	result.checkpoints, result.signed, result.keystore = store.Checkpoints(), store.SignedCheckpoints(), store.Keystore()
	result.accessLog = privacy.NewAccessLog(store.AccessLog(), nil)
	result.finish(env)
	return result, nil
}

// finish builds what every store shares: the sealer and the service.
func (o *opened) finish(env *environment) {
	o.sealer = privacy.NewSealer(o.keystore, env.logger)
	o.service = ledger.New(o.store, ledger.Options{Catalog: o.catalog, Logger: env.logger, Sealer: o.sealer})
}

// redactedURL drops a password from a connection string before it is
// printed or logged.
func redactedURL(connection string) string {
	parsed, err := url.Parse(connection)
	if err != nil {
		return "the configured store"
	}
	return parsed.Redacted()
}

// totalsRunner loads the live totals projection from its checkpoint and
// folds what was appended since, showing progress when that is long.
func (o *opened) totalsRunner(ctx context.Context, env *environment) (*projections.Runner, *projections.TotalsProjection, error) {
	projection := projections.NewTotalsProjection()
	runner := projections.NewRunner(o.store, o.checkpoints, projection, projections.RunnerOptions{Logger: env.logger})
	if err := runner.Load(ctx); err != nil {
		return nil, nil, err
	}
	if err := runner.CatchUp(ctx, newProgress(env, "totals")); err != nil {
		return nil, nil, err
	}
	return runner, projection, nil
}

// recordOperatorAccess records that the operator of the data directory is
// about to read personal data through a command: the CLI's reads are in
// the access log like the API's.
func (o *opened) recordOperatorAccess(ctx context.Context, via string) error {
	return o.accessLog.Record(ctx, privacy.AccessRecord{Reader: envOr("LEDGER_ACTOR", envOr("USER", "operator")), Role: "operator", Via: via})
}

// unseal opens sealed personal data for readers this process serves
// (the operator on the data directory, finance's matching).
func (o *opened) unseal() reconcile.Unsealer { return o.sealer.Unseal }
