// Package report renders the ledger's answers for people: aligned text
// tables for a terminal (Chinese characters take two cells), the totals as
// CSV, and the text reports of audit trails, traces and reconciliation. The
// command line prints with it; the answers themselves come from the
// application layer (package app), so every front end shows the same
// figures.
package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ordos-union/ledger/domain"
)

// DisplayWidth counts terminal cells: Chinese characters take two, which
// text/tabwriter does not know, so tables with county names would not line up.
func DisplayWidth(text string) int {
	width := 0
	for _, r := range text {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6:
			width += 2
		default:
			width++
		}
	}
	return width
}

// PadRight pads text with spaces to width terminal cells.
func PadRight(text string, width int) string {
	return text + strings.Repeat(" ", max(0, width-DisplayWidth(text)))
}

// Table prints rows under headers; the first column is left aligned,
// the others (numbers) right aligned.
func Table(out io.Writer, headers [][]string, rows [][]string) {
	widths := make([]int, len(headers[0]))
	for _, row := range append(append([][]string{}, headers...), rows...) {
		for i, cell := range row {
			widths[i] = max(widths[i], DisplayWidth(cell))
		}
	}
	line := func(row []string) {
		var builder strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-DisplayWidth(cell))
			if i == 0 {
				builder.WriteString(cell + pad)
			} else {
				builder.WriteString("  " + pad + cell)
			}
		}
		fmt.Fprintln(out, strings.TrimRight(builder.String(), " "))
	}
	for _, header := range headers {
		line(header)
	}
	for _, row := range rows {
		line(row)
	}
}

// Yuan renders fen as ¥-less yuan with thousands separators: 5,120,000.00.
func Yuan(amount domain.Money) string { return GroupDigits(amount.String()) }

// GroupDigits puts thousands separators into a decimal such as 5120000.00.
func GroupDigits(text string) string {
	sign := ""
	if strings.HasPrefix(text, "-") {
		sign, text = "-", text[1:]
	}
	whole, fraction, _ := strings.Cut(text, ".")
	var grouped strings.Builder
	for i, digit := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			grouped.WriteByte(',')
		}
		grouped.WriteRune(digit)
	}
	return sign + grouped.String() + "." + fraction
}

// Count renders a whole number.
func Count(value int64) string { return strconv.FormatInt(value, 10) }

// Counted is a number and what it counts, in the singular for one: "1
// line", "2 lines", "0 lines".
func Counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// OrDash is text, or "-" when there is none.
func OrDash(text string) string {
	if text == "" {
		return "-"
	}
	return text
}
