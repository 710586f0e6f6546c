package report_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// TestPrintedReportReadsBack: what Paper prints, ReadPrinted reads back
// (the seal and every figure), CheckPrinted accepts it, and a figure
// changed on the page is named.
func TestPrintedReportReadsBack(t *testing.T) {
	monthly := &app.MonthReport{Month: "2022-06", Seal: "ledger-report/3 month=2022-06 county= campaign= size=3 root=AAAA figures=00",
		Rows:       []projections.Row{{County: "150626", Figures: projections.Figures{Received: 123456, Deliveries: 2}}},
		All:        []projections.Row{{County: "all", Figures: projections.Figures{Received: 123456, Deliveries: 2}}},
		Checkpoint: integrity.Checkpoint{Origin: "test", Size: 3, Time: time.Date(2022, 7, 1, 0, 0, 0, 0, domain.Beijing)}}
	var page bytes.Buffer
	if err := report.Paper(&page, monthly, domain.DefaultCatalog(), "en"); err != nil {
		t.Fatal(err)
	}
	printed, err := report.ReadPrinted(page.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if printed.Seal != monthly.Seal || printed.Lang != "en" {
		t.Errorf("seal %q in %q, want %q in en", printed.Seal, printed.Lang, monthly.Seal)
	}
	if len(printed.Figures) == 0 || printed.Figures["150626/received"] != report.PrintedFigures(monthly, "en")["150626/received"] {
		t.Fatalf("printed figures %v", printed.Figures)
	}
	if err := report.CheckPrinted(monthly, domain.DefaultCatalog(), printed); err != nil {
		t.Fatalf("the page as printed: %v", err)
	}
	edited, err := report.ReadPrinted([]byte(strings.Replace(page.String(), `data-key="150626/received">1,234.56<`, `data-key="150626/received">99,999.00<`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := report.CheckPrinted(monthly, domain.DefaultCatalog(), edited); !errors.Is(err, app.ErrReportMismatch) || !strings.Contains(err.Error(), "150626/received") {
		t.Fatalf("a changed figure: %v", err)
	}
	if _, err := report.ReadPrinted([]byte("<html>no seal</html>")); !errors.Is(err, app.ErrReportMismatch) {
		t.Fatalf("a page without a seal: %v", err)
	}
}

// trendSVG is the part of a printed campaign report's chart the test reads.
type trendSVG struct {
	Title  string       `xml:"title"`
	Desc   string       `xml:"desc"`
	Months []trendGroup `xml:"g"`
	Points []struct {
		Key   string `xml:"data-key,attr"`
		Count int64  `xml:"data-count,attr"`
		Y     int64  `xml:"cy,attr"`
	} `xml:"circle"`
}

// trendGroup is a group of the chart: a month's bars (or the grid, which
// has no period).
type trendGroup struct {
	Period string `xml:"data-period,attr"`
	Bars   []struct {
		Class  string `xml:"class,attr"`
		Key    string `xml:"data-key,attr"`
		Fen    int64  `xml:"data-fen,attr"`
		Height int64  `xml:"height,attr"`
	} `xml:"rect"`
}

// TestCampaignReportDrawsItsTrend: a campaign report prints its trend as
// an SVG with one group of bars per month, each bar carrying the month's
// received or spent fen and standing as tall as its share of the axis,
// and one dot per month carrying the people reached; verify-report's
// reading of the page takes the chart's figures in, so an edited bar is
// named. A report without a trend prints no chart.
func TestCampaignReportDrawsItsTrend(t *testing.T) {
	trend := []projections.Row{
		{County: "all", Period: "2022-05", Figures: projections.Figures{Received: 100_000_00, Spent: 25_000_00, PeopleReached: 40}},
		{County: "all", Period: "2022-06", Figures: projections.Figures{Received: 400_000_00, Spent: 150_000_00, PeopleReached: 1200}},
		{County: "all", Period: "2022-07", Figures: projections.Figures{Spent: 80_000_50, PeopleReached: 600}},
	}
	monthly := &app.MonthReport{Month: "2022-07", Campaign: "2022-summer-cooling",
		Seal:       "ledger-report/3 month=2022-07 county= campaign=2022-summer-cooling size=3 root=AAAA figures=00",
		Rows:       []projections.Row{{County: "150626", Figures: trend[2].Figures}},
		All:        []projections.Row{{County: "all", Figures: trend[2].Figures}},
		Trend:      trend,
		Checkpoint: integrity.Checkpoint{Origin: "test", Size: 3, Time: time.Date(2022, 8, 1, 0, 0, 0, 0, domain.Beijing)}}
	var page bytes.Buffer
	if err := report.Paper(&page, monthly, domain.DefaultCatalog(), "zh"); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	start, end := strings.Index(html, `<svg xmlns=`), strings.Index(html, `</svg>`)
	if start < 0 || end < start {
		t.Fatalf("no chart in the campaign report")
	}
	var chart trendSVG
	if err := xml.Unmarshal([]byte(html[start:end+len("</svg>")]), &chart); err != nil {
		t.Fatalf("the chart is not well-formed SVG: %v", err)
	}
	if !strings.Contains(chart.Title, "本活动逐月趋势") || chart.Desc == "" {
		t.Fatalf("the chart's title %q and description %q", chart.Title, chart.Desc)
	}
	var months []trendGroup
	for _, group := range chart.Months {
		if group.Period != "" {
			months = append(months, group)
		}
	}
	if len(months) != len(trend) {
		t.Fatalf("%d month groups, want %d", len(months), len(trend))
	}
	tallest := map[string]int64{}
	for i, month := range months {
		row := trend[i]
		if month.Period != row.Period || len(month.Bars) != 2 {
			t.Fatalf("group %d is %s with %d bars, want %s with 2", i, month.Period, len(month.Bars), row.Period)
		}
		want := map[string]int64{"received": int64(row.Received), "spent": int64(row.Spent)}
		for _, bar := range month.Bars {
			if bar.Fen != want[bar.Class] || bar.Key != "trend/"+row.Period+"/"+bar.Class {
				t.Fatalf("%s's %s bar carries %d fen as %s, want %d", row.Period, bar.Class, bar.Fen, bar.Key, want[bar.Class])
			}
			tallest[bar.Class+row.Period] = bar.Height
		}
		if chart.Points[i].Count != row.PeopleReached || chart.Points[i].Key != "trend/"+row.Period+"/reached" {
			t.Fatalf("%s's dot carries %d people, want %d", row.Period, chart.Points[i].Count, row.PeopleReached)
		}
	}
	// The bars share one axis: June's 400,000 yuan stands four times as
	// tall as May's 100,000 (heights are whole units, rounded down, so
	// within the three units four roundings can lose), and a month with
	// nothing received draws nothing; more people sit higher (a smaller y).
	if over := tallest["received2022-06"] - 4*tallest["received2022-05"]; over < 0 || over > 3 || tallest["received2022-05"] == 0 || tallest["received2022-07"] != 0 {
		t.Fatalf("received bars' heights %v are not proportional to their fen", tallest)
	}
	if !(chart.Points[1].Y < chart.Points[2].Y && chart.Points[2].Y < chart.Points[0].Y) {
		t.Fatalf("people dots' heights do not follow 40 < 600 < 1200: %+v", chart.Points)
	}

	// The page's reading, as verify-report does it, holds the chart's and
	// the trend table's figures, and refuses an edited bar.
	printed, err := report.ReadPrinted(page.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if figures := printed.Figures; figures["chart/trend/2022-06/received"] != "40000000" || figures["trend/2022-07/spent"] != "80,000.50" || figures["trend/2022-06/reached"] != "1200" {
		t.Fatalf("the printed trend figures: %v", figures)
	}
	if err := report.CheckPrinted(monthly, domain.DefaultCatalog(), printed); err != nil {
		t.Fatalf("the page as printed: %v", err)
	}
	edited := strings.Replace(html, `data-fen="40000000"`, `data-fen="50000000"`, 1)
	if printed, _ := report.ReadPrinted([]byte(edited)); report.CheckPrinted(monthly, domain.DefaultCatalog(), printed) == nil {
		t.Fatalf("a chart whose June bar was edited is accepted")
	}

	monthly.Trend = nil
	page.Reset()
	if err := report.Paper(&page, monthly, domain.DefaultCatalog(), "en"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page.String(), "<svg xmlns=") || strings.Contains(page.String(), `data-key="trend/`) {
		t.Fatalf("a report without a trend prints a chart")
	}
}

// TestPaperStyleHashIsTheStyleElements: the hash the dashboard's policy
// lets through is the hash of the style element a report carries, so a
// report opened from the dashboard keeps its layout.
func TestPaperStyleHashIsTheStyleElements(t *testing.T) {
	monthly := &app.MonthReport{Month: "2022-06", Seal: "ledger-report/1 month=2022-06",
		Checkpoint: integrity.Checkpoint{Origin: "test", Size: 1, Time: time.Date(2022, 7, 1, 0, 0, 0, 0, domain.Beijing)}}
	var page bytes.Buffer
	if err := report.Paper(&page, monthly, domain.DefaultCatalog(), "zh"); err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(page.String(), "<style>")
	style, _, found := strings.Cut(rest, "</style>")
	if !found {
		t.Fatal("the report has no style element")
	}
	sum := sha256.Sum256([]byte(style))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; report.PaperStyleHash() != want {
		t.Fatalf("PaperStyleHash is %s, the style element's hash %s", report.PaperStyleHash(), want)
	}
}
