package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/report"
)

// runRecordFile reads the whole file before it opens the ledger, so that
// an unreadable or empty one leaves the ledger alone.
var runRecordFile = storeCommand(cli.Spec{Name: "record", Args: 1, ArgsWanted: "give one FILE, or - for standard input",
	Usage: "FILE|- [--skip-invalid]\n       ledger record donation|allocation|delivery|training|service|void --help\n\n" +
		"FILE holds events as JSON Lines, a JSON array or one JSON object (see docs/EVENTS.md).\n" +
		"Every line is checked first: one bad line writes nothing (unless --skip-invalid).\n" +
		"Events are then written in atomic batches of up to 1000; a file of more is first checked whole\n" +
		"against the ledger's rules, so a rule broken in a later batch writes nothing either."},
	func(flags *flag.FlagSet) action {
		skipInvalid := flags.Bool("skip-invalid", false, "write the valid lines and report the invalid ones, instead of writing nothing")
		asJSON := flags.Bool("json", false, "print results as JSON lines")
		return func(c *call) error {
			input := c.Env.Stdin
			if name := c.Arg(0); name != "-" {
				file, err := os.Open(name)
				if err != nil {
					return err
				}
				defer file.Close()
				input = file
			}
			lines, err := ledger.ReadEvents(input)
			if err != nil {
				return err
			}
			if len(lines) == 0 {
				return fmt.Errorf("no events in the input")
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			return c.recordLines(opened.App.RecordLines, lines, *skipInvalid, report.LinesShown{AsJSON: *asJSON})
		}
	})

// recordLines records numbered lines with record (app.Ledger.RecordLines
// for a file, ImportSheet for a sheet's rows), all or nothing unless
// skipInvalid, and prints what became of them.
func (c *call) recordLines(record func(context.Context, []ledger.Line, app.LinesOptions) (app.LinesReport, error), lines []ledger.Line,
	skipInvalid bool, shown report.LinesShown) error {
	recorded, err := record(c.Ctx, lines, app.LinesOptions{SkipInvalid: skipInvalid, DryRun: shown.DryRun, Writing: app.Operator})
	return report.RecordedLinesText(c.Env.Stdout, c.Env.Stderr, recorded, err, shown)
}

// shortcutFlagNames names the flag behind each field of a shortcut's errors:
// the shortcut's own (amount, items) and those of the entry it builds,
// whose rules the ledger checks, so every problem names the flag the clerk
// gave or left out. A service's kind is data.kind, apart from the
// shortcut's KIND.
var shortcutFlagNames = map[string]string{"amount": "--amount", "items": "--items", "occurred_at": "--occurred-at",
	"key": "--key", "target": "--target", "kind": "KIND",
	"campaign": "--campaign", "county": "--county", "actor": "--actor", "idempotency_key": "--key", "note": "--note",
	"spent": "--amount", "cost": "--amount", "donor_kind": "--donor-kind", "donor_organisation": "--donor-org",
	"personal.donor.name": "--donor-name", "personal.donor.phone": "--donor-phone", "bank_reference": "--bank-ref",
	"from_county": "--from", "to_county": "--county", "purpose": "--note", "beneficiary_group": "--group", "headcount": "--headcount",
	"site": "--site", "site.kind": "--site-kind", "site.name": "--site", "topic": "--topic", "title": "--title", "format": "--format",
	"participants": "--participants", "duration_minutes": "--minutes", "venue": "--venue", "data.kind": "--kind", "count": "--count",
	"person_times": "--person-times", "target_event_id": "--target", "reason": "--reason",
	"closed_period": "--closed-period", "donation_id": "--donation-id"}

// shortcutDescriptions say what each `ledger record KIND` records, under
// its synopsis.
var shortcutDescriptions = map[string]string{
	"donation": "Records one donation received, of money (--amount) or of goods (--items), for a campaign and a county.\n" +
		"A pledge's receipt carries the pledge's id (--donation-id).",
	"allocation": "Records one allocation of campaign money (--amount) from one region (--from, default the city level)\n" +
		"to another (--county).",
	"delivery": "Records one delivery of supplies (--items) to a beneficiary group at a site, with what it spent (--amount).",
	"training": "Records one training session or lecture: its topic, title, format, participants and duration.",
	"service":  "Records services given (--kind): health checkups, legal consultations, visits, stations opened, assistance.",
	"void": "Voids an entry recorded by mistake (--target), saying why (--reason): the void takes the campaign and the county\n" +
		"from the entry, and nothing is deleted.",
}

// registerShortcut binds the flags of `ledger record KIND` (s.Kind) to
// the entry's fields: the flags every kind takes, then those of its own
// kind alone, so a kind's help lists only what it records.
func registerShortcut(flags *flag.FlagSet, s *app.Shortcut) {
	if s.Kind == "void" {
		// A void is recorded in its target's campaign and county: the
		// flag only narrows where --target is looked for, as an entry id
		// is unique within its campaign alone.
		flags.StringVar(&s.Campaign, "campaign", "", "the campaign of the entry --target names, to tell apart two campaigns'\n"+
			"entries of one id (default: look in every campaign; the void is recorded in the entry's)")
	} else {
		flags.StringVar(&s.Campaign, "campaign", "general", "campaign code (see the catalog)")
		flags.StringVar(&s.County, "county", "", shortcutCountyUsage[s.Kind])
	}
	flags.StringVar(&s.OccurredAt, "occurred-at", "", "when it happened, RFC 3339 or YYYY-MM-DD in Beijing time (default: now)")
	flags.StringVar(&s.Actor, "actor", actorNamed("cli"), "who records it (env LEDGER_ACTOR)")
	flags.StringVar(&s.Key, "key", "", "idempotency key: repeating the command with the same key records once (no personal data)")
	if note, ok := shortcutNoteUsage[s.Kind]; ok {
		flags.StringVar(&s.Note, "note", "", note)
	}
	if amount, ok := shortcutAmountUsage[s.Kind]; ok {
		flags.StringVar(&s.Amount, "amount", "", amount+", in yuan, e.g. 5000.00, 1,250.50 or ￥300, as a sheet's money cell "+
			"takes it\n(commas only between groups of three digits, at most two decimals)")
	}
	switch s.Kind {
	case "donation":
		registerDonation(flags, s)
	case "allocation":
		flags.StringVar(&s.From, "from", "", "region the money leaves (default: the city level)")
	case "delivery":
		registerGoods(flags, s, "goods delivered")
		flags.Int64Var(&s.Headcount, "headcount", 0, "people reached")
		registerBeneficiaries(flags, s)
	case "training":
		registerTraining(flags, s)
	case "service":
		flags.StringVar(&s.Service, "kind", "", "health-checkup, legal-consultation, visit, station-opened or assistance")
		flags.Int64Var(&s.Count, "count", 0, "how many services")
		flags.Int64Var(&s.PersonTimes, "person-times", 0, "person-times served (人次)")
		registerBeneficiaries(flags, s)
	case "void":
		flags.StringVar(&s.Target, "target", "", "the entry to void: its event id, its entry id (V-…, S-LEC-4) or its log position, "+
			"as ledger events and ledger audit ENTRY-ID show them")
		flags.StringVar(&s.Reason, "reason", "", "why")
		flags.StringVar(&s.ClosedPeriod, "closed-period", "", "YYYY-MM, the closed month the voided entry occurred in, to change it deliberately")
	}
}

// shortcutCountyUsage says what --county is to each kind that takes it.
var shortcutCountyUsage = map[string]string{
	"donation": "region code the donation is for, e.g. 150626 for 乌审旗 Uxin", "allocation": "region code the money goes to, e.g. 150626 for 乌审旗 Uxin",
	"delivery": "region code it was delivered in, e.g. 150626 for 乌审旗 Uxin", "training": "region code it was held in, e.g. 150626 for 乌审旗 Uxin",
	"service": "region code it was given in, e.g. 150626 for 乌审旗 Uxin",
}

// shortcutNoteUsage says what --note is to each kind that records one: a
// training session and a void have no note.
var shortcutNoteUsage = map[string]string{"donation": "free note", "allocation": "its purpose", "delivery": "free note", "service": "free note"}

// shortcutAmountUsage says what --amount is to each kind that records
// money: a void has none of its own.
var shortcutAmountUsage = map[string]string{"donation": "the money given", "allocation": "the money allocated",
	"delivery": "what it spent", "training": "what it cost", "service": "what it cost"}

// registerDonation binds a donation's own flags.
func registerDonation(flags *flag.FlagSet, s *app.Shortcut) {
	registerGoods(flags, s, "goods given")
	flags.StringVar(&s.DonationID, "donation-id", "", "its id, e.g. a pledge's when recording its receipt (default: made from --key, or new)")
	flags.StringVar(&s.DonorKind, "donor-kind", "enterprise", "enterprise, organisation, union-allocation or individual")
	flags.StringVar(&s.DonorOrg, "donor-org", "", "the donating organisation's name")
	flags.StringVar(&s.DonorName, "donor-name", "", "an individual donor's name (personal data, erasable)")
	flags.StringVar(&s.DonorPhone, "donor-phone", "", "an individual donor's phone (personal data, erasable)")
	flags.StringVar(&s.BankRef, "bank-ref", "", "bank serial number")
}

// registerGoods binds --items: what the goods are to the kind.
func registerGoods(flags *flag.FlagSet, s *app.Shortcut, what string) {
	flags.StringVar(&s.Items, "items", "", what+" as item:quantity:value-yuan, comma separated, each value read as --amount\n"+
		"(drinking-water:100:1,250.50,sunscreen:50:300)")
}

// registerBeneficiaries binds who a delivery or a service reached, and
// where.
func registerBeneficiaries(flags *flag.FlagSet, s *app.Shortcut) {
	flags.StringVar(&s.Group, "group", "", "beneficiary group")
	flags.StringVar(&s.SiteKind, "site-kind", "", "site kind")
	flags.StringVar(&s.SiteName, "site", "", "site name")
}

// registerTraining binds a training session's own flags.
func registerTraining(flags *flag.FlagSet, s *app.Shortcut) {
	flags.StringVar(&s.Topic, "topic", "", "topic code")
	flags.StringVar(&s.Title, "title", "", "title")
	flags.StringVar(&s.Format, "format", "offline", "online, offline or both")
	flags.Int64Var(&s.Participants, "participants", 0, "participants")
	flags.Int64Var(&s.Minutes, "minutes", 0, "duration in minutes")
	flags.StringVar(&s.Venue, "venue", "", "venue")
	flags.StringVar(&s.Group, "group", "", "beneficiary group")
}

// recordShortcut is `ledger record KIND`: one entry of that kind from
// flags. Its name holds the kind, so it is made for each call.
func recordShortcut(kind string) cli.RunFunc {
	return ledgerCommand(cli.Spec{Name: "record " + kind, Usage: "[flags]\n\n" + shortcutDescriptions[kind]}, func(flags *flag.FlagSet) action {
		shortcut := app.Shortcut{Kind: kind}
		registerShortcut(flags, &shortcut)
		return func(c *call) error {
			event, err := c.ledger.App.ShortcutEvent(c.Ctx, shortcut)
			if err != nil {
				return cli.Flagged(err, shortcutFlagNames)
			}
			recorded, err := c.ledger.App.RecordLines(c.Ctx, []ledger.Line{{Number: 1, Event: event}}, app.LinesOptions{Writing: app.Operator})
			if errors.Is(err, app.ErrInvalidLines) {
				// The entry's rules name its fields; the clerk gave flags.
				return cli.Flagged(recorded.Outcomes[0].Err, shortcutFlagNames)
			}
			return report.RecordedLinesText(c.Env.Stdout, c.Env.Stderr, recorded, err, report.LinesShown{One: true, Names: shortcutFlagNames})
		}
	})
}
