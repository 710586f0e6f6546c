package main

import (
	"context"
	"flag"
	"fmt"
	"slices"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/report"
)

type totalsOptions struct {
	format   string
	county   string
	campaign string
	by       string
	asOf     string
	knownAt  string
}

func (o *totalsOptions) register(flags *flag.FlagSet) {
	flags.StringVar(&o.county, "county", "", "only this region")
	flags.StringVar(&o.campaign, "campaign", "", "only this campaign")
	flags.StringVar(&o.by, "by", "", "group by day, month or year of occurred-at (Beijing time)")
	flags.StringVar(&o.asOf, "as-of", "", "count what occurred at or before this instant (RFC 3339 or YYYY-MM-DD, end of day): what really happened by then")
	flags.StringVar(&o.knownAt, "known-at", "", "count what the ledger had recorded by this instant: what was reported then")
	flags.StringVar(&o.format, "format", "table", "table, json or csv")
}

// check refuses a format WriteTotals does not write.
func (o *totalsOptions) check() error {
	if !slices.Contains(report.TotalsFormats, o.format) {
		return cli.Usagef("--format must be table, json or csv")
	}
	return nil
}

// request is the totals question the flags ask.
func (o *totalsOptions) request() app.TotalsRequest {
	return app.TotalsRequest{County: o.county, Campaign: o.campaign, By: o.by, AsOf: o.asOf, KnownAt: o.knownAt}
}

// runTotals checks --format before it opens the ledger.
var runTotals = storeCommand(cli.Spec{Name: "totals",
	Usage: "[--county CODE] [--campaign CODE] [--as-of T] [--known-at T] [--by day|month|year] [--format table|json|csv]"},
	func(flags *flag.FlagSet) action {
		var options totalsOptions
		options.register(flags)
		return func(c *call) error {
			if err := options.check(); err != nil {
				return err
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			return printTotals(c.Ctx, c.Env, opened, options)
		}
	})

// totalsFlags names the flag behind each field of a totals question.
var totalsFlags = map[string]string{"by": "--by", "county": "--county", "campaign": "--campaign", "as_of": "--as-of", "known_at": "--known-at"}

// printTotals asks the use case (app.Ledger.Totals), the same as the API,
// and prints its answer as --format says.
func printTotals(ctx context.Context, env *cli.Environment, opened *opened, options totalsOptions) error {
	request := options.request()
	request.Progress = cli.Progress(env, "totals")
	answer, err := opened.App.Totals(ctx, request)
	if err != nil {
		return cli.Flagged(err, totalsFlags)
	}
	for _, warning := range answer.Warnings {
		fmt.Fprintf(env.Stderr, "ledger totals: WARNING: %s\n", warning)
	}
	return report.WriteTotals(env.Stdout, answer, opened.Catalog.RegionName, options.format, options.asOf, options.knownAt)
}
