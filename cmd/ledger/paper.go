package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"regexp"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/report"
)

// reportFlags names the flag behind each field of a report request.
var reportFlags = map[string]string{"month": "--month", "county": "--county", "campaign": "--campaign"}

func runReport(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "report", "--month YYYY-MM [--county CODE] [--campaign CODE] [--lang zh|en] --out FILE\n\n"+
		"Writes the printable monthly report (HTML for A4 paper: print it, or save it as PDF, from a browser), bound to the newest\n"+
		"signed checkpoint by a seal printed as text and as a QR code; `ledger verify-report` checks a printed report against the log.")
	var store storeFlags
	store.register(flags)
	month := flags.String("month", "", "the month, YYYY-MM (required)")
	county := flags.String("county", "", "one region (default: the whole federation)")
	campaign := flags.String("campaign", "", "one campaign (default: all)")
	lang := flags.String("lang", "zh", "zh or en")
	out := flags.String("out", "", "write the report to this new file, mode 0600 (required)")
	force := flags.Bool("force", false, "replace an existing --out file")
	opened, err := openParsed(ctx, env, flags, &store, args, 0, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	if *out == "" {
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
	if err := writeOutput(*out, page.Bytes(), *force); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote the report of %s to %s, bound to the signed checkpoint of %d events\nseal: %s\n",
		*month, *out, monthly.Checkpoint.Size, monthly.Seal)
	return nil
}

// sealInHTML finds a printed report's seal in its HTML.
var sealInHTML = regexp.MustCompile(`<meta name="` + report.SealMetaName + `" content="([^"]*)">`)

// printedCell finds the figure cells of a printed report.
var printedCell = regexp.MustCompile(`<td class="num" data-key="([^"]+)">([^<]*)</td>`)

func runVerifyReport(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "verify-report", "FILE.html|SEAL [--key KEY]\n\n"+
		"Checks a printed report against the ledger: the signed checkpoint it names, the figures recomputed from the log's first\n"+
		"events, and, given the HTML, every printed figure. SEAL is the text the report's QR code carries.")
	var store storeFlags
	store.register(flags)
	key := flags.String("key", "", "the verifier key (default: the data directory's own)")
	opened, err := openParsed(ctx, env, flags, &store, args, 1, "give one FILE or SEAL")
	if err != nil {
		return err
	}
	defer opened.Close()
	seal, printed, err := readSeal(flags.Arg(0))
	if err != nil {
		return err
	}
	verifier, err := verifierFlag(*key)
	if err != nil {
		return err
	}
	monthly, err := opened.VerifyReport(ctx, seal, verifier)
	if err != nil {
		return err
	}
	return reportVerified(env, monthly, printed)
}

// readSeal reads what verify-report is given: a report's HTML file (its
// seal and every printed figure) or the seal's text (no figures).
func readSeal(arg string) (seal string, printed map[string]string, err error) {
	content, err := os.ReadFile(arg)
	if err != nil {
		return arg, nil, nil
	}
	match := sealInHTML.FindSubmatch(content)
	if match == nil {
		return "", nil, fmt.Errorf("%s holds no report seal: %w", arg, app.ErrReportMismatch)
	}
	printed = map[string]string{}
	for _, cell := range printedCell.FindAllSubmatch(content, -1) {
		printed[html.UnescapeString(string(cell[1]))] = html.UnescapeString(string(cell[2]))
	}
	return html.UnescapeString(string(match[1])), printed, nil
}

// reportVerified checks the printed figures, if any, against the report
// recomputed from the signed log, and says so.
func reportVerified(env *environment, monthly *app.MonthReport, printed map[string]string) error {
	if printed != nil {
		want := report.PrintedFigures(monthly)
		for cell, text := range printed {
			if want[cell] != text {
				return fmt.Errorf("the printed figure %s is %s, but the signed log says %s: %w", cell, text, want[cell], app.ErrReportMismatch)
			}
		}
		if len(printed) != len(want) {
			return fmt.Errorf("the report prints %d figures, the signed log has %d: %w", len(printed), len(want), app.ErrReportMismatch)
		}
	}
	fmt.Fprintf(env.stdout, "OK: the report of %s (%s) is what the log's first %d events say, under the checkpoint signed by %s at %s\n",
		monthly.Month, strings.TrimSpace(monthly.County+" "+monthly.Campaign), monthly.Checkpoint.Size, monthly.Checkpoint.Origin,
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
