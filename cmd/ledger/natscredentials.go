package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/node"
)

// runNATSCredentials makes the data directory's NATS credentials, or
// hands one role's credential out. Only the watcher (read the live totals
// bucket, for any program) and the runtime (what the ledger's commands run
// as, for --nats-creds of another ledger node) are handed out; the
// operator credential stays in the data directory.
var runNATSCredentials = plainCommand(cli.Spec{Name: "nats-credentials", Args: 1, ArgsWanted: "give one of init, watcher, runtime, server-env",
	Usage: "init | watcher | runtime | server-env [--data DIR] [--out FILE]\n\n" +
		"init makes the credentials of the embedded NATS server in DIR/nats (done by the first start too; a cluster's nodes\n" +
		"share one set: make it once and copy the folder). watcher and runtime print that user's nkey seed, or write it\n" +
		"to --out (mode 0600): the watcher's for dashboards (`nats --nkey FILE kv watch`), the runtime's only for another\n" +
		"node of this ledger (`ledger --nats URL --nats-creds FILE`), as it reads every personal-data key. server-env prints the users'\n" +
		"public keys as the environment docs/examples/nats-accounts.conf reads, for a NATS cluster of your own."},
	func(flags *flag.FlagSet) action {
		dataDir := flags.String("data", envOr("LEDGER_DATA", "./ledger-data"), "data directory (env LEDGER_DATA)")
		out := flags.String("out", "", "write the seed to this file (mode 0600) instead of standard output")
		return func(c *call) error {
			switch what := c.Arg(0); what {
			case "init":
				dir, err := node.MakeCredentials(*dataDir)
				if err == nil {
					c.Printf("made NATS credentials in %s (operator, runtime, watcher and the cluster route secret)\n", dir)
				}
				return err
			case "server-env":
				environment, err := node.ServerEnvironment(*dataDir)
				if err == nil {
					c.Printf("%s\n", strings.Join(environment, "\n"))
				}
				return err
			case node.HandedOutRoles[0], node.HandedOutRoles[1]:
				return handOutCredential(c, *dataDir, what, *out)
			default:
				return cli.Usagef("unknown %q: give init, watcher, runtime or server-env (the operator credential is not handed out)", what)
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
	if role == node.RoleRuntime {
		// Whoever holds it reads everyone's personal-data keys and can
		// destroy them one by one: say so each time it leaves the directory.
		c.Warnf("the runtime credential is this ledger's own: it reads every personal-data key and can destroy keys one at a time; " +
			"give it only to another node of this ledger (--nats-creds), never to a dashboard or script (give those the watcher's)\n")
	}
	if out == "" {
		c.Printf("%s\n", seed)
		return nil
	}
	if err := cli.WriteFile(out, append(seed, '\n'), false); err != nil {
		return err
	}
	if role == node.RoleRuntime {
		c.Warnf("wrote the runtime credential to %s; e.g. ledger serve --nats URL --nats-creds %s\n", out, out)
		return nil
	}
	c.Warnf("wrote the %s credential to %s; e.g. nats --server nats://127.0.0.1:4222 --nkey %s kv watch %s\n", role, out, out, node.LiveTotalsBucket)
	return nil
}
