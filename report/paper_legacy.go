package report

import (
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ordos-union/ledger/app"
)

// A page sealed as version 1 or 2 bound only its region table and trend
// by keys; its tables of groups, goods, services and changes were printed
// without keys, in a layout unchanged from the first printed report to
// version 3. verify-report reads those tables back by that layout too, so
// an edit in them fails on an old page as well, without the check the
// keyed cells had then becoming any weaker: every genuine page in that
// layout still passes.
//
// An old page names groups and items only by their catalog names, which
// the log does not hold, so their figures are compared as a whole (the
// table must print the log's figures, each once, in any order): an edited
// figure fails, but two rows' figures swapped do not. Services were
// printed by their codes and changes by their positions, so those rows are
// compared one by one.

// legacySection finds the group, goods and service tables of an old page,
// in that order, and their rows.
var legacySection = regexp.MustCompile(`(?s)<section><h2>[^<]*</h2><table><thead>.*?</thead><tbody>\n(.*?)</tbody></table></section>`)

// legacyChanges finds the rows of an old page's voids and corrections.
var legacyChanges = regexp.MustCompile(`(?s)</section>\n</div>\n<h2>[^<]*</h2>\n(?:<table><thead>.*?</thead><tbody>\n(.*?)</tbody></table>|<p>[^<]*</p>)\n<footer>`)

var (
	legacyCount  = regexp.MustCompile(`<tr><td>([^<]*)</td><td class="num">([^<]*)</td></tr>`)
	legacyGoods  = regexp.MustCompile(`<tr><td>([^<]*)</td><td class="num">([^<]*)</td><td class="num">([^<]*)</td></tr>`)
	legacyChange = regexp.MustCompile(`<tr><td class="num">([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>`)
)

// legacyTables are an old page's unkeyed tables as printed: each row its
// cells' texts, the row's name first (for a change, its position).
type legacyTables struct {
	found                         bool
	groups, goods, kinds, changes [][]string
}

// readLegacy reads the unkeyed tables of a page printed before version 3;
// found is false when the page is not in that layout.
func readLegacy(page []byte) (legacyTables, error) {
	sections := legacySection.FindAllSubmatch(page, 4)
	changes := legacyChanges.FindSubmatch(page)
	if len(sections) != 3 || changes == nil {
		return legacyTables{}, nil
	}
	tables := legacyTables{found: true}
	var err error
	for i, into := range []*[][]string{&tables.groups, &tables.goods, &tables.kinds} {
		row := legacyCount
		if i == 1 {
			row = legacyGoods
		}
		if *into, err = legacyRows(sections[i][1], row); err != nil {
			return legacyTables{}, err
		}
	}
	tables.changes, err = legacyRows(changes[1], legacyChange)
	return tables, err
}

// legacyRows are a table body's rows; a row not in the table's layout
// fails, since it could not be compared.
func legacyRows(body []byte, row *regexp.Regexp) ([][]string, error) {
	var rows [][]string
	for _, match := range row.FindAllSubmatch(body, maxPrintedCells) {
		cells := make([]string, len(match)-1)
		for i, cell := range match[1:] {
			cells[i] = html.UnescapeString(string(cell))
		}
		rows = append(rows, cells)
	}
	if printed := strings.Count(string(body), "<tr"); printed != len(rows) {
		return nil, fmt.Errorf("a table of the page has %d rows, %d of them in the layout reports are printed in: %w", printed, len(rows),
			app.ErrReportMismatch)
	}
	return rows, nil
}

// checkLegacy compares an old page's unkeyed tables with the report.
func checkLegacy(report *app.MonthReport, tables legacyTables) error {
	if !tables.found {
		return fmt.Errorf("the page's tables of groups, goods, services and changes are not in the layout reports are printed in: %w",
			app.ErrReportMismatch)
	}
	all := monthFigures(report)
	var groups, quantities, values []string
	for _, people := range all.PeopleByGroup {
		groups = append(groups, Count(people))
	}
	for _, item := range all.GoodsDelivered {
		quantities, values = append(quantities, Count(item.Quantity)), append(values, Yuan(item.Value))
	}
	var printedQuantities, printedValues [][]string
	for _, row := range tables.goods {
		// "200 箱": the unit is the catalog's, the number the log's.
		quantity, _, _ := strings.Cut(row[1], " ")
		printedQuantities, printedValues = append(printedQuantities, []string{row[0], quantity}), append(printedValues, []string{row[0], row[2]})
	}
	for _, column := range []struct {
		table, name string
		printed     [][]string
		logged      []string
	}{
		{"groups", "people", tables.groups, groups},
		{"goods", "quantity", printedQuantities, quantities},
		{"goods", "value", printedValues, values},
	} {
		if err := matchFigures(column.table, column.name, column.printed, column.logged); err != nil {
			return err
		}
	}
	kinds := map[string]string{}
	for kind, service := range all.ServicesByKind {
		kinds[kind] = Count(service.Count)
	}
	if err := matchRows("services", []string{"count"}, tables.kinds, func(code string) ([]string, bool) {
		count, ok := kinds[code]
		return []string{count}, ok
	}, len(kinds)); err != nil {
		return err
	}
	changes := map[string][]string{}
	for _, change := range report.Changes {
		cells := changeFigures(change)
		changes[cells["position"]] = []string{cells["type"], cells["occurred"], cells["actor"], cells["what"], cells["reason"]}
	}
	return matchRows("changes", []string{"type", "occurred", "actor", "what", "reason"}, tables.changes, func(position string) ([]string, bool) {
		cells, ok := changes[position]
		return cells, ok
	}, len(changes))
}

// matchFigures compares a column printed without keys with the log's
// figures as a whole: each printed figure must be one of the log's, each
// once. An edited figure is named with the log's figure it stands for
// when only one is left over.
func matchFigures(table, column string, printed [][]string, logged []string) error {
	left := map[string]int{}
	for _, figure := range logged {
		left[figure]++
	}
	var unmatched [][]string
	for _, row := range printed {
		if left[row[1]] > 0 {
			left[row[1]]--
			continue
		}
		unmatched = append(unmatched, row)
	}
	var over []string
	for figure, times := range left {
		for range times {
			over = append(over, figure)
		}
	}
	sort.Strings(over)
	if len(unmatched) > 0 {
		mismatch := &PrintedMismatchError{Name: table + "/" + unmatched[0][0] + " " + column, Printed: unmatched[0][1], Extra: len(over) == 0}
		if len(over) > 0 {
			mismatch.Logged = strings.Join(over, " or ")
		}
		return mismatch
	}
	if len(over) > 0 {
		return &PrintedMismatchError{Name: table + " " + column, Logged: strings.Join(over, ", "), Missing: true}
	}
	return nil
}

// matchRows compares rows printed without keys but named by the log's own
// codes (a service's kind, a change's position) cell by cell.
func matchRows(table string, columns []string, printed [][]string, logged func(row string) ([]string, bool), rows int) error {
	seen := map[string]bool{}
	for _, row := range printed {
		want, ok := logged(row[0])
		if !ok || seen[row[0]] {
			return &PrintedMismatchError{Name: table + "/" + row[0], Printed: strings.Join(row[1:], " | "), Extra: true}
		}
		seen[row[0]] = true
		for i, column := range columns {
			if row[1+i] != want[i] {
				return &PrintedMismatchError{Name: table + "/" + row[0] + " " + column, Printed: row[1+i], Logged: want[i]}
			}
		}
	}
	if len(seen) != rows {
		return &PrintedMismatchError{Name: table, Printed: strconv.Itoa(len(seen)) + " rows", Logged: strconv.Itoa(rows) + " rows"}
	}
	return nil
}
