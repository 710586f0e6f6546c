package main

import (
	"flag"
	"io"

	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

var runAudit = ledgerCommand(cli.Spec{Name: "audit", Args: 1, ArgsWanted: "give one ID", Usage: "ID [--json]\n\n" +
	"ID is an event id, a donation/allocation/delivery/session/service id, a campaign code or a region code."},
	func(flags *flag.FlagSet) action {
		asJSON := flags.Bool("json", false, "print the trail as JSON")
		return func(c *call) error {
			trail, err := c.ledger.App.Audit(c.Ctx, c.Arg(0))
			return c.Answer(trail, err, *asJSON, func(out io.Writer) { report.AuditText(out, trail, c.ledger.Catalog.RegionName) })
		}
	})

var runTrace = ledgerCommand(cli.Spec{Name: "trace", Args: 1, ArgsWanted: "give one ID", Usage: "ID [--json]\n\n" +
	"ID is a money donation's id (forward: what it paid for) or a delivery, session or service id (back: who paid).\n" +
	"Rule: funded_by on a spending entry first; the rest first-in first-out from the campaign's money donations in the order received."},
	func(flags *flag.FlagSet) action {
		asJSON := flags.Bool("json", false, "print the trace as JSON")
		return func(c *call) error {
			trace, err := c.ledger.App.Trace(c.Ctx, c.Arg(0))
			return c.Answer(trace, err, *asJSON, func(out io.Writer) { report.TraceText(out, trace, c.ledger.Catalog.RegionName) })
		}
	})

var runProjections = ledgerCommand(cli.Spec{Name: "projections", Args: cli.AnyArgs, Usage: "[--json]"}, func(flags *flag.FlagSet) action {
	asJSON := flags.Bool("json", false, "print the status as JSON")
	return func(c *call) error {
		status, err := c.ledger.SavedProjectionStatus(c.Ctx)
		return c.Answer([]projections.Status{status}, err, *asJSON, func(out io.Writer) { report.ProjectionStatusText(out, status) })
	}
})

var runRebuild = storeCommand(cli.Spec{Name: "rebuild", Args: cli.AnyArgs, Usage: "[NAME]\n\nNAME is a projection (totals, the default)."},
	func(flags *flag.FlagSet) action {
		return func(c *call) error {
			if c.Flags.NArg() > 1 || (c.Flags.NArg() == 1 && c.Arg(0) != "totals") {
				return cli.Usagef("the projections are: totals")
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			status, err := opened.RebuildTotals(c.Ctx, cli.Progress(c.Env, "rebuild totals"))
			if err != nil {
				return err
			}
			c.Printf("rebuilt totals to log position %d\n", status.Position)
			if status.CheckpointPosition != status.Position {
				// Without the signing key nothing seals the checkpoint, and
				// rebuilding does not make the key (only what signs does).
				why := "see the warning above"
				if _, err := opened.SealKey(); err != nil {
					why = err.Error()
				}
				c.Warnf("ledger rebuild: their checkpoint was not saved (%s): reads fold the totals from the log until the signing key "+
					"is in place (give --signing-key FILE; on a new ledger `ledger checkpoint` or `ledger serve` makes it)\n", why)
			}
			if status.LogDamage != "" {
				c.Warnf("ledger rebuild: WARNING: %s\n", status.LogDamage)
			}
			return nil
		}
	})
