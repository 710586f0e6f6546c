package statement

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ordos-union/ledger/domain"
)

// parseAmount reads an amount cell as banks print it: "1,234.56", "¥1,234.56",
// "+1234.56", "-15.00", "(15.00)", " 1 234.56 元". It returns empty when the
// cell holds no amount ("", "-", "--"). The arithmetic is exact: the digits
// go to domain.ParseYuan as text.
func parseAmount(text string) (m domain.Money, empty bool, err error) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u00a0', '\u3000', '¥', '￥', '元':
			return -1
		case '，':
			return ','
		case '－', '−':
			return '-'
		case '＋':
			return '+'
		case '．':
			return '.'
		}
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, text)
	for _, unit := range []string{"RMB", "CNY", "rmb", "cny"} {
		s = strings.TrimPrefix(s, unit)
		s = strings.TrimSuffix(s, unit)
	}
	if s == "" || strings.Trim(s, "-—") == "" {
		return 0, true, nil
	}
	negative := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		negative, s = true, s[1:len(s)-1]
	}
	switch {
	case strings.HasPrefix(s, "-"):
		negative, s = !negative, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	// Once more for "-¥15" after the ¥ was removed, or "¥-15".
	s = strings.TrimLeft(s, " ")
	if strings.Contains(s, ",") {
		// The grouping rule is the one every amount a person types
		// follows (domain.ParseYuanTyped).
		if s, err = domain.WithoutThousands(s); err != nil {
			return 0, false, fmt.Errorf("amount %q: %v", text, err)
		}
	}
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false, fmt.Errorf("amount %q is not a yuan amount like 1,234.56", text)
	}
	v, err := domain.ParseYuan(s)
	if err != nil {
		if errors.Is(err, domain.ErrTooManyDecimals) {
			return 0, false, fmt.Errorf("amount %q has more than two decimals (fen)", text)
		}
		return 0, false, fmt.Errorf("amount %q is not a yuan amount like 1,234.56", text)
	}
	if v > domain.AmountFenMax {
		return 0, false, fmt.Errorf("amount %q is too large (more than %s yuan)", text, domain.AmountFenMax)
	}
	if negative {
		v = -v
	}
	return v, false, nil
}

// roundSignificant rounds a plain decimal numeral to 15 significant digits,
// as Excel shows numbers: "1234.5599999999999" becomes "1234.56". It works
// on the digits and never on a float. Text that is not a plain decimal
// numeral comes back unchanged.
func roundSignificant(s string) string {
	sign := ""
	body := s
	if strings.HasPrefix(body, "-") {
		sign, body = "-", body[1:]
	}
	whole, fraction, _ := strings.Cut(body, ".")
	if whole == "" || !allDigits(whole) || !allDigits(fraction) {
		return s
	}
	digits := []byte(strings.TrimLeft(whole+fraction, "0"))
	if len(digits) <= 15 {
		return s
	}
	// Position of the 15th significant digit within whole+fraction.
	all := []byte(whole + fraction)
	lead := len(all) - len(digits)
	cut := lead + 15
	roundUp := all[cut] >= '5'
	kept := append([]byte(nil), all[:cut]...)
	wholeLen := len(whole)
	if roundUp {
		i := len(kept) - 1
		for ; i >= 0; i-- {
			if kept[i] == '9' {
				kept[i] = '0'
				continue
			}
			kept[i]++
			break
		}
		if i < 0 { // carried past the first digit: 999.99… → 1000
			kept = append([]byte{'1'}, kept...)
			wholeLen++
		}
	}
	for len(kept) < wholeLen {
		kept = append(kept, '0')
	}
	w := string(kept[:wholeLen])
	f := strings.TrimRight(string(kept[wholeLen:]), "0")
	w = strings.TrimLeft(w, "0")
	if w == "" {
		w = "0"
	}
	if f == "" {
		return sign + w
	}
	return sign + w + "." + f
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
