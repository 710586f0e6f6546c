package main

import (
	"context"
	"fmt"

	"github.com/ordos-union/ledger/demo"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

func runDemo(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "demo", "[--data DIR]")
	opened, err := openParsed(ctx, env, flags, store, args, 0, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	summary, err := demo.Load(ctx, opened.Service)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Demo data set (2022 Ordos City Federation of Trade Unions) in %s: %d events written, %d already there.\n\n",
		opened.Location, summary.Written, summary.Duplicates)
	if err := printTotals(ctx, env, opened, totalsOptions{format: "table"}); err != nil {
		return err
	}
	return printArticleFigures(ctx, env, opened)
}

// printArticleFigures shows the source article's figures as the ledger
// derives them from the events, not as constants.
func printArticleFigures(ctx context.Context, env *environment, opened *opened) error {
	_, projection, err := opened.TotalsRunner(ctx, newProgress(env, "totals"))
	if err != nil {
		return err
	}
	lectures := projection.Sum(projections.Query{Campaign: "2022-health-law-lectures"})
	april := projection.Sum(projections.Query{Campaign: "2022-new-workers-month"})
	all := projection.Sum(projections.Query{})
	fmt.Fprintf(env.stdout, "\nFrom the 2022 report, as derived from the events:\n")
	fmt.Fprintf(env.stdout, "  健康护航、法治随行 lectures: %d sessions, %d participants\n", lectures.Sessions, lectures.Participants)
	fmt.Fprintf(env.stdout, "  April service month: %d visits, %d health checkups, %d service stations, %d person-times\n",
		april.ServicesByKind["visit"].Count, april.ServicesByKind["health-checkup"].Count, april.ServicesByKind["station-opened"].Count, april.PersonTimes)
	fmt.Fprintf(env.stdout, "  Raised: ¥%s in money and ¥%s in goods; %d entries voided, %d corrected\n",
		report.Yuan(all.Received), report.Yuan(all.GoodsReceivedValue), all.Voided, all.Corrected)
	return nil
}
