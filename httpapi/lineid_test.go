package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/httpapi"
)

// A reader without the personal-data grant (an admin here) is shown a
// bank line's account, day, amount and remark, and its id, but not the
// counterparty's name. When the id of a line without a serial was an
// unkeyed SHA-256 of those fields and the name, the reader found the name
// by hashing likely names until one gave the id (a security review found
// "王小明" so); the id is keyed with the ledger's secret now.
func TestLineIDDoesNotTellTheCounterpartyWithoutTheGrant(t *testing.T) {
	server := startTestServer(t, func(options *httpapi.Options) { options.Clock = financeClock() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	financeSeed(ctx, t, server)
	statement := "日期,流水号,摘要,对方户名,对方账号,交易金额\n" +
		"2022-06-23,,会费,王小明,6222 0000 1111,66.00\n"
	status, body := financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost,
		"/api/v1/reconciliation/statements?file=y.csv&account=icbc-test-account", statement)
	if status != http.StatusCreated {
		t.Fatalf("import: %d %s", status, body)
	}
	answer := financeGet(ctx, t, server, httpapi.RoleAdmin)
	found := false
	for _, line := range answer.Reconciliation.UnmatchedLines {
		if line.Amount.String() != "66.00" {
			continue
		}
		found = true
		if line.Counterparty == "王小明" {
			t.Fatalf("an admin without the grant is shown the counterparty: %+v", line)
		}
		day := line.Date.In(domain.Beijing).Format(time.DateOnly)
		for _, guess := range []string{"张三", "李四", "王小明", "王晓明", "王小名"} {
			for occurrence := range 3 {
				identity := fmt.Sprintf("%s|%s|%s|%s|%s|%d", line.Account, day, line.Amount, guess, line.Remark, occurrence)
				sum := sha256.Sum256([]byte(identity))
				if "L-"+hex.EncodeToString(sum[:])[:20] == line.LineID {
					t.Errorf("the counterparty %s is found from the id %s and the fields shown without the grant", guess, line.LineID)
				}
			}
		}
	}
	if !found {
		t.Fatalf("the line is not among the unmatched lines: %+v", answer.Reconciliation.UnmatchedLines)
	}
}
