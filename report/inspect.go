package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/privacy"
	"github.com/ordos-union/ledger/projections"
)

// AuditText writes an audit trail: each event with its position and
// event id (what a void or correction names), when it was recorded and by
// whom, when it occurred, where, and what it says; the fields a correction
// changed and the reason of a void or correction below it.
func AuditText(out io.Writer, trail *projections.AuditTrail, name RegionName) {
	fmt.Fprintf(out, "History of %s %s (log head %d):\n", trail.Kind, trail.Subject, trail.Position)
	for _, entry := range trail.Entries {
		fmt.Fprintf(out, "%6d  %s  recorded %s by %s, occurred %s  %s  %s\n", entry.Position, entry.EventID,
			entry.RecordedAt.In(domain.Beijing).Format("2006-01-02 15:04:05"), entry.Actor,
			entry.OccurredAt.In(domain.Beijing).Format("2006-01-02 15:04"), PadRight(name(entry.County), 22), entry.Summary)
		for _, change := range entry.Changes {
			fmt.Fprintf(out, "        %s: %s → %s\n", change.Field, change.From, change.To)
		}
		if entry.Reason != "" {
			fmt.Fprintf(out, "        reason: %s\n", entry.Reason)
		}
	}
}

// TraceText writes a trace: a donation forward to the allocations that
// moved its money, what it paid for and what of it is left in which pot;
// or a spending entry back to who paid, with the rule of each link and the
// allocations the money came through.
func TraceText(out io.Writer, trace *projections.Trace, name RegionName) {
	fmt.Fprintf(out, "Campaign %s, as of log position %d\n", trace.Campaign, trace.Position)
	if donation := trace.Donation; donation != nil {
		fmt.Fprintf(out, "Donation %s received ¥%s in %s\n", donation.DonationID, Yuan(donation.Received), name(donation.County))
		if len(donation.Allocated) > 0 {
			fmt.Fprintln(out, "allocated:")
		}
		for _, moved := range donation.Allocated {
			fmt.Fprintf(out, "  ¥%14s  %-24s %s → %s\n", Yuan(moved.Amount), moved.AllocationID, name(moved.FromCounty), name(moved.ToCounty))
		}
		fmt.Fprintln(out, "paid for:")
		for _, paid := range donation.Paid {
			fmt.Fprintf(out, "  ¥%14s  %-20s %-24s %s (%s)%s\n", Yuan(paid.Amount), paid.Type, paid.EntityID, name(paid.County), paid.Rule, viaText(paid.Via, name))
		}
		for _, share := range donation.Unspent {
			fmt.Fprintf(out, "  ¥%14s  not yet spent, in %s\n", Yuan(share.Amount), name(share.County))
		}
		if len(donation.Unspent) == 0 {
			fmt.Fprintf(out, "  ¥%14s  not yet spent\n", Yuan(donation.Remaining))
		}
	}
	if spend := trace.Spending; spend != nil {
		fmt.Fprintf(out, "%s %s in %s spent ¥%s, paid by:\n", spend.Type, spend.EntityID, name(spend.County), Yuan(spend.Amount))
		for _, funded := range spend.FundedBy {
			from := ""
			if funded.DonationCounty != "" {
				from = " received in " + name(funded.DonationCounty)
			}
			fmt.Fprintf(out, "  ¥%14s  %-24s (%s)%s%s\n", Yuan(funded.Amount), OrDash(funded.DonationID), funded.Rule, from, viaText(funded.Via, name))
		}
	}
}

// viaText names the allocations money came through ("" for none).
func viaText(via []projections.Hop, name RegionName) string {
	text := ""
	for i, hop := range via {
		word := " via"
		if i > 0 {
			word = ", then"
		}
		text += fmt.Sprintf("%s %s (%s → %s)", word, hop.AllocationID, name(hop.FromCounty), name(hop.ToCounty))
	}
	return text
}

// ProjectionStatusText writes a projection's checkpoint, the head and the
// lag, and why it will be rebuilt when it will.
func ProjectionStatusText(out io.Writer, status projections.Status) {
	fmt.Fprintf(out, "%-10s %7s %12s %10s %12s %12s  %s\n", "projection", "version", "checkpoint", "head", "lag events", "lag seconds", "checkpoint saved")
	saved := "never"
	if !status.CheckpointAt.IsZero() {
		saved = status.CheckpointAt.In(domain.Beijing).Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(out, "%-10s %7d %12d %10d %12d %12.1f  %s\n", status.Name, status.Version, status.CheckpointPosition, status.Head,
		status.LagEvents, status.LagSeconds, saved)
	if status.RebuiltBecause != "" {
		fmt.Fprintf(out, "(%s: the next read rebuilds it from the log)\n", status.RebuiltBecause)
	}
}

// AccessLogText writes the recorded reads of personal data: when, who, in
// what role, through which route or command, whose data; and how many.
func AccessLogText(out io.Writer, records []privacy.AccessRecord) {
	for _, record := range records {
		subjects := strings.Join(record.Subjects, ",")
		if record.MoreSubjects > 0 {
			subjects += fmt.Sprintf(" and %d more", record.MoreSubjects)
		}
		fmt.Fprintf(out, "%s  %-20s %-8s %-40s %s\n", record.At.In(domain.Beijing).Format("2006-01-02 15:04:05"),
			record.Reader, record.Role, record.Via, subjects)
	}
	fmt.Fprintf(out, "%d reads of personal data recorded\n", len(records))
}
