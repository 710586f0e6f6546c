package main

import (
	"flag"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/report"
)

// eventsFlags names the flag behind each field of a listing the use case
// (app.Ledger.ListEvents) may refuse.
var eventsFlags = map[string]string{"county": "--county", "campaign": "--campaign", "type": "--type"}

// runEvents checks --since before it opens the ledger.
var runEvents = storeCommand(cli.Spec{Name: "events",
	Usage: "[--county CODE] [--campaign CODE] [--type TYPE] [--after POSITION] [--follow] [--json]"},
	func(flags *flag.FlagSet) action {
		county := flags.String("county", "", "only events of this region")
		campaign := flags.String("campaign", "", "only events of this campaign")
		eventType := flags.String("type", "", "only events of this type, e.g. donation_received")
		after := flags.Uint64("after", 0, "start after this log position")
		since := flags.String("since", "", "only events recorded at or after this instant (RFC 3339, or a day: its start in Beijing time)")
		limit := flags.Int("limit", 0, "stop after this many events (0: no limit)")
		follow := flags.Bool("follow", false, "keep printing new events until interrupted")
		asJSON := flags.Bool("json", false, "print each event as stored, one JSON object a line")
		personal := flags.Bool("personal", false, "open sealed personal data (erased persons read as erased); with --json, prints events with their personal part")
		return func(c *call) error {
			query := app.EventsQuery{After: *after, County: *county, Campaign: *campaign, Type: domain.EventType(*eventType), Limit: *limit,
				Follow: *follow, Personal: *personal}
			if *since != "" {
				parsed, err := domain.ParseStart(*since)
				if err != nil {
					return cli.Usagef("--since: %v", err)
				}
				query.RecordedFrom = parsed
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			printed := 0
			access := node.OperatorAccess(operator(), "ledger events --personal")
			for listed, err := range opened.App.ListEvents(c.Ctx, query, access) {
				if err != nil {
					return cli.RefusedFlags(err, eventsFlags)
				}
				if err := report.ListedEventText(c.Env.Stdout, listed, opened.Catalog.RegionName, *personal, *asJSON); err != nil {
					return err
				}
				printed++
			}
			if !*asJSON && !*follow {
				c.Warnf("%d events\n", printed)
			}
			return nil
		}
	})
