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

// statementAnswer is POST /api/v1/reconciliation/statements.
type statementAnswer struct {
	Preview bool `json:"preview"`
	Import  struct {
		Account  string   `json:"account"`
		Written  int      `json:"written"`
		New      []any    `json:"new"`
		Already  []any    `json:"already"`
		Problems []string `json:"problems"`
		Warnings []string `json:"warnings"`
	} `json:"import"`
}

// Statements are imported through the API by finance and admins only
// (one that names counterparties with the personal-data grant only); a
// preview writes nothing; an import is recorded once, and the same
// statement again writes nothing; a statement with no account names the
// field; pledges are aged as of the day asked for.
func TestStatementImportThroughTheAPI(t *testing.T) {
	server := startTestServer(t, func(options *httpapi.Options) { options.Clock = financeClock() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	financeSeed(ctx, t, server)
	const path = "/api/v1/reconciliation/statements?file=june.csv&account=icbc-test-account"
	for _, role := range []httpapi.Role{httpapi.RoleViewer, httpapi.RoleClerk, httpapi.RoleAuditor} {
		if status, body := financeDo(ctx, t, server, role, http.MethodPost, path, financeStatement); status != http.StatusForbidden {
			t.Errorf("%s imported a statement: %d %s", role, status, body)
		}
	}
	head := func() uint64 {
		position, err := server.Store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return position
	}
	start := head()
	status, body := financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path+"&preview=true", financeStatement)
	var answer statementAnswer
	if status != http.StatusOK || json.Unmarshal(body, &answer) != nil || !answer.Preview || len(answer.Import.New) != 5 {
		t.Fatalf("preview: %d %s", status, body)
	}
	if head() != start {
		t.Fatalf("the preview wrote to the log")
	}
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path, financeStatement)
	answer = statementAnswer{}
	if status != http.StatusCreated || json.Unmarshal(body, &answer) != nil || answer.Import.Written != 5 || head() != start+6 {
		t.Fatalf("import: %d %s (head %d → %d)", status, body, start, head())
	}
	// The admin's token holds no personal-data grant, and the statement
	// names counterparties: it is refused, naming the grant, and writes
	// nothing (TestStatementWithNamesNeedsTheGrant says why).
	status, body = financeDo(ctx, t, server, httpapi.RoleAdmin, http.MethodPost, path, financeStatement)
	if status != http.StatusForbidden || !strings.Contains(string(body), `\"personal\": true`) || head() != start+6 {
		t.Fatalf("the statement by an admin without the grant: %d %s", status, body)
	}
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path, financeStatement)
	answer = statementAnswer{}
	if status != http.StatusCreated || json.Unmarshal(body, &answer) != nil || answer.Import.Written != 0 || len(answer.Import.Already) != 5 ||
		head() != start+6 {
		t.Fatalf("the same statement again: %d %s", status, body)
	}
	if !strings.Contains(string(body), "准格尔旗某物流有限公司") {
		t.Errorf("the finance token, granted, does not see the counterparties: %s", body)
	}
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, "/api/v1/reconciliation/statements?file=june.csv",
		financeStatement)
	if status != http.StatusBadRequest || !strings.Contains(string(body), `"field":"account"`) {
		t.Fatalf("no account: %d %s", status, body)
	}
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path+"&preview=maybe", financeStatement)
	if status != http.StatusBadRequest || !strings.Contains(string(body), `"field":"preview"`) {
		t.Fatalf("preview=maybe: %d %s", status, body)
	}

	// P-F-1 was pledged on 2022-06-20: as of 2022-06-19 it is not yet
	// outstanding; as of 2022-06-30 it is 10 days old.
	pledges := func(asOf string) map[string]int {
		status, body := financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodGet, "/api/v1/pledges?as_of="+asOf, "")
		var answer struct {
			Outstanding []struct {
				DonationID string `json:"donation_id"`
				AgeDays    int    `json:"age_days"`
			} `json:"outstanding"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &answer) != nil {
			t.Fatalf("pledges as of %s: %d %s", asOf, status, body)
		}
		ages := map[string]int{}
		for _, pledge := range answer.Outstanding {
			ages[pledge.DonationID] = pledge.AgeDays
		}
		return ages
	}
	if ages := pledges("2022-06-19"); len(ages) != 2 {
		t.Errorf("as of 2022-06-19: %v, want the two earlier pledges", ages)
	}
	if ages := pledges("2022-06-30"); len(ages) != 3 || ages["P-F-1"] != 10 {
		t.Errorf("as of 2022-06-30: %v, want P-F-1 10 days old", ages)
	}
	if status, body := financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodGet, "/api/v1/pledges?as_of=June", ""); status != http.StatusBadRequest ||
		!strings.Contains(string(body), `"field":"as_of"`) {
		t.Errorf("as_of=June: %d %s", status, body)
	}
}
