package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/projections"
)

// shutdownTimeoutSeconds bounds the drain of HTTP requests at shutdown.
const shutdownTimeoutSeconds = 10

func runServe(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "serve", "[--data DIR] [--http ADDRESS] [--host ADDRESS] [--port PORT] [--tokens FILE]")
	var store storeFlags
	store.register(flags)
	host := flags.String("host", "127.0.0.1", "address the embedded NATS server listens on for other processes")
	port := flags.Int("port", 4222, "port of the embedded NATS server (-1 picks a free one)")
	httpAddress := flags.String("http", envOr("LEDGER_HTTP", "127.0.0.1:8080"), "address of the HTTP API and dashboard (env LEDGER_HTTP; port 0 picks a free one)")
	serverName := flags.String("server-name", envOr("LEDGER_SERVER_NAME", "ledger"), "this node's name (distinct on every node of a cluster)")
	clusterName := flags.String("cluster-name", os.Getenv("LEDGER_CLUSTER_NAME"), "join a JetStream cluster of this name (with --cluster-listen, --routes and --replicas 3)")
	clusterListen := flags.String("cluster-listen", envOr("LEDGER_CLUSTER_LISTEN", "127.0.0.1:6222"), "address this node's cluster routes listen on")
	routes := flags.String("routes", os.Getenv("LEDGER_ROUTES"), "comma-separated routes to every node, e.g. nats://127.0.0.1:6222,nats://127.0.0.1:6223,nats://127.0.0.1:6224")
	clusterCert := flags.String("cluster-tls-cert", os.Getenv("LEDGER_CLUSTER_TLS_CERT"), "PEM certificate of this node for TLS between cluster nodes (with --cluster-tls-key and --cluster-tls-ca)")
	clusterKey := flags.String("cluster-tls-key", os.Getenv("LEDGER_CLUSTER_TLS_KEY"), "PEM private key of --cluster-tls-cert")
	clusterCA := flags.String("cluster-tls-ca", os.Getenv("LEDGER_CLUSTER_TLS_CA"), "PEM CA that every cluster node's certificate must be signed by")
	tokensFile := flags.String("tokens", os.Getenv("LEDGER_TOKENS_FILE"), "JSON file of API tokens {\"tokens\":[{\"name\",\"role\",\"token\"}]} (env LEDGER_TOKENS_FILE; or LEDGER_TOKENS=name:role:token,...); without either, tokens are made and kept in DIR/tokens.json")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usagef("unexpected arguments %v", flags.Args())
	}
	if store.natsURL != "" {
		return usagef("serve runs its own NATS server; --nats is for the other commands")
	}
	if store.store != "" && *clusterName != "" {
		return usagef("--cluster-name joins a JetStream cluster; on EventStoreDB run any number of serve processes against the same database, each with its own --data")
	}
	cluster := node.ClusterConfig{Name: *clusterName, ServerName: *serverName}
	if *clusterName != "" {
		clusterHost, clusterPort, err := net.SplitHostPort(*clusterListen)
		if err != nil {
			return usagef("--cluster-listen %q: %v", *clusterListen, err)
		}
		if cluster.Port, err = strconv.Atoi(clusterPort); err != nil {
			return usagef("--cluster-listen %q: port is not a number", *clusterListen)
		}
		cluster.Host = clusterHost
		if *routes == "" {
			return usagef("--cluster-name needs --routes to the nodes")
		}
		cluster.Routes = strings.Split(*routes, ",")
		switch {
		case *clusterCert != "" && *clusterKey != "" && *clusterCA != "":
			cluster.TLS = &natsjs.ClusterTLS{CertFile: *clusterCert, KeyFile: *clusterKey, CAFile: *clusterCA}
		case *clusterCert != "" || *clusterKey != "" || *clusterCA != "":
			return usagef("--cluster-tls-cert, --cluster-tls-key and --cluster-tls-ca go together")
		}
	}
	ledger, err := store.open(ctx, env, serverOptions{Listen: true, Host: *host, Port: *port, Cluster: cluster})
	if err != nil {
		return err
	}
	defer ledger.Close()
	tokens, tokenNote, firstAdmin, err := loadTokens(*tokensFile, store.dataDir)
	if err != nil {
		return err
	}
	// Commands on the same data directory reach a JetStream ledger through
	// this server's NATS; an EventStoreDB ledger they reach directly.
	if err := ledger.Announce(); err != nil {
		return err
	}

	// The live totals follow the log while the server runs: the dashboard's
	// stream, the KV bucket programs watch, and the checkpoint all move with
	// every event.
	// The Merkle tree grows with the same events, before anyone hears of
	// them, so every totals answer can name the tree it was computed from.
	keys, tree, err := ledger.SigningTree(ctx)
	if err != nil {
		return err
	}
	// On a cluster every node folds the log to serve reads; the holder of
	// the lease alone saves the checkpoints.
	var leased atomic.Bool
	holder := *serverName + "-" + strconv.Itoa(os.Getpid())
	claim := func() {
		held, err := ledger.Checkpoints.Claim(ctx, "totals", holder, leaseSeconds*time.Second, time.Now())
		if err != nil {
			env.logger.Warn("projection lease", "error", err)
		}
		leased.Store(held && err == nil)
	}
	claim()
	projection := projections.NewTotalsProjection()
	var api *httpapi.Server
	var live *natsjs.LiveTotals
	runner := projections.NewRunner(ledger.Store, ledger.Checkpoints, projection, projections.RunnerOptions{
		Logger: env.logger,
		BeforeApply: func(record eventstore.Record) error {
			// On a cluster the projection may resume from a checkpoint
			// another node saved after this node's tree caught up: the
			// tree then reads the events between first.
			if uint64(tree.Size())+1 < record.Position {
				if err := integrity.CatchUp(ctx, ledger.Store, tree); err != nil {
					return err
				}
			}
			return integrity.AppendLeaf(tree, record)
		},
		OnApply: func(record eventstore.Record) {
			api.OnApply(record)
			live.Changed(record.Event.County, record.Event.Aggregate.ID)
		},
	})
	ledger.App.Follow(runner, projection, tree)
	api = httpapi.New(httpapi.Options{Ledger: ledger.App, Tokens: tokens, Logger: env.logger})
	// The KV bucket of live totals is JetStream's; on EventStoreDB programs
	// follow /api/v1/live instead.
	if ledger.JetStream != nil {
		live, err = natsjs.OpenLiveTotals(ctx, ledger.Conn, store.replicas, func(county, campaign string) ([]byte, error) {
			var figures projections.Figures
			runner.View(func(uint64) { figures = projection.Sum(projections.Query{County: county, Campaign: campaign}) })
			return json.Marshal(figures)
		}, env.logger)
		if err != nil {
			return err
		}
	}
	if err := runner.Load(ctx); err != nil {
		return err
	}
	if err := runner.CatchUp(ctx, newProgress(env, "totals")); err != nil {
		return err
	}
	// The log, the signed checkpoints and the access log are watched
	// while the server runs: a stream deleted, made again or reconfigured behind the
	// ledger's back is logged as an error and makes the server unready.
	if ledger.JetStream != nil {
		guard, err := natsjs.NewGuard(ctx, ledger.JetStream, env.logger, ledger.Signed.(*natsjs.SignedCheckpoints), ledger.AccessStream)
		if err != nil {
			return err
		}
		api.SetHealthCheck(guard.Problem)
		go guard.Run(ctx, streamGuardIntervalMs*time.Millisecond)
	}
	listener, err := net.Listen("tcp", *httpAddress)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *httpAddress, err)
	}
	httpServer := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	serving := make(chan error, 1)
	go func() { serving <- httpServer.Serve(listener) }()
	following := make(chan error, 1)
	go func() { following <- runner.Follow(ctx) }()
	go live.Run(ctx)
	go func() {
		ticker := time.NewTicker(leaseSeconds * time.Second / 3)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				claim()
			}
		}
	}()
	checkpointing := make(chan struct{})
	go func() {
		defer close(checkpointing)
		checkpointPeriodically(ctx, env, ledger, tree, keys, leased.Load)
	}()

	// The banner counts the events folded so far: asking the store for its
	// head could fail while a cluster elects a leader, and that is no
	// reason to stop a server that is up.
	var head uint64
	runner.View(func(position uint64) { head = position })
	address := "http://" + listener.Addr().String()
	url := ""
	if ledger.Server != nil {
		url = ledger.Server.ClientURL()
	}
	env.logger.Info("serving", "store", ledger.Location, "nats_url", url, "http", address, "head", head)
	if ledger.Server != nil {
		fmt.Fprintf(env.stdout, "ledger serving %s (%d events) on NATS %s; durability: sync %s.\n", store.dataDir, head, url, store.sync)
		fmt.Fprintf(env.stdout, "NATS clients authenticate: the watcher's credential (live totals only) comes from `ledger nats-credentials watcher --data %s`.\n", store.dataDir)
	} else {
		fmt.Fprintf(env.stdout, "ledger serving EventStoreDB at %s (%d events); tokens and signing key in %s.\n", ledger.Location, head, store.dataDir)
	}
	fmt.Fprintf(env.stdout, "HTTP API and dashboard on %s (%s). Ctrl-C stops.\n", address, tokenNote)
	// The link carries the admin's token: it is shown once, when the
	// tokens are made, and never again in a log or on a terminal.
	if firstAdmin != "" {
		fmt.Fprintf(env.stdout, "Dashboard as the local admin (shown once; the token is in %s): %s/?token=%s\n",
			filepath.Join(store.dataDir, "tokens.json"), address, firstAdmin)
	} else if *tokensFile == "" && os.Getenv("LEDGER_TOKENS") == "" {
		fmt.Fprintf(env.stdout, "Dashboard: %s/ (sign in with the local-admin token in %s)\n", address, filepath.Join(store.dataDir, "tokens.json"))
	}

	select {
	case <-ctx.Done():
	case err := <-serving:
		return fmt.Errorf("http: %w", err)
	case err := <-following:
		if err != nil {
			return fmt.Errorf("totals projection: %w", err)
		}
	}
	fmt.Fprintln(env.stdout, "ledger: shutting down")
	api.Close()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeoutSeconds*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		env.logger.Warn("http shutdown", "error", err)
	}
	if err := <-following; err != nil && ctx.Err() == nil {
		return err
	}
	<-checkpointing
	// A last checkpoint, so a stopped ledger's whole log is committed to.
	if tree.Size() > 0 && leased.Load() {
		if _, _, err := ledger.WriteCheckpoint(context.WithoutCancel(ctx), tree, keys, time.Now()); err != nil {
			env.logger.Warn("final checkpoint", "error", err)
		}
	}
	return tree.Sync()
}

// Checkpoint timing, unit last.
const (
	// streamGuardIntervalMs is how often the history streams are checked.
	streamGuardIntervalMs = 2000
	// leaseSeconds is how long a silent projection writer keeps its lease.
	leaseSeconds              = 15
	checkpointIntervalMinutes = 10
	checkpointCheckSeconds    = 60
)

// checkpointPeriodically signs the tree every checkpointIntervalMinutes when
// it grew, and always when a month ends in Beijing time: every month close
// has a checkpoint.
func checkpointPeriodically(ctx context.Context, env *environment, ledger *opened, tree *integrity.Tree, keys integrity.Keys, leader func() bool) {
	ticker := time.NewTicker(checkpointCheckSeconds * time.Second)
	defer ticker.Stop()
	lastSize, lastAt := int64(-1), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			monthChanged := now.In(projections.Beijing).Month() != lastAt.In(projections.Beijing).Month()
			due := now.Sub(lastAt) >= checkpointIntervalMinutes*time.Minute && tree.Size() != lastSize
			if (!due && !monthChanged) || !leader() {
				continue
			}
			checkpoint, _, err := ledger.WriteCheckpoint(ctx, tree, keys, now)
			if err != nil {
				env.logger.Warn("checkpoint", "error", err)
				continue
			}
			lastSize, lastAt = checkpoint.Size, now
			env.logger.Info("checkpoint", "size", checkpoint.Size, "root", checkpoint.Root.String())
		}
	}
}

// loadTokens reads the tokens file, or LEDGER_TOKENS, or makes a set of
// tokens once and keeps it in the data directory (mode 0600), never in the
// repository. For the data directory's own tokens it also returns the local
// admin's token, so the person who started the server can open the
// dashboard.
func loadTokens(tokensFile, dataDir string) (*httpapi.Tokens, string, string, error) {
	if tokensFile != "" {
		handle, err := os.Open(tokensFile)
		if err != nil {
			return nil, "", "", err
		}
		defer handle.Close()
		tokens, err := httpapi.LoadTokens(handle)
		return tokens, "tokens from " + tokensFile, "", err
	}
	if text := os.Getenv("LEDGER_TOKENS"); text != "" {
		tokens, err := httpapi.ParseTokens(text)
		return tokens, "tokens from LEDGER_TOKENS", "", err
	}
	path := filepath.Join(dataDir, "tokens.json")
	content, err := os.ReadFile(path)
	note := "tokens in " + path
	made := errors.Is(err, os.ErrNotExist)
	if made {
		var made []httpapi.Token
		for _, role := range []httpapi.Role{httpapi.RoleAdmin, httpapi.RoleClerk, httpapi.RoleAuditor, httpapi.RoleViewer} {
			secret := make([]byte, 24)
			if _, err := rand.Read(secret); err != nil {
				return nil, "", "", err
			}
			made = append(made, httpapi.Token{Name: "local-" + string(role), Role: role, Token: hex.EncodeToString(secret)})
		}
		if content, err = json.MarshalIndent(map[string]any{"tokens": made}, "", "  "); err != nil {
			return nil, "", "", err
		}
		if err := os.WriteFile(path, content, 0o600); err != nil {
			return nil, "", "", err
		}
		note = "new tokens written to " + path
	} else if err != nil {
		return nil, "", "", err
	}
	var file struct {
		Tokens []httpapi.Token `json:"tokens"`
	}
	if err := json.Unmarshal(content, &file); err != nil {
		return nil, "", "", fmt.Errorf("%s: %w", path, err)
	}
	tokens, err := httpapi.NewTokens(file.Tokens)
	admin := ""
	for _, token := range file.Tokens {
		if token.Role == httpapi.RoleAdmin && admin == "" && made {
			admin = token.Token
		}
	}
	return tokens, note, admin, err
}
