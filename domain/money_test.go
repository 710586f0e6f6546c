package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
)

func TestParseYuan(t *testing.T) {
	cases := []struct {
		text string
		want domain.Money
	}{
		{"5000.00", 500_000},
		{"0.5", 50},
		{"12", 1_200},
		{"0.05", 5},
		{"0.01", 1},
		{"1234.56", 123_456},
		{"007.10", 710},
		{"0", 0},
		{"0.00", 0},
		{"-12.50", -1_250}, // the validator, not the parser, refuses negatives
		{"100000000000.00", domain.AmountFenMax},
		// Above the cap but inside int64: the parser returns it, the
		// validator reports it (see TestMoneyRulesInEvents).
		{"100000000000.01", domain.AmountFenMax + 1},
		{"92233720368547757.99", 9_223_372_036_854_775_799},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			got, err := domain.ParseYuan(tc.text)
			if err != nil {
				t.Fatalf("ParseYuan(%q) error: %v", tc.text, err)
			}
			if got != tc.want {
				t.Fatalf("ParseYuan(%q) = %d fen, want %d", tc.text, int64(got), int64(tc.want))
			}
		})
	}
}

func TestParseYuanRefuses(t *testing.T) {
	cases := []struct {
		text   string
		phrase string
	}{
		{"12.345", "more than two decimals"},
		{"0.001", "more than two decimals"},
		{"999999999999999999999.00", "too large"},
		{"92233720368547758.00", "too large"},
		{"-999999999999999999999", "too large"},
		{"1,000.00", "is not a yuan amount"},
		{"", "is not a yuan amount"},
		{"abc", "is not a yuan amount"},
		{"1.", "is not a yuan amount"},
		{".5", "is not a yuan amount"},
		{"-", "is not a yuan amount"},
		{"--5", "is not a yuan amount"},
		{"+5", "is not a yuan amount"},
		{" 5", "is not a yuan amount"},
		{"5 ", "is not a yuan amount"},
		{"1e3", "is not a yuan amount"},
		{"12.5.0", "is not a yuan amount"},
		{"１２", "is not a yuan amount"}, // full-width digits
		{"¥12", "is not a yuan amount"},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			got, err := domain.ParseYuan(tc.text)
			if err == nil {
				t.Fatalf("ParseYuan(%q) = %s, want an error containing %q", tc.text, got, tc.phrase)
			}
			if got != 0 {
				t.Errorf("ParseYuan(%q) returned %d fen alongside its error, want 0", tc.text, int64(got))
			}
			if !strings.Contains(err.Error(), tc.phrase) {
				t.Errorf("ParseYuan(%q) error = %q, want it to contain %q", tc.text, err, tc.phrase)
			}
		})
	}
}

// An amount finer than a fen is named once, with the rule said once (not
// "has more than two decimals: more than two decimals"), and the error is
// still ErrTooManyDecimals to errors.Is.
func TestParseYuanSaysTooManyDecimalsOnce(t *testing.T) {
	_, err := domain.ParseYuan("12.345")
	if !errors.Is(err, domain.ErrTooManyDecimals) {
		t.Fatalf("ParseYuan(12.345): %v; want ErrTooManyDecimals", err)
	}
	if want := `"12.345" has more than two decimals`; err.Error() != want {
		t.Errorf("ParseYuan(12.345) error = %q, want %q", err, want)
	}
}

func TestMoneyString(t *testing.T) {
	cases := []struct {
		money domain.Money
		want  string
	}{
		{0, "0.00"},
		{1, "0.01"},
		{50, "0.50"},
		{1_200, "12.00"},
		{500_000, "5000.00"},
		{-1_250, "-12.50"},
		{-5, "-0.05"},
		{domain.AmountFenMax, "100000000000.00"},
	}
	for _, tc := range cases {
		if got := tc.money.String(); got != tc.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tc.money), got, tc.want)
		}
	}
}

func TestMoneyJSONRoundTrip(t *testing.T) {
	cases := []struct {
		wire      string
		fen       domain.Money
		canonical string
	}{
		{`"5000.00"`, 500_000, `"5000.00"`},
		{`"0.5"`, 50, `"0.50"`},
		{`"12"`, 1_200, `"12.00"`},
		{`"0.01"`, 1, `"0.01"`},
		{` "7.5" `, 750, `"7.50"`},
		{`"\u0031\u0032.30"`, 1_230, `"12.30"`}, // JSON escapes are read as the digits they stand for
		{`"100000000000.00"`, domain.AmountFenMax, `"100000000000.00"`},
	}
	for _, tc := range cases {
		t.Run(tc.wire, func(t *testing.T) {
			var money domain.Money
			if err := json.Unmarshal([]byte(tc.wire), &money); err != nil {
				t.Fatalf("unmarshal %s: %v", tc.wire, err)
			}
			if money != tc.fen {
				t.Fatalf("unmarshal %s = %d fen, want %d", tc.wire, int64(money), int64(tc.fen))
			}
			encoded, err := json.Marshal(money)
			if err != nil {
				t.Fatalf("marshal %d fen: %v", int64(money), err)
			}
			if string(encoded) != tc.canonical {
				t.Fatalf("marshal = %s, want %s", encoded, tc.canonical)
			}
			var again domain.Money
			if err := json.Unmarshal(encoded, &again); err != nil || again != money {
				t.Fatalf("second round = %d fen (err %v), want %d", int64(again), err, int64(money))
			}
		})
	}
}

// TestMoneyJSONRefusals: a bad amount never fails decoding (so that the
// validator can report every bad amount with its path); it becomes an
// invalid value that neither renders nor marshals.
func TestMoneyJSONRefusals(t *testing.T) {
	for _, wire := range []string{
		`12.5`, `12`, `1e3`, `-1`, `null`, `true`, `{}`, `["1.00"]`,
		`"12.345"`, `"999999999999999999999.00"`, `"1,000.00"`, `""`, `"abc"`, `"1."`,
	} {
		t.Run(wire, func(t *testing.T) {
			var holder struct {
				Amount domain.Money `json:"amount"`
			}
			if err := json.Unmarshal([]byte(`{"amount":`+wire+`}`), &holder); err != nil {
				t.Fatalf("unmarshal must not fail (the validator reports bad amounts): %v", err)
			}
			if got := holder.Amount.String(); got != "invalid" {
				t.Fatalf("amount %s decoded to %q, want \"invalid\"", wire, got)
			}
			if encoded, err := json.Marshal(holder.Amount); err == nil {
				t.Fatalf("marshal of the invalid amount from %s gave %s, want an error", wire, encoded)
			}
		})
	}
}

// TestMoneyRulesInEvents checks what the validator says about each kind of
// bad amount, at the amount's field path.
func TestMoneyRulesInEvents(t *testing.T) {
	cases := []struct {
		amount any // string for a JSON string, json.Number for a bare JSON number
		phrase string
	}{
		{json.Number("12.5"), "JSON numbers are refused"},
		{json.Number("12"), "JSON numbers are refused"},
		{"12.345", "at most two decimals"},
		{"999999999999999999999.00", "overflows: must be at most 100000000000.00 yuan"},
		{"100000000000.01", "overflows: must be at most 100000000000.00 yuan"},
		{"-5.00", "must be > 0"},
		{"0", "must be > 0"},
		{"0.00", "must be > 0"},
		{"1,000.00", `must be a decimal yuan amount such as "1250.50"`},
		{"", `must be a decimal yuan amount such as "1250.50"`},
		{"abc", `must be a decimal yuan amount such as "1250.50"`},
		{"1.", `must be a decimal yuan amount such as "1250.50"`},
	}
	for _, tc := range cases {
		t.Run(fmtAny(tc.amount), func(t *testing.T) {
			raw := editData(t, eventJSON("donation_received_money"), func(data map[string]any) {
				data["amount"] = tc.amount
			})
			stage, err := decodeAndValidate(raw)
			expectViolation(t, stage, err, "validate", "data.amount", tc.phrase, 1)
		})
	}
	for _, amount := range []string{"0.01", "0.5", "12", "5000.00", "100000000000.00"} {
		t.Run("valid "+amount, func(t *testing.T) {
			raw := editData(t, eventJSON("donation_received_money"), func(data map[string]any) {
				data["amount"] = amount
			})
			if _, err := decodeAndValidate(raw); err != nil {
				t.Fatalf("amount %q: %v", amount, err)
			}
		})
	}
}

func fmtAny(value any) string {
	if number, ok := value.(json.Number); ok {
		return "number " + number.String()
	}
	return "string " + value.(string)
}

// The yuan text is what fmt wrote before it was written by hand: every
// amount from the largest down to the smallest that is no sentinel.
func TestMoneyTextAsFmtWroteIt(t *testing.T) {
	byFmt := func(value int64) string {
		sign := ""
		if value < 0 {
			sign, value = "-", -value
		}
		return fmt.Sprintf("%s%d.%02d", sign, value/100, value%100)
	}
	amounts := []int64{0, 1, 9, 10, 99, 100, 101, 12345, -1, -10, -99, -100, -12345,
		math.MaxInt64, math.MaxInt64 - 1, math.MinInt64 + 4, math.MinInt64 + 5, int64(domain.AmountFenMax), -int64(domain.AmountFenMax)}
	for value := int64(-1000); value <= 1000; value++ {
		amounts = append(amounts, value)
	}
	for _, value := range amounts {
		money := domain.Money(value)
		if got, want := money.String(), byFmt(value); got != want {
			t.Errorf("Money(%d).String() = %q, fmt wrote %q", value, got, want)
		}
		encoded, err := money.MarshalJSON()
		if err != nil || string(encoded) != `"`+byFmt(value)+`"` {
			t.Errorf("Money(%d).MarshalJSON() = %s, %v", value, encoded, err)
		}
	}
}
