package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	"image/png"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/projections"
)

// qrPixels is the printed QR code's side, in image pixels.
const qrPixels = 360

// SealMetaName names the <meta> element that carries a printed report's
// seal, for `ledger verify-report` to read from the HTML.
const SealMetaName = "ledger-report-seal"

// paperText are the words of a printed report in one language.
type paperText struct {
	Lang, Title, Union, Period, Scope, AllRegions, AllCampaigns, Campaign, Region, Total                 string
	Received, Goods, AllocatedIn, AllocatedOut, Spent, Balance, Reached, Sessions, Participants          string
	Services, PersonTimes, ByGroup, Group, People, Delivered, Item, Quantity, Value, ByKind, Kind, Count string
	Changes, NoChanges, Position, Type, Occurred, Actor, Reason, What, Binding, Verify, Money            string
	// BindingV3 is the footer's sentence as a page sealed as version 3
	// says it, without saying its time is Beijing time: such a page is
	// printed again in its own words to be compared.
	BindingV3                                                 string
	Trend, TrendDesc, TrendNote, Month, MoneyAxis, PeopleAxis string
	// ServiceKinds name the kinds of service (domain.ServiceHealthCheckup
	// and the others) as the dashboard does (httpapi/web/texts.js).
	ServiceKinds map[string]string
	// TargetAt names the position of the entry a void or correction is
	// about: an old log may give its id to two events.
	TargetAt string
}

var paperTexts = map[string]paperText{
	"zh": {Lang: "zh-CN", Title: "职工服务工作月报", Union: "鄂尔多斯市总工会", Period: "报告期", Scope: "范围",
		AllRegions: "全市", AllCampaigns: "全部活动", Campaign: "活动", Region: "地区", Total: "合计",
		Received: "收到捐款", Goods: "物资捐赠", AllocatedIn: "拨入", AllocatedOut: "拨出", Spent: "支出", Balance: "本月结余",
		Reached: "受益人数", Sessions: "培训场次", Participants: "参训人次", Services: "服务次数", PersonTimes: "服务人次",
		ByGroup: "受益群体", Group: "群体", People: "人数", Delivered: "配送物资", Item: "物资", Quantity: "数量", Value: "价值（元）",
		ByKind: "服务项目", Kind: "项目", Count: "次数", Changes: "本月作废与更正", NoChanges: "本月无作废或更正。",
		Position: "序号", Type: "类型", Occurred: "发生时间", Actor: "录入人", Reason: "原因", What: "内容",
		Binding:   "本报告依据账本前 %s 条记录（默克尔树根 %s），与 %s 于北京时间 %s 签署的检查点一致。",
		BindingV3: "本报告依据账本前 %s 条记录（默克尔树根 %s），与 %s 于 %s 签署的检查点一致。",
		Verify:    "核验：ledger verify-report 本文件 --data 数据目录（或扫描二维码取得校验码）。", Money: "金额单位：元",
		Trend: "本活动逐月趋势", TrendDesc: "每月两根柱为收到捐款与支出（元，左轴），折线为受益人数（人，右轴），自活动首月至本报告期。",
		TrendNote: "本图按下表数字绘制；表中数字与上表一样受页脚校验码约束。", Month: "月份", MoneyAxis: "元", PeopleAxis: "人",
		ServiceKinds: map[string]string{domain.ServiceHealthCheckup: "送健康（体检）", domain.ServiceLegalConsultation: "送法律（咨询）",
			domain.ServiceVisit: "走访慰问", domain.ServiceStationOpened: "服务站点", domain.ServiceGeneralAssistance: "其他帮扶"},
		TargetAt: "（对象为第 %d 条记录）"},
	"en": {Lang: "en", Title: "Monthly report of worker services", Union: "Ordos Federation of Trade Unions", Period: "Period",
		Scope: "Scope", AllRegions: "all regions", AllCampaigns: "all campaigns", Campaign: "Campaign", Region: "Region", Total: "Total",
		Received: "Received", Goods: "Goods donated", AllocatedIn: "Allocated in", AllocatedOut: "Allocated out", Spent: "Spent",
		Balance: "Net for the month", Reached: "People reached", Sessions: "Training sessions", Participants: "Participants",
		Services: "Services", PersonTimes: "Person-times", ByGroup: "Beneficiary groups", Group: "Group", People: "People",
		Delivered: "Goods delivered", Item: "Item", Quantity: "Quantity", Value: "Value (yuan)", ByKind: "Services by kind",
		Kind: "Kind", Count: "Count", Changes: "Voids and corrections of the month", NoChanges: "No void or correction this month.",
		Position: "Position", Type: "Type", Occurred: "Occurred", Actor: "Recorded by", Reason: "Reason", What: "What",
		Binding:   "This report is what the ledger's first %s events say (Merkle root %s), as the checkpoint %s signed at %s Beijing time commits to.",
		BindingV3: "This report is what the ledger's first %s events say (Merkle root %s), as the checkpoint %s signed at %s commits to.",
		Verify:    "Verify: ledger verify-report this-file --data DIR (or scan the QR code for the seal).", Money: "Amounts in yuan",
		Trend: "The campaign month by month", TrendDesc: "Two bars a month, money received and spent (yuan, left axis), and a line of people reached (right axis), from the campaign's first month to this report's.",
		TrendNote: "The chart draws the figures of the table below; the seal in the footer binds them like every other figure.",
		Month:     "Month", MoneyAxis: "yuan", PeopleAxis: "people",
		ServiceKinds: map[string]string{domain.ServiceHealthCheckup: "Health checkups", domain.ServiceLegalConsultation: "Legal consultations",
			domain.ServiceVisit: "Visits", domain.ServiceStationOpened: "Service stations opened", domain.ServiceGeneralAssistance: "Other assistance"},
		TargetAt: " (the entry at position %d)"},
}

// PaperLanguages are the languages a printed report comes in.
func PaperLanguages() []string { return []string{"zh", "en"} }

// figureColumns are the money and count columns of the region table, with
// the key each printed cell carries (data-key="<region>/<key>").
var figureColumns = []struct {
	key   string
	label func(paperText) string
	value func(projections.Figures) string
}{
	{"received", func(t paperText) string { return t.Received }, func(f projections.Figures) string { return Yuan(f.Received) }},
	{"goods", func(t paperText) string { return t.Goods }, func(f projections.Figures) string { return Yuan(f.GoodsReceivedValue) }},
	{"allocated_in", func(t paperText) string { return t.AllocatedIn }, func(f projections.Figures) string { return Yuan(f.AllocatedIn) }},
	{"allocated_out", func(t paperText) string { return t.AllocatedOut }, func(f projections.Figures) string { return Yuan(f.AllocatedOut) }},
	{"spent", func(t paperText) string { return t.Spent }, func(f projections.Figures) string { return Yuan(f.Spent) }},
	{"balance", func(t paperText) string { return t.Balance }, func(f projections.Figures) string { return Yuan(f.Balance()) }},
	{"reached", func(t paperText) string { return t.Reached }, func(f projections.Figures) string { return Count(f.PeopleReached) }},
	{"sessions", func(t paperText) string { return t.Sessions }, func(f projections.Figures) string { return Count(f.Sessions) }},
	{"participants", func(t paperText) string { return t.Participants }, func(f projections.Figures) string { return Count(f.Participants) }},
	{"services", func(t paperText) string { return t.Services }, func(f projections.Figures) string { return Count(f.Services) }},
	{"person_times", func(t paperText) string { return t.PersonTimes }, func(f projections.Figures) string { return Count(f.PersonTimes) }},
}

// PrintedFigures are the figures a report prints in lang, by the key of
// the cell that prints each ("150626/received", "groups/<code>/people"):
// what verify-report compares on a page sealed as version 3 or later. A figure is
// every number, amount and date in the page's body and footer that comes
// from the log: the region table, the trend's table and chart, people by
// group, goods delivered (quantity and value), services by kind, every
// cell of the voids and corrections (their reasons too), the report's
// month and the checkpoint the footer names (its size, root and signer).
// verify-report compares a page sealed as version 3 or later whole (checkPage);
// these keys name the figure an error is about. The time the checkpoint
// was signed is printed outside them, since the log may hold several
// checkpoints of one size and verify-report takes the newest.
func PrintedFigures(report *app.MonthReport, lang string) map[string]string {
	figures := regionAndTrendFigures(report)
	for _, row := range report.Trend {
		figures["trend/"+row.Period+"/month"] = row.Period
	}
	if month, err := time.Parse("2006-01", report.Month); err == nil {
		figures["meta/report/period"] = periodText(month, lang)
	}
	all := monthFigures(report)
	for code, people := range all.PeopleByGroup {
		figures["groups/"+code+"/people"] = Count(people)
	}
	for code, item := range all.GoodsDelivered {
		figures["goods/"+code+"/quantity"] = Count(item.Quantity)
		figures["goods/"+code+"/value"] = Yuan(item.Value)
	}
	for kind, service := range all.ServicesByKind {
		figures["services/"+kind+"/count"] = Count(service.Count)
	}
	for _, change := range report.Changes {
		for column, value := range changeFigures(change) {
			figures["changes/"+strconv.FormatUint(change.Position, 10)+"/"+column] = value
		}
		if text, ok := paperTexts[lang]; ok && change.TargetPosition != 0 {
			figures["changes/"+strconv.FormatUint(change.Position, 10)+"/target"] = fmt.Sprintf(text.TargetAt, change.TargetPosition)
		}
	}
	for _, column := range []string{"size", "root", "origin"} {
		figures["footer/checkpoint/"+column] = bindingFigures(report)[column]
	}
	return figures
}

// regionAndTrendFigures are the figures a page sealed as version 1 or 2
// bound, as it was checked then: the region table's cells, and a campaign
// report's trend table and the figure each mark of its chart draws (fen,
// people) under "chart/".
func regionAndTrendFigures(report *app.MonthReport) map[string]string {
	figures := map[string]string{}
	for _, row := range append(append([]projections.Row{}, report.Rows...), report.All...) {
		for _, column := range figureColumns {
			figures[row.County+"/"+column.key] = column.value(row.Figures)
		}
	}
	for key, text := range trendFigures(report.Trend) {
		figures[key] = text
	}
	if trend := trendOf(report.Trend, paperTexts["en"]); trend != nil {
		for _, month := range trend.Months {
			for _, mark := range append(append([]trendMark{}, month.Bars...), month.Point) {
				figures["chart/"+mark.Key] = strconv.FormatInt(mark.Value, 10)
			}
		}
	}
	return figures
}

// monthFigures are the month's figures over the report's regions: the
// total row's, which the group, goods and service tables break down.
func monthFigures(report *app.MonthReport) projections.Figures {
	var all projections.Figures
	for _, row := range report.All {
		all = row.Figures
	}
	return all
}

// changeFigures are a void's or correction's printed cells, by column.
func changeFigures(change projections.AuditEntry) map[string]string {
	return map[string]string{"position": strconv.FormatUint(change.Position, 10), "type": string(change.Type),
		"occurred": change.OccurredAt.In(domain.Beijing).Format("2006-01-02 15:04"), "actor": change.Actor,
		"what": change.Summary, "reason": change.Reason}
}

// bindingFigures are what the footer prints of the signed checkpoint: its
// size, root and signer, which verify-report compares, and the time it
// was signed.
func bindingFigures(report *app.MonthReport) map[string]string {
	return map[string]string{"size": strconv.FormatInt(report.Checkpoint.Size, 10),
		"root":   base64.StdEncoding.EncodeToString(report.Checkpoint.Root[:]),
		"origin": report.Checkpoint.Origin, "time": report.Checkpoint.Time.In(domain.Beijing).Format("2006-01-02 15:04:05")}
}

// periodText is the report's month as the page prints it.
func periodText(month time.Time, lang string) string {
	if lang == "zh" {
		return fmt.Sprintf("%d年%d月", month.Year(), int(month.Month()))
	}
	return month.Format("January 2006")
}

// Printed is what a page of a printed report says, read back.
type Printed struct {
	// Seal is the seal in the page's <meta> element, and Lang the page's
	// language (zh or en).
	Seal, Lang string
	// Figures are the texts of the page's bound cells, by key, and Order
	// their keys as the page prints them.
	Figures map[string]string
	Order   []string
	// Labels are the names the page prints for its rows ("groups/<code>":
	// 建筑工), which errors name a row by.
	Labels map[string]string
	// legacy are the unkeyed tables of a page sealed before version 3.
	legacy legacyTables
	// page is the page as read, which a page sealed as version 3 or later is
	// compared by whole (checkPage).
	page []byte
}

// Limits on a page verify-report reads, so a file that is not a report
// (or is one grown by an editor) cannot make it read without end.
const (
	maxPrintedPage  = 16 << 20
	maxPrintedCells = 100_000
)

// sealInHTML finds a printed report's seal in its HTML.
var sealInHTML = regexp.MustCompile(`<meta name="` + SealMetaName + `" content="([^"]*)">`)

// langInHTML finds a printed report's language.
var langInHTML = regexp.MustCompile(`<html lang="([^"]*)">`)

// printedCell finds the bound cells of a printed report: a table cell, a
// row's header, a paragraph or a span of text that carries a key, and its text up to
// the next tag (so markup put into a cell leaves its text empty).
var printedCell = regexp.MustCompile(`<(?:td|th|span|p)(?: class="[^"]*")?(?: scope="row")? data-key="([^"]+)">([^<]*)<`)

// printedLabel finds the names a page prints for its rows.
var printedLabel = regexp.MustCompile(`<(?:td|th)(?: scope="row")? data-label="([^"]+)">([^<]*)<`)

// printedMark finds the figures the chart's marks draw.
var printedMark = regexp.MustCompile(`<(?:rect|circle) class="[^"]*" data-key="([^"]+)" data-(?:fen|count)="([^"]*)"`)

// ReadPrinted reads back a report's HTML as Paper wrote it: its seal, its
// language, the figures it prints by key and the names of its rows. A key
// printed twice is refused, since only one of its cells could be checked.
func ReadPrinted(page []byte) (Printed, error) {
	if len(page) > maxPrintedPage {
		return Printed{}, fmt.Errorf("the page is %d bytes, more than a report's %d: %w", len(page), maxPrintedPage, app.ErrReportMismatch)
	}
	match := sealInHTML.FindSubmatch(page)
	if match == nil {
		return Printed{}, fmt.Errorf("no report seal in the page: %w", app.ErrReportMismatch)
	}
	printed := Printed{Seal: html.UnescapeString(string(match[1])), Figures: map[string]string{}, Labels: map[string]string{}, page: page}
	if lang := langInHTML.FindSubmatch(page); lang != nil {
		for code, text := range paperTexts {
			if text.Lang == string(lang[1]) {
				printed.Lang = code
			}
		}
	}
	add := func(key, text string) error {
		if _, twice := printed.Figures[key]; twice {
			return &PrintedMismatchError{Key: key, Name: key, Printed: text, Twice: true}
		}
		if len(printed.Order) >= maxPrintedCells {
			return fmt.Errorf("the page prints more than %d figures: %w", maxPrintedCells, app.ErrReportMismatch)
		}
		printed.Figures[key] = text
		printed.Order = append(printed.Order, key)
		return nil
	}
	for _, cell := range printedCell.FindAllSubmatch(page, maxPrintedCells+1) {
		if err := add(html.UnescapeString(string(cell[1])), html.UnescapeString(string(cell[2]))); err != nil {
			return Printed{}, err
		}
	}
	for _, mark := range printedMark.FindAllSubmatch(page, maxPrintedCells+1) {
		if err := add("chart/"+html.UnescapeString(string(mark[1])), html.UnescapeString(string(mark[2]))); err != nil {
			return Printed{}, err
		}
	}
	for _, label := range printedLabel.FindAllSubmatch(page, maxPrintedCells+1) {
		printed.Labels[html.UnescapeString(string(label[1]))] = html.UnescapeString(string(label[2]))
	}
	if seal, err := app.ParseReportSeal(printed.Seal); err == nil && seal.Version < app.ReportSealEvery {
		if printed.legacy, err = readLegacy(page); err != nil {
			return Printed{}, err
		}
	}
	return printed, nil
}

// PrintedMismatchError says which printed figure is not what the signed
// log says: its cell's key (none on a page sealed before version 3 whose
// tables carried none), its name as the page shows it (the table, the
// row's printed name and the column, "groups/建筑工 people"), what the page
// prints and what the log says. Missing is a figure of the log the page
// does not print, Extra one the page prints that the log does not have,
// Twice a cell printed twice.
type PrintedMismatchError struct {
	Key, Name, Printed, Logged string
	Missing, Extra, Twice      bool
}

func (e *PrintedMismatchError) Error() string {
	var text string
	switch {
	case e.Twice:
		text = fmt.Sprintf("%s: the page prints this figure twice", e.Name)
	case e.Missing:
		text = fmt.Sprintf("%s: the page does not print it, the log says %s", e.Name, shown(e.Logged))
	case e.Extra:
		text = fmt.Sprintf("%s: printed %s, the log has no such figure", e.Name, shown(e.Printed))
	default:
		text = fmt.Sprintf("%s: printed %s, the log says %s", e.Name, shown(e.Printed), shown(e.Logged))
	}
	if e.Key != "" {
		text += " (cell " + e.Key + ")"
	}
	return text
}

func (e *PrintedMismatchError) Unwrap() error { return app.ErrReportMismatch }

// shown is a printed text in an error: quoted when it is empty or has
// spaces, so where it ends is plain.
func shown(text string) string {
	if text == "" || strings.ContainsAny(text, " \t\n") {
		return strconv.Quote(text)
	}
	return text
}

// figureName names a cell by its table, the row's printed name and its
// column: "groups/建筑工 people", "regions/合计 received", "chart/2022-06
// spent".
func figureName(key string, labels map[string]string) string {
	if rest, ok := strings.CutPrefix(key, "chart/trend/"); ok {
		return "chart/" + strings.Replace(rest, "/", " ", 1)
	}
	parts := strings.Split(key, "/")
	if len(parts) == 2 {
		// The region table's cells keep the keys version 1 printed.
		parts = []string{"regions", parts[0], parts[1]}
	}
	if len(parts) < 3 {
		return key
	}
	table, row, column := parts[0], strings.Join(parts[1:len(parts)-1], "/"), parts[len(parts)-1]
	if label := labels[table+"/"+row]; label != "" {
		row = label
	}
	return table + "/" + row + " " + column
}

// CheckPrinted compares a printed page with the report the signed log
// gives for it, and names the first difference. A page sealed as version
// 3 or later is compared whole with the page Paper prints of that report
// (sealed as the page is, so in its layout) in the page's language under
// catalog (checkPage): every tag, attribute, text
// and comment, so a figure is named by its cell (a *PrintedMismatchError),
// a name the catalog now gives otherwise by what it names (a
// *NameMismatchError) and anything else by its table, row and column (a
// *PageMismatchError). One sealed as version 1 or 2 is checked as it was
// then: in its keyed region table and trend, and in its unkeyed tables by
// their layout (checkLegacy); catalog is not used for it.
func CheckPrinted(report *app.MonthReport, catalog *domain.Catalog, printed Printed) error {
	seal, err := app.ParseReportSeal(printed.Seal)
	if err != nil {
		return err
	}
	if seal.Version >= app.ReportSealEvery {
		if _, ok := paperTexts[printed.Lang]; !ok {
			return fmt.Errorf("the page names no language a report is printed in (zh or en): %w", app.ErrReportMismatch)
		}
		return checkPage(report, catalog, printed)
	}
	want := regionAndTrendFigures(report)
	for _, key := range printed.Order {
		logged, ok := want[key]
		if text := printed.Figures[key]; !ok || text != logged {
			return &PrintedMismatchError{Key: key, Name: figureName(key, printed.Labels), Printed: text, Logged: logged, Extra: !ok}
		}
	}
	keys := make([]string, 0, len(want))
	for key := range want {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if _, ok := printed.Figures[key]; !ok {
			return &PrintedMismatchError{Key: key, Name: figureName(key, printed.Labels), Logged: want[key], Missing: true}
		}
	}
	return checkLegacy(report, printed.legacy)
}

type paperCell struct{ Key, Text string }

// paperRow is a row of the region table; Key names it ("regions/<code>")
// for the cell that prints its name.
type paperRow struct {
	Key, Label string
	Cells      []paperCell
	Total      bool
}

// paperLine is a row of the group, goods or service table: Key is its
// table and code ("groups/<code>"), which its cells' keys start with.
type paperLine struct{ Key, Label, Count, Unit, Extra string }

// paperChange is a row of the voids and corrections; Key is
// "changes/<position>".
type paperChange struct {
	Key, Position                         string
	Type, Occurred, Actor, Reason, Region string
	What                                  string
	// Target names the position of the entry the change is about, in the
	// page's language; empty when the change does not say.
	Target string
}

type paperData struct {
	T                      paperText
	Headers                []string
	Rows                   []paperRow
	Groups, Goods, Kinds   []paperLine
	Changes                []paperChange
	Month, Scope, Campaign string
	Binding                template.HTML
	Seal, SealMeta         string
	QR                     template.URL
	Trend                  *paperTrend
}

// Paper writes a monthly report as a self-contained HTML page laid out
// for A4 paper (the browser prints it, or saves it as PDF): the union's
// header, the figures by region, people reached by group, goods delivered,
// services by kind, the month's voids and corrections with their reasons,
// and a footer binding the page to the signed log, with the seal as text,
// in a QR code and in a <meta> element. Every figure it prints from the
// log is in a cell whose data-key names it (PrintedFigures). It prints the
// same bytes for the same report, catalog and language: verify-report
// prints a page sealed as version 3 or later again, in its seal's
// layout (localized), and compares the two.
func Paper(out io.Writer, report *app.MonthReport, catalog *domain.Catalog, lang string) error {
	text, ok := paperTexts[lang]
	if !ok {
		return fmt.Errorf("report language %q: want zh or en: %w", lang, domain.ErrInvalid)
	}
	month, err := time.Parse("2006-01", report.Month)
	if err != nil {
		return fmt.Errorf("report month %q: %w", report.Month, domain.ErrInvalid)
	}
	data := paperData{T: text, Seal: report.Seal, SealMeta: report.Seal, Month: periodText(month, lang)}
	data.Scope, data.Campaign = scopeName(report, catalog, lang), text.AllCampaigns
	if report.Campaign != "" {
		data.Campaign = labelOf(catalog.Campaigns, report.Campaign, lang)
	}
	data.Headers = append([]string{text.Region}, columnLabels(text)...)
	for _, row := range report.Rows {
		data.Rows = append(data.Rows, paperRowOf(row, catalog.RegionName(row.County), false))
	}
	for _, row := range report.All {
		data.Rows = append(data.Rows, paperRowOf(row, text.Total, true))
	}
	all := monthFigures(report)
	data.Groups = countLines("groups", all.PeopleByGroup, func(code string) string { return labelOf(catalog.BeneficiaryGroups, code, lang) })
	data.Goods = goodsLines(all.GoodsDelivered, catalog, lang)
	kinds := map[string]int64{}
	for kind, figures := range all.ServicesByKind {
		kinds[kind] = figures.Count
	}
	data.Kinds = countLines("services", kinds, func(code string) string {
		if name, ok := text.ServiceKinds[code]; ok {
			return name
		}
		return code
	})
	for _, change := range report.Changes {
		cells := changeFigures(change)
		printed := paperChange{Key: "changes/" + cells["position"], Position: cells["position"], Type: cells["type"],
			Occurred: cells["occurred"], Actor: cells["actor"], Reason: cells["reason"], Region: catalog.RegionName(change.County), What: cells["what"]}
		if change.TargetPosition != 0 {
			printed.Target = fmt.Sprintf(text.TargetAt, change.TargetPosition)
		}
		data.Changes = append(data.Changes, printed)
	}
	data.Trend = trendOf(report.Trend, text)
	binding := text.Binding
	if !localized(report) {
		binding = text.BindingV3
	}
	data.Binding = bindingHTML(binding, bindingFigures(report))
	if data.QR, err = qrDataURL(report.Seal); err != nil {
		return err
	}
	return paperTemplate.Execute(out, data)
}

// localized says whether the report's page is printed as version 4 and
// later print it, its region in the page's language and its signing
// time said to be Beijing time, or as version 3 printed it: a page is
// printed again in its seal's layout to be compared (checkPage). A seal
// that does not read is printed in the current layout.
func localized(report *app.MonthReport) bool {
	seal, err := app.ParseReportSeal(report.Seal)
	return err != nil || seal.Version >= app.ReportSealLocalized
}

// scopeName is the region the line under the title names: all regions,
// or the report's region in the page's language (乌审旗, or Uxin), which a
// page sealed as version 3 named in both ("乌审旗 Uxin").
func scopeName(report *app.MonthReport, catalog *domain.Catalog, lang string) string {
	switch {
	case report.County == "":
		return paperTexts[lang].AllRegions
	case !localized(report):
		return catalog.RegionName(report.County)
	}
	for _, region := range catalog.Regions {
		if region.Code == report.County && lang == "zh" {
			return region.ZH
		}
		if region.Code == report.County {
			return region.Pinyin
		}
	}
	return report.County
}

func columnLabels(text paperText) []string {
	labels := make([]string, len(figureColumns))
	for i, column := range figureColumns {
		labels[i] = column.label(text)
	}
	return labels
}

// bindingHTML is the footer's sentence binding the page to the checkpoint,
// each of the checkpoint's figures in a cell of its own so that
// verify-report compares it.
func bindingHTML(format string, figures map[string]string) template.HTML {
	var cells []any
	for _, column := range []string{"size", "root", "origin"} {
		cells = append(cells, `<span data-key="footer/checkpoint/`+column+`">`+template.HTMLEscapeString(figures[column])+`</span>`)
	}
	// The time has no cell: the log may hold several checkpoints of the
	// report's size, signed at different times, and verify-report
	// recomputes the report under the newest of them, so the page may
	// print any well-formed time there (checkPage).
	cells = append(cells, template.HTMLEscapeString(figures["time"]))
	// The format is one of paperTexts' constants and every figure is
	// escaped above, so the sentence is safe HTML.
	return template.HTML(fmt.Sprintf(template.HTMLEscapeString(format), cells...))
}

func paperRowOf(row projections.Row, label string, total bool) paperRow {
	printed := paperRow{Key: "regions/" + row.County, Label: label, Total: total}
	for _, column := range figureColumns {
		printed.Cells = append(printed.Cells, paperCell{Key: row.County + "/" + column.key, Text: column.value(row.Figures)})
	}
	return printed
}

func labelOf(labels []domain.Label, code, lang string) string {
	for _, label := range labels {
		if label.Code == code {
			if lang == "zh" {
				return label.ZH
			}
			return label.EN
		}
	}
	return code
}

func countLines(table string, counts map[string]int64, name func(string) string) []paperLine {
	var lines []paperLine
	for code, count := range counts {
		lines = append(lines, paperLine{Key: table + "/" + code, Label: name(code), Count: Count(count)})
	}
	sortLines(lines)
	return lines
}

// sortLines orders a table's rows by name, and rows of one name by code,
// so the same report always prints the same page: verify-report prints
// it again and compares the two.
func sortLines(lines []paperLine) {
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].Label != lines[j].Label {
			return lines[i].Label < lines[j].Label
		}
		return lines[i].Key < lines[j].Key
	})
}

func goodsLines(goods map[string]projections.ItemFigures, catalog *domain.Catalog, lang string) []paperLine {
	var lines []paperLine
	for code, figures := range goods {
		name, unit := code, ""
		for _, kind := range catalog.ItemKinds {
			if kind.Code == code {
				name, unit = kind.EN, kind.Unit
				if lang == "zh" {
					name = kind.ZH
				}
			}
		}
		lines = append(lines, paperLine{Key: "goods/" + code, Label: name, Count: Count(figures.Quantity), Unit: unit, Extra: Yuan(figures.Value)})
	}
	sortLines(lines)
	return lines
}

// qrCorrectionLevels are the error correction levels a seal's QR code is
// tried at, in order: each lays the seal out and masks it differently.
var qrCorrectionLevels = []string{"M", "Q", "H", "L"}

// qrDataURL draws the seal as a QR code, a PNG in a data: URL. The code is
// read back with ZXing's reader, which many scanning apps use, before it is
// printed: about one seal in 27 drawn at level M was a code that reader could
// not find its format in, so the next level is tried until one reads back
// as the seal.
func qrDataURL(seal string) (template.URL, error) {
	var lastErr error
	for _, level := range qrCorrectionLevels {
		matrix, err := qrcode.NewQRCodeWriter().Encode(seal, gozxing.BarcodeFormat_QR_CODE, qrPixels, qrPixels,
			map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_ERROR_CORRECTION: level})
		if err != nil {
			return "", fmt.Errorf("draw the report's QR code: %w", err)
		}
		if lastErr = readsBack(matrix, seal); lastErr != nil {
			continue
		}
		var image bytes.Buffer
		if err := png.Encode(&image, matrix); err != nil {
			return "", err
		}
		// The URL is made here from PNG bytes, never from outside input.
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(image.Bytes())), nil
	}
	return "", fmt.Errorf("draw the report's QR code: no error correction level gave a code that reads back: %w", lastErr)
}

// readsBack checks that a drawn QR code reads as the seal.
func readsBack(matrix *gozxing.BitMatrix, seal string) error {
	bitmap, err := gozxing.NewBinaryBitmapFromImage(matrix)
	if err != nil {
		return err
	}
	read, err := qrcode.NewQRCodeReader().Decode(bitmap, nil)
	if err != nil {
		return err
	}
	if read.GetText() != seal {
		return fmt.Errorf("the code reads %q", read.GetText())
	}
	return nil
}

// paperStyle is the printed report's whole style sheet. It is a constant,
// so its hash (PaperStyleHash) can let exactly this style sheet through a
// page's Content-Security-Policy.
const paperStyle = `@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; font-size: 10pt; color: #111; margin: 0; }
header { text-align: center; border-bottom: 2px solid #b00; padding-bottom: 6px; margin-bottom: 10px; }
header .union { font-size: 16pt; font-weight: bold; color: #b00; letter-spacing: 2px; }
header h1 { font-size: 14pt; margin: 4px 0; }
.meta { display: flex; justify-content: space-between; font-size: 9pt; margin: 4px 0 8px; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 12px; page-break-inside: auto; }
th, td { border: 1px solid #999; padding: 2px 4px; font-size: 8.5pt; }
th { background: #f1e6e6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td, tr.total th { font-weight: bold; background: #faf5f5; }
h2 { font-size: 11pt; margin: 10px 0 2px; color: #b00; }
.columns { display: flex; gap: 12px; }
.columns > section { flex: 1; }
footer { margin-top: 14px; border-top: 1px solid #999; padding-top: 6px; display: flex; gap: 12px; align-items: flex-start; page-break-inside: avoid; }
footer img { width: 34mm; height: 34mm; }
footer .seal { font-family: monospace; font-size: 7pt; word-break: break-all; }
footer p { margin: 2px 0; font-size: 8pt; }
figure.trend { margin: 4px 0 2px; page-break-inside: avoid; }
figure.trend > svg { width: 100%; height: auto; max-height: 72mm; }
figure.trend figcaption { font-size: 8pt; color: #444; }
.trend .grid line { stroke: #ccc; stroke-width: 1; }
.trend text { font-size: 11px; fill: #333; }
.trend text.axis-money { text-anchor: end; }
.trend text.month-label { text-anchor: middle; }
.trend rect.received { fill: #b00; }
.trend rect.spent { fill: #999; }
.trend polyline.reached { fill: none; stroke: #1d5fa8; stroke-width: 2; }
.trend circle.reached { fill: #1d5fa8; }
figure.trend .legend svg { width: 10px; height: 10px; vertical-align: middle; margin: 0 2px 0 8px; }
`

// PaperStyleHash is the CSP source ('sha256-…') of the printed report's
// style element, for a page that shows a report under a policy of its own
// (the dashboard opens it as a blob: URL, which keeps the dashboard's
// policy).
func PaperStyleHash() string {
	sum := sha256.Sum256([]byte(paperStyle))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var paperTemplate = template.Must(template.New("paper").Parse(`<!DOCTYPE html>
<html lang="{{.T.Lang}}">
<head>
<meta charset="utf-8">
<meta name="` + SealMetaName + `" content="{{.SealMeta}}">
<title>{{.T.Union}} · {{.T.Title}} · {{.Month}}</title>
<style>` + paperStyle + `</style>
</head>
<body>
<header><div class="union">{{.T.Union}}</div><h1>{{.T.Title}}</h1></header>
<div class="meta"><span>{{.T.Period}}：<span data-key="meta/report/period">{{.Month}}</span></span><span>{{.T.Scope}}：{{.Scope}}</span><span>{{.T.Campaign}}：{{.Campaign}}</span><span>{{.T.Money}}</span></div>
<table>
<thead><tr>{{range .Headers}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr{{if .Total}} class="total"{{end}}><th scope="row" data-label="{{.Key}}">{{.Label}}</th>{{range .Cells}}<td class="num" data-key="{{.Key}}">{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{with .Trend}}<h2>{{$.T.Trend}}</h2>
<figure class="trend">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-labelledby="trend-title trend-desc">
<title id="trend-title">{{$.T.Trend}} · {{$.Campaign}}</title>
<desc id="trend-desc">{{$.T.TrendDesc}}</desc>
<g class="grid">{{range .Ticks}}<line x1="{{$.Trend.Left}}" y1="{{.Y}}" x2="{{$.Trend.Right}}" y2="{{.Y}}"/><text class="axis-money" x="{{$.Trend.Left}}" dx="-4" y="{{.Y}}" dy="4">{{.Money}}</text><text x="{{$.Trend.Right}}" dx="4" y="{{.Y}}" dy="4">{{.Ppl}}</text>{{end}}
<text class="axis-money" x="{{.Left}}" dx="-4" y="{{.Top}}" dy="-12">{{$.T.MoneyAxis}}</text><text x="{{.Right}}" dx="4" y="{{.Top}}" dy="-12">{{$.T.PeopleAxis}}</text></g>
{{range .Months}}<g class="month" data-period="{{.Period}}">{{range .Bars}}<rect class="{{.Class}}" data-key="{{.Key}}" data-fen="{{.Value}}" x="{{.X}}" y="{{.Y}}" width="{{.Width}}" height="{{.Height}}"><title>{{.Title}}</title></rect>{{end}}<text class="month-label" x="{{.LabelX}}" y="{{.LabelY}}">{{.Period}}</text></g>
{{end}}<polyline class="reached" points="{{.Line}}"/>
{{range .Months}}{{with .Point}}<circle class="{{.Class}}" data-key="{{.Key}}" data-count="{{.Value}}" cx="{{.X}}" cy="{{.Y}}" r="{{$.Trend.Radius}}"><title>{{.Title}}</title></circle>{{end}}
{{end}}</svg>
<figcaption><span class="legend"><svg viewBox="0 0 10 10" aria-hidden="true"><rect class="received" width="10" height="10"/></svg>{{$.T.Received}}<svg viewBox="0 0 10 10" aria-hidden="true"><rect class="spent" width="10" height="10"/></svg>{{$.T.Spent}}<svg viewBox="0 0 10 10" aria-hidden="true"><circle class="reached" cx="5" cy="5" r="4"/></svg>{{$.T.Reached}}</span> — {{$.T.TrendNote}}</figcaption>
</figure>
<table class="trend-table"><thead><tr>{{range .Headers}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Months}}<tr><th scope="row" data-key="trend/{{.Period}}/month">{{.Period}}</th>{{range .Cells}}<td class="num" data-key="{{.Key}}">{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}<div class="columns">
<section><h2>{{.T.ByGroup}}</h2><table><thead><tr><th>{{.T.Group}}</th><th>{{.T.People}}</th></tr></thead><tbody>
{{range .Groups}}<tr><td data-label="{{.Key}}">{{.Label}}</td><td class="num" data-key="{{.Key}}/people">{{.Count}}</td></tr>{{end}}</tbody></table></section>
<section><h2>{{.T.Delivered}}</h2><table><thead><tr><th>{{.T.Item}}</th><th>{{.T.Quantity}}</th><th>{{.T.Value}}</th></tr></thead><tbody>
{{range .Goods}}<tr><td data-label="{{.Key}}">{{.Label}}</td><td class="num"><span data-key="{{.Key}}/quantity">{{.Count}}</span>{{with .Unit}} {{.}}{{end}}</td><td class="num" data-key="{{.Key}}/value">{{.Extra}}</td></tr>{{end}}</tbody></table></section>
<section><h2>{{.T.ByKind}}</h2><table><thead><tr><th>{{.T.Kind}}</th><th>{{.T.Count}}</th></tr></thead><tbody>
{{range .Kinds}}<tr><td data-label="{{.Key}}">{{.Label}}</td><td class="num" data-key="{{.Key}}/count">{{.Count}}</td></tr>{{end}}</tbody></table></section>
</div>
<h2>{{.T.Changes}}</h2>
{{if .Changes}}<table><thead><tr><th>{{.T.Position}}</th><th>{{.T.Type}}</th><th>{{.T.Occurred}}</th><th>{{.T.Region}}</th><th>{{.T.Actor}}</th><th>{{.T.What}}</th><th>{{.T.Reason}}</th></tr></thead><tbody>
{{range .Changes}}<tr><td class="num" data-key="{{.Key}}/position">{{.Position}}</td><td data-key="{{.Key}}/type">{{.Type}}</td><td data-key="{{.Key}}/occurred">{{.Occurred}}</td><td>{{.Region}}</td><td data-key="{{.Key}}/actor">{{.Actor}}</td><td><span data-key="{{.Key}}/what">{{.What}}</span>{{if .Target}}<span data-key="{{.Key}}/target">{{.Target}}</span>{{end}}</td><td data-key="{{.Key}}/reason">{{.Reason}}</td></tr>
{{end}}</tbody></table>{{else}}<p>{{.T.NoChanges}}</p>{{end}}
<footer><img src="{{.QR}}" alt="seal"><div><p>{{.Binding}}</p><p>{{.T.Verify}}</p><p class="seal" data-key="footer/seal/text">{{.Seal}}</p></div></footer>
</body>
</html>
`))
