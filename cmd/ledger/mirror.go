package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/mirror"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// runMirror keeps an auditor's copy of a ledger's tlog-tiles (package
// mirror) and reads it offline: verify, totals, verify-report.
func runMirror(ctx context.Context, env *environment, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "verify":
			return runMirrorVerify(ctx, env, args[1:])
		case "totals":
			return runMirrorTotals(ctx, env, args[1:])
		case "verify-report":
			return runMirrorVerifyReport(ctx, env, args[1:])
		}
	}
	flags := newFlags(env, "mirror", "URL DIR --key KEY [--token TOKEN]\n       ledger mirror verify|totals|verify-report DIR ... --key KEY\n\n"+
		"Fetches the ledger's signed checkpoint and the tlog-tiles DIR lacks from URL (the /tlog/ prefix of `ledger serve`, or\n"+
		"where `ledger tiles export` was published), checks the signature, every tile against the signed tree and consistency\n"+
		"with the checkpoint DIR kept, and only then keeps them. `mirror verify`, `mirror totals` and `mirror verify-report` read DIR offline.")
	key := flags.String("key", "", "the ledger's verifier key, or a file holding it (required; get it from the ledger's operators, not the server)")
	token := flags.String("token", os.Getenv("LEDGER_TLOG_TOKEN"), "bearer token, when the server serves /tlog/ only to tokens (env LEDGER_TLOG_TOKEN)")
	if err := parseArgs(flags, args, 2, "give URL and DIR"); err != nil {
		return err
	}
	verifier, err := requiredKey(*key)
	if err != nil {
		return err
	}
	result, err := mirror.Update(ctx, mirror.Options{URL: flags.Arg(0), Dir: flags.Arg(1), Verifier: verifier, Token: *token})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "OK: %s keeps %d entries (before: %d), root %s, checkpoint signed %s by %s; fetched %d files\n",
		flags.Arg(1), result.Checkpoint.Size, result.Previous, result.Checkpoint.Root, result.Checkpoint.Time.Format("2006-01-02 15:04:05"),
		verifier.Name(), len(result.Fetched))
	return nil
}

// requiredKey reads --key, which the mirror commands cannot do without.
func requiredKey(key string) (note.Verifier, error) {
	if key == "" {
		return nil, usagef("give --key: the ledger's verifier key (ledger pubkey prints it)")
	}
	return verifierFlag(key)
}

// openMirror parses a mirror reading command's flags and opens DIR,
// checking every kept tile against the kept checkpoint.
func openMirror(ctx context.Context, flags *flag.FlagSet, args []string, positional int, usage string) (*mirror.Log, note.Verifier, *domain.Catalog, error) {
	key := flags.String("key", "", "the ledger's verifier key, or a file holding it (required)")
	catalog := flags.String("catalog", os.Getenv("LEDGER_CATALOG"), "the ledger's catalog JSON, if it replaced the built-in lists (env LEDGER_CATALOG)")
	if err := parseArgs(flags, args, positional, usage); err != nil {
		return nil, nil, nil, err
	}
	verifier, err := requiredKey(*key)
	if err != nil {
		return nil, nil, nil, err
	}
	loaded, err := (&storeFlags{catalog: *catalog}).loadCatalog()
	if err != nil {
		return nil, nil, nil, err
	}
	log, err := mirror.Open(ctx, flags.Arg(0), verifier)
	return log, verifier, loaded, err
}

func runMirrorVerify(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "mirror verify", "DIR --key KEY [--witness KEY... [--witness-quorum N]] [--json]\n\nVerifies a mirror offline: every tile against the kept checkpoint, then the ledger's "+
		"own verification over the entries (each decodes and validates; every accepted checkpoint matches and extends the one before).")
	asJSON := flags.Bool("json", false, "print the report as JSON")
	var witnesses witnessPolicyFlags
	witnesses.register(flags)
	log, verifier, catalog, err := openMirror(ctx, flags, args, 1, "give one DIR")
	if err != nil {
		return err
	}
	policy, err := witnesses.policy()
	if err != nil {
		return err
	}
	verified, err := log.Verify(ctx, verifier, catalog, policy)
	if err != nil {
		return err
	}
	if err := printVerification(env, verified, *asJSON); err != nil {
		return err
	}
	if !*asJSON {
		fmt.Fprintf(env.stdout, "OK: %d entries, %d checkpoints verified offline; tree root %s\n", verified.Events, verified.Checkpoints, verified.Root)
	}
	return nil
}

func runMirrorTotals(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "mirror totals", "DIR --key KEY [--county CODE] [--campaign CODE] [--as-of T] [--known-at T] [--by day|month|year] [--format table|json|csv]\n\n"+
		"Totals from a mirror, offline: the ledger's totals projection folded over the mirrored entries.")
	var options totalsOptions
	options.register(flags)
	log, _, catalog, err := openMirror(ctx, flags, args, 1, "give one DIR")
	if err != nil {
		return err
	}
	if err := options.check(); err != nil {
		return err
	}
	at, err := parseInstant(options.asOf, "--as-of")
	if err != nil {
		return err
	}
	known, err := parseInstant(options.knownAt, "--known-at")
	if err != nil {
		return err
	}
	answer, err := log.Totals(ctx, projections.Query{County: options.county, Campaign: options.campaign, By: options.by}, at, known)
	if err != nil {
		return flagged(err, totalsFlags)
	}
	return report.WriteTotals(env.stdout, answer, catalog.RegionName, options.format, options.asOf, options.knownAt)
}

// parseInstant reads an optional instant flag; empty is no bound.
func parseInstant(text, name string) (time.Time, error) {
	if text == "" {
		return time.Time{}, nil
	}
	at, err := domain.ParseInstant(text)
	if err != nil {
		return time.Time{}, usagef("%s: %v", name, err)
	}
	return at, nil
}

func runMirrorVerifyReport(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "mirror verify-report", "DIR FILE.html|SEAL --key KEY\n\nChecks a printed report against a mirror, offline: "+
		"its checkpoint must be one the mirror accepted, and the figures recomputed from the mirrored entries must be the printed ones.")
	log, verifier, catalog, err := openMirror(ctx, flags, args, 2, "give DIR and one FILE or SEAL")
	if err != nil {
		return err
	}
	return checkPrintedReport(env, flags.Arg(1), "the mirror's", func(seal string) (*app.MonthReport, error) {
		return log.VerifyReport(ctx, seal, verifier, catalog)
	})
}
