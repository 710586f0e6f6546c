package domain

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Money is an amount of Chinese yuan held as integer fen (分). It is never a
// float: on the wire it is a decimal string of yuan with at most two decimals
// ("5000.00"), so JSON numbers, which many decoders turn into floats, are
// refused outright.
type Money int64

// AmountFenMax caps one amount at one hundred billion yuan. The cap keeps every
// sum of a full batch of amounts far from int64 overflow.
const AmountFenMax Money = 10_000_000_000_000

// Decoding never fails on a bad amount, so that validation can report every
// bad amount of an event at once with its field path. A bad amount decodes to
// one of these sentinel values instead, far below any real amount; the
// validator turns each into a message. They are unexported so no caller can
// write one on purpose.
const (
	moneyNotString      Money = math.MinInt64 + iota // a JSON number or other non-string
	moneyTooManyDecimal                              // more than two decimals
	moneyOverflow                                    // does not fit int64 fen
	moneyMalformed                                   // not a decimal number at all
	moneySentinelEnd
)

// ErrTooManyDecimals is ParseYuan's error for an amount finer than a fen.
var ErrTooManyDecimals = errors.New("more than two decimals")

// ParseYuan turns "1234.5" or "1234.56" into fen. It accepts an optional
// leading minus so that the validator, not the parser, can say that amounts
// must be positive.
func ParseYuan(text string) (Money, error) {
	switch m := parseYuan(text); m {
	case moneyNotString, moneyMalformed:
		return 0, fmt.Errorf("%q is not a yuan amount like 1250.50", text)
	case moneyTooManyDecimal:
		// The sentinel's own text says what is wrong, so it is said once,
		// after the amount, and errors.Is still finds it.
		return 0, fmt.Errorf("%q has %w", text, ErrTooManyDecimals)
	case moneyOverflow:
		return 0, fmt.Errorf("%q is too large", text)
	default:
		return m, nil
	}
}

func parseYuan(text string) Money {
	negative := strings.HasPrefix(text, "-")
	text = strings.TrimPrefix(text, "-")
	whole, fraction, hasPoint := strings.Cut(text, ".")
	if whole == "" || (hasPoint && fraction == "") || !allDigits(whole) || !allDigits(fraction) {
		return moneyMalformed
	}
	if len(fraction) > 2 {
		return moneyTooManyDecimal
	}
	fraction += strings.Repeat("0", 2-len(fraction))
	yuan, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || yuan > math.MaxInt64/100-1 {
		return moneyOverflow
	}
	fen, _ := strconv.ParseInt(fraction, 10, 64)
	value := Money(yuan*100 + fen)
	if negative {
		value = -value
	}
	return value
}

func allDigits(text string) bool {
	for _, r := range text {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// String renders yuan with exactly two decimals.
func (m Money) String() string {
	if m.sentinel() {
		return "invalid"
	}
	var buffer [moneyTextBytesMax]byte
	return string(m.appendYuan(buffer[:0]))
}

// moneyTextBytesMax is the longest yuan text of an amount, in bytes: a
// minus, 17 digits of yuan, the point and two of fen.
const moneyTextBytesMax = 21

// appendYuan appends the amount as yuan with two decimals ("-1234.50").
// Every event's encoding and content hash writes its amounts, so it avoids
// fmt; the sentinels, which the callers refuse first, are below every amount
// whose negation overflows.
func (m Money) appendYuan(buffer []byte) []byte {
	value := int64(m)
	if value < 0 {
		buffer = append(buffer, '-')
		value = -value
	}
	buffer = strconv.AppendInt(buffer, value/100, 10)
	fen := value % 100
	return append(buffer, '.', byte('0'+fen/10), byte('0'+fen%10))
}

// MarshalJSON writes the yuan string.
func (m Money) MarshalJSON() ([]byte, error) {
	if m.sentinel() {
		return nil, fmt.Errorf("marshal money: invalid amount")
	}
	buffer := make([]byte, 0, moneyTextBytesMax+2)
	buffer = append(buffer, '"')
	buffer = m.appendYuan(buffer)
	return append(buffer, '"'), nil
}

// UnmarshalJSON reads a yuan string. It never returns an error: a bad value
// becomes a sentinel that Validate reports with the field's path.
func (m *Money) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		*m = moneyNotString
		return nil
	}
	// A string without escapes is its own bytes between the quotes: the
	// common case needs no second JSON decoder. Whatever else a string
	// holds is no decimal either way, so it cannot read otherwise.
	if inner := data[1 : len(data)-1]; bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 {
		*m = parseYuan(string(inner))
		return nil
	}
	var text string
	if err := jsonUnmarshal(data, &text); err != nil {
		*m = moneyMalformed
		return nil
	}
	*m = parseYuan(text)
	return nil
}

func (m Money) sentinel() bool { return m >= moneyNotString && m < moneySentinelEnd }

// problem says what is wrong with an amount that must be positive, or "".
func (m Money) problem() string {
	switch m {
	case moneyNotString:
		return `must be a string of yuan such as "1250.50"; JSON numbers are refused so no float can creep in`
	case moneyTooManyDecimal:
		return "must have at most two decimals (fen)"
	case moneyOverflow:
		return "overflows: must be at most " + AmountFenMax.String() + " yuan"
	case moneyMalformed:
		return `must be a decimal yuan amount such as "1250.50"`
	}
	if m <= 0 {
		return "must be > 0"
	}
	if m > AmountFenMax {
		return "overflows: must be at most " + AmountFenMax.String() + " yuan"
	}
	return ""
}

// problemCode is the code of the rule problem says is broken: an amount
// that is no decimal of yuan, or is not more than zero; "" for an
// overflow, which has no code, and for an amount with no problem.
func (m Money) problemCode() string {
	switch {
	case m == moneyNotString || m == moneyTooManyDecimal || m == moneyMalformed:
		return CodeYuan
	case m == moneyOverflow || m > AmountFenMax:
		return ""
	case m <= 0:
		return CodePositive
	}
	return ""
}

// problemAllowZero is problem for optional amounts, where zero means none.
func (m Money) problemAllowZero() string {
	if m == 0 {
		return ""
	}
	return m.problem()
}
