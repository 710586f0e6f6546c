package main

import (
	"flag"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/mirror"
	"github.com/ordos-union/ledger/report"
)

// runMirrorUpdate keeps an auditor's copy of a ledger's tlog-tiles
// (package mirror); its subcommands read that copy offline.
var runMirrorUpdate = plainCommand(cli.Spec{Name: "mirror", Args: 2, ArgsWanted: "give URL and DIR",
	Usage: "URL DIR --key KEY [--token TOKEN]\n       ledger mirror verify|totals|verify-report DIR ... --key KEY\n\n" +
		"Fetches the ledger's signed checkpoint and the tlog-tiles DIR lacks from URL (the /tlog/ prefix of `ledger serve`, or\n" +
		"where `ledger tiles export` was published), checks the signature, every tile against the signed tree and consistency\n" +
		"with the checkpoint DIR kept, and only then keeps them. `mirror verify`, `mirror totals` and `mirror verify-report` read DIR offline."},
	func(flags *flag.FlagSet) action {
		key := flags.String("key", "", "the ledger's verifier key, or a file holding it (required; get it from the ledger's operators, not the server)")
		token := flags.String("token", os.Getenv("LEDGER_TLOG_TOKEN"), "bearer token, when the server serves /tlog/ only to tokens; better in env LEDGER_TLOG_TOKEN: other users can read a command line")
		return func(c *call) error {
			verifier, err := requiredKey(*key)
			if err != nil {
				return err
			}
			result, err := mirror.Update(c.Ctx, mirror.Options{URL: c.Arg(0), Dir: c.Arg(1), Verifier: verifier, Token: *token})
			if err != nil {
				return err
			}
			c.Printf("OK: %s keeps %d entries (before: %d), root %s, checkpoint signed %s by %s; fetched %d files\n",
				c.Arg(1), result.Checkpoint.Size, result.Previous, result.Checkpoint.Root, report.BeijingTime(result.Checkpoint.Time),
				verifier.Name(), len(result.Fetched))
			return nil
		}
	})

// requiredKey reads --key, which the mirror commands cannot do without.
func requiredKey(key string) (note.Verifier, error) {
	if key == "" {
		return nil, cli.Usagef("give --key: the ledger's verifier key (ledger pubkey prints it)")
	}
	return verifierFlag(key)
}

// mirrored is the mirror a reading command opened, with the verifier key
// and the catalog its flags named.
type mirrored struct {
	log      *mirror.Log
	verifier note.Verifier
	catalog  *domain.Catalog
}

// mirrorCommand is a command that reads a mirror offline: beside its own
// flags it takes --key and --catalog, and the mirror in DIR (its first
// argument) is opened, every kept tile checked against the kept
// checkpoint, before declare's action runs.
func mirrorCommand(spec cli.Spec, declare func(flags *flag.FlagSet) func(c *call, m mirrored) error) cli.RunFunc {
	return plainCommand(spec, func(flags *flag.FlagSet) action {
		key := flags.String("key", "", "the ledger's verifier key, or a file holding it (required)")
		catalog := flags.String("catalog", os.Getenv("LEDGER_CATALOG"), "the ledger's catalog JSON, if it replaced the built-in lists (env LEDGER_CATALOG)")
		act := declare(flags)
		return func(c *call) error {
			var m mirrored
			var err error
			if m.verifier, err = requiredKey(*key); err != nil {
				return err
			}
			if m.catalog, err = (&storeFlags{catalog: *catalog}).loadCatalog(); err != nil {
				return err
			}
			if m.log, err = mirror.Open(c.Ctx, c.Arg(0), m.verifier); err != nil {
				return err
			}
			return act(c, m)
		}
	})
}

var runMirrorVerify = mirrorCommand(cli.Spec{Name: "mirror verify", Args: 1, ArgsWanted: "give one DIR",
	Usage: "DIR --key KEY [--witness KEY... [--witness-quorum N]] [--json]\n\nVerifies a mirror offline: every tile against the kept checkpoint, then the ledger's " +
		"own verification over the entries (each decodes and validates; every accepted checkpoint matches and extends the one before)."},
	func(flags *flag.FlagSet) func(c *call, m mirrored) error {
		asJSON := flags.Bool("json", false, "print the report as JSON")
		var witnesses witnessPolicyFlags
		witnesses.register(flags)
		return func(c *call, m mirrored) error {
			policy, err := witnesses.policy()
			if err != nil {
				return err
			}
			verified, err := m.log.Verify(c.Ctx, m.verifier, m.catalog, policy)
			if err != nil {
				return err
			}
			return c.verification(verified, *asJSON, func(out io.Writer) {
				report.MirrorVerifiedText(out, verified, policy != nil)
			})
		}
	})

var runMirrorTotals = mirrorCommand(cli.Spec{Name: "mirror totals", Args: 1, ArgsWanted: "give one DIR",
	Usage: "DIR --key KEY [--county CODE] [--campaign CODE] [--as-of T] [--known-at T] [--by day|month|year] [--format table|json|csv]\n\n" +
		"Totals from a mirror, offline: the ledger's totals projection folded over the mirrored entries."},
	func(flags *flag.FlagSet) func(c *call, m mirrored) error {
		var options totalsOptions
		options.register(flags)
		return func(c *call, m mirrored) error {
			if err := options.check(); err != nil {
				return err
			}
			answer, err := m.log.Totals(c.Ctx, options.request(), m.catalog)
			if err != nil {
				return cli.Flagged(err, totalsFlags)
			}
			return report.WriteTotals(c.Env.Stdout, answer, m.catalog.RegionName, options.format, options.asOf, options.knownAt)
		}
	})

var runMirrorVerifyReport = mirrorCommand(cli.Spec{Name: "mirror verify-report", Args: 2, ArgsWanted: "give DIR and one FILE or SEAL",
	Usage: "DIR FILE.html|SEAL --key KEY\n\nChecks a printed report against a mirror, offline: " +
		"its checkpoint must be one the mirror accepted, and the figures recomputed from the mirrored entries must be the printed ones."},
	func(*flag.FlagSet) func(c *call, m mirrored) error {
		return func(c *call, m mirrored) error {
			return c.checkPrinted(c.Arg(1), "the mirror's", m.catalog, func(seal string) (*app.MonthReport, error) {
				return m.log.VerifyReport(c.Ctx, seal, m.verifier, m.catalog)
			})
		}
	})
