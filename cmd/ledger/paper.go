package main

import (
	"bytes"
	"flag"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/report"
)

// reportFlags names the flag behind each field of a report request.
var reportFlags = map[string]string{"month": "--month", "county": "--county", "campaign": "--campaign"}

var runReport = ledgerCommand(cli.Spec{Name: "report", Usage: "--month YYYY-MM [--county CODE] [--campaign CODE] [--lang zh|en] --out FILE\n\n" +
	"Writes the printable monthly report (HTML for A4 paper: print it, or save it as PDF, from a browser), bound to the newest\n" +
	"signed checkpoint by a seal printed as text and as a QR code; `ledger verify-report` checks a printed report against the log."},
	func(flags *flag.FlagSet) action {
		month := flags.String("month", "", "the month, YYYY-MM (required)")
		county := flags.String("county", "", "one region (default: the whole federation)")
		campaign := flags.String("campaign", "", "one campaign (default: all)")
		lang := flags.String("lang", "zh", "zh or en")
		var out cli.Output
		out.Register(flags, "write the report to this new file, mode 0600 (required)")
		return func(c *call) error {
			if out.Path == "" {
				return cli.Usagef("give --out FILE")
			}
			if *lang != "zh" && *lang != "en" {
				return cli.Usagef("--lang must be zh or en")
			}
			monthly, err := c.ledger.App.Report(c.Ctx, app.ReportRequest{Month: *month, County: *county, Campaign: *campaign})
			if err != nil {
				return cli.Flagged(err, reportFlags)
			}
			var page bytes.Buffer
			if err := report.Paper(&page, monthly, c.ledger.Catalog, *lang); err != nil {
				return err
			}
			if err := out.Write(c.Env, page.Bytes()); err != nil {
				return err
			}
			c.Printf("wrote the report of %s to %s, bound to the signed checkpoint of %d events\nseal: %s\n", *month, out.Path,
				monthly.Checkpoint.Size, monthly.Seal)
			return nil
		}
	})

// runVerifyReport opens the ledger only when no --bundle is given, and
// after it has read --key.
var runVerifyReport = storeCommand(cli.Spec{Name: "verify-report", Args: 1, ArgsWanted: "give one FILE or SEAL",
	Usage: "FILE.html|SEAL [--key KEY] [--bundle DIR]\n\n" +
		"Checks a printed report against the ledger, or offline against an audit bundle (ledger export-audit): the signed\n" +
		"checkpoint it names, the figures recomputed from the log's first events, and, given the HTML, every printed figure.\n" +
		"SEAL is the text the report's QR code carries."},
	func(flags *flag.FlagSet) action {
		key := flags.String("key", "", "the verifier key (default: the data directory's own; required with --bundle)")
		bundle := flags.String("bundle", "", "check against this audit bundle instead of the ledger, offline")
		return func(c *call) error {
			if *bundle != "" {
				return c.checkPrintedOnBundle(*bundle, *key)
			}
			verifier, err := verifierFlag(*key)
			if err != nil {
				return err
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			return c.checkPrinted(c.Arg(0), "the log's", opened.Catalog, func(seal string) (*app.MonthReport, error) {
				return opened.VerifyReport(c.Ctx, seal, verifier)
			})
		}
	})

// checkPrintedOnBundle checks the printed report verify-report was given
// against the audit bundle in dir, offline: its events are a frozen store
// the report is recomputed from.
func (c *call) checkPrintedOnBundle(dir, key string) error {
	verifier, err := requiredKey(key)
	if err != nil {
		return err
	}
	catalog, err := c.store.loadCatalog()
	if err != nil {
		return err
	}
	copied, err := app.BundleCopy(c.Ctx, dir, verifier, catalog)
	if err != nil {
		return err
	}
	return c.checkPrinted(c.Arg(0), "the bundle's", catalog, func(seal string) (*app.MonthReport, error) {
		return app.VerifyReportOnCopy(c.Ctx, seal, copied)
	})
}

// checkPrinted checks a printed report, its HTML file or the seal its QR
// code carries, against what verify recomputes from a log (whose: "the
// log's"), the page printed again under catalog (report.VerifyPrinted),
// and says so.
func (c *call) checkPrinted(fileOrSeal, whose string, catalog *domain.Catalog, verify func(seal string) (*app.MonthReport, error)) error {
	monthly, err := report.VerifyPrinted(fileOrSeal, catalog, verify)
	if err != nil {
		return err
	}
	report.PrintedVerifiedText(c.Env.Stdout, monthly, whose)
	return nil
}

// verifierFlag reads --key; empty is the data directory's own key.
func verifierFlag(key string) (note.Verifier, error) {
	if key == "" {
		return nil, nil
	}
	verifier, err := integrity.NewVerifier(key)
	if err != nil {
		return nil, cli.Usagef("--key: %v", err)
	}
	return verifier, nil
}
