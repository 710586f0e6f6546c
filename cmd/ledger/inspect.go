package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ordos-union/ledger/projections"
)

// printJSON writes a value as indented JSON.
func printJSON(env *environment, value any) error {
	encoded, err := json.MarshalIndent(value, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, string(encoded))
	return nil
}

func runAudit(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "audit", "ID [--json]\n\nID is an event id, a donation/allocation/delivery/session/service id, a campaign code or a region code.")
	var store storeFlags
	store.register(flags)
	asJSON := flags.Bool("json", false, "print the trail as JSON")
	opened, err := openParsed(ctx, env, flags, &store, args, 1, "give one ID")
	if err != nil {
		return err
	}
	defer opened.Close()
	trail, err := opened.App.Audit(ctx, flags.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, trail)
	}
	fmt.Fprintf(env.stdout, "History of %s %s (log head %d):\n", trail.Kind, trail.Subject, trail.Position)
	for _, entry := range trail.Entries {
		fmt.Fprintf(env.stdout, "%6d  recorded %s by %s, occurred %s  %s  %s\n", entry.Position,
			entry.RecordedAt.In(projections.Beijing).Format("2006-01-02 15:04:05"), entry.Actor,
			entry.OccurredAt.In(projections.Beijing).Format("2006-01-02 15:04"), padRight(opened.Catalog.RegionName(entry.County), 22), entry.Summary)
		for _, change := range entry.Changes {
			fmt.Fprintf(env.stdout, "        %s: %s → %s\n", change.Field, change.From, change.To)
		}
		if entry.Reason != "" {
			fmt.Fprintf(env.stdout, "        reason: %s\n", entry.Reason)
		}
	}
	return nil
}

func runTrace(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "trace", "ID [--json]\n\nID is a money donation's id (forward: what it paid for) or a delivery, session or service id (back: who paid).\n"+
		"Rule: funded_by on a spending entry first; the rest first-in first-out from the campaign's money donations in the order received.")
	var store storeFlags
	store.register(flags)
	asJSON := flags.Bool("json", false, "print the trace as JSON")
	opened, err := openParsed(ctx, env, flags, &store, args, 1, "give one ID")
	if err != nil {
		return err
	}
	defer opened.Close()
	trace, err := opened.App.Trace(ctx, flags.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, trace)
	}
	fmt.Fprintf(env.stdout, "Campaign %s, as of log position %d\n", trace.Campaign, trace.Position)
	if donation := trace.Donation; donation != nil {
		fmt.Fprintf(env.stdout, "Donation %s received ¥%s in %s; paid for:\n", donation.DonationID, yuan(donation.Received), opened.Catalog.RegionName(donation.County))
		for _, paid := range donation.Paid {
			fmt.Fprintf(env.stdout, "  ¥%14s  %-20s %-24s %s (%s)\n", yuan(paid.Amount), paid.Type, paid.EntityID, opened.Catalog.RegionName(paid.County), paid.Rule)
		}
		fmt.Fprintf(env.stdout, "  ¥%14s  not yet spent\n", yuan(donation.Remaining))
	}
	if spend := trace.Spending; spend != nil {
		fmt.Fprintf(env.stdout, "%s %s in %s spent ¥%s, paid by:\n", spend.Type, spend.EntityID, opened.Catalog.RegionName(spend.County), yuan(spend.Amount))
		for _, funded := range spend.FundedBy {
			fmt.Fprintf(env.stdout, "  ¥%14s  %-24s (%s)\n", yuan(funded.Amount), orDash(funded.DonationID), funded.Rule)
		}
	}
	return nil
}

func runProjections(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "projections", "[--json]")
	var store storeFlags
	store.register(flags)
	asJSON := flags.Bool("json", false, "print the status as JSON")
	opened, err := openParsed(ctx, env, flags, &store, args, -1, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	runner := projections.NewRunner(opened.Store, opened.Checkpoints, projections.NewTotalsProjection(), projections.RunnerOptions{Logger: env.logger})
	if err := runner.Load(ctx); err != nil {
		return err
	}
	status, err := runner.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, []projections.Status{status})
	}
	fmt.Fprintf(env.stdout, "%-10s %7s %12s %10s %12s %12s  %s\n", "projection", "version", "checkpoint", "head", "lag events", "lag seconds", "checkpoint saved")
	saved := "never"
	if !status.CheckpointAt.IsZero() {
		saved = status.CheckpointAt.In(projections.Beijing).Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(env.stdout, "%-10s %7d %12d %10d %12d %12.1f  %s\n", status.Name, status.Version, status.CheckpointPosition, status.Head,
		status.LagEvents, status.LagSeconds, saved)
	if status.RebuiltBecause != "" {
		fmt.Fprintf(env.stdout, "(%s: the next read rebuilds it from the log)\n", status.RebuiltBecause)
	}
	return nil
}

func runRebuild(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "rebuild", "[NAME]\n\nNAME is a projection (totals, the default).")
	var store storeFlags
	store.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 1 || (flags.NArg() == 1 && flags.Arg(0) != "totals") {
		return usagef("the projections are: totals")
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	runner := projections.NewRunner(opened.Store, opened.Checkpoints, projections.NewTotalsProjection(), projections.RunnerOptions{Logger: env.logger})
	if err := runner.Rebuild(ctx, newProgress(env, "rebuild totals")); err != nil {
		return err
	}
	status, err := runner.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "rebuilt totals to log position %d\n", status.Position)
	return nil
}

func orDash(text string) string {
	if text == "" {
		return "-"
	}
	return text
}
