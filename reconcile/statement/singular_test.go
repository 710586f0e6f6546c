package statement_test

import (
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile/statement"
)

// A statement of one line whose balances do not add up says "the 1 line's
// amount", not "the 1 line amounts".
func TestCheckBalancesOfOneLineSaysItInTheSingular(t *testing.T) {
	open, closing := domain.Money(1000), domain.Money(1500)
	s := statement.Statement{Opening: &open, Closing: &closing, Lines: []statement.Line{{Number: 1, Amount: 501}}}
	err := s.CheckBalances()
	if err == nil || !strings.Contains(err.Error(), "closing balance is 15.00 but opening balance 10.00 + the 1 line's amount 5.01 = 15.01") {
		t.Errorf("error %v", err)
	}
}
