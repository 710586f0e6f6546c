package domain_test

import (
	"errors"
	"testing"

	"github.com/ordos-union/ledger/domain"
)

// An amount as a clerk types it may carry a yuan sign and thousands
// separators, but a separator only between groups of three digits: "12,50"
// is a decimal comma, and reading it as 1250 yuan took a hundred times the
// amount. Each refusal is its own sentinel, and quotes the text.
func TestParseYuanTyped(t *testing.T) {
	for text, want := range map[string]domain.Money{"1250.50": 125_050, "1,250.50": 125_050, "12,500": 1_250_000,
		"1,234,567.89": 123_456_789, "￥300": 30_000, "¥ 1,200": 120_000, " 5 ": 500, "-5.00": -500, "-￥5": -500,
		"0": 0, "100000000000.00": domain.AmountFenMax} {
		if got, err := domain.ParseYuanTyped(text); err != nil || got != want {
			t.Errorf("ParseYuanTyped(%q) = %d, %v; want %d fen", text, int64(got), err, int64(want))
		}
	}
	for text, want := range map[string]error{"12,50": domain.ErrMisplacedThousands, "1,5": domain.ErrMisplacedThousands,
		"1,2345": domain.ErrMisplacedThousands, ",125": domain.ErrMisplacedThousands, "1234,567": domain.ErrMisplacedThousands,
		"1,234.5,6": domain.ErrMisplacedThousands, "12.345": domain.ErrTooManyDecimals, "￥1,200.005": domain.ErrTooManyDecimals,
		"100000000000.01": domain.ErrAmountTooLarge, "99999999999999999999": domain.ErrAmountTooLarge,
		"abc": domain.ErrNotYuan, "$5": domain.ErrNotYuan, "￥-5": domain.ErrNotYuan, "--5": domain.ErrNotYuan, "1e3": domain.ErrNotYuan,
		"": domain.ErrNotYuan, "+5": domain.ErrNotYuan} {
		_, err := domain.ParseYuanTyped(text)
		if !errors.Is(err, want) {
			t.Errorf("ParseYuanTyped(%q) = %v, want %v", text, err, want)
		}
	}
	if _, err := domain.ParseYuanTyped("12,50"); err == nil || err.Error() !=
		`"12,50" has a misplaced thousands separator: a comma may only separate groups of three digits, as in 1,250.50` {
		t.Errorf("12,50: %v", err)
	}
}
