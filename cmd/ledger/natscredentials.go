package main

import (
	"flag"
	"strings"

	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/report"
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
		"to --out (mode 0600): the watcher's for dashboards (`nats --nkey FILE sub 'LEDGER_LIVE_TOTALS.>'`), the runtime's only for another\n" +
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

// handOutCredential prints the nkey seed of role (node.HandOut), or
// writes it to out.
func handOutCredential(c *call, dataDir, role, out string) error {
	handed, err := node.HandOut(dataDir, role)
	if err != nil {
		return err
	}
	report.CredentialWarningText(c.Env.Stderr, handed.LedgersOwn)
	if out == "" {
		c.Printf("%s\n", handed.Seed)
		return nil
	}
	if err := cli.WriteFile(out, append(handed.Seed, '\n'), false); err != nil {
		return err
	}
	report.CredentialWrittenText(c.Env.Stderr, role, handed.LedgersOwn, out, node.LiveTotalsSubject)
	return nil
}
