package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/httpapi"
)

// A statement line the ledger would refuse is refused by the preview as by
// the import, which writes nothing; both name the line's cell, the
// preview in its problems and invalid lines, the import as the field of
// its violation.
func TestStatementPreviewRefusesWhatTheImportRefuses(t *testing.T) {
	server := startTestServer(t, func(options *httpapi.Options) { options.Clock = financeClock() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const path = "/api/v1/reconciliation/statements?file=june.csv&account=icbc-test-account"
	// The second line's counterparty account is four digits: too few to
	// be an account, masked or not.
	bad := strings.Replace(financeStatement, "0602 0023 0900 0022 222", "2222", 1)
	const where = "csv line 3, column 5 (对方账号)"
	start, err := server.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status, body := financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path+"&preview=true", bad)
	var preview struct {
		Import struct {
			Problems []string `json:"problems"`
			Invalid  []struct {
				Line  int    `json:"line"`
				Where string `json:"where"`
				Field string `json:"field"`
			} `json:"invalid"`
		} `json:"import"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &preview) != nil || len(preview.Import.Problems) != 1 ||
		!strings.HasPrefix(preview.Import.Problems[0], where) || len(preview.Import.Invalid) != 1 ||
		preview.Import.Invalid[0].Line != 2 || preview.Import.Invalid[0].Where != where || preview.Import.Invalid[0].Field != "counterparty account" {
		t.Fatalf("preview: %d %s", status, body)
	}
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path, bad)
	if status != http.StatusBadRequest || !strings.Contains(string(body), `"field":"`+where+`"`) || strings.Contains(string(body), "events[") {
		t.Fatalf("import: %d %s", status, body)
	}
	if head, err := server.Store.Head(ctx); err != nil || head != start {
		t.Fatalf("the refused import moved the log from %d to %d: %v", start, head, err)
	}
	// A masked account is what the bank printed: preview and import agree.
	masked := strings.Replace(financeStatement, "0602 0023 0900 0022 222", "6222****1222", 1)
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path+"&preview=true", masked)
	preview.Import.Problems = nil
	if status != http.StatusOK || json.Unmarshal(body, &preview) != nil || len(preview.Import.Problems) != 0 {
		t.Fatalf("preview of a masked account: %d %s", status, body)
	}
	if status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path, masked); status != http.StatusCreated {
		t.Fatalf("import of a masked account: %d %s", status, body)
	}
}
