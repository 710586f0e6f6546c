package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/ordos-union/ledger/node"
)

// runNATSCredentials makes the data directory's NATS credentials, or
// hands one role's credential to another program. Only the watcher (read
// the live totals bucket) and the runtime (what the ledger's commands run
// as, for --nats-creds on another machine) are handed out; the operator
// credential stays in the data directory.
var runNATSCredentials = plainCommand(commandSpec{name: "nats-credentials", args: 1, argsWanted: "give one of init, watcher, runtime, server-env",
	usage: "init | watcher | runtime | server-env [--data DIR] [--out FILE]\n\n" +
		"init makes the credentials of the embedded NATS server in DIR/nats (done by the first start too; a cluster's nodes\n" +
		"share one set: make it once and copy the folder). watcher and runtime print that user's nkey seed, or write it\n" +
		"to --out (mode 0600), for `nats --nkey FILE` or `ledger --nats URL --nats-creds FILE`. server-env prints the users'\n" +
		"public keys as the environment docs/examples/nats-accounts.conf reads, for a NATS cluster of your own."},
	func(flags *flag.FlagSet) action {
		dataDir := flags.String("data", envOr("LEDGER_DATA", "./ledger-data"), "data directory (env LEDGER_DATA)")
		out := flags.String("out", "", "write the seed to this file (mode 0600) instead of standard output")
		return func(c *call) error {
			switch what := c.arg(0); what {
			case "init":
				dir, err := node.MakeCredentials(*dataDir)
				if err == nil {
					c.printf("made NATS credentials in %s (operator, runtime, watcher and the cluster route secret)\n", dir)
				}
				return err
			case "server-env":
				environment, err := node.ServerEnvironment(*dataDir)
				if err == nil {
					c.printf("%s\n", strings.Join(environment, "\n"))
				}
				return err
			case node.HandedOutRoles[0], node.HandedOutRoles[1]:
				return handOutCredential(c, *dataDir, what, *out)
			default:
				return usagef("unknown %q: give init, watcher, runtime or server-env (the operator credential is not handed out)", what)
			}
		}
	})

// handOutCredential prints the nkey seed of role, or writes it to out.
func handOutCredential(c *call, dataDir, role, out string) error {
	seed, err := node.Credential(dataDir, role)
	if errors.Is(err, node.ErrNoCredentials) {
		return fmt.Errorf("%w: start `ledger serve --data %s` once, or run `ledger nats-credentials init`", err, dataDir)
	}
	if err != nil {
		return err
	}
	if out == "" {
		c.printf("%s\n", seed)
		return nil
	}
	if err := writeOutput(out, append(seed, '\n'), false); err != nil {
		return err
	}
	c.warnf("wrote the %s credential to %s; e.g. nats --server nats://127.0.0.1:4222 --nkey %s kv watch %s\n", role, out, out, node.LiveTotalsBucket)
	return nil
}
