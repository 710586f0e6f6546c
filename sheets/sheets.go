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

	"github.com/google/uuid"

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

// Rule words a problem of a row for a clerk, in the sheet's language: with
// en, in English alone (the sheet's own rules in its English, the
// ledger's as the ledger says them); with zh, in Chinese, then as in
// English. A cell's own rule quotes what the cell holds, which its format
// may show otherwise (100.555 shown as 100.56). A rule of the ledger's
// without a code is said in the ledger's words alone.
func (l Layout) Rule(violation domain.Violation, lang string) string {
	words, own := ruleWords[cellRule(violation.Code)]
	chinese := ""
	switch {
	case own:
		chinese = words.zh
		if cellRule(violation.Code) == ruleSameRegion {
			chinese = fmt.Sprintf(chinese, l.Header("county", "zh"), l.Header("county", "en"))
		}
	case lang != "en":
		chinese = violationChinese(violation)
	}
	text := violation.Rule
	if lang != "en" && chinese != "" {
		text = chinese + " (" + violation.Rule + ")"
	}
	if own && words.quoted {
		if lang == "en" {
			return text + ": the cell holds " + violation.Value
		}
		return text + "：单元格的值是 " + violation.Value
	}
	return text
}

// violationChinese says a field rule of the ledger's with a code in
// Chinese, as the dashboard says it (httpapi/web/texts.js), or "" for one
// without.
func violationChinese(violation domain.Violation) string {
	switch violation.Code {
	case domain.CodeRequired:
		return "必填"
	case domain.CodeUnknownCode:
		return fmt.Sprintf("「%s」不在目录中，请从下拉列表选择", violation.Value)
	case domain.CodeOneOf:
		return fmt.Sprintf("「%s」不是可选的值，请从下拉列表选择", violation.Value)
	case domain.CodePositive:
		return "必须大于 0"
	case domain.CodeFuture:
		return "不能是将来的日期"
	case domain.CodeTooEarly:
		return "必须在 2000-01-01 之后"
	case domain.CodeEmptyForMoney:
		return "形式为资金时必须留空"
	case domain.CodeYuan:
		return "必须是以元为单位的金额，最多两位小数，如 1250.50"
	case domain.CodeTooLong:
		return fmt.Sprintf("最多 %d 个字", violation.Limit)
	case domain.CodeAtMost:
		return fmt.Sprintf("不能超过 %d", violation.Limit)
	case domain.CodeWholeNumber:
		return "必须是整数"
	case domain.CodeEntityID:
		return "必须是 1 至 64 个英文字母、数字或 . _ -，以字母或数字开头"
	case domain.CodeTime:
		return "时间格式不正确"
	}
	return ""
}

// Refusal words a rule of the ledger's that a row broke (a
// *domain.RuleError: money the campaign does not have, an entry recorded
// already) for a clerk, in the sheet's language as Rule words a field's,
// with the figures it quotes; and names the field it is about. Money that
// would go below zero is about the row's amount of money (金额、支出 or
// 费用), the column a clerk changes. catalog names the campaign and the
// region; nil names them by their codes.
func (l Layout) Refusal(rule domain.RuleError, lang string, catalog *domain.Catalog) (field, text string) {
	field = rule.Field
	if field == "" && rule.Code == domain.CodeOverspent {
		field = l.moneyField()
	}
	if lang == "en" {
		return field, rule.Rule
	}
	chinese := l.refusalChinese(rule, catalog)
	if chinese == "" {
		return field, rule.Rule
	}
	return field, chinese + " (" + rule.Rule + ")"
}

// moneyField is the field of the money a row moves out of a region's
// funds: an allocation's amount, a delivery's spending, a session's or a
// service's cost; "" for a donation, which brings money in.
func (l Layout) moneyField() string {
	switch l.Type {
	case domain.TypeFundsAllocated:
		return "data.amount"
	case domain.TypeSuppliesDelivered:
		return "data.spent"
	case domain.TypeTrainingHeld, domain.TypeServiceProvided:
		return "data.cost"
	}
	return ""
}

// refusalChinese says a coded rule of the ledger's in Chinese with its
// figures, or "" for a rule without a code, or without the figures to say
// (the ledger's words say them then).
func (l Layout) refusalChinese(rule domain.RuleError, catalog *domain.Catalog) string {
	figures := rule.Figures
	if figures == (domain.Figures{}) {
		return ""
	}
	campaign := campaignName(catalog, figures.Campaign)
	switch rule.Code {
	case domain.CodeOverspent:
		if figures.Region == "" {
			return fmt.Sprintf("资金不足，活动%s 中，捐赠 %s 将支付 %s 元，但只到账 %s 元（缺 %s 元）", campaign, figures.Entry, figures.Would,
				figures.Holds, figures.Would-figures.Holds)
		}
		return fmt.Sprintf("资金不足，活动%s 中，%s的资金将为 %s 元（现有 %s 元，缺 %s 元）；拨款或支出不能超过收到的资金", campaign,
			regionName(catalog, figures.Region), figures.Would, figures.Holds, -figures.Would)
	case domain.CodeAlreadyRecorded:
		switch {
		case figures.By != uuid.Nil && l.Type == domain.TypeDonationReceived:
			return fmt.Sprintf("捐赠 %s 已由事件 %s 记录到账；一笔捐赠只到账一次（原记录如有误，请先作废）", figures.Entry, figures.By)
		case figures.By != uuid.Nil:
			return fmt.Sprintf("编号 %s 已由事件 %s 记录；原记录如有误，请更正该记录", figures.Entry, figures.By)
		case rule.Other != 0 && l.Type == domain.TypeDonationReceived:
			return fmt.Sprintf("捐赠 %s 在同一表格中到账了两次；一笔捐赠只到账一次", figures.Entry)
		case rule.Other != 0:
			return fmt.Sprintf("编号 %s 在同一表格中记录了两次；一条记录只记录一次", figures.Entry)
		}
		return fmt.Sprintf("编号 %s 已有记录；一条记录只记录一次", figures.Entry)
	case domain.CodeAlreadyVoided:
		if figures.By == uuid.Nil {
			return fmt.Sprintf("记录 %s 已被同一表格中的另一行作废", figures.Entry)
		}
		return fmt.Sprintf("记录 %s 已被事件 %s 作废", figures.Entry, figures.By)
	case domain.CodeNoEntry:
		return fmt.Sprintf("活动%s 中没有记录 %s", campaign, figures.Entry)
	}
	return ""
}

// campaignName names a campaign for a clerk: 「日常帮扶」(general), or
// 「general」 when the catalog does not know it.
func campaignName(catalog *domain.Catalog, code string) string {
	if catalog != nil {
		for _, campaign := range catalog.Campaigns {
			if campaign.Code == code {
				return "「" + campaign.ZH + "」(" + code + ")"
			}
		}
	}
	return "「" + code + "」"
}

// regionName names a region whose money is meant: 市本级（150600
// 鄂尔多斯市总工会）, 东胜区（150602）, or the code when the catalog does
// not know it.
func regionName(catalog *domain.Catalog, code string) string {
	if catalog == nil {
		return code
	}
	region, ok := catalog.Region(code)
	switch {
	case !ok:
		return code
	case region.Level == "city":
		return "市本级（" + code + " " + region.ZH + "）"
	}
	return region.ZH + "（" + code + "）"
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
