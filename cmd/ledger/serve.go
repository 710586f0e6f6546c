package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/report"
	"github.com/ordos-union/ledger/service"
)

// serveOptions are serve's flags, checked.
type serveOptions struct {
	cluster     clusterFlags
	witnesses   witnessFlags
	server      serverOptions
	httpAddress string
	tokensFile  string
	tlogPublic  bool
	// metricsPublic serves /metrics without a token (--metrics-public).
	metricsPublic bool
	asService     bool
}

// runServe serves until interrupted, or under the Windows Service Control
// Manager with --service: then the manager's context and its log are the
// call's (serveAsService).
var runServe = storeCommand(cli.Spec{Name: "serve",
	Usage: "[--data DIR] [--http ADDRESS] [--host ADDRESS] [--port PORT] [--tokens FILE] [--metrics-public] [--nats URL --nats-creds FILE] [--service]"},
	func(flags *flag.FlagSet) action {
		var options serveOptions
		host := flags.String("host", "127.0.0.1", "address the embedded NATS server listens on for other processes")
		port := flags.Int("port", 4222, "port of the embedded NATS server (-1 picks a free one)")
		flags.StringVar(&options.httpAddress, "http", envOr("LEDGER_HTTP", "127.0.0.1:8080"),
			"address of the HTTP API and dashboard (env LEDGER_HTTP; port 0 picks a free one)")
		options.cluster.register(flags)
		options.witnesses.register(flags)
		flags.BoolVar(&options.tlogPublic, "tlog-public", false,
			"serve the log as tlog-tiles under /tlog/ to anyone, for mirrors and witnesses: the events as stored, so it publishes the bank lines' "+
				"accounts, amounts and remarks too, their counterparties sealed (default: only finance, auditor and admin tokens)")
		flags.BoolVar(&options.metricsPublic, "metrics-public", false,
			"serve /metrics to anyone, for a Prometheus on a trusted network that sends no token: the counts per route tell when finance "+
				"imports statements or decides, and the log head how many events the log holds (default: only finance, auditor and admin tokens)")
		flags.BoolVar(&options.asService, "service", false,
			"run under the Windows Service Control Manager, logging to ledger-service.log in --data (a full path); see docs/OPERATIONS.md")
		flags.StringVar(&options.tokensFile, "tokens", os.Getenv("LEDGER_TOKENS_FILE"), "JSON file of API tokens {\"tokens\":[{\"name\",\"role\",\"token\"}]} "+
			"(env LEDGER_TOKENS_FILE; or LEDGER_TOKENS=name:role:token,...); without either, tokens are made and kept in DIR/tokens.json")
		return func(c *call) error {
			if err := checkServeFlags(c, options.cluster); err != nil {
				return err
			}
			cluster, err := options.cluster.config()
			if err != nil {
				return err
			}
			options.server = serverOptions{Listen: true, Host: *host, Port: *port, Cluster: cluster}
			if options.asService {
				return serveAsService(c, options)
			}
			return serve(c, options, func() {})
		}
	})

// checkServeFlags refuses flags that cannot work together.
func checkServeFlags(c *call, cluster clusterFlags) error {
	if c.store.natsURL != "" {
		// A client of the federation's own NATS runs no server: the
		// embedded server's flags would be silently ignored.
		var embeddedOnly []string
		for _, set := range cli.Given(c.Flags, func(name string) bool { return name == "host" || name == "port" || isClusterFlag(name) }) {
			embeddedOnly = append(embeddedOnly, "--"+set.Name)
		}
		if len(embeddedOnly) > 0 {
			return cli.Usagef("%s set the embedded NATS server; with --nats serve is a client of that NATS and runs none", strings.Join(embeddedOnly, ", "))
		}
	}
	if c.store.store != "" && cluster.name != "" {
		return cli.Usagef("--cluster-name joins a JetStream cluster; on EventStoreDB run any number of serve processes against the same database, each with its own --data")
	}
	return nil
}

// serve runs the ledger with its HTTP API and dashboard until the call's
// context ends, calling ready once it serves.
func serve(c *call, options serveOptions, ready func()) error {
	ledger, err := c.openListening(options.server)
	if err != nil {
		return err
	}
	ledger.Cosign = options.witnesses.cosigner(c.Env.Logger)
	tokens, tokenNote, firstAdmin, err := httpapi.LoadServerTokens(options.tokensFile, os.Getenv("LEDGER_TOKENS"), c.store.dataDir)
	if err != nil {
		return err
	}
	// Commands on the same data directory reach a JetStream ledger through
	// this server's NATS; an EventStoreDB ledger they reach directly.
	if err := ledger.Announce(); err != nil {
		return err
	}
	// The API is made first: the live totals tell it of every event they
	// fold in, from the first catch-up on.
	api := httpapi.New(httpapi.Options{Ledger: ledger.App, Tokens: tokens, Logger: c.Env.Logger, TlogPublic: options.tlogPublic,
		MetricsPublic: options.metricsPublic})
	running, err := ledger.Run(c.Ctx, node.RunOptions{Holder: options.cluster.serverName + "-" + strconv.Itoa(os.Getpid()),
		OnApply: api.OnApply, Progress: cli.Progress(c.Env, "totals")})
	if err != nil {
		return err
	}
	api.SetHealthCheck(running.Problem)
	httpServer, err := cli.ServeHTTP(c.Ctx, options.httpAddress, &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 2 * time.Minute})
	if err != nil {
		return err
	}
	printServing(c, ledger, running.Head(), httpServer.Address, tokenNote, firstAdmin, options)
	// The ledger serves: a service manager may now say it runs.
	ready()

	select {
	case <-c.Ctx.Done():
	case err := <-httpServer.Failed:
		return fmt.Errorf("http: %w", err)
	case <-running.Followed():
		if err := running.FollowError(); err != nil {
			return fmt.Errorf("totals projection: %w", err)
		}
	}
	c.Printf("ledger: shutting down\n")
	api.Close()
	if err := httpServer.Shutdown(c.Ctx); err != nil {
		c.Env.Logger.Warn("http shutdown", "error", err)
	}
	if err := running.Stop(context.WithoutCancel(c.Ctx)); err != nil && c.Ctx.Err() == nil {
		return err
	}
	return nil
}

// underManager runs a program under the Windows Service Control Manager;
// tests replace it with a fake manager driving the same state machine.
var underManager = service.RunUnderManager

// serveAsService runs serve under the Windows Service Control Manager
// (package service): serve runs on a call of its own, with the manager's
// context and the service log in the data directory taking what serve
// would print on a console. That call closes the ledger before the
// manager hears that the service stopped.
func serveAsService(c *call, options serveOptions) error {
	err := underManager(c.Ctx, c.store.dataDir, func(ctx context.Context, log io.Writer, ready func()) error {
		asService := &call{Call: cli.NewCall(ctx, c.Env.WritingTo(log, debugging()), c.Flags), store: c.store}
		defer asService.Close()
		return serve(asService, options, ready)
	})
	switch {
	case errors.Is(err, service.ErrUnsupported):
		return cli.Usagef("--service runs ledger under the Windows Service Control Manager; on Linux use the systemd unit in docs/OPERATIONS.md")
	case errors.Is(err, service.ErrNotUnderManager):
		return cli.Usagef("--service is for the Windows Service Control Manager (docs/OPERATIONS.md shows how to install the service); on a console run serve without it")
	}
	return err
}

// printServing logs where the ledger serves and prints the banner
// (report.ServingText). The banner counts the events folded so far:
// asking the store for its head could fail while a cluster elects a
// leader, and that is no reason to stop a server that is up.
func printServing(c *call, ledger *opened, head uint64, address, tokenNote, firstAdmin string, options serveOptions) {
	url := ""
	if ledger.Server != nil {
		url = ledger.Server.ClientURL()
	}
	c.Env.Logger.Info("serving", "store", ledger.Location, "nats_url", url, "http", address, "head", head)
	var made []string
	if firstAdmin != "" {
		// The admin's token is returned only when the tokens were just
		// made: the banner then says which and what each may do.
		for _, token := range httpapi.FirstRunTokens() {
			grant := ""
			if token.Personal {
				grant = ", personal data"
			}
			made = append(made, fmt.Sprintf("%-14s %s%s: %s", token.Name, token.Role, grant, token.Does))
		}
	}
	report.ServingText(c.Env.Stdout, report.Serving{DataDir: c.store.dataDir, Sync: c.store.sync, Head: head, Embedded: ledger.Server != nil,
		NATSURL: url, Client: ledger.Server == nil && ledger.JetStream != nil, Location: ledger.Location, Address: address, TokenNote: tokenNote,
		FirstAdmin: firstAdmin, TokensMade: made, TokensGiven: options.tokensFile != "" || os.Getenv("LEDGER_TOKENS") != "", AsService: options.asService})
}

// clusterFlags join the embedded server to a JetStream cluster.
type clusterFlags struct {
	serverName, name, listen, routes, cert, key, ca string
}

func (c *clusterFlags) register(flags *flag.FlagSet) {
	flags.StringVar(&c.serverName, "server-name", envOr("LEDGER_SERVER_NAME", "ledger"), "this node's name (distinct on every node of a cluster)")
	flags.StringVar(&c.name, "cluster-name", os.Getenv("LEDGER_CLUSTER_NAME"), "join a JetStream cluster of this name (with --cluster-listen, --routes and --replicas 3)")
	flags.StringVar(&c.listen, "cluster-listen", envOr("LEDGER_CLUSTER_LISTEN", "127.0.0.1:6222"), "address this node's cluster routes listen on")
	flags.StringVar(&c.routes, "routes", os.Getenv("LEDGER_ROUTES"), "comma-separated routes to every node, e.g. nats://127.0.0.1:6222,nats://127.0.0.1:6223,nats://127.0.0.1:6224")
	flags.StringVar(&c.cert, "cluster-tls-cert", os.Getenv("LEDGER_CLUSTER_TLS_CERT"), "PEM certificate of this node for TLS between cluster nodes (with --cluster-tls-key and --cluster-tls-ca)")
	flags.StringVar(&c.key, "cluster-tls-key", os.Getenv("LEDGER_CLUSTER_TLS_KEY"), "PEM private key of --cluster-tls-cert")
	flags.StringVar(&c.ca, "cluster-tls-ca", os.Getenv("LEDGER_CLUSTER_TLS_CA"), "PEM CA that every cluster node's certificate must be signed by")
}

// isClusterFlag says whether a flag joins the embedded server to a
// cluster (--server-name, which names a serve process on any store, is
// not one).
func isClusterFlag(name string) bool { return strings.HasPrefix(name, "cluster-") || name == "routes" }

// config is the node's cluster settings, checked (node.ParseCluster); a
// setting that cannot work is a usage error.
func (c *clusterFlags) config() (node.ClusterConfig, error) {
	cluster, err := node.ParseCluster(node.ClusterSettings{ServerName: c.serverName, Name: c.name, Listen: c.listen, Routes: c.routes,
		CertFile: c.cert, KeyFile: c.key, CAFile: c.ca})
	return cluster, configUsage(err)
}
