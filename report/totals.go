package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/ordos-union/ledger/internal/csvsafe"
	"github.com/ordos-union/ledger/projections"
)

// RegionName names a region code for people (乌审旗 Uxin); the whole
// federation's row is projections.AllRegions.
type RegionName func(code string) string

// figureHeaders are the totals' columns, in Chinese and in English (the
// English ones are also the CSV's).
var figureHeaders = [2][]string{
	{"认捐", "收到捐款", "物资捐赠", "拨入", "拨出", "支出", "结余", "配送", "受益人数", "培训", "参训人数", "服务", "服务人次", "作废", "更正"},
	{"pledged", "received", "goods", "allocated_in", "allocated_out", "spent", "balance", "deliveries", "reached", "sessions", "participants", "services", "person_times", "voided", "corrected"},
}

const allRegionsLabel = "合计 All"

func regionLabel(name RegionName, code string) string {
	if code == projections.AllRegions {
		return allRegionsLabel
	}
	return name(code)
}

func figureCells(f projections.Figures, grouped bool) []string {
	money := func(amount interface{ String() string }) string { return amount.String() }
	if grouped {
		money = func(amount interface{ String() string }) string { return GroupDigits(amount.String()) }
	}
	return []string{money(f.Pledged), money(f.Received), money(f.GoodsReceivedValue), money(f.AllocatedIn), money(f.AllocatedOut),
		money(f.Spent), money(f.Balance()), Count(f.Deliveries), Count(f.PeopleReached), Count(f.Sessions), Count(f.Participants),
		Count(f.Services), Count(f.PersonTimes), Count(f.Voided), Count(f.Corrected)}
}

// WriteJSON writes a value as indented JSON and a newline: every answer a
// command prints as JSON is written this way.
func WriteJSON(out io.Writer, value any) error {
	encoded, err := json.MarshalIndent(value, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(encoded))
	return err
}

// TotalsFormats are the formats WriteTotals writes.
var TotalsFormats = []string{"table", "json", "csv"}

// WriteTotals writes a totals answer in a format: table (TotalsTable,
// saying the instants asOf and knownAt asked for), json (indented) or csv
// (TotalsCSV).
func WriteTotals(out io.Writer, answer projections.Answer, name RegionName, format, asOf, knownAt string) error {
	switch format {
	case "table":
		TotalsTable(out, answer, name, asOf, knownAt)
		return nil
	case "json":
		return WriteJSON(out, answer)
	case "csv":
		return TotalsCSV(out, answer, name)
	}
	return fmt.Errorf("no totals format %q: table, json or csv", format)
}

// TotalsCSV writes a totals answer as CSV: the tree it was computed from
// in a comment row, then a row per region and period, amounts in yuan
// without separators. The text cells (the region's code, name and period)
// go through csvsafe.Text, as every CSV the ledger writes does, so that a
// name from the catalog is never run as a formula; the figures are
// numbers and stay so (a negative balance included).
func TotalsCSV(out io.Writer, answer projections.Answer, name RegionName) error {
	writer := csv.NewWriter(out)
	if answer.Tree != nil {
		_ = writer.Write([]string{"# log position", strconv.FormatUint(answer.Position, 10), "tree root", answer.Tree.Root})
	}
	_ = writer.Write(append([]string{"county", "county_name", "period"}, figureHeaders[1]...))
	for _, row := range append(answer.Rows, answer.All...) {
		_ = writer.Write(append(csvsafe.Texts(row.County, regionLabel(name, row.County), row.Period), figureCells(row.Figures, false)...))
	}
	writer.Flush()
	return writer.Error()
}

// TotalsTable writes a totals answer as a table in Chinese and English,
// and says what it counts: the log position and tree, and the instants
// asked for (asOf, knownAt; empty when not asked).
func TotalsTable(out io.Writer, answer projections.Answer, name RegionName, asOf, knownAt string) {
	headers := [][]string{
		append([]string{"地区", "期间"}, figureHeaders[0]...),
		append([]string{"Region", "Period"}, figureHeaders[1]...),
	}
	var rows [][]string
	for _, row := range answer.Rows {
		rows = append(rows, append([]string{regionLabel(name, row.County), row.Period}, figureCells(row.Figures, true)...))
	}
	for _, row := range answer.All {
		rows = append(rows, append([]string{allRegionsLabel, row.Period}, figureCells(row.Figures, true)...))
	}
	Table(out, headers, rows)
	fmt.Fprintf(out, "\nAs of log position %d", answer.Position)
	if answer.Tree != nil {
		fmt.Fprintf(out, " (tree size %d, root %s)", answer.Tree.Size, answer.Tree.Root)
	}
	if asOf != "" {
		fmt.Fprintf(out, "; entries that occurred by %s", asOf)
	}
	if knownAt != "" {
		fmt.Fprintf(out, "; as recorded by %s", knownAt)
	}
	fmt.Fprintln(out, ". Amounts in yuan; voided entries count for nothing, corrected ones as corrected.")
}
