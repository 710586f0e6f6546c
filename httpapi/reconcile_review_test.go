package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/reconcile"
)

// Over the API: confirming a line against two pledges answers which
// receipts to record and settles the pledges; a donation voided after its
// match is listed with what to do, in the JSON and the CSV export; an
// automatic match is rejected like a suggestion.
func TestReconciliationDecisionsThroughTheAPI(t *testing.T) {
	server := startTestServer(t, func(options *httpapi.Options) { options.Clock = financeClock() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	beijing := time.FixedZone("CST", 8*3600)
	at := time.Date(2022, 6, 1, 10, 0, 0, 0, beijing)
	money := func(text string) domain.Money {
		amount, err := domain.ParseYuan(text)
		if err != nil {
			t.Fatal(err)
		}
		return amount
	}
	const donor = "准格尔某物流有限公司"
	pledge := func(id, amount string) domain.Event {
		return domain.Event{Type: domain.TypeDonationPledged, County: "150600", OccurredAt: at, Actor: "test-clerk",
			Data: domain.DonationPledged{DonationID: id, Campaign: "2022-summer-cooling", DonorKind: "enterprise", DonorOrg: donor,
				Form: domain.FormMoney, Amount: money(amount)}}
	}
	received := func(id, reference string) domain.Event {
		return domain.Event{Type: domain.TypeDonationReceived, County: "150600", OccurredAt: at, Actor: "test-clerk",
			Data: domain.DonationReceived{DonationID: id, Campaign: "2022-summer-cooling", DonorKind: "enterprise",
				DonorOrg: "达拉特旗某农牧业有限公司", Form: domain.FormMoney, Amount: money("5000.00"), BankReference: reference}}
	}
	results, err := server.Service.Record(ctx, []domain.Event{pledge("D-P5", "1000.00"), pledge("D-P6", "2000.00"),
		received("D-R2", ""), received("D-R3", "REF-R3")})
	if err != nil {
		t.Fatal(err)
	}
	statement := "日期,流水号,摘要,对方户名,对方账号,交易金额\n" +
		"2022-06-05,GC002,认捐汇款," + donor + ",0602 0022 0900 0045 672,\"3,000.00\"\n" +
		"2022-06-06,GC003,捐款,达拉特旗某农牧业有限公司,0602 0022 0900 0045 673,\"4,990.00\"\n" +
		"2022-06-07,GC004,REF-R3,达拉特旗某农牧业有限公司,0602 0022 0900 0045 673,\"5,000.00\"\n"
	if status, body := financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost,
		"/api/v1/reconciliation/statements?file=june.csv&account=icbc-test-account", statement); status != http.StatusCreated {
		t.Fatalf("import: %d %s", status, body)
	}
	suggestion := func(rule string) reconcile.Match {
		for _, match := range financeGet(ctx, t, server, httpapi.RoleFinance).Reconciliation.Suggested {
			if match.Rule == rule {
				return match
			}
		}
		t.Fatalf("no %s suggestion", rule)
		return reconcile.Match{}
	}
	combined := suggestion(reconcile.RuleCombined)
	status, body := financePost(ctx, t, server, httpapi.RoleFinance, `{"action":"confirm","id":"`+combined.ID+`"}`)
	var answer struct {
		ToReceive []string `json:"to_receive"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &answer) != nil || strings.Join(answer.ToReceive, ",") != "D-P5,D-P6" {
		t.Fatalf("confirming the pledges: %d %s", status, body)
	}
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodGet, "/api/v1/pledges?as_of=2022-06-30", "")
	if status != http.StatusOK || strings.Contains(string(body), "D-P5") || strings.Contains(string(body), "D-P6") {
		t.Fatalf("pledges after the confirmation: %d %s", status, body)
	}

	fee := suggestion(reconcile.RulePartialFee)
	if status, body := financePost(ctx, t, server, httpapi.RoleFinance, `{"action":"confirm","id":"`+fee.ID+`"}`); status != http.StatusCreated {
		t.Fatalf("confirming the fee: %d %s", status, body)
	}
	void := domain.Event{Type: domain.TypeEntryVoided, County: "150600", OccurredAt: at.Add(time.Hour), Actor: "test-clerk",
		Data: domain.EntryVoided{Campaign: "2022-summer-cooling", TargetEventID: results[2].EventID.String(), Reason: "录错"}}
	if _, err := server.Service.Record(ctx, []domain.Event{void}); err != nil {
		t.Fatal(err)
	}
	result := financeGet(ctx, t, server, httpapi.RoleFinance).Reconciliation
	if len(result.VoidedMatches) != 1 || result.VoidedMatches[0].ID != fee.ID || !strings.Contains(result.VoidedMatches[0].Why, "undo") {
		t.Fatalf("voided matches: %+v", result.VoidedMatches)
	}
	for _, match := range result.Matched {
		if match.ID == fee.ID {
			t.Fatalf("the match to the voided donation is still listed as matched")
		}
	}
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodGet, "/api/v1/reconciliation/export?format=csv", "")
	if status != http.StatusOK || !strings.Contains(string(body), "已作废捐赠的匹配 Matched to voided,"+fee.ID) {
		t.Fatalf("CSV export: %d %s", status, body)
	}

	// D-R3 was matched automatically by its reference; rejected, it is
	// not matched again.
	var automatic string
	for _, match := range result.Matched {
		if match.DecidedBy == "" {
			automatic = match.ID
		}
	}
	if automatic == "" {
		t.Fatalf("no automatic match: %+v", result.Matched)
	}
	status, body = financePost(ctx, t, server, httpapi.RoleFinance, `{"action":"confirm","id":"`+automatic+`"}`)
	// Already matched is a refusal of what the ledger holds, as any
	// decision on a decided id: 422, not a request written wrong.
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "made automatically") {
		t.Fatalf("confirming an automatic match: %d %s", status, body)
	}
	status, body = financePost(ctx, t, server, httpapi.RoleFinance, `{"action":"reject","id":"`+automatic+`","reason":"参考号录错"}`)
	if status != http.StatusCreated {
		t.Fatalf("rejecting an automatic match: %d %s", status, body)
	}
	for _, match := range financeGet(ctx, t, server, httpapi.RoleFinance).Reconciliation.Matched {
		if match.ID == automatic {
			t.Fatalf("the rejected automatic match is still made")
		}
	}
}
