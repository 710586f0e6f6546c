package main

import (
	"flag"

	"github.com/ordos-union/ledger/demo"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// runDemo loads the demo data set and prints its totals per county, then
// the source article's figures as the ledger derives them from the events.
var runDemo = ledgerCommand(cli.Spec{Name: "demo", Usage: "[--data DIR]"}, func(flags *flag.FlagSet) action {
	return func(c *call) error {
		summary, err := demo.Load(c.Ctx, c.ledger.Service)
		if err != nil {
			return err
		}
		c.Printf("Demo data set (2022 Ordos City Federation of Trade Unions) in %s: %d events written, %d already there.\n\n",
			c.ledger.Location, summary.Written, summary.Duplicates)
		if err := printTotals(c.Ctx, c.Env, c.ledger, totalsOptions{format: "table"}); err != nil {
			return err
		}
		_, projection, err := c.ledger.TotalsRunner(c.Ctx, cli.Progress(c.Env, "totals"))
		if err != nil {
			return err
		}
		report.DemoFiguresText(c.Env.Stdout, projection.Sum(projections.Query{Campaign: "2022-health-law-lectures"}),
			projection.Sum(projections.Query{Campaign: "2022-new-workers-month"}), projection.Sum(projections.Query{}))
		return nil
	}
})
