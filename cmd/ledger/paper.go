package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/report"
)

// reportFlags names the flag behind each field of a report request.
var reportFlags = map[string]string{"month": "--month", "county": "--county", "campaign": "--campaign"}

func runReport(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "report", "--month YYYY-MM [--county CODE] [--campaign CODE] [--lang zh|en] --out FILE\n\n"+
		"Writes the printable monthly report (HTML for A4 paper: print it, or save it as PDF, from a browser), bound to the newest\n"+
		"signed checkpoint by a seal printed as text and as a QR code; `ledger verify-report` checks a printed report against the log.")
	month := flags.String("month", "", "the month, YYYY-MM (required)")
	county := flags.String("county", "", "one region (default: the whole federation)")
	campaign := flags.String("campaign", "", "one campaign (default: all)")
	lang := flags.String("lang", "zh", "zh or en")
	var out outputFlags
	out.register(flags, "write the report to this new file, mode 0600 (required)")
	opened, err := openParsed(ctx, env, flags, store, args, 0, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	if out.path == "" {
		return usagef("give --out FILE")
	}
	if *lang != "zh" && *lang != "en" {
		return usagef("--lang must be zh or en")
	}
	monthly, err := opened.App.Report(ctx, app.ReportRequest{Month: *month, County: *county, Campaign: *campaign})
	if err != nil {
		return flagged(err, reportFlags)
	}
	var page bytes.Buffer
	if err := report.Paper(&page, monthly, opened.Catalog, *lang); err != nil {
		return err
	}
	if err := out.write(env, page.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote the report of %s to %s, bound to the signed checkpoint of %d events\nseal: %s\n",
		*month, out.path, monthly.Checkpoint.Size, monthly.Seal)
	return nil
}

func runVerifyReport(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "verify-report", "FILE.html|SEAL [--key KEY] [--bundle DIR]\n\n"+
		"Checks a printed report against the ledger, or offline against an audit bundle (ledger export-audit): the signed\n"+
		"checkpoint it names, the figures recomputed from the log's first events, and, given the HTML, every printed figure.\n"+
		"SEAL is the text the report's QR code carries.")
	key := flags.String("key", "", "the verifier key (default: the data directory's own; required with --bundle)")
	bundle := flags.String("bundle", "", "check against this audit bundle instead of the ledger, offline")
	if err := parseArgs(flags, args, 1, "give one FILE or SEAL"); err != nil {
		return err
	}
	if *bundle != "" {
		verifier, err := requiredKey(*key)
		if err != nil {
			return err
		}
		opened, err := integrity.OpenBundle(ctx, *bundle, verifier)
		if err != nil {
			return fmt.Errorf("%s: %w", *bundle, err)
		}
		events, err := eventstore.NewFrozen(opened.Events)
		if err != nil {
			return fmt.Errorf("%s: %w", *bundle, err)
		}
		catalog, err := store.loadCatalog()
		if err != nil {
			return err
		}
		copied := app.Copy{Store: events, Checkpoints: opened.Checkpoints, Catalog: catalog, Verifier: verifier}
		return checkPrintedReport(env, flags.Arg(0), "the bundle's", func(seal string) (*app.MonthReport, error) {
			return app.VerifyReportOnCopy(ctx, seal, copied)
		})
	}
	verifier, err := verifierFlag(*key)
	if err != nil {
		return err
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	return checkPrintedReport(env, flags.Arg(0), "the log's", func(seal string) (*app.MonthReport, error) {
		return opened.VerifyReport(ctx, seal, verifier)
	})
}

// checkPrintedReport checks a printed report (its HTML file, or the seal
// its QR code carries) with verify, which recomputes the report the seal
// names from a log (whose: "the log's"), and compares every printed
// figure with it.
func checkPrintedReport(env *environment, fileOrSeal, whose string, verify func(seal string) (*app.MonthReport, error)) error {
	seal, printed := fileOrSeal, map[string]string(nil)
	if page, err := os.ReadFile(fileOrSeal); err == nil {
		if seal, printed, err = report.ReadPrinted(page); err != nil {
			return fmt.Errorf("%s: %w", fileOrSeal, err)
		}
	}
	monthly, err := verify(seal)
	if err != nil {
		return err
	}
	if printed != nil {
		if err := report.CheckPrinted(monthly, printed); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "OK: the report of %s (%s) is what %s first %d events say, under the checkpoint signed by %s at %s\n",
		monthly.Month, strings.TrimSpace(monthly.County+" "+monthly.Campaign), whose, monthly.Checkpoint.Size, monthly.Checkpoint.Origin,
		monthly.Checkpoint.Time.Format("2006-01-02 15:04:05"))
	return nil
}

// verifierFlag reads --key; empty is the data directory's own key.
func verifierFlag(key string) (note.Verifier, error) {
	if key == "" {
		return nil, nil
	}
	verifier, err := integrity.NewVerifier(key)
	if err != nil {
		return nil, usagef("--key: %v", err)
	}
	return verifier, nil
}
