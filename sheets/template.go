package sheets

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/domain"
)

// The catalog lists a code column draws from.
const (
	listRegions    = "regions"
	listCampaigns  = "campaigns"
	listGroups     = "groups"
	listItems      = "items"
	listSites      = "sites"
	listTopics     = "topics"
	listDonorKinds = "donor-kinds"
	listForms      = "forms"
	listFormats    = "formats"
	listServices   = "services"
)

// fixedLists are the lists the domain fixes rather than the catalog. An
// individual donor is not offered: a person's name is personal data,
// which sheets do not carry (the dashboard's form and the API do).
var fixedLists = map[string][][2]string{
	listDonorKinds: {{"enterprise", "企业"}, {"organisation", "社会组织"}, {"union-allocation", "工会拨付"}},
	listForms:      {{domain.FormMoney, "资金"}, {domain.FormGoods, "物资"}},
	listFormats:    {{domain.FormatOnline, "线上"}, {domain.FormatOffline, "线下"}, {domain.FormatBoth, "线上线下"}},
	listServices: {{domain.ServiceHealthCheckup, "健康体检"}, {domain.ServiceLegalConsultation, "法律咨询"}, {domain.ServiceVisit, "走访慰问"},
		{domain.ServiceStationOpened, "驿站开放"}, {domain.ServiceGeneralAssistance, "帮扶"}},
}

// listChoices are the entries of a drop-down list: each a code, then its
// name ("150626 乌审旗 Uxin"); reading keeps the first word.
func listChoices(catalog *domain.Catalog, list string) []string {
	var choices []string
	labels := func(labels []domain.Label) {
		for _, label := range labels {
			choices = append(choices, label.Code+" "+label.ZH)
		}
	}
	switch list {
	case listRegions:
		for _, region := range catalog.Regions {
			choices = append(choices, region.Code+" "+region.ZH+" "+region.Pinyin)
		}
	case listCampaigns:
		labels(catalog.Campaigns)
	case listGroups:
		labels(catalog.BeneficiaryGroups)
	case listSites:
		labels(catalog.SiteKinds)
	case listTopics:
		labels(catalog.TrainingTopics)
	case listItems:
		for _, item := range catalog.ItemKinds {
			choices = append(choices, item.Code+" "+item.ZH)
		}
	default:
		for _, pair := range fixedLists[list] {
			choices = append(choices, pair[0]+" "+pair[1])
		}
	}
	return choices
}

// templateRowsMax is how many rows of a template carry the drop-downs and
// formats.
const templateRowsMax = 2000

// listsSheet holds the drop-down lists; it is hidden.
const listsSheet = "lists"

// Template writes an empty workbook for one entry type: the sheet with
// Chinese headers and English ones below, drop-down lists from the
// catalog, money columns as yuan and dates as dates; the lists on a
// hidden sheet; and an instructions sheet with an example row.
func Template(out io.Writer, catalog *domain.Catalog, eventType domain.EventType) error {
	layout, ok := LayoutOf(eventType)
	if !ok {
		return fmt.Errorf("no sheet for entry type %q: %w", eventType, domain.ErrInvalid)
	}
	book := excelize.NewFile()
	defer book.Close()
	if err := book.SetSheetName("Sheet1", layout.Title); err != nil {
		return err
	}
	if _, err := book.NewSheet(listsSheet); err != nil {
		return err
	}
	styles, err := newStyles(book)
	if err != nil {
		return err
	}
	listColumn := 0
	listRanges := map[string]string{}
	for i, column := range layout.columns {
		name, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := setHeaders(book, layout.Title, name, column, styles.header); err != nil {
			return err
		}
		first, last := fmt.Sprintf("%s%d", name, headerRows+1), fmt.Sprintf("%s%d", name, templateRowsMax+headerRows)
		switch column.kind {
		case kindMoney:
			err = book.SetCellStyle(layout.Title, first, last, styles.money)
		case kindDate:
			err = book.SetCellStyle(layout.Title, first, last, styles.date)
		case kindCode:
			if _, done := listRanges[column.list]; !done {
				listColumn++
				if listRanges[column.list], err = writeList(book, listColumn, listChoices(catalog, column.list)); err != nil {
					return err
				}
			}
			validation := excelize.NewDataValidation(true)
			validation.Sqref = first + ":" + last
			validation.SetSqrefDropList(listRanges[column.list])
			err = book.AddDataValidation(layout.Title, validation)
		}
		if err != nil {
			return err
		}
		if err := book.SetColWidth(layout.Title, name, name, 16); err != nil {
			return err
		}
	}
	if err := book.SetSheetVisible(listsSheet, false); err != nil {
		return err
	}
	if err := writeInstructions(book, layout, catalog); err != nil {
		return err
	}
	_, err = book.WriteTo(out)
	return err
}

type templateStyles struct{ header, money, date int }

func newStyles(book *excelize.File) (templateStyles, error) {
	var styles templateStyles
	var err error
	if styles.header, err = book.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F1E6E6"}}}); err != nil {
		return styles, err
	}
	moneyFormat := "#,##0.00"
	if styles.money, err = book.NewStyle(&excelize.Style{CustomNumFmt: &moneyFormat}); err != nil {
		return styles, err
	}
	dateFormat := "yyyy-mm-dd"
	styles.date, err = book.NewStyle(&excelize.Style{CustomNumFmt: &dateFormat})
	return styles, err
}

func setHeaders(book *excelize.File, sheet, name string, column column, style int) error {
	header := column.header
	if column.required {
		header += " *"
	}
	for row, text := range []string{header, column.english} {
		cell := fmt.Sprintf("%s%d", name, row+1)
		if err := book.SetCellValue(sheet, cell, text); err != nil {
			return err
		}
		if err := book.SetCellStyle(sheet, cell, cell, style); err != nil {
			return err
		}
	}
	return nil
}

// writeList puts a list in a column of the hidden lists sheet and returns
// its range for a drop-down.
func writeList(book *excelize.File, number int, choices []string) (string, error) {
	name, err := excelize.ColumnNumberToName(number)
	if err != nil {
		return "", err
	}
	for i, choice := range choices {
		if err := book.SetCellValue(listsSheet, fmt.Sprintf("%s%d", name, i+1), choice); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%s!$%s$1:$%s$%d", listsSheet, name, name, max(1, len(choices))), nil
}

// writeInstructions adds the sheet that says how to fill the template,
// with an example row.
func writeInstructions(book *excelize.File, layout Layout, catalog *domain.Catalog) error {
	const sheet = "说明 Instructions"
	if _, err := book.NewSheet(sheet); err != nil {
		return err
	}
	lines := []string{
		"从第 3 行起每行填写一条记录；带 * 的列必填；地区、活动等请从下拉列表选择。",
		"Fill one entry per row from row 3; columns marked * are required; choose regions, campaigns and codes from the lists.",
		"金额以元为单位，最多两位小数；日期为北京时间的日期。",
		"Amounts are in yuan with at most two decimals; dates are days in Beijing time.",
		"同一表格可重复导入：已导入的行不会重复记录；在表尾添加的新行只记录新行。",
		"A sheet can be imported again: rows already recorded are not recorded twice; rows added at the bottom record only themselves.",
	}
	city, county := exampleRegions(catalog)
	lines = append(lines,
		fmt.Sprintf("每个模板的示例行可原样复制到第 3 行导入：在空台账中按 %s 的顺序导入各模板的示例，即全部记录"+
			"（捐赠到%s，全部拨给%s，配送、培训、服务在%s支出，合计不超过拨款）。", exampleOrder, city.ZH, county.ZH, county.ZH),
		fmt.Sprintf("Each template's example row imports as it is when copied to row 3: into an empty ledger, import the examples in the order "+
			"%s, and all are recorded (the donation to %s, all of it allocated to %s, the delivery, training and service spent there, "+
			"no more in all than allocated).", exampleOrderEnglish, city.Pinyin, county.Pinyin),
		"",
		"示例 Example:")
	for i, line := range lines {
		if err := book.SetCellValue(sheet, fmt.Sprintf("A%d", i+1), line); err != nil {
			return err
		}
	}
	example := exampleRow(layout, catalog)
	for i, column := range layout.columns {
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := book.SetCellValue(sheet, fmt.Sprintf("%s%d", name, len(lines)+1), column.header); err != nil {
			return err
		}
		if err := book.SetCellValue(sheet, fmt.Sprintf("%s%d", name, len(lines)+2), example[i]); err != nil {
			return err
		}
	}
	return nil
}

// exampleMoney is the money of each example row, so that the examples
// are a chain an empty ledger takes (exampleRegions): a donation to the
// city level, all of it allocated to a county, and a delivery, a session
// and a service there that spend no more in all than was allocated.
var exampleMoney = map[domain.EventType]string{
	domain.TypeDonationReceived:  "3000.00",
	domain.TypeFundsAllocated:    "3000.00",
	domain.TypeSuppliesDelivered: "1200.00",
	domain.TypeTrainingHeld:      "1000.00",
	domain.TypeServiceProvided:   "800.00",
}

// exampleOrder is the order the example rows are imported in, one
// template after the other, in the instructions' words: each spends money
// the one before brought to its region.
const exampleOrder = "捐赠 → 拨款 → 配送、培训、服务"

// exampleOrderEnglish is exampleOrder in English.
const exampleOrderEnglish = "donation → allocation → delivery, training, service"

// exampleRegions are the regions of the example rows: the city level,
// where a donation's money lands and an allocation leaves from, and the
// first other region, which the allocation goes to and the other examples
// spend in. A catalog without a city level has its first region in that
// place.
func exampleRegions(catalog *domain.Catalog) (city, county domain.Region) {
	if len(catalog.Regions) == 0 {
		return domain.Region{}, domain.Region{}
	}
	city = catalog.Regions[0]
	if code := catalog.CityCode(); code != "" {
		city, _ = catalog.Region(code)
	}
	county = city
	for _, region := range catalog.Regions {
		if region.Code != city.Code {
			return city, region
		}
	}
	return city, county
}

// regionChoice is a region as its drop-down list offers it.
func regionChoice(region domain.Region) string {
	if region.Code == "" {
		return ""
	}
	return region.Code + " " + region.ZH + " " + region.Pinyin
}

// exampleRow is one filled row of a layout that the ledger takes, as a
// clerk would copy it to the entry sheet, in the chain the examples make
// (exampleMoney, exampleRegions): an id as the shortcuts make them, the
// catalog's first code in each other code column, and the goods of a
// donation left empty, as its form is the first, money.
func exampleRow(layout Layout, catalog *domain.Catalog) []string {
	city, county := exampleRegions(catalog)
	row := make([]string, len(layout.columns))
	for i, column := range layout.columns {
		switch {
		case i == 0:
			row[i] = exampleIDs[layout.Type] + "-2022-001"
		case column.field == "data.from_county" || (column.field == "county" && layout.Type == domain.TypeDonationReceived):
			row[i] = regionChoice(city)
		case column.field == "county":
			row[i] = regionChoice(county)
		case strings.HasPrefix(column.field, "data.items.") && !column.required:
			// A donation's goods are for a donation of goods.
		case column.kind == kindCode:
			if choices := listChoices(catalog, column.list); len(choices) > 0 {
				row[i] = choices[0]
			}
		case column.kind == kindMoney:
			row[i] = exampleMoney[layout.Type]
		case column.kind == kindDate:
			row[i] = "2022-06-15"
		case column.kind == kindCount:
			row[i] = "10"
		default:
			row[i] = "示例 example"
		}
	}
	return row
}

// exampleIDs begin the example row's id, as `ledger record` begins the
// ids it makes.
var exampleIDs = map[domain.EventType]string{domain.TypeDonationReceived: "D", domain.TypeFundsAllocated: "A",
	domain.TypeSuppliesDelivered: "V", domain.TypeTrainingHeld: "S", domain.TypeServiceProvided: "SV"}
