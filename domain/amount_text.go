package domain

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Errors of ParseYuanTyped, besides ErrTooManyDecimals. Callers tell the
// rules apart with errors.Is, to word each one their own way (a sheet's
// cell names it in Chinese and English).
var (
	// ErrNotYuan is an amount that is no number of yuan at all ("abc",
	// "$5", "1e3").
	ErrNotYuan = errors.New("not a yuan amount")
	// ErrMisplacedThousands is a thousands separator anywhere but between
	// groups of three digits of the whole yuan: "12,50" read as 1250 would
	// be a hundred times what a clerk who writes a decimal comma meant.
	ErrMisplacedThousands = errors.New("misplaced thousands separator")
	// ErrAmountTooLarge is an amount beyond AmountFenMax.
	ErrAmountTooLarge = errors.New("too large")
)

// yuanSigns are the currency signs written before an amount of yuan: the
// full-width ￥ of Chinese Excel, WPS and input methods, and ¥. The amount
// is in yuan already, so the sign says nothing more; any other sign is not
// yuan.
var yuanSigns = []string{"￥", "¥"}

// ParseYuanTyped reads an amount of yuan as a person types it or a
// spreadsheet shows it: "1250.50", "1,250.50", "￥1,250.50", "¥ 300". It is
// the one rule of every front end a clerk types amounts into (a sheet's
// money cell, the command line's --amount and --items), so an amount one
// of them takes the others take too. A thousands separator is taken only
// between groups of three digits of the whole yuan (WithoutThousands). A
// minus before the sign is read, for the validator to refuse by its own
// rule (must be > 0); one after it is not a number. The JSON API does not
// use it: an amount on the wire is the canonical string ParseYuan reads.
func ParseYuanTyped(text string) (Money, error) {
	s := strings.TrimSpace(text)
	negative := false
	if after, found := strings.CutPrefix(s, "-"); found {
		negative, s = true, after
	}
	for _, sign := range yuanSigns {
		if after, found := strings.CutPrefix(s, sign); found {
			s = strings.TrimSpace(after)
			break
		}
	}
	if strings.Contains(s, ",") {
		var err error
		if s, err = WithoutThousands(s); err != nil {
			return 0, fmt.Errorf("%q has a %w: a comma may only separate groups of three digits, as in 1,250.50", text, err)
		}
	}
	if strings.HasPrefix(s, "-") {
		// parseYuan reads a minus itself; here it would be a second one,
		// or one after the sign.
		return 0, fmt.Errorf("%q is %w like 1250.50 or 1,250.50", text, ErrNotYuan)
	}
	amount := parseYuan(s)
	switch {
	case amount == moneyTooManyDecimal:
		return 0, fmt.Errorf("%q has %w", text, ErrTooManyDecimals)
	case amount == moneyOverflow || (!amount.sentinel() && amount > AmountFenMax):
		return 0, fmt.Errorf("%q is %w: at most %s yuan", text, ErrAmountTooLarge, AmountFenMax)
	case amount.sentinel():
		return 0, fmt.Errorf("%q is %w like 1250.50 or 1,250.50", text, ErrNotYuan)
	case negative:
		amount = -amount
	}
	return amount, nil
}

// WithoutThousands checks the thousands separators of a number and takes
// them out: "1,234,567.89" is "1234567.89". A separator must stand between
// groups of three digits of the whole part, the first group one to three
// digits long; anywhere else ("12,50", "1,5", "1,2345", "1.234,5") it is
// ErrMisplacedThousands. Whether the rest is a number is the caller's to
// check.
func WithoutThousands(text string) (string, error) {
	whole, fraction, hasPoint := strings.Cut(text, ".")
	groups := strings.Split(whole, ",")
	for i, group := range groups {
		// A group is counted in characters, as the dashboard counts
		// them: "1,２３４" is grouped right, and refused for its digits.
		length := utf8.RuneCountInString(group)
		if (i == 0 && (length == 0 || length > 3)) || (i > 0 && length != 3) {
			return "", ErrMisplacedThousands
		}
	}
	if strings.Contains(fraction, ",") {
		return "", fmt.Errorf("%w after the decimal point", ErrMisplacedThousands)
	}
	out := strings.Join(groups, "")
	if hasPoint {
		out += "." + fraction
	}
	return out, nil
}
