package report

import (
	"strconv"
	"strings"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/projections"
)

// The printed trend chart is an SVG drawn in these user units; the page's
// style scales it to the width of the A4 text column.
const (
	trendWidthUnits  = 720
	trendHeightUnits = 250
	// The plot leaves room for the money axis on the left, the people
	// axis on the right and the month labels below.
	trendLeftUnits   = 78
	trendRightUnits  = 52
	trendTopUnits    = 26
	trendBottomUnits = 30
	// A bar is at most this wide, so a campaign of one or two months
	// does not print as two slabs.
	trendBarMaxUnits = 40
	// trendPointRadiusUnits is the size of a month's people-reached dot.
	trendPointRadiusUnits = 3
)

// trendTicksCount is how many steps each axis is divided into.
const trendTicksCount = 4

// trendSeries are the figures the chart draws and the trend table prints,
// with the key each printed cell and chart mark carries
// (data-key="trend/<month>/<key>").
var trendSeries = []struct {
	key   string
	label func(paperText) string
	money func(projections.Figures) domain.Money
	count func(projections.Figures) int64
}{
	{key: "received", label: func(t paperText) string { return t.Received }, money: func(f projections.Figures) domain.Money { return f.Received }},
	{key: "spent", label: func(t paperText) string { return t.Spent }, money: func(f projections.Figures) domain.Money { return f.Spent }},
	{key: "reached", label: func(t paperText) string { return t.Reached }, count: func(f projections.Figures) int64 { return f.PeopleReached }},
}

// trendMark is one bar or dot of the chart: where it is drawn, and the
// figure it draws, in fen for money and in people for a count.
type trendMark struct {
	Key, Class, Title string
	X, Y, Width       int64
	Height, Value     int64
}

type trendMonth struct {
	Period         string
	LabelX, LabelY int64
	Bars           []trendMark
	Point          trendMark
	Cells          []paperCell
}

type trendTick struct {
	Y          int64
	Money, Ppl string
}

// paperTrend is the printed chart of a campaign's months and the table of
// the figures it draws.
type paperTrend struct {
	Width, Height, Left, Right, Top, Bottom int64
	Radius                                  int64
	Months                                  []trendMonth
	Ticks                                   []trendTick
	Line                                    string
	Headers                                 []string
}

// niceStep is the smallest 1, 2 or 5 times a power of ten that, taken
// trendTicksCount times, reaches most; at least unit.
func niceStep(most, unit int64) int64 {
	need := (most + trendTicksCount - 1) / trendTicksCount
	for power := unit; ; power *= 10 {
		for _, factor := range []int64{1, 2, 5} {
			if factor*power >= need {
				return factor * power
			}
		}
	}
}

// scaled is value's height on a plot of plot units whose top is top, in
// whole units; a negative figure draws nothing.
func scaled(value, top, plot int64) int64 {
	if value <= 0 || top <= 0 {
		return 0
	}
	return value * plot / top
}

// trendOf lays out the chart of a campaign report's trend. Geometry is in
// whole SVG units; the figures stay integers (fen, people) throughout.
func trendOf(rows []projections.Row, text paperText) *paperTrend {
	if len(rows) == 0 {
		return nil
	}
	trend := &paperTrend{Width: trendWidthUnits, Height: trendHeightUnits, Left: trendLeftUnits, Right: trendWidthUnits - trendRightUnits,
		Top: trendTopUnits, Bottom: trendHeightUnits - trendBottomUnits, Radius: trendPointRadiusUnits}
	trend.Headers = []string{text.Month}
	var mostFen, mostPeople int64
	for _, series := range trendSeries {
		trend.Headers = append(trend.Headers, series.label(text))
		for _, row := range rows {
			if series.money != nil {
				mostFen = max(mostFen, int64(series.money(row.Figures)))
			} else {
				mostPeople = max(mostPeople, series.count(row.Figures))
			}
		}
	}
	// Money steps are whole yuan, people steps whole people.
	fenStep, peopleStep := niceStep(mostFen, 100), niceStep(mostPeople, 1)
	plot := trend.Bottom - trend.Top
	for i := int64(0); i <= trendTicksCount; i++ {
		trend.Ticks = append(trend.Ticks, trendTick{Y: trend.Bottom - plot*i/trendTicksCount,
			Money: strings.TrimSuffix(Yuan(domain.Money(fenStep*i)), ".00"), Ppl: strconv.FormatInt(peopleStep*i, 10)})
	}
	group := (trend.Right - trend.Left) / int64(len(rows))
	bar := min(group*3/10, trendBarMaxUnits)
	var points []string
	for i, row := range rows {
		middle := trend.Left + group*int64(i) + group/2
		month := trendMonth{Period: row.Period, LabelX: middle, LabelY: trend.Bottom + trendBottomUnits*2/3}
		moneyBars := int64(0)
		for _, series := range trendSeries {
			key := "trend/" + row.Period + "/" + series.key
			if series.money == nil {
				people := series.count(row.Figures)
				y := trend.Bottom - scaled(people, peopleStep*trendTicksCount, plot)
				month.Point = trendMark{Key: key, Class: series.key, X: middle, Y: y, Value: people,
					Title: row.Period + " " + series.label(text) + " " + Count(people)}
				points = append(points, strconv.FormatInt(middle, 10)+","+strconv.FormatInt(y, 10))
				month.Cells = append(month.Cells, paperCell{Key: key, Text: Count(people)})
				continue
			}
			fen := series.money(row.Figures)
			height := scaled(int64(fen), fenStep*trendTicksCount, plot)
			// The money bars stand side by side around the month's middle.
			x := middle - bar + moneyBars*bar
			moneyBars++
			month.Bars = append(month.Bars, trendMark{Key: key, Class: series.key, X: x, Y: trend.Bottom - height, Width: bar,
				Height: height, Value: int64(fen), Title: row.Period + " " + series.label(text) + " " + Yuan(fen)})
			month.Cells = append(month.Cells, paperCell{Key: key, Text: Yuan(fen)})
		}
		trend.Months = append(trend.Months, month)
	}
	trend.Line = strings.Join(points, " ")
	return trend
}

// trendFigures are the trend table's cells by key, as printed.
func trendFigures(rows []projections.Row) map[string]string {
	figures := map[string]string{}
	for _, row := range rows {
		for _, series := range trendSeries {
			key := "trend/" + row.Period + "/" + series.key
			if series.money != nil {
				figures[key] = Yuan(series.money(row.Figures))
			} else {
				figures[key] = Count(series.count(row.Figures))
			}
		}
	}
	return figures
}
