// Package node is the running ledger: the store it keeps its log in, the
// service that records, the projections, the Merkle tree and the signed
// checkpoints, opened once from a Config. The command line and the HTTP
// API are front ends over it; neither opens a store of its own.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/ordos-union/ledger/app"
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

// ErrConfig marks a configuration that cannot work (an EventStoreDB URL
// with NATS settings, a cluster node without the cluster's credentials):
// the caller was asked for something impossible, and nothing was opened.
var ErrConfig = errors.New("configuration")

// ConfigError says which configuration cannot work, in words a front end
// shows as they are (a usage error on the command line). It matches
// ErrConfig.
type ConfigError struct{ Message string }

func (e *ConfigError) Error() string { return ErrConfig.Error() + ": " + e.Message }

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

func configf(format string, args ...any) error {
	return &ConfigError{Message: fmt.Sprintf(format, args...)}
}

// Config is how to reach and run one ledger.
type Config struct {
	// Store is an EventStoreDB URL (esdb://…); empty keeps the log in
	// JetStream.
	Store string
	// DataDir holds the embedded server's data, the NATS credentials,
	// the signing key and the tree file.
	DataDir string
	// NATSURL reaches an external NATS instead of the data directory;
	// NATSCreds is its credentials file.
	NATSURL   string
	NATSCreds string
	// SyncAlways fsyncs the embedded server before acknowledging.
	SyncAlways bool
	Replicas   int
	// SigningKey is the checkpoint signing key's file; empty is the data
	// directory's.
	SigningKey string
	Catalog    *domain.Catalog
	// Server says how to start the embedded server when one is needed.
	Server ServerConfig
	Logger *slog.Logger
	// Notice tells the person running the ledger something they should
	// know (the data directory is held by a running ledger).
	Notice func(message string)
}

// ServerConfig says how to start the embedded server.
type ServerConfig struct {
	Listen  bool
	Host    string
	Port    int
	Cluster ClusterConfig
}

// ClusterConfig joins the embedded server to a JetStream cluster.
type ClusterConfig struct {
	Name       string
	ServerName string
	Host       string
	Port       int
	Routes     []string
	TLS        *natsjs.ClusterTLS
}

// Node is a ledger ready to use, and how to put it away.
type Node struct {
	Store eventstore.Store
	// JetStream is the store when it is JetStream: backups, restores and
	// the live totals bucket need it. Nil on EventStoreDB.
	JetStream   *natsjs.Store
	EventStore  *esdb.Store
	Keystore    privacy.KeyArchive
	Sealer      *privacy.Sealer
	Checkpoints CheckpointStore
	Signed      eventstore.SignedCheckpointLog
	// AccessLog records every read of personal data; AccessStream is its
	// JetStream stream, for the guard (nil on EventStoreDB).
	AccessLog    *privacy.AccessLog
	AccessStream *natsjs.SignedCheckpoints
	Service      *ledger.Service
	// App is the use cases over this ledger.
	App     *app.Ledger
	Catalog *domain.Catalog
	Server  *server.Server
	Conn    *nats.Conn
	// Location says where the log is, for messages.
	Location string
	DataDir  string
	// SeenPath is the data directory's record of the checkpoint stream
	// (integrity.SeenCheckpoints); empty when the ledger was reached with
	// an external NATS, whose history is not this directory's.
	SeenPath string
	// Cosign, when set, has witnesses cosign every checkpoint before it is
	// stored.
	Cosign     integrity.Cosigner
	signingKey string
	replicas   int
	// viaHolder says the ledger was reached through the running ledger
	// that holds the data directory: its tree file is this log's.
	viaHolder bool
	// running says Run made a live tree over the tree file, which a
	// command of this process must not then remove and make again.
	running bool
	logger  *slog.Logger
	// config is what the node was opened with, to start its embedded
	// server again (RestoreLost).
	config  Config
	lock    *natsjs.DataDirLock
	closers []func() error
}

// CheckpointStore is what the ledger needs of projection checkpoints.
type CheckpointStore interface {
	eventstore.CheckpointStore
	eventstore.Leases
	eventstore.CheckpointArchive
}

// Close puts the ledger away: the tree file, the store, the connection,
// the embedded server and the data directory's lock.
func (n *Node) Close() {
	for _, closer := range n.closers {
		_ = closer()
	}
	// A command may close its ledger early to hand the data directory
	// on, and close it again on the way out: the second close does nothing.
	n.closers = nil
	n.stopEmbedded()
	_ = n.lock.Release()
}

// HoldsDataDir says whether this process holds the data directory's lock
// (and so may keep the tree file).
func (n *Node) HoldsDataDir() bool { return n.lock != nil }

// Announce tells the other commands on the data directory where this
// running ledger's NATS is, through the lock file.
func (n *Node) Announce() error {
	url := ""
	if n.Server != nil {
		url = n.Server.ClientURL()
	}
	return n.lock.Announce(natsjs.DataDirHolder{PID: os.Getpid(), NATSURL: url})
}

// Open reaches the ledger: an external NATS when NATSURL is given (a
// listening ledger, serve, then holds the data directory as a client of
// that NATS, running no server of its own); else the data directory with
// an embedded server; and when a running ledger holds the directory, the
// NATS that ledger announced.
func Open(ctx context.Context, config Config) (*Node, error) {
	if config.Logger == nil {
		config.Logger = slog.New(slog.DiscardHandler)
	}
	if config.Notice == nil {
		config.Notice = func(string) {}
	}
	if config.Catalog == nil {
		config.Catalog = domain.DefaultCatalog()
	}
	if config.Replicas == 0 {
		config.Replicas = 1
	}
	result := &Node{Catalog: config.Catalog, DataDir: config.DataDir, signingKey: config.SigningKey, replicas: config.Replicas,
		logger: config.Logger, config: config}
	if config.NATSURL == "" {
		result.SeenPath = integrity.SeenCheckpointsPath(config.DataDir)
	}
	if config.Store != "" {
		return openEventStoreDB(ctx, config, result)
	}
	natsURL := config.NATSURL
	if natsURL != "" && config.Server.Listen {
		if err := result.lockAsClient(config); err != nil {
			return nil, err
		}
	}
	if natsURL == "" {
		lock, holder, err := natsjs.LockDataDir(config.DataDir)
		switch {
		case errors.Is(err, natsjs.ErrDataDirInUse) && holder.NATSURL != "" && !config.Server.Listen:
			config.Notice(fmt.Sprintf("%s is held by a running ledger (pid %d); using its NATS at %s", config.DataDir, holder.PID, holder.NATSURL))
			natsURL, result.viaHolder = holder.NATSURL, true
		case errors.Is(err, natsjs.ErrDataDirInUse):
			return nil, fmt.Errorf("%w; stop it, or point this command at its NATS server with --nats URL", err)
		case err != nil:
			return nil, err
		default:
			result.lock = lock
		}
	}
	if config.NATSCreds != "" && config.NATSURL == "" {
		return nil, configf("--nats-creds goes with --nats; the data directory's own credentials are used for it")
	}
	switch {
	case config.NATSURL != "":
		// Replies come on the ledger's own inbox prefix, which an external
		// server's permissions can keep from other users as the embedded
		// server's do.
		options := append(connectionOptions(config.Logger), nats.CustomInboxPrefix(natsjs.RuntimeInboxPrefix))
		if config.NATSCreds != "" {
			credentials, err := natsjs.ConnectOptionFromFile(config.NATSCreds)
			if err != nil {
				return nil, err
			}
			options = append(options, credentials)
		}
		conn, err := nats.Connect(natsURL, options...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", natsURL, err)
		}
		result.Conn, result.Location = conn, natsURL
	case natsURL != "":
		// A running ledger holds the directory: its NATS takes this
		// directory's runtime credentials.
		credentials, err := natsjs.LoadCredentials(config.DataDir)
		if err != nil {
			return nil, fmt.Errorf("connect to the running ledger: %w", err)
		}
		options := append(connectionOptions(config.Logger), credentials.ConnectOptions(natsjs.RoleRuntime)...)
		conn, err := nats.Connect(natsURL, options...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", natsURL, err)
		}
		result.Conn, result.Location = conn, natsURL
	default:
		if err := startEmbedded(ctx, config, result); err != nil {
			result.Close()
			return nil, err
		}
	}
	if err := result.openJetStream(ctx, config); err != nil {
		result.Close()
		return nil, err
	}
	result.finish()
	return result, nil
}

// lockAsClient holds the data directory of a long-running ledger that is a
// client of an external NATS (serve --nats): the tree file, the tokens and
// the signing key there are this node's own, and two processes must not
// keep one tree file. The embedded server's settings do not apply.
func (n *Node) lockAsClient(config Config) error {
	if config.Server.Cluster.Name != "" {
		return configf("the cluster flags join the embedded NATS server to a cluster; with --nats the NATS servers form their own cluster")
	}
	lock, _, err := natsjs.LockDataDir(config.DataDir)
	if errors.Is(err, natsjs.ErrDataDirInUse) {
		return fmt.Errorf("%w; give each serve process its own --data", err)
	}
	if err != nil {
		return err
	}
	n.lock = lock
	return nil
}

// openJetStream opens the log and its side streams over the connection.
func (n *Node) openJetStream(ctx context.Context, config Config) error {
	// Grouping appends into atomic batches shares one fsync among them on a
	// single server. On a cluster raft already batches what it replicates,
	// and an atomic batch costs about what it saves: with three nodes under
	// load, appends ran at 2.3k/s ungrouped and 2.2k/s grouped.
	storeOptions := natsjs.Options{GroupCommit: config.SyncAlways && config.Replicas == 1, Replicas: config.Replicas, Logger: config.Logger}
	if n.Server != nil {
		storeOptions.FreeBytes = natsjs.FreeStoreBytes(n.Server)
	}
	store, err := natsjs.Open(ctx, n.Conn, storeOptions)
	if err != nil {
		return err
	}
	n.Store, n.JetStream = store, store
	if readOnly := store.ReadOnly(); readOnly != nil && config.Notice != nil {
		config.Notice("this ledger is read-only here: " + readOnly.Error())
	}
	if n.Checkpoints, err = natsjs.OpenCheckpoints(ctx, n.Conn, config.Replicas); err != nil {
		return err
	}
	if n.Signed, err = natsjs.OpenSignedCheckpoints(ctx, n.Conn, config.Replicas); err != nil {
		return err
	}
	if n.Keystore, err = natsjs.OpenKeystore(ctx, n.Conn, config.Replicas); err != nil {
		return err
	}
	accessLog, err := natsjs.OpenAccessLog(ctx, n.Conn, config.Replicas)
	if err != nil {
		return err
	}
	n.AccessLog, n.AccessStream = privacy.NewAccessLog(accessLog, nil), accessLog
	return nil
}

// startEmbedded runs the data directory's NATS server with its
// credentials (made at first start), makes the streams as the operator,
// and connects as the runtime user.
func startEmbedded(ctx context.Context, config Config, result *Node) error {
	credentials, created, err := natsjs.LoadOrCreateCredentials(config.DataDir)
	cluster := config.Server.Cluster
	if cluster.Name != "" && (created || errors.Is(err, natsjs.ErrNoCredentials)) {
		// Every node of a cluster needs the same route secret and users;
		// a node that made its own could never join the others.
		return configf("a cluster node needs the cluster's NATS credentials in %s before its first start: make them once with "+
			"`ledger nats-credentials init --data DIR` and copy that folder to every node's data directory", natsjs.CredentialsDir(config.DataDir))
	}
	if err != nil {
		return err
	}
	if created {
		config.Logger.Info("made NATS credentials", "dir", natsjs.CredentialsDir(config.DataDir))
	}
	natsServer, err := natsjs.StartServer(natsjs.ServerOptions{
		DataDir: config.DataDir, SyncAlways: config.SyncAlways, Listen: config.Server.Listen, Host: config.Server.Host, Port: config.Server.Port,
		ServerName: cluster.ServerName, ClusterName: cluster.Name, ClusterHost: cluster.Host,
		ClusterPort: cluster.Port, Routes: cluster.Routes, ReadyTimeout: 2 * time.Minute,
		Credentials: credentials, ClusterTLS: cluster.TLS,
	})
	if err != nil {
		return err
	}
	result.Server = natsServer
	operator, err := natsjs.ConnectInProcess(natsServer, "ledger-operator",
		append(credentials.ConnectOptions(natsjs.RoleOperator), nats.ErrorHandler(logNATSError(config.Logger)))...)
	if err != nil {
		return err
	}
	defer operator.Close()
	if err := refuseEmptyRestart(ctx, config.DataDir, operator); err != nil {
		return err
	}
	if err := natsjs.Provision(ctx, operator, natsjs.Options{Replicas: config.Replicas}); err != nil {
		return err
	}
	operator.Close()
	conn, err := natsjs.ConnectInProcess(natsServer, "ledger",
		append(credentials.ConnectOptions(natsjs.RoleRuntime), nats.ErrorHandler(logNATSError(config.Logger)))...)
	if err != nil {
		return err
	}
	result.Conn, result.Location = conn, config.DataDir
	return nil
}

// connectionOptions are every ledger connection's to a NATS URL.
func connectionOptions(logger *slog.Logger) []nats.Option {
	return []nats.Option{nats.Name("ledger"), nats.Timeout(5 * time.Second), nats.MaxReconnects(-1), nats.ErrorHandler(logNATSError(logger))}
}

// logNATSError sends the client's asynchronous errors (a permission the
// server refused, a slow consumer) to the log instead of standard error.
func logNATSError(logger *slog.Logger) nats.ErrHandler {
	return func(_ *nats.Conn, subscription *nats.Subscription, err error) {
		subject := ""
		if subscription != nil {
			subject = subscription.Subject
		}
		logger.Warn("nats", "subject", subject, "error", err)
	}
}

// refuseEmptyRestart stops the ledger from quietly making a new, empty log
// where the data directory shows one was: its tree file or the checkpoints
// it has seen say the log held events, so a missing stream was deleted.
func refuseEmptyRestart(ctx context.Context, dataDir string, connection *nats.Conn) error {
	exists, err := natsjs.StreamExists(ctx, connection, "LEDGER")
	if err != nil || exists {
		return err
	}
	seen, err := integrity.LoadSeenCheckpoints(integrity.SeenCheckpointsPath(dataDir))
	if err != nil {
		return err
	}
	var treeBytes int64
	// Only a regular file counts: a directory's size says nothing of the
	// log, and a link is not followed.
	if info, err := os.Lstat(integrity.TreeFilePath(dataDir)); err == nil && info.Mode().IsRegular() {
		treeBytes = info.Size()
	}
	if seen.Count == 0 && treeBytes == 0 {
		return nil
	}
	return fmt.Errorf("the ledger stream LEDGER is missing from %s, although this data directory has seen %d signed checkpoints "+
		"and its tree file holds %d bytes: the log was deleted; restore it from a backup into a new data directory (ledger restore), "+
		"rather than start an empty ledger here", dataDir, seen.Count, treeBytes)
}

// openEventStoreDB reaches a ledger kept in EventStoreDB. The data
// directory still holds what is the node's own: tokens, the signing key and
// the tree file, which a listening ledger locks; the other commands share
// the store through the database and take no lock.
func openEventStoreDB(ctx context.Context, config Config, result *Node) (*Node, error) {
	if !strings.HasPrefix(config.Store, "esdb://") && !strings.HasPrefix(config.Store, "esdb+discover://") {
		return nil, configf("--store %q: use esdb://HOST:2113?tls=false (or esdb+discover://); without --store the ledger is JetStream", config.Store)
	}
	if config.NATSURL != "" || config.Replicas != 1 || config.Server.Cluster.Name != "" {
		return nil, configf("--nats, --replicas and the cluster flags are for JetStream; EventStoreDB keeps its own replicas")
	}
	if config.Server.Listen {
		lock, _, err := natsjs.LockDataDir(config.DataDir)
		if errors.Is(err, natsjs.ErrDataDirInUse) {
			return nil, fmt.Errorf("%w; give each serve process its own --data", err)
		}
		if err != nil {
			return nil, err
		}
		result.lock = lock
	}
	store, err := esdb.Open(ctx, config.Store, esdb.Options{Logger: config.Logger})
	if err != nil {
		result.Close()
		return nil, err
	}
	result.Store, result.EventStore, result.Location = store, store, RedactedURL(config.Store)
	result.Checkpoints, result.Signed, result.Keystore = store.Checkpoints(), store.SignedCheckpoints(), store.Keystore()
	result.AccessLog = privacy.NewAccessLog(store.AccessLog(), nil)
	result.finish()
	return result, nil
}

// finish builds what every store shares: the sealer and the service.
func (n *Node) finish() {
	n.Sealer = privacy.NewSealer(n.Keystore, n.logger)
	n.Service = ledger.New(n.Store, ledger.Options{Catalog: n.Catalog, Logger: n.logger, Sealer: n.Sealer})
	n.App = app.New(app.Parts{Store: n.Store, Service: n.Service, Catalog: n.Catalog, Sealer: n.Sealer, Keystore: n.Keystore, AccessLog: n.AccessLog, Signed: n.Signed,
		Checkpoints: n.Checkpoints, Tree: n.OpenTree, SealKey: n.SealKey, Logger: n.logger})
}

// ConfigForURL is base with the store's place replaced by the one a store
// URL names, as `ledger migrate` takes its --from and --to: an
// EventStoreDB URL (esdb://, esdb+discover://), a running NATS (nats://,
// tls://), or a data directory run by an embedded server (dir:PATH or a
// plain path). Everything else in base (credentials, replicas, the
// catalog) applies to whichever store the URL names, so two stores are
// reached the way every command reaches one. Another scheme is a
// ConfigError.
func ConfigForURL(base Config, storeURL string) (Config, error) {
	config := base
	switch {
	case strings.HasPrefix(storeURL, "esdb://"), strings.HasPrefix(storeURL, "esdb+discover://"):
		config.Store, config.NATSURL = storeURL, ""
	case strings.HasPrefix(storeURL, "nats://"), strings.HasPrefix(storeURL, "tls://"):
		config.Store, config.NATSURL, config.DataDir = "", storeURL, ""
	case strings.Contains(storeURL, "://"):
		return base, configf("unknown store %q: use dir:PATH, nats://HOST:PORT or esdb://HOST:PORT", RedactedURL(storeURL))
	default:
		config.Store, config.NATSURL, config.DataDir = "", "", strings.TrimPrefix(storeURL, "dir:")
	}
	return config, nil
}

// RedactedURL drops a password from a connection string before it is
// printed or logged.
func RedactedURL(connection string) string {
	parsed, err := url.Parse(connection)
	if err != nil {
		return "the configured store"
	}
	return parsed.Redacted()
}

// TotalsRunner loads the live totals projection from its checkpoint and
// folds what was appended since; progress, when not nil, hears how far it
// got while that is long.
func (n *Node) TotalsRunner(ctx context.Context, progress projections.Progress) (*projections.Runner, *projections.TotalsProjection, error) {
	runner, projection := n.sealedTotalsRunner()
	if err := runner.Load(ctx); err != nil {
		return nil, nil, err
	}
	if err := runner.CatchUp(ctx, progress); err != nil {
		return nil, nil, err
	}
	return runner, projection, nil
}

// RecordOperatorAccess records that the operator of the data directory
// (reader) is about to read the personal data of subjects through a
// command (via): the command line's reads are in the access log like the
// API's, saying whose data they show.
func (n *Node) RecordOperatorAccess(ctx context.Context, reader, via string, subjects []string) error {
	access := OperatorAccess(reader, via)
	access.Subjects = subjects
	return n.AccessLog.Record(ctx, access)
}

// OperatorAccess is the access log's record of the data directory's
// operator (reader) reading personal data through a command (via), for a
// use case that records the read itself (app.Ledger.ListEvents).
func OperatorAccess(reader, via string) privacy.AccessRecord {
	return privacy.AccessRecord{Reader: reader, Role: "operator", Via: via}
}

// Unseal opens sealed personal data for readers this process serves
// (the operator on the data directory, finance's matching).
func (n *Node) Unseal() reconcile.Unsealer { return n.Sealer.Unseal }

// TreeFile is where this node may keep its tree: the data directory's
// file when it holds the directory, else nowhere (a tree in memory).
func (n *Node) TreeFile() string {
	if n.lock == nil {
		return ""
	}
	return integrity.TreeFilePath(n.DataDir)
}
