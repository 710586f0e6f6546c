package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
)

// ReconciliationText is the text report: the summary, then every
// item of every part, so a clerk can tick them off on paper.
func ReconciliationText(writer io.Writer, result reconcile.Result) {
	var rows [][]string
	for _, summary := range result.Summaries() {
		lines := summary.Column == reconcile.ColumnInOut
		rows = append(rows, []string{summary.Item, Count(int64(summary.Count)), yuanIf(lines, summary.In), yuanIf(lines, summary.Out),
			yuanIf(summary.Column == reconcile.ColumnFees, summary.Fees), yuanIf(summary.Column == reconcile.ColumnRecorded, summary.Recorded)})
	}
	Table(writer, [][]string{{"项目 Item", "笔数 Count", "收入 In ¥", "支出 Out ¥", "手续费 Fees ¥", "账面 Recorded ¥"}}, rows)
	fmt.Fprint(writer, "\nIn and Out are the bank lines' money, each line once: they add up to the statements' credits and debits.\n"+
		"Fees: deducted from donations on their way (never in the account) and charges written off (their Out is under written off).\n"+
		"Recorded: donations recorded as received and pledges outstanding, with no bank line.\n")
	fmt.Fprintf(writer, "As of log position %d; pledges aged as of %s.\n", result.Position, result.AsOf)
	writeMatchSections(writer, result)
	writeSettledSections(writer, result)
}

// yuanIf is the amount in yuan, or blank where the column is not the
// summary part's.
func yuanIf(filled bool, amount domain.Money) string {
	if !filled {
		return ""
	}
	return Yuan(amount)
}

// lineText is one bank line in the text report.
func lineText(line reconcile.Line) string {
	text := fmt.Sprintf("%s %s ¥%s", line.Date.Format(time.DateOnly), line.LineID, Yuan(line.Amount))
	if line.Serial != "" {
		text += " serial " + line.Serial
	}
	if line.Counterparty != "" {
		text += " " + line.Counterparty
	}
	return text
}

// matchText is one match or suggestion in the text report.
func matchText(match reconcile.Match) string {
	var lines, donations []string
	for _, line := range match.Lines {
		lines = append(lines, lineText(line))
	}
	for _, donation := range match.Donations {
		text := fmt.Sprintf("%s ¥%s", donation.DonationID, Yuan(donation.Amount))
		// A match covering part of a donation says of how much.
		if donation.Of != 0 && donation.Of != donation.Amount {
			text += fmt.Sprintf(" of ¥%s", Yuan(donation.Of))
		}
		donations = append(donations, text)
	}
	text := fmt.Sprintf("%s  %-16s %s", match.ID, match.Rule, strings.Join(lines, "; "))
	if len(donations) > 0 {
		text += "  ⇄  " + strings.Join(donations, ", ")
	}
	if match.Fee > 0 {
		text += " fee ¥" + Yuan(match.Fee)
	}
	return text
}

// section prints a part's title when it has items, and says whether it has.
func section(writer io.Writer, title string, count int) bool {
	if count > 0 {
		fmt.Fprintf(writer, "\n%s:\n", title)
	}
	return count > 0
}

// writeMatchSections prints what matches and what does not.
func writeMatchSections(writer io.Writer, result reconcile.Result) {
	if section(writer, "Matched (已匹配)", len(result.Matched)) {
		for _, match := range result.Matched {
			decided := "automatic"
			if match.DecidedBy != "" {
				decided = "event " + match.DecidedBy
			}
			fmt.Fprintf(writer, "  %s  [%s]\n", matchText(match), decided)
			if match.Why != "" {
				fmt.Fprintf(writer, "      why: %s\n", match.Why)
			}
			if match.Note != "" {
				fmt.Fprintf(writer, "      note: %s\n", match.Note)
			}
		}
	}
	if section(writer, "Matched to a donation voided since (已匹配但捐赠已作废: undo the match)", len(result.VoidedMatches)) {
		for _, match := range result.VoidedMatches {
			fmt.Fprintf(writer, "  %s  [event %s]\n      what to do: %s\n", matchText(match), match.DecidedBy, match.Why)
		}
	}
	if section(writer, "Suggested (待确认: ledger reconcile confirm ID / reject ID --reason ...)", len(result.Suggested)) {
		for _, match := range result.Suggested {
			fmt.Fprintf(writer, "  %s\n", matchText(match))
			if match.Why != "" {
				fmt.Fprintf(writer, "      why: %s\n", match.Why)
			}
		}
	}
	if section(writer, "Bank lines no donation explains (未匹配流水)", len(result.UnmatchedLines)) {
		for _, line := range result.UnmatchedLines {
			fmt.Fprintf(writer, "  %s %s\n", lineText(line), line.Remark)
		}
	}
	if section(writer, "Donations recorded as received with no bank line (未到账捐赠)", len(result.UnmatchedDonations)) {
		for _, donation := range result.UnmatchedDonations {
			amount := "¥" + Yuan(donation.Amount)
			// A confirmed match covering part of it leaves the rest here.
			if donation.Unmatched != 0 && donation.Unmatched != donation.Amount {
				amount = fmt.Sprintf("¥%s not in the bank of ¥%s", Yuan(donation.Unmatched), Yuan(donation.Amount))
			}
			fmt.Fprintf(writer, "  %s %s %s %s\n", donation.Date.In(domain.Beijing).Format(time.DateOnly), donation.DonationID, amount, donation.Donor)
		}
	}
}

// writeSettledSections prints what was settled otherwise, and the pledges.
func writeSettledSections(writer io.Writer, result reconcile.Result) {
	if section(writer, "Refunds (退回)", len(result.Refunds)) {
		for _, pair := range result.Refunds {
			fmt.Fprintf(writer, "  %s  [event %s] %s\n", matchText(pair), pair.DecidedBy, pair.Why)
		}
	}
	if section(writer, "Bank fees (手续费)", len(result.Fees)) {
		for _, fee := range result.Fees {
			how := "charged on a line of its own, written off"
			if fee.Source == "match" {
				how = "deducted from the donation on its way, recorded with match " + fee.MatchID
			}
			fmt.Fprintf(writer, "  %s %s ¥%s  %s [event %s]\n", fee.Date.Format(time.DateOnly), fee.LineID, Yuan(fee.Amount), how, fee.DecidedBy)
		}
	}
	if section(writer, "Written off (已核销)", len(result.WrittenOff)) {
		for _, written := range result.WrittenOff {
			fmt.Fprintf(writer, "  %s  ¥%s written off (%s) by %s: %s [event %s]\n", lineText(written.Line), Yuan(written.WrittenOff),
				written.Kind, written.Actor, written.Reason, written.DecidedBy)
		}
	}
	if section(writer, "Printed twice by the bank, imported once (银行重复打印)", len(result.PrintedTwice)) {
		for _, row := range result.PrintedTwice {
			fmt.Fprintf(writer, "  %s  again at %s (first at %s) in %s\n", lineText(row.Line), row.Where, row.Of, row.File)
		}
	}
	if section(writer, "Possible duplicates: same day, amount, counterparty and remark under other serials (疑似重复)", len(result.Duplicates)) {
		for i, group := range result.Duplicates {
			for _, line := range group {
				fmt.Fprintf(writer, "  #%d %s\n", i+1, lineText(line))
			}
		}
	}
	if section(writer, "Outstanding pledges (未兑现认捐)", len(result.Outstanding)) {
		for _, pledge := range result.Outstanding {
			fmt.Fprintf(writer, "  %s %s ¥%s %s, %s (%s)\n", pledge.Date.In(domain.Beijing).Format(time.DateOnly), pledge.DonationID,
				Yuan(pledge.Amount), pledge.Donor, Counted(pledge.AgeDays, "day", "days"), pledge.Bucket)
		}
	}
}

// ImportText says what a statement import did (or, in a dry run, would
// do): lines added, lines already there, rows printed twice, the balance
// check, warnings and refusals.
func ImportText(out io.Writer, file string, parsed statement.Statement, result reconcile.ImportResult, dryRun bool) {
	if result.Account == "" {
		return
	}
	profile := ""
	if result.Profile != "" {
		profile = ", profile " + result.Profile
	}
	verb := "imported"
	written := result.Written
	if dryRun {
		verb, written = "would be imported", len(result.New)
	}
	fmt.Fprintf(out, "%s (%s%s, account %s, %s to %s): %s %s, %d already in the ledger, %d printed twice by the bank and skipped\n",
		file, parsed.Format, profile, result.Account, result.FirstDate, result.LastDate, Counted(written, "line", "lines"), verb,
		len(result.Already), len(result.PrintedTwice))
	for _, row := range result.PrintedTwice {
		fmt.Fprintf(out, "  printed twice: serial %s at %s (first at %s)\n", row.Serial, row.Where, row.Of)
	}
	// The balance check is said once, as it came out: a gap is the
	// warning or the refusal below.
	if result.BalanceAgrees {
		fmt.Fprintln(out, "  opening balance agrees with the ledger")
	}
	for _, warning := range result.Warnings {
		fmt.Fprintf(out, "  warning: %s\n", warning)
	}
	for _, problem := range result.Problems {
		fmt.Fprintf(out, "  refused: %s\n", problem)
	}
}

// PledgesTable writes the outstanding pledges with their age, and the sums
// of each age bucket.
func PledgesTable(out io.Writer, result reconcile.Result, name RegionName) {
	var rows [][]string
	totals := map[string]domain.Money{}
	for _, pledge := range result.Outstanding {
		rows = append(rows, []string{pledge.Donor, pledge.Campaign, name(pledge.County), pledge.DonationID,
			Yuan(pledge.Amount), Count(int64(pledge.AgeDays)), pledge.Bucket})
		totals[pledge.Bucket] += pledge.Amount
	}
	Table(out, [][]string{{"捐赠人 Donor", "活动 Campaign", "地区 County", "编号 Donation", "金额 Amount ¥", "天数 Days", "账龄 Bucket"}}, rows)
	fmt.Fprintf(out, "\nAs of %s: 0-30 days ¥%s · 31-90 days ¥%s · 90+ days ¥%s\n", result.AsOf, Yuan(totals[reconcile.Bucket0to30]),
		Yuan(totals[reconcile.Bucket31to90]), Yuan(totals[reconcile.BucketOver90]))
}

// WriteReconciliation writes the reconciliation in a format: table (the
// text report), json (indented), csv (Chinese headers, UTF-8 with BOM) or
// xlsx.
func WriteReconciliation(writer io.Writer, result reconcile.Result, format string) error {
	switch format {
	case "table":
		ReconciliationText(writer, result)
		return nil
	case "json":
		return WriteJSON(writer, result)
	case "csv":
		return result.WriteCSV(writer)
	case "xlsx":
		return result.WriteXLSX(writer)
	}
	return fmt.Errorf("no reconciliation format %q: table, json, csv or xlsx", format)
}

// DecisionText says what a finance decision or a period's change did, in
// words, then the event that records it and where: "wrote off ¥15.00 of
// line L-… as a bank fee (fee_written_off, event …, position 12)".
func DecisionText(out io.Writer, event domain.Event, result ledger.Result) {
	what := fmt.Sprintf("recorded a %s event", event.Type)
	switch data := event.Data.(type) {
	case domain.MatchConfirmed:
		what = "confirmed match " + data.MatchID
		if data.Fee > 0 {
			what += fmt.Sprintf(", with the bank fee of ¥%s deducted on the way", Yuan(data.Fee))
		}
	case domain.MatchRejected:
		what = fmt.Sprintf("rejected %s: the same lines are not matched to the same donations again", data.SuggestionID)
	case domain.FeeWrittenOff:
		what = fmt.Sprintf("wrote off ¥%s of line %s as a bank fee", Yuan(data.Amount), data.LineID)
	case domain.LineWrittenOff:
		what = fmt.Sprintf("wrote off line %s: ¥%s explained without a donation", data.LineID, Yuan(data.Amount))
	case domain.RefundPaired:
		what = fmt.Sprintf("paired line %s with line %s, which sends its ¥%s back", data.ReturnedLine, data.RefundLine, Yuan(data.Amount))
	case domain.DecisionUndone:
		what = "undid decision " + data.DecisionEventID
	case domain.PeriodClosed:
		what = "closed " + data.Month
	case domain.PeriodReopened:
		what = "reopened " + data.Month
	}
	if result.Duplicate {
		what = "already recorded: " + what
	}
	fmt.Fprintf(out, "%s (%s, event %s, position %d)\n", what, event.Type, result.EventID, result.Position)
}
