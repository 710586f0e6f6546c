package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/projections"
)

type totalsOptions struct {
	format   string
	campaign string
}

func runTotals(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "totals", "[--campaign CODE] [--format table|json]")
	var store storeFlags
	store.register(flags)
	var options totalsOptions
	flags.StringVar(&options.campaign, "campaign", "", "only this campaign")
	flags.StringVar(&options.format, "format", "table", "table or json")
	if err := parse(flags, args); err != nil {
		return err
	}
	if options.format != "table" && options.format != "json" {
		return usagef("--format must be table or json")
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	return printTotals(ctx, env, opened, options)
}

// readTotals folds the log, or one campaign of it, into totals.
func readTotals(ctx context.Context, opened *opened, campaign string) (*projections.Totals, error) {
	totals := projections.NewTotals()
	filter := eventstore.Filter{}
	if campaign != "" {
		filter.AggregateKind, filter.AggregateID = domain.AggregateCampaign, campaign
	}
	for record, err := range opened.store.Read(ctx, 0, filter) {
		if err != nil {
			return nil, err
		}
		totals.Apply(record)
	}
	return totals, nil
}

func printTotals(ctx context.Context, env *environment, opened *opened, options totalsOptions) error {
	totals, err := readTotals(ctx, opened, options.campaign)
	if err != nil {
		return err
	}
	if options.format == "json" {
		encoded, err := json.MarshalIndent(struct {
			Position uint64                     `json:"position"`
			Regions  []projections.CountyTotals `json:"regions"`
			All      projections.CountyTotals   `json:"all"`
		}{totals.Position, totals.Regions(), totals.Sum()}, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, string(encoded))
		return nil
	}
	headers := [][]string{
		{"地区", "收到捐款", "物资捐赠", "拨入", "拨出", "支出", "结余", "配送", "受益人数", "培训", "参训人数", "服务", "服务人次", "作废", "更正"},
		{"Region", "Received", "Goods", "Alloc. in", "Alloc. out", "Spent", "Balance", "Deliveries", "Reached", "Sessions", "Participants", "Services", "Person-times", "Voided", "Corrected"},
	}
	row := func(name string, c projections.CountyTotals) []string {
		return []string{name, yuan(c.Received), yuan(c.GoodsReceivedValue), yuan(c.AllocatedIn), yuan(c.AllocatedOut),
			yuan(c.Spent), yuan(c.Balance()), itoa(c.Deliveries), itoa(c.PeopleReached), itoa(c.Sessions),
			itoa(c.Participants), itoa(c.Services), itoa(c.PersonTimes), itoa(c.Voided), itoa(c.Corrected)}
	}
	var rows [][]string
	for _, region := range totals.Regions() {
		rows = append(rows, row(opened.catalog.RegionName(region.County), region))
	}
	rows = append(rows, row("合计 All", totals.Sum()))
	writeTable(env.stdout, headers, rows)
	fmt.Fprintf(env.stdout, "\nAs of log position %s. Amounts in yuan; voided entries count for nothing, corrected ones as corrected.\n",
		strconv.FormatUint(totals.Position, 10))
	return nil
}

func itoa(value int64) string { return strconv.FormatInt(value, 10) }
