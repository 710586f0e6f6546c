package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
	"github.com/ordos-union/ledger/report"
)

// runReconcileImport reads the whole statement before it opens the
// ledger, so that an unreadable one leaves the ledger alone.
var runReconcileImport = storeCommand(cli.Spec{Name: "reconcile import", Args: 1, ArgsWanted: "give one statement FILE",
	Usage: "FILE [--profile NAME] [--account ACCT] [--dry-run] [--strict] [--accept-balance-gap]\n\n" +
		"Imports a bank statement (CSV in GBK/GB18030 or UTF-8, CAMT.053 XML, or XLSX). A line is the bank's: importing the same\n" +
		"statement again, under any name, in any encoding or by any clerk, adds nothing; an overlapping statement adds only its\n" +
		"new lines. Balances must add up, and the opening balance must be the ledger's balance before the statement's first day."},
	func(flags *flag.FlagSet) action {
		profile := flags.String("profile", "", "column profile of CSV and XLSX statements: "+strings.Join(statement.ProfileNames(), ", ")+
			" (default: detected from the headers)")
		account := flags.String("account", "", "our bank account number (default: the one the statement states)")
		actor := actorFlag(flags, "finance", "who imports it")
		dryRun := flags.Bool("dry-run", false, "show what would be imported and write nothing")
		strict := flags.Bool("strict", false, "refuse a statement whose printed totals (合计) disagree with its lines")
		acceptGap := flags.Bool("accept-balance-gap", false, "import although the opening balance disagrees with the ledger (recorded with the import)")
		return func(c *call) error {
			data, err := statement.ReadFile(c.Arg(0))
			if err != nil {
				return err
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			result, parsed, err := opened.App.ImportStatement(c.Ctx, app.StatementRequest{FileName: filepath.Base(c.Arg(0)), Data: data,
				Profile: *profile, Account: *account, Actor: *actor, Strict: *strict, AcceptBalanceGap: *acceptGap, Preview: *dryRun,
				Personal: true, Access: node.OperatorAccess(operator(), "ledger reconcile import")})
			if err == nil && *dryRun {
				err = result.Refused()
			}
			report.ImportText(c.Env.Stdout, c.Arg(0), parsed, result, *dryRun)
			return cli.Flagged(err, importFlags)
		}
	})

// importFlags names the flag behind each field of an import's errors.
var importFlags = map[string]string{"account": "--account"}

// reconcileNow is the reconciliation with pledges aged as of --as-of; the
// read of the personal data it shows is logged as the command's, naming
// whose data: every subject of the result, or with pledgesOnly those of
// the outstanding pledges alone, which is all the command shows.
func reconcileNow(ctx context.Context, opened *opened, asOf, command string, pledgesOnly bool) (reconcile.Result, error) {
	shown := reconcile.Result.Subjects
	if pledgesOnly {
		shown = reconcile.Result.PledgeSubjects
	}
	result, err := opened.App.ReadReconciliation(ctx, asOf, app.Reading{Access: node.OperatorAccess(operator(), command), Granted: true}, shown)
	if err != nil {
		return result, cli.Flagged(err, map[string]string{"as_of": "--as-of"})
	}
	return result, nil
}

// runReconcileReport checks --format and --out before it opens the ledger.
var runReconcileReport = storeCommand(cli.Spec{Name: "reconcile report", Args: cli.AnyArgs,
	Usage: "[--format table|json|csv|xlsx] [--out FILE] [--as-of DATE]"},
	func(flags *flag.FlagSet) action {
		asOfText := flags.String("as-of", "", "age outstanding pledges as of this day (YYYY-MM-DD, Beijing time; default now)")
		format := flags.String("format", "table", "table, json, csv (Chinese headers, UTF-8 with BOM) or xlsx")
		var out cli.Output
		out.Register(flags, "write to this new file, mode 0600 (required for xlsx)")
		return func(c *call) error {
			if *format == "xlsx" && out.Path == "" {
				return cli.Usagef("--format xlsx needs --out FILE")
			}
			switch *format {
			case "table", "json", "csv", "xlsx":
			default:
				return cli.Usagef("--format must be table, json, csv or xlsx")
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			result, err := reconcileNow(c.Ctx, opened, *asOfText, "ledger reconcile report", false)
			if err != nil {
				return err
			}
			var written bytes.Buffer
			if err := report.WriteReconciliation(&written, result, *format); err != nil {
				return err
			}
			return out.Write(c.Env, written.Bytes())
		}
	})

// decisionFlags names the flag or argument behind each field of a
// decision's errors.
var decisionFlags = map[string]string{"reason": "--reason", "note": "--note", "amount": "--amount", "id": "ID", "line_id": "ID",
	"decision_event_id": "ID", "actor": "--actor"}

// reconcileDecision is `ledger reconcile KIND ID`: it checks --reason
// before it opens the ledger. Its name holds the kind, so it is made for
// each call.
func reconcileDecision(kind string) cli.RunFunc {
	return storeCommand(cli.Spec{Name: "reconcile " + kind, Args: 1, ArgsWanted: "give one ID", Usage: "ID [--reason R] [--note N]"},
		func(flags *flag.FlagSet) action {
			reason := flags.String("reason", "", "why (required for reject, write-off and undo)")
			note := flags.String("note", "", "a note on a confirmation")
			actor := actorFlag(flags, "finance", "who decides")
			amountText := flags.String("amount", "", "write-off: the amount (default: the whole line)")
			return func(c *call) error {
				if why, needed := reasonWanted[kind]; needed && strings.TrimSpace(*reason) == "" {
					return cli.Usagef("--reason is required: say why you %s", why)
				}
				opened, err := c.open()
				if err != nil {
					return err
				}
				request := reconcile.DecisionRequest{Action: kind, ID: c.Arg(0), Reason: *reason, Note: *note}
				if *amountText != "" {
					amount, err := domain.ParseYuan(*amountText)
					if err != nil {
						return cli.Usagef("--amount: %v", err)
					}
					request.Amount = &amount
				}
				decided, err := opened.App.Decide(c.Ctx, *actor, request)
				if err != nil {
					return cli.Flagged(err, decisionFlags)
				}
				report.DecisionText(c.Env.Stdout, decided.Event, decided.Result)
				if len(decided.ToReceive) > 0 {
					c.Printf("%s:\n", reconcile.ReceiptsToRecord(decided.ToReceive))
				}
				for _, receipt := range decided.Receipts {
					c.Printf("  %s\n", receiptCommand(receipt))
				}
				return nil
			}
		})
}

// receiptCommand is the command that records a pledge's receipt, with
// what the ledger knows of it; the clerk adds the donor as pledged.
func receiptCommand(receipt reconcile.Receipt) string {
	return fmt.Sprintf("ledger record donation --donation-id %s --campaign %s --county %s --amount %s --occurred-at %s "+
		"(and the donor as pledged: --donor-org, or --donor-kind and --donor-name)", receipt.DonationID, receipt.Campaign, receipt.County,
		receipt.Amount, receipt.Day.In(domain.Beijing).Format(time.DateOnly))
}

// reasonWanted is the decisions that need a reason, each with what the
// person does, as the usage error asks for it.
var reasonWanted = map[string]string{reconcile.ActionReject: "reject it", reconcile.ActionWriteOff: "write it off", reconcile.ActionUndo: "undo it"}

// periodFlags names the flag or argument behind each field of a period's
// change's errors.
var periodFlags = map[string]string{"month": "YYYY-MM", "reason": "--reason", "note": "--note", "actor": "--actor"}

// changePeriod is `ledger period close|reopen YYYY-MM`. Its name holds the
// kind, so it is made for each call.
func changePeriod(kind string) cli.RunFunc {
	return ledgerCommand(cli.Spec{Name: "period " + kind, Args: 1, ArgsWanted: "give one month YYYY-MM", Usage: "YYYY-MM [--reason R] [--note N]"},
		func(flags *flag.FlagSet) action {
			reason := flags.String("reason", "", "why it is reopened (required for reopen)")
			note := flags.String("note", "", "a note on the close")
			actor := actorFlag(flags, "finance", "who closes or reopens")
			return func(c *call) error {
				text := *note
				if kind == "reopen" {
					text = *reason
				}
				change, err := c.ledger.ChangePeriod(c.Ctx, kind == "reopen", c.Arg(0), text, *actor)
				if err != nil {
					return cli.Flagged(err, periodFlags)
				}
				report.DecisionText(c.Env.Stdout, change.Event, change.Result)
				if change.Checkpoint != nil {
					c.Printf("checkpoint of %s signed at the close\n", report.Counted(int(change.Checkpoint.Size), "event", "events"))
				} else if change.CheckpointErr != nil {
					c.Warnf("ledger period: the close is recorded but no checkpoint was signed: %v\n", change.CheckpointErr)
				}
				return nil
			}
		})
}

var runPledges = ledgerCommand(cli.Spec{Name: "pledges", Args: cli.AnyArgs, Usage: "[--json] [--as-of DATE]\n\n" +
	"Outstanding pledges with ageing (0-30, 31-90, 90+ days) per donor, campaign and county,\n" +
	"as of a day (closing June: --as-of 2022-06-30): later pledges are left out, and a pledge received later was still outstanding."},
	func(flags *flag.FlagSet) action {
		asJSON := flags.Bool("json", false, "print as JSON")
		asOfText := flags.String("as-of", "", "age pledges as of this day (YYYY-MM-DD, Beijing time; default now)")
		return func(c *call) error {
			result, err := reconcileNow(c.Ctx, c.ledger, *asOfText, "ledger pledges", true)
			return c.Answer(result.Outstanding, err, *asJSON, func(out io.Writer) { report.PledgesTable(out, result, c.ledger.Catalog.RegionName) })
		}
	})
