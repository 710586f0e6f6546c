package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/projections"
)

type totalsOptions struct {
	format   string
	county   string
	campaign string
	by       string
	asOf     string
	knownAt  string
}

func runTotals(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "totals", "[--county CODE] [--campaign CODE] [--as-of T] [--known-at T] [--by day|month|year] [--format table|json|csv]")
	var store storeFlags
	store.register(flags)
	var options totalsOptions
	flags.StringVar(&options.county, "county", "", "only this region")
	flags.StringVar(&options.campaign, "campaign", "", "only this campaign")
	flags.StringVar(&options.by, "by", "", "group by day, month or year of occurred-at (Beijing time)")
	flags.StringVar(&options.asOf, "as-of", "", "count what occurred at or before this instant (RFC 3339 or YYYY-MM-DD, end of day): what really happened by then")
	flags.StringVar(&options.knownAt, "known-at", "", "count what the ledger had recorded by this instant: what was reported then")
	flags.StringVar(&options.format, "format", "table", "table, json or csv")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usagef("unexpected arguments %v", flags.Args())
	}
	switch options.format {
	case "table", "json", "csv":
	default:
		return usagef("--format must be table, json or csv")
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	return printTotals(ctx, env, opened, options)
}

// totalsFlags names the flag behind each field of a totals question.
var totalsFlags = map[string]string{"by": "--by", "as_of": "--as-of", "known_at": "--known-at"}

// totalsAnswer asks the use case (app.Ledger.Totals), the same as the API.
func totalsAnswer(ctx context.Context, env *environment, opened *opened, options totalsOptions) (projections.Answer, error) {
	answer, err := opened.App.Totals(ctx, app.TotalsRequest{County: options.county, Campaign: options.campaign, By: options.by,
		AsOf: options.asOf, KnownAt: options.knownAt, Progress: newProgress(env, "totals")})
	return answer, flagged(err, totalsFlags)
}

func printTotals(ctx context.Context, env *environment, opened *opened, options totalsOptions) error {
	answer, err := totalsAnswer(ctx, env, opened, options)
	if err != nil {
		return err
	}
	switch options.format {
	case "json":
		encoded, err := json.MarshalIndent(answer, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, string(encoded))
		return nil
	case "csv":
		writer := csv.NewWriter(env.stdout)
		if answer.Tree != nil {
			_ = writer.Write([]string{"# log position", strconv.FormatUint(answer.Position, 10), "tree root", answer.Tree.Root})
		}
		_ = writer.Write(append([]string{"county", "county_name", "period"}, figureHeaders[1]...))
		for _, row := range append(answer.Rows, answer.All...) {
			_ = writer.Write(append([]string{row.County, regionLabel(opened, row.County), row.Period}, figureCells(row.Figures, false)...))
		}
		writer.Flush()
		return writer.Error()
	}
	headers := [][]string{
		append([]string{"地区", "期间"}, figureHeaders[0]...),
		append([]string{"Region", "Period"}, figureHeaders[1]...),
	}
	var rows [][]string
	for _, row := range answer.Rows {
		rows = append(rows, append([]string{regionLabel(opened, row.County), row.Period}, figureCells(row.Figures, true)...))
	}
	for _, row := range answer.All {
		rows = append(rows, append([]string{"合计 All", row.Period}, figureCells(row.Figures, true)...))
	}
	writeTable(env.stdout, headers, rows)
	fmt.Fprintf(env.stdout, "\nAs of log position %d", answer.Position)
	if answer.Tree != nil {
		fmt.Fprintf(env.stdout, " (tree size %d, root %s)", answer.Tree.Size, answer.Tree.Root)
	}
	if options.asOf != "" {
		fmt.Fprintf(env.stdout, "; entries that occurred by %s", options.asOf)
	}
	if options.knownAt != "" {
		fmt.Fprintf(env.stdout, "; as recorded by %s", options.knownAt)
	}
	fmt.Fprintln(env.stdout, ". Amounts in yuan; voided entries count for nothing, corrected ones as corrected.")
	return nil
}

func regionLabel(opened *opened, code string) string {
	if code == projections.AllRegions {
		return "合计 All"
	}
	return opened.Catalog.RegionName(code)
}

var figureHeaders = [2][]string{
	{"认捐", "收到捐款", "物资捐赠", "拨入", "拨出", "支出", "结余", "配送", "受益人数", "培训", "参训人数", "服务", "服务人次", "作废", "更正"},
	{"pledged", "received", "goods", "allocated_in", "allocated_out", "spent", "balance", "deliveries", "reached", "sessions", "participants", "services", "person_times", "voided", "corrected"},
}

func figureCells(f projections.Figures, grouped bool) []string {
	money := func(amount interface{ String() string }) string { return amount.String() }
	if grouped {
		money = func(amount interface{ String() string }) string { return groupDigits(amount.String()) }
	}
	return []string{money(f.Pledged), money(f.Received), money(f.GoodsReceivedValue), money(f.AllocatedIn), money(f.AllocatedOut),
		money(f.Spent), money(f.Balance()), itoa(f.Deliveries), itoa(f.PeopleReached), itoa(f.Sessions), itoa(f.Participants),
		itoa(f.Services), itoa(f.PersonTimes), itoa(f.Voided), itoa(f.Corrected)}
}

func itoa(value int64) string { return strconv.FormatInt(value, 10) }
