package main

import (
	"flag"
	"io"

	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

var runAudit = ledgerCommand(commandSpec{name: "audit", args: 1, argsWanted: "give one ID", usage: "ID [--json]\n\n" +
	"ID is an event id, a donation/allocation/delivery/session/service id, a campaign code or a region code."},
	func(flags *flag.FlagSet) action {
		asJSON := flags.Bool("json", false, "print the trail as JSON")
		return func(c *call) error {
			trail, err := c.ledger.App.Audit(c.ctx, c.arg(0))
			return c.answer(trail, err, *asJSON, func(out io.Writer) { report.AuditText(out, trail, c.ledger.Catalog.RegionName) })
		}
	})

var runTrace = ledgerCommand(commandSpec{name: "trace", args: 1, argsWanted: "give one ID", usage: "ID [--json]\n\n" +
	"ID is a money donation's id (forward: what it paid for) or a delivery, session or service id (back: who paid).\n" +
	"Rule: funded_by on a spending entry first; the rest first-in first-out from the campaign's money donations in the order received."},
	func(flags *flag.FlagSet) action {
		asJSON := flags.Bool("json", false, "print the trace as JSON")
		return func(c *call) error {
			trace, err := c.ledger.App.Trace(c.ctx, c.arg(0))
			return c.answer(trace, err, *asJSON, func(out io.Writer) { report.TraceText(out, trace, c.ledger.Catalog.RegionName) })
		}
	})

var runProjections = ledgerCommand(commandSpec{name: "projections", args: -1, usage: "[--json]"}, func(flags *flag.FlagSet) action {
	asJSON := flags.Bool("json", false, "print the status as JSON")
	return func(c *call) error {
		status, err := c.ledger.SavedProjectionStatus(c.ctx)
		return c.answer([]projections.Status{status}, err, *asJSON, func(out io.Writer) { report.ProjectionStatusText(out, status) })
	}
})

var runRebuild = storeCommand(commandSpec{name: "rebuild", args: -1, usage: "[NAME]\n\nNAME is a projection (totals, the default)."},
	func(flags *flag.FlagSet) action {
		return func(c *call) error {
			if c.flags.NArg() > 1 || (c.flags.NArg() == 1 && c.arg(0) != "totals") {
				return usagef("the projections are: totals")
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			status, err := opened.RebuildTotals(c.ctx, newProgress(c.env, "rebuild totals"))
			if err != nil {
				return err
			}
			c.printf("rebuilt totals to log position %d\n", status.Position)
			if status.LogDamage != "" {
				c.warnf("ledger rebuild: WARNING: %s\n", status.LogDamage)
			}
			return nil
		}
	})
