package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ordos-union/ledger/node"
)

// runNATSCredentials makes the data directory's NATS credentials, or
// hands one role's credential to another program. Only the watcher (read
// the live totals bucket) and the runtime (what the ledger's commands run
// as, for --nats-creds on another machine) are handed out; the operator
// credential stays in the data directory.
func runNATSCredentials(_ context.Context, env *environment, args []string) error {
	flags := newFlags(env, "nats-credentials", "init | watcher | runtime | server-env [--data DIR] [--out FILE]\n\n"+
		"init makes the credentials of the embedded NATS server in DIR/nats (done by the first start too; a cluster's nodes\n"+
		"share one set: make it once and copy the folder). watcher and runtime print that user's nkey seed, or write it\n"+
		"to --out (mode 0600), for `nats --nkey FILE` or `ledger --nats URL --nats-creds FILE`. server-env prints the users'\n"+
		"public keys as the environment docs/examples/nats-accounts.conf reads, for a NATS cluster of your own.")
	dataDir := flags.String("data", envOr("LEDGER_DATA", "./ledger-data"), "data directory (env LEDGER_DATA)")
	out := flags.String("out", "", "write the seed to this file (mode 0600) instead of standard output")
	if err := parseArgs(flags, args, 1, "give one of init, watcher, runtime, server-env"); err != nil {
		return err
	}
	switch what := flags.Arg(0); what {
	case "init":
		dir, err := node.MakeCredentials(*dataDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "made NATS credentials in %s (operator, runtime, watcher and the cluster route secret)\n", dir)
		return nil
	case "server-env":
		environment, err := node.ServerEnvironment(*dataDir)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, strings.Join(environment, "\n"))
		return nil
	case node.HandedOutRoles[0], node.HandedOutRoles[1]:
		seed, err := node.Credential(*dataDir, what)
		if errors.Is(err, node.ErrNoCredentials) {
			return fmt.Errorf("%w: start `ledger serve --data %s` once, or run `ledger nats-credentials init`", err, *dataDir)
		}
		if err != nil {
			return err
		}
		if *out == "" {
			fmt.Fprintln(env.stdout, string(seed))
			return nil
		}
		if err := writeOutput(*out, append(seed, '\n'), false); err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "wrote the %s credential to %s; e.g. nats --server nats://127.0.0.1:4222 --nkey %s kv watch %s\n",
			what, *out, *out, node.LiveTotalsBucket)
		return nil
	default:
		return usagef("unknown %q: give init, watcher, runtime or server-env (the operator credential is not handed out)", what)
	}
}
