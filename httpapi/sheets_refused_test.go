package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// uxinCoolingCSV is a deliveries sheet of the summer-cooling campaign in
// Uxin with the given rows (each a CSV line after the header).
func uxinCoolingCSV(rows ...string) string {
	return "配送编号,地区,活动,日期,站点类型,站点名称,受益群体,受益人数,物资,数量,物资价值（元）,支出（元）,备注\r\n" +
		strings.Join(rows, "\r\n") + "\r\n"
}

// The three deliveries of the review: 101 and 103 fit what Uxin holds,
// 102 spends more than it.
const (
	uxinDelivery101 = "V-U5-101,150626,2022-summer-cooling,2022-06-20,construction-site,某工地,construction-workers,30,drinking-water,100,3000,3000,"
	uxinDelivery102 = "V-U5-102,150626,2022-summer-cooling,2022-06-21,construction-site,某工地,construction-workers,40,drinking-water,500,15000,15000,"
	uxinDelivery103 = "V-U5-103,150626,2022-summer-cooling,2022-06-22,construction-site,某工地,construction-workers,30,drinking-water,100,3000,3000,"
)

// refusedSheetReply is an import's answer with what tells a refused row.
type refusedSheetReply struct {
	Recorded, Duplicates, Invalid, Refused, Untried int
	Rows                                            []struct {
		Row        int
		Status     string
		RecordedBy string `json:"recorded_by"`
		Problems   []struct{ Column, Field, Rule, Where, Code string }
	}
	Error *struct{ Code, Message string }
}

// fundUxinCooling records a donation of 10,000 yuan to Uxin for the
// summer-cooling campaign, and two of the three deliveries (101, 103) by
// the admin: Uxin then holds 4,000 yuan, less than 102 spends.
func fundUxinCooling(t *testing.T, server *testServer) {
	t.Helper()
	donations := "捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注\r\n" +
		"D-U5-1,150626,2022-summer-cooling,2022-06-15,enterprise,某公司,money,10000,,,,,\r\n"
	admin := server.Tokens[httpapi.RoleAdmin]
	for _, sheet := range []string{donations, uxinCoolingCSV(uxinDelivery101, uxinDelivery103)} {
		if reply := call(t, "POST", server.URL+"/api/v1/imports", admin, sheet); reply.status != http.StatusCreated {
			t.Fatalf("recording what came before: %d %s", reply.status, reply.body)
		}
	}
}

func postRefusedSheet(t *testing.T, server *testServer, query, sheet string) (int, refusedSheetReply, string) {
	t.Helper()
	reply := call(t, "POST", server.URL+"/api/v1/imports"+query, server.Tokens[httpapi.RoleClerk], sheet)
	var body refusedSheetReply
	if err := json.Unmarshal(reply.body, &body); err != nil {
		t.Fatalf("import answer: %v\n%s", err, reply.body)
	}
	return reply.status, body, string(reply.body)
}

// The review's sheet: rows 2 and 4 were recorded before (by the admin),
// row 3 spends more than the county holds. The preview and the import
// both tell every row's own status: rows 2 and 4 duplicates recorded by
// the admin, row 3 refused naming the rule (with its code, for the
// dashboard to say it in Chinese) and the row; the counts say the same,
// and nothing is recorded. They once answered every row "valid" with no
// duplicate, beside the sheet's refusal.
func TestSpreadsheetPreviewTellsEachRowOfARefusedSheet(t *testing.T) {
	server := startTestServer(t)
	fundUxinCooling(t, server)
	head := server.head(t)
	sheet := uxinCoolingCSV(uxinDelivery101, uxinDelivery102, uxinDelivery103)
	for _, c := range []struct{ query, where string }{
		{"?dry_run=true", "第 3 行「支出（元）」"},
		{"?dry_run=true&lang=en", `row 3, "Spent (yuan)"`},
		{"", "第 3 行「支出（元）」"},
	} {
		status, got, body := postRefusedSheet(t, server, c.query, sheet)
		if status != http.StatusUnprocessableEntity || got.Error == nil || got.Error.Code != "rejected" ||
			!strings.Contains(got.Error.Message, "county 150626 would hold") {
			t.Fatalf("%q: %d %s, want 422 rejected", c.query, status, body)
		}
		if got.Duplicates != 2 || got.Refused != 1 || got.Invalid != 0 || got.Recorded != 0 || len(got.Rows) != 3 {
			t.Fatalf("%q: counts %+v, want 2 duplicates and 1 refused of 3 rows\n%s", c.query, got, body)
		}
		for _, i := range []int{0, 2} {
			if row := got.Rows[i]; row.Status != "duplicate" || row.RecordedBy != "test-admin" || len(row.Problems) != 0 {
				t.Errorf("%q: row %d is %+v, want a duplicate recorded by test-admin", c.query, row.Row, row)
			}
		}
		refused := got.Rows[1]
		if refused.Row != 3 || refused.Status != "refused" || len(refused.Problems) != 1 {
			t.Fatalf("%q: row 3 is %+v, want refused with one problem\n%s", c.query, refused, body)
		}
		// The refusal is at the column a clerk changes, in the sheet's
		// words with its figures (the ledger's words after them); in
		// English it is the ledger's, with its code for the page.
		problem := refused.Problems[0]
		english := strings.Contains(c.query, "lang=en")
		switch {
		case problem.Where != c.where || problem.Field != "data.spent":
			t.Errorf("%q: row 3's problem is %+v, want it at %s", c.query, problem, c.where)
		case english && (problem.Code != "overspent" || !strings.HasPrefix(problem.Rule, "campaign 2022-summer-cooling: county 150626 would hold -11000.00 yuan")):
			t.Errorf("%q: row 3's problem is %+v", c.query, problem)
		case !english && !strings.HasPrefix(problem.Rule, "资金不足，活动「2022喜迎二十大、建功新时代——情系职工、夏送清凉」(2022-summer-cooling) 中，乌审旗（150626）的资金将为 -11000.00 元"):
			t.Errorf("%q: row 3's problem is %+v", c.query, problem)
		}
	}
	if after := server.head(t); after != head {
		t.Fatalf("the refused sheet recorded %d events", after-head)
	}
	// Without row 3, the two rows recorded before are duplicates and the
	// sheet records nothing new.
	status, again, body := postRefusedSheet(t, server, "?dry_run=true", uxinCoolingCSV(uxinDelivery101, uxinDelivery103))
	if status != http.StatusOK || again.Error != nil || again.Duplicates != 2 || again.Refused != 0 || again.Rows[1].Status != "duplicate" {
		t.Fatalf("without row 3: %d %s", status, body)
	}
}

// A sheet with a row of bad cells records nothing, and its other rows
// are tried all the same: one recorded before is a duplicate and one
// breaking a rule of the ledger is refused, so the clerk fixes the sheet
// once, not once per kind of problem.
func TestSpreadsheetPreviewTriesTheOtherRowsOfAnInvalidSheet(t *testing.T) {
	server := startTestServer(t)
	fundUxinCooling(t, server)
	bad := "V-U5-104,150626,2022-summer-cooling,2022-06-23,construction-site,某工地,construction-workers,0,drinking-water,1,1,1,"
	status, got, body := postRefusedSheet(t, server, "?dry_run=true", uxinCoolingCSV(uxinDelivery101, uxinDelivery102, bad))
	if status != http.StatusUnprocessableEntity || got.Error == nil || got.Error.Code != "invalid" ||
		got.Invalid != 1 || got.Refused != 1 || got.Duplicates != 1 || len(got.Rows) != 3 {
		t.Fatalf("%d %s, want 1 invalid, 1 refused and 1 duplicate", status, body)
	}
	for i, want := range []string{"duplicate", "refused", "invalid"} {
		if got.Rows[i].Status != want {
			t.Errorf("row %d is %s, want %s", got.Rows[i].Row, got.Rows[i].Status, want)
		}
	}
	if problem := got.Rows[2].Problems[0]; problem.Where != "第 4 行「受益人数」" {
		t.Errorf("the bad cell's problem is %+v", problem)
	}
}

// Telling the rows of a refused sheet tries it again without each refused
// row, as skip_invalid does, for at most 100 of them: the rows past them
// are counted untried, and the answer says so.
func TestSpreadsheetPreviewTriesAtMostAHundredRefusedRows(t *testing.T) {
	server := startTestServer(t)
	rows := make([]string, 102)
	for i := range rows {
		rows[i] = fmt.Sprintf("V-X-%d,150626,2022-summer-cooling,2022-06-20,construction-site,某工地,construction-workers,1,drinking-water,1,1,1,", i)
	}
	status, got, _ := postRefusedSheet(t, server, "?dry_run=true&lang=en", uxinCoolingCSV(rows...))
	if status != http.StatusUnprocessableEntity || got.Error == nil || got.Refused != 100 || got.Untried != 2 ||
		got.Rows[99].Status != "refused" || got.Rows[100].Status != "valid" ||
		!strings.HasSuffix(got.Error.Message, "; nothing was recorded; 2 other rows were not tried against the ledger's rules") {
		t.Fatalf("%d, refused %d, untried %d, error %+v", status, got.Refused, got.Untried, got.Error)
	}
}
