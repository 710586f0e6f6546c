// Package sheets reads and writes the county offices' spreadsheets of
// entries (台账): a template per entry type, with Chinese headers (English
// in the second row), drop-down lists from the catalog, money as yuan and
// dates as dates; and the import of a filled sheet (XLSX, or CSV in UTF-8
// or GBK with the same headers) into events, each row checked, and each
// row's idempotency key made from its content, so the same sheet imported
// again, or with rows added at the bottom, records only what is new.
package sheets

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ordos-union/ledger/domain"
)

// Limits of an imported sheet, unit last.
const (
	// FileBytesMax caps a sheet file.
	FileBytesMax = 8 << 20
	// rowsMax caps the rows of one sheet.
	rowsMax = 20_000
	// sheetColumnsMax caps the columns of a sheet's row: the widest
	// template has 14, and a clerk may keep a few columns of their own to
	// the right, which are not read.
	sheetColumnsMax = 32
	// headerRows are the rows above the first entry: Chinese headers, then
	// English ones.
	headerRows = 2
)

// kind is what a column holds.
type kind int

const (
	kindText  kind = iota
	kindMoney      // yuan, at most two decimals
	kindDate       // a day, Beijing time
	kindCount      // a whole number
	kindCode       // a code from a catalog list ("150626 乌审旗 Uxin": the first word)
)

// column is one column of a sheet: its headers, the event field it fills
// (a path into the event's JSON: "county", "data.amount",
// "data.items.0.value") and what it holds.
type column struct {
	header, english string
	field           string
	kind            kind
	// list names the catalog list a code column draws from.
	list     string
	required bool
}

// Layout is one entry type's sheet.
type Layout struct {
	Type    domain.EventType
	Title   string // the sheet's name, in Chinese
	columns []column
}

func common(id, idEnglish, idField string) []column {
	return []column{
		{header: id, english: idEnglish, field: idField, kind: kindText, required: true},
		{header: "地区", english: "Region", field: "county", kind: kindCode, list: listRegions, required: true},
		{header: "活动", english: "Campaign", field: "data.campaign", kind: kindCode, list: listCampaigns, required: true},
		{header: "日期", english: "Date", field: "occurred_at", kind: kindDate, required: true},
	}
}

// goods are the columns of one line of goods: what, how many, and what
// it is worth. A delivery must name them; a donation of money leaves them
// empty.
func goods(required bool) []column {
	return []column{
		{header: "物资", english: "Item", field: "data.items.0.item", kind: kindCode, list: listItems, required: required},
		{header: "数量", english: "Quantity", field: "data.items.0.quantity", kind: kindCount, required: required},
		{header: "物资价值（元）", english: "Items value (yuan)", field: "data.items.0.value", kind: kindMoney, required: required},
	}
}

// Layouts are the sheets, one per entry type the offices keep.
var Layouts = []Layout{
	{Type: domain.TypeDonationReceived, Title: "捐赠台账", columns: slices.Concat(common("捐赠编号", "Donation id", "data.donation_id"), []column{
		{header: "捐赠方类型", english: "Donor kind", field: "data.donor_kind", kind: kindCode, list: listDonorKinds, required: true},
		{header: "捐赠单位", english: "Donor organisation", field: "data.donor_organisation", kind: kindText},
		{header: "形式", english: "Form", field: "data.form", kind: kindCode, list: listForms, required: true},
		{header: "金额（元）", english: "Amount (yuan)", field: "data.amount", kind: kindMoney},
	}, goods(false), []column{
		{header: "银行流水号", english: "Bank reference", field: "data.bank_reference", kind: kindText},
		{header: "备注", english: "Note", field: "data.note", kind: kindText},
	})},
	{Type: domain.TypeFundsAllocated, Title: "拨款台账", columns: append(common("拨款编号", "Allocation id", "data.allocation_id"),
		column{header: "拨出地区", english: "From region", field: "data.from_county", kind: kindCode, list: listRegions, required: true},
		column{header: "金额（元）", english: "Amount (yuan)", field: "data.amount", kind: kindMoney, required: true},
		column{header: "用途", english: "Purpose", field: "data.purpose", kind: kindText})},
	{Type: domain.TypeSuppliesDelivered, Title: "配送台账", columns: slices.Concat(common("配送编号", "Delivery id", "data.delivery_id"), []column{
		{header: "站点类型", english: "Site kind", field: "data.site.kind", kind: kindCode, list: listSites, required: true},
		{header: "站点名称", english: "Site name", field: "data.site.name", kind: kindText, required: true},
		{header: "受益群体", english: "Beneficiary group", field: "data.beneficiary_group", kind: kindCode, list: listGroups, required: true},
		{header: "受益人数", english: "Headcount", field: "data.headcount", kind: kindCount, required: true},
	}, goods(true), []column{
		{header: "支出（元）", english: "Spent (yuan)", field: "data.spent", kind: kindMoney},
		{header: "备注", english: "Note", field: "data.note", kind: kindText},
	})},
	{Type: domain.TypeTrainingHeld, Title: "培训台账", columns: append(common("培训编号", "Session id", "data.session_id"),
		column{header: "主题", english: "Topic", field: "data.topic", kind: kindCode, list: listTopics, required: true},
		column{header: "标题", english: "Title", field: "data.title", kind: kindText, required: true},
		column{header: "形式", english: "Format", field: "data.format", kind: kindCode, list: listFormats, required: true},
		column{header: "参训人数", english: "Participants", field: "data.participants", kind: kindCount, required: true},
		column{header: "时长（分钟）", english: "Minutes", field: "data.duration_minutes", kind: kindCount, required: true},
		column{header: "地点", english: "Venue", field: "data.venue", kind: kindText, required: true},
		column{header: "受益群体", english: "Beneficiary group", field: "data.beneficiary_group", kind: kindCode, list: listGroups},
		column{header: "费用（元）", english: "Cost (yuan)", field: "data.cost", kind: kindMoney})},
	{Type: domain.TypeServiceProvided, Title: "服务台账", columns: append(common("服务编号", "Service id", "data.service_id"),
		column{header: "服务项目", english: "Service kind", field: "data.kind", kind: kindCode, list: listServices, required: true},
		column{header: "受益群体", english: "Beneficiary group", field: "data.beneficiary_group", kind: kindCode, list: listGroups, required: true},
		column{header: "次数", english: "Count", field: "data.count", kind: kindCount, required: true},
		// The ledger takes a service without person-times (0, left out),
		// as docs/EVENTS.md says; the sheet does not ask for more.
		column{header: "人次", english: "Person-times", field: "data.person_times", kind: kindCount},
		column{header: "费用（元）", english: "Cost (yuan)", field: "data.cost", kind: kindMoney},
		column{header: "备注", english: "Note", field: "data.note", kind: kindText})},
}

// LayoutOf is the layout of an entry type.
func LayoutOf(eventType domain.EventType) (Layout, bool) {
	for _, layout := range Layouts {
		if layout.Type == eventType {
			return layout, true
		}
	}
	return Layout{}, false
}

// Header names the column of a field as the clerk sees it (zh or en); a
// field made of several columns (an entry's goods, data.items, from 物资,
// 数量 and 物资价值（元）) by all of them, "物资 / 数量 / 物资价值（元）"; or
// the field itself when no column fills it (a rule about the whole row).
func (l Layout) Header(field, lang string) string {
	path := strings.ReplaceAll(strings.TrimPrefix(field, "data."), "[0]", ".0")
	if l.Type == domain.TypeFundsAllocated && path == "to_county" {
		// An allocation's receiving region is the row's region (event).
		path = "county"
	}
	name := func(column column) string {
		if lang == "en" {
			return column.english
		}
		return column.header
	}
	var parts []string
	for _, column := range l.columns {
		own := strings.TrimPrefix(column.field, "data.")
		switch {
		case own == path:
			return name(column)
		case path != "" && strings.HasPrefix(own, path+"."):
			parts = append(parts, name(column))
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, " / ")
	}
	return strings.TrimPrefix(field, "data.")
}

// Rule words a problem of a row for a clerk, in the sheet's language. The
// rules a clerk meets most (string) are said in Chinese, then as
// the ledger says them, with zh; en keeps the ledger's English. A cell's
// own rule (already in both) quotes what the cell holds, which its format
// may show otherwise (100.555 shown as 100.56). Any other rule is the
// ledger's text.
func (l Layout) Rule(violation domain.Violation, lang string) string {
	if violation.Code == codeCell {
		if lang == "en" {
			return violation.Rule + ": the cell holds " + violation.Value
		}
		return violation.Rule + "：单元格的值是 " + violation.Value
	}
	if lang == "en" {
		return violation.Rule
	}
	chinese := ""
	switch violation.Code {
	case domain.CodeRequired:
		chinese = "必填"
	case domain.CodeUnknownCode:
		chinese = fmt.Sprintf("「%s」不在目录中，请从下拉列表选择", violation.Value)
	case domain.CodeOneOf:
		chinese = fmt.Sprintf("「%s」不是可选的值，请从下拉列表选择", violation.Value)
	case domain.CodePositive:
		chinese = "必须大于 0"
	case domain.CodeFuture:
		chinese = "不能是将来的日期"
	case domain.CodeTooEarly:
		chinese = "必须在 2000-01-01 之后"
	case domain.CodeEmptyForMoney:
		chinese = "形式为资金时必须留空"
	default:
		return violation.Rule
	}
	return chinese + " (" + violation.Rule + ")"
}

// Where names a cell for a clerk: 第 7 行「金额（元）」, or row 7, "Amount
// (yuan)".
func (l Layout) Where(row int, field, lang string) string {
	header := l.Header(field, lang)
	if lang == "en" {
		if field == "" {
			return fmt.Sprintf("row %d", row)
		}
		return fmt.Sprintf("row %d, %q", row, header)
	}
	if field == "" {
		return fmt.Sprintf("第 %d 行", row)
	}
	return fmt.Sprintf("第 %d 行「%s」", row, header)
}

// Repeats names the other row a row's problem repeats, for people:
// 与第 3 行重复 in Chinese, "repeats row 3" in English.
func (l Layout) Repeats(row int, lang string) string {
	if lang == "en" {
		return fmt.Sprintf("repeats row %d", row)
	}
	return fmt.Sprintf("与第 %d 行重复", row)
}

// rowKey is an entry's idempotency key, made from its content: the same
// row imported again, by whoever imports it, is the same entry. Its
// prefix tells the ledger so (domain.ContentKeyed).
func rowKey(eventType domain.EventType, fields map[string]any) string {
	content, _ := json.Marshal(struct {
		Type   domain.EventType `json:"type"`
		Fields map[string]any   `json:"fields"`
	}{eventType, fields})
	sum := sha256.Sum256(content)
	return domain.ContentKeyPrefix + hex.EncodeToString(sum[:12])
}
