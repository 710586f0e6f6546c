package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// show prints a command's answer: as indented JSON when asJSON, else as
// text writes it for people.
func show(env *environment, asJSON bool, value any, text func(io.Writer)) error {
	if asJSON {
		return report.WriteJSON(env.stdout, value)
	}
	text(env.stdout)
	return nil
}

func runAudit(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "audit", "ID [--json]\n\nID is an event id, a donation/allocation/delivery/session/service id, a campaign code or a region code.")
	asJSON := flags.Bool("json", false, "print the trail as JSON")
	opened, err := openParsed(ctx, env, flags, store, args, 1, "give one ID")
	if err != nil {
		return err
	}
	defer opened.Close()
	trail, err := opened.App.Audit(ctx, flags.Arg(0))
	if err != nil {
		return err
	}
	return show(env, *asJSON, trail, func(out io.Writer) { report.AuditText(out, trail, opened.Catalog.RegionName) })
}

func runTrace(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "trace", "ID [--json]\n\nID is a money donation's id (forward: what it paid for) or a delivery, session or service id (back: who paid).\n"+
		"Rule: funded_by on a spending entry first; the rest first-in first-out from the campaign's money donations in the order received.")
	asJSON := flags.Bool("json", false, "print the trace as JSON")
	opened, err := openParsed(ctx, env, flags, store, args, 1, "give one ID")
	if err != nil {
		return err
	}
	defer opened.Close()
	trace, err := opened.App.Trace(ctx, flags.Arg(0))
	if err != nil {
		return err
	}
	return show(env, *asJSON, trace, func(out io.Writer) { report.TraceText(out, trace, opened.Catalog.RegionName) })
}

func runProjections(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "projections", "[--json]")
	asJSON := flags.Bool("json", false, "print the status as JSON")
	opened, err := openParsed(ctx, env, flags, store, args, -1, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	status, err := opened.SavedProjectionStatus(ctx)
	if err != nil {
		return err
	}
	return show(env, *asJSON, []projections.Status{status}, func(out io.Writer) { report.ProjectionStatusText(out, status) })
}

func runRebuild(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "rebuild", "[NAME]\n\nNAME is a projection (totals, the default).")
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
	status, err := opened.RebuildTotals(ctx, newProgress(env, "rebuild totals"))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "rebuilt totals to log position %d\n", status.Position)
	if status.LogDamage != "" {
		fmt.Fprintf(env.stderr, "ledger rebuild: WARNING: %s\n", status.LogDamage)
	}
	return nil
}
