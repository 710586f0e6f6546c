package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ordos-union/ledger/eventstore/natsjs"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "serve", "[--data DIR] [--host ADDRESS] [--port PORT]")
	var store storeFlags
	store.register(flags)
	host := flags.String("host", "127.0.0.1", "address the embedded NATS server listens on for other processes")
	port := flags.Int("port", 4222, "port of the embedded NATS server (-1 picks a free one)")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usagef("unexpected arguments %v", flags.Args())
	}
	if store.natsURL != "" {
		return usagef("serve runs its own NATS server; --nats is for the other commands")
	}
	ledger, err := store.open(ctx, env, serverOptions{listen: true, host: *host, port: *port})
	if err != nil {
		return err
	}
	defer ledger.Close()
	url := ledger.server.ClientURL()
	if err := ledger.lock.Announce(natsjs.DataDirHolder{PID: os.Getpid(), NATSURL: url}); err != nil {
		return err
	}
	head, err := ledger.store.Head(ctx)
	if err != nil {
		return err
	}
	// The live totals follow the log while the server runs, so reads find
	// them current and the checkpoint close to the head.
	runner, _, err := ledger.totalsRunner(ctx, env)
	if err != nil {
		return err
	}
	following := make(chan error, 1)
	go func() { following <- runner.Follow(ctx) }()
	env.logger.Info("serving", "data", store.dataDir, "nats_url", url, "head", head)
	fmt.Fprintf(env.stdout, "ledger serving %s (%d events) on NATS %s; durability: sync %s. Ctrl-C stops.\n", store.dataDir, head, url, store.sync)
	<-ctx.Done()
	fmt.Fprintln(env.stdout, "ledger: shutting down")
	if err := <-following; err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
