package main

import (
	"context"
	"fmt"

	"github.com/ordos-union/ledger/demo"
)

func runDemo(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "demo", "[--data DIR]")
	var store storeFlags
	store.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usagef("unexpected arguments %v", flags.Args())
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	summary, err := demo.Load(ctx, opened.service)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Demo data set (2022 Ordos City Federation of Trade Unions) in %s: %d events written, %d already there.\n\n",
		opened.location, summary.Written, summary.Duplicates)
	if err := printTotals(ctx, env, opened, totalsOptions{format: "table"}); err != nil {
		return err
	}
	return printArticleFigures(ctx, env, opened)
}

// printArticleFigures shows the source article's figures as the ledger
// derives them from the events, not as constants.
func printArticleFigures(ctx context.Context, env *environment, opened *opened) error {
	lectures, err := readTotals(ctx, opened, "2022-health-law-lectures")
	if err != nil {
		return err
	}
	april, err := readTotals(ctx, opened, "2022-new-workers-month")
	if err != nil {
		return err
	}
	all, err := readTotals(ctx, opened, "")
	if err != nil {
		return err
	}
	lectureSum, aprilSum, sum := lectures.Sum(), april.Sum(), all.Sum()
	fmt.Fprintf(env.stdout, "\nFrom the 2022 report, as derived from the events:\n")
	fmt.Fprintf(env.stdout, "  健康护航、法治随行 lectures: %d sessions, %d participants\n", lectureSum.Sessions, lectureSum.Participants)
	fmt.Fprintf(env.stdout, "  April service month: %d visits, %d health checkups, %d service stations, %d person-times\n",
		aprilSum.ServicesByKind["visit"], aprilSum.ServicesByKind["health-checkup"], aprilSum.ServicesByKind["station-opened"], aprilSum.PersonTimes)
	fmt.Fprintf(env.stdout, "  Raised: ¥%s in money and ¥%s in goods; %d entries voided, %d corrected\n",
		yuan(sum.Received), yuan(sum.GoodsReceivedValue), sum.Voided, sum.Corrected)
	return nil
}
