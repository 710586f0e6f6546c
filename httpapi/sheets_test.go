package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/internal/xlsxlimit/xlsxtest"
	"github.com/ordos-union/ledger/sheets/sheetstest"
)

// filledDonations is the donations template from the API with rows in it.
func filledDonations(t *testing.T, server *testServer, rows [][]any) []byte {
	t.Helper()
	reply := call(t, "GET", server.URL+"/api/v1/templates/donation_received", server.Tokens[httpapi.RoleViewer], "")
	if reply.status != http.StatusOK || !strings.Contains(reply.header.Get("Content-Disposition"), "donation_received.xlsx") {
		t.Fatalf("template: %d %v", reply.status, reply.header)
	}
	return sheetstest.Fill(t, reply.body, rows)
}

type importReply struct {
	Recorded, Duplicates, Invalid int
	Rows                          []struct {
		Row        int
		Status     string
		Problems   []struct{ Column, Rule, Where string }
		RecordedBy string `json:"recorded_by"`
	}
	Error *struct{ Code, Message string }
}

func postSheet(t *testing.T, server *testServer, token, query string, sheet []byte) (int, importReply) {
	t.Helper()
	reply := call(t, "POST", server.URL+"/api/v1/imports"+query, token, string(sheet))
	var body importReply
	if reply.status < 300 || reply.status == http.StatusUnprocessableEntity {
		if err := json.Unmarshal(reply.body, &body); err != nil {
			t.Fatalf("import answer: %v\n%s", err, reply.body)
		}
	}
	return reply.status, body
}

// A row the same as one above it is marked in the preview as the CLI
// names it: invalid, a repeat of that row.
func TestSpreadsheetPreviewMarksARepeatedRow(t *testing.T) {
	server := startTestServer(t)
	row := []any{"D-P-1", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 5000}
	other := []any{"D-P-2", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 10}
	status, preview := postSheet(t, server, server.Tokens[httpapi.RoleClerk], "?dry_run=true", filledDonations(t, server, [][]any{row, other, row}))
	if status != http.StatusUnprocessableEntity || len(preview.Rows) != 3 || preview.Invalid != 1 || preview.Rows[0].Status != "valid" {
		t.Fatalf("preview: %d %+v", status, preview)
	}
	repeat := preview.Rows[2]
	if repeat.Row != 5 || repeat.Status != "invalid" || len(repeat.Problems) != 1 || repeat.Problems[0].Where != "第 5 行" ||
		repeat.Problems[0].Column != "" || !strings.HasSuffix(repeat.Problems[0].Rule, "(与第 3 行重复)") {
		t.Fatalf("the repeated row: %+v", repeat)
	}
}

// A sheet imported by one clerk and then by another (here the admin)
// finds its rows recorded by the first: the preview marks them duplicates
// recorded by the first, and the import records only a row added at the
// bottom.
func TestSpreadsheetImportedAgainByAnother(t *testing.T) {
	server := startTestServer(t)
	rows := [][]any{
		{"D-A-1", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 5000},
		{"D-A-2", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-16", "enterprise 企业", "某公司", "money 资金", "120.50"},
	}
	if status, first := postSheet(t, server, server.Tokens[httpapi.RoleClerk], "", filledDonations(t, server, rows)); status != http.StatusCreated {
		t.Fatalf("import: %d %+v", status, first)
	}
	other := server.Tokens[httpapi.RoleAdmin]
	longer := filledDonations(t, server, append(rows,
		[]any{"D-A-3", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-17", "enterprise 企业", "某公司", "money 资金", 10}))
	status, preview := postSheet(t, server, other, "?dry_run=true", longer)
	if status != http.StatusOK || len(preview.Rows) != 3 || preview.Duplicates != 2 || preview.Rows[0].Status != "duplicate" ||
		preview.Rows[0].RecordedBy != "test-clerk" || preview.Rows[2].Status != "valid" {
		t.Fatalf("preview by another: %d %+v", status, preview)
	}
	status, again := postSheet(t, server, other, "", longer)
	if status != http.StatusCreated || again.Recorded != 1 || again.Duplicates != 2 || again.Rows[1].Status != "duplicate" ||
		again.Rows[1].RecordedBy != "test-clerk" || again.Rows[2].Status != "recorded" {
		t.Fatalf("import by another: %d %+v", status, again)
	}
	if head := server.head(t); head != 3 {
		t.Fatalf("head %d, want 3 events", head)
	}
}

// A clerk previews a filled sheet (nothing recorded), records it, and
// importing it again records nothing; a sheet with a bad row records
// nothing and names the row and the column; a viewer may not import.
func TestSpreadsheetImportOverHTTP(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	good := filledDonations(t, server, [][]any{
		{"D-H-1", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 5000},
		{"D-H-2", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-16", "enterprise 企业", "某公司", "money 资金", "120.50"},
	})
	status, preview := postSheet(t, server, clerk, "?dry_run=true", good)
	if status != http.StatusOK || len(preview.Rows) != 2 || preview.Rows[0].Status != "valid" || preview.Rows[1].Row != 4 || preview.Recorded != 0 {
		t.Fatalf("preview: %d %+v", status, preview)
	}
	if head := server.head(t); head != 0 {
		t.Fatalf("the preview recorded %d events", head)
	}
	status, recorded := postSheet(t, server, clerk, "", good)
	if status != http.StatusCreated || recorded.Recorded != 2 || recorded.Rows[1].Status != "recorded" {
		t.Fatalf("import: %d %+v", status, recorded)
	}
	status, again := postSheet(t, server, clerk, "", good)
	if status != http.StatusOK || again.Recorded != 0 || again.Duplicates != 2 || again.Rows[0].Status != "duplicate" {
		t.Fatalf("import again: %d %+v", status, again)
	}
	bad := filledDonations(t, server, [][]any{
		{"D-H-3", "150626 乌审旗 Uxin", "general", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 10},
		{"D-H-4", "150626 乌审旗 Uxin", "general", "2022-06-15", "enterprise 企业", "某公司", "money 资金", "1.005"},
	})
	status, refused := postSheet(t, server, clerk, "", bad)
	if status != http.StatusUnprocessableEntity || refused.Error == nil || refused.Invalid != 1 || refused.Rows[1].Status != "invalid" ||
		refused.Rows[1].Problems[0].Where != "第 4 行「金额（元）」" || !strings.Contains(refused.Rows[1].Problems[0].Rule, "两位小数") {
		t.Fatalf("a sheet with a bad row: %d %+v", status, refused)
	}
	if head := server.head(t); head != 2 {
		t.Fatalf("a refused sheet left %d events, want 2", head)
	}
	if status, _ := postSheet(t, server, server.Tokens[httpapi.RoleViewer], "", good); status != http.StatusForbidden {
		t.Fatalf("a viewer's import: %d, want 403", status)
	}
	if status, _ := postSheet(t, server, clerk, "", []byte("not,a,template\n1,2,3\n")); status != http.StatusBadRequest {
		t.Fatalf("a sheet without a template's headers: %d, want 400", status)
	}
}

// A sheet of more rows than one batch whose last row receives the first
// row's donation again records nothing, and the answer says so and names
// both rows; with skip_invalid=true that row alone is left out.
func TestSpreadsheetImportOfManyRowsTriesThemAllFirst(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	const count = 1501
	rows := make([][]any, count)
	for i := range rows {
		id := fmt.Sprintf("D-M-%d", i)
		if i == count-1 {
			id = "D-M-0"
		}
		rows[i] = []any{id, "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", i + 1}
	}
	sheet := filledDonations(t, server, rows)
	status, refused := postSheet(t, server, clerk, "", sheet)
	if status != http.StatusUnprocessableEntity || refused.Recorded != 0 || refused.Error == nil ||
		!strings.Contains(refused.Error.Message, "第 1503 行「捐赠编号」: donation D-M-0 is received twice in the same input") ||
		!strings.Contains(refused.Error.Message, "与第 3 行重复") || !strings.HasSuffix(refused.Error.Message, "; nothing was recorded") {
		t.Fatalf("a sheet with a late repeat: %d, recorded %d, %+v", status, refused.Recorded, refused.Error)
	}
	if head := server.head(t); head != 0 {
		t.Fatalf("a refused sheet recorded %d events", head)
	}
	status, skipped := postSheet(t, server, clerk, "?skip_invalid=true", sheet)
	if status != http.StatusCreated || skipped.Recorded != count-1 || skipped.Invalid != 1 {
		t.Fatalf("skip_invalid: %d, recorded %d, invalid %d, %+v", status, skipped.Recorded, skipped.Invalid, skipped.Error)
	}
	last := skipped.Rows[count-1]
	if last.Status != "invalid" || len(last.Problems) != 1 || last.Problems[0].Where != "第 1503 行「捐赠编号」" ||
		!strings.Contains(last.Problems[0].Rule, "(与第 3 行重复)") {
		t.Fatalf("the skipped row: %+v", last)
	}
	if head := server.head(t); head != count-1 {
		t.Fatalf("skip_invalid recorded %d events, want %d", head, count-1)
	}
}

// A batch whose events repeat an earlier one of it, by donation id or by
// idempotency key, is refused naming that event by its place in the
// batch, never by the id of an event that was not written.
func TestRecordBatchNamesTheEventItRepeats(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	url := server.URL + "/api/v1/events"
	twice := `{"events":[` + donation("k-1", "D-1", "1.00") + "," + donation("k-2", "D-2", "2.00") + "," + donation("k-3", "D-2", "3.00") + `]}`
	got := call(t, "POST", url, clerk, twice)
	body := string(got.body)
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"events[2].data.donation_id"`) ||
		!strings.Contains(body, "donation D-2 is received twice in the same input; a donation is received once (repeats events[1])") ||
		strings.Contains(body, "by event") {
		t.Fatalf("a donation received twice in a batch: %d %s", got.status, body)
	}
	keyed := `{"events":[` + donation("k-4", "D-4", "1.00") + "," + donation("k-4", "D-5", "2.00") + `]}`
	got = call(t, "POST", url, clerk, keyed)
	if body := string(got.body); got.status != http.StatusBadRequest ||
		!strings.Contains(body, `"field":"events[1].idempotency_key","rule":"is the key of another entry of the same input too (repeats events[0])"`) {
		t.Fatalf("a key used twice in a batch: %d %s", got.status, body)
	}
	if head := server.head(t); head != 0 {
		t.Fatalf("refused batches wrote %d events", head)
	}
}

// The import's flags read as the statement route's do: dry_run=1 previews
// (it once recorded the sheet, as only "true" counted), and a flag that is
// neither true nor false is refused naming it, with nothing recorded.
func TestSpreadsheetImportFlagsAreStrict(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	good := filledDonations(t, server, [][]any{
		{"D-F-1", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 5000},
	})
	status, preview := postSheet(t, server, clerk, "?dry_run=1", good)
	if status != http.StatusOK || preview.Recorded != 0 || len(preview.Rows) != 1 || preview.Rows[0].Status != "valid" {
		t.Fatalf("dry_run=1: %d %+v, want a preview", status, preview)
	}
	for _, query := range []string{"?dry_run=yes", "?dry_run=TRUE", "?dry_run=", "?skip_invalid=on", "?dry_run=true&skip_invalid=2"} {
		reply := call(t, "POST", server.URL+"/api/v1/imports"+query, clerk, string(good))
		name, _, _ := strings.Cut(query[strings.LastIndex(query, "?")+1:], "=")
		if strings.Contains(query, "&") {
			name = "skip_invalid"
		}
		if query == "?dry_run=" {
			// An empty value is an absent flag, as on the statement route.
			if reply.status != http.StatusCreated {
				t.Fatalf("%s: %d %s, want the sheet recorded", query, reply.status, reply.body)
			}
			continue
		}
		if reply.status != http.StatusBadRequest || !strings.Contains(string(reply.body), `"field":"`+name+`"`) {
			t.Fatalf("%s: %d %s, want 400 naming %s", query, reply.status, reply.body, name)
		}
	}
	if head := server.head(t); head != 1 {
		t.Fatalf("the log holds %d events, want only the one the plain import recorded", head)
	}
}

// wideBook is a hand-made XLSX of the donations headers and rows of one
// cell each in column XFD, as the security review built it.
func wideBook(t *testing.T, rows int) []byte {
	t.Helper()
	var sheet strings.Builder
	sheet.WriteString(`<row r="1">`)
	for i, header := range strings.Split("捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注", ",") {
		sheet.WriteString(xlsxtest.InlineCell(fmt.Sprintf("%c1", 'A'+i), header))
	}
	sheet.WriteString(`</row>`)
	for row := 2; row <= rows; row++ {
		fmt.Fprintf(&sheet, `<row r="%d">%s</row>`, row, xlsxtest.InlineCell(fmt.Sprintf("XFD%d", row), "x"))
	}
	return xlsxtest.Workbook(t, "", sheet.String())
}

// A clerk's upload of a few kilobytes with a cell in column XFD on each
// row once took about a gigabyte of the server's memory (475 MB a thousand
// rows): it is refused with 400 naming the row, the column and the limit,
// and answering it allocates little (the bound is loose, as the embedded
// server allocates alongside).
func TestSpreadsheetImportRefusesAWideSheet(t *testing.T) {
	server := startTestServer(t)
	wide := wideBook(t, 2000)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	reply := call(t, "POST", server.URL+"/api/v1/imports", server.Tokens[httpapi.RoleClerk], string(wide))
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d-byte sheet of 2,000 rows with a cell in column XFD: %d %s, %d KiB allocated", len(wide), reply.status, reply.body, allocated>>10)
	if reply.status != http.StatusBadRequest || !strings.Contains(string(reply.body), "row 2 has a value in column XFD") || !strings.Contains(string(reply.body), "at most 32 columns") {
		t.Fatalf("a sheet with a cell in column XFD: %d %s", reply.status, reply.body)
	}
	if allocated > 64<<20 {
		t.Fatalf("refusing the wide sheet allocated %d MiB, want well under 64 MiB", allocated>>20)
	}
	if head := server.head(t); head != 0 {
		t.Fatalf("a refused sheet left %d events", head)
	}
}

// A client may not choose a key the spreadsheet import makes: under
// "sheet-client-7" another clerk's request would be answered as the first
// one's entry and lost. POST /api/v1/events refuses it, alone or in a
// batch, naming the field and the rule, and writes nothing; the import
// keeps its own keys (TestSpreadsheetImportedAgainByAnother).
func TestRecordRefusesAKeyReservedToTheSheetImport(t *testing.T) {
	server := startTestServer(t)
	rule := "keys starting with sheet- are made by the spreadsheet import"
	for _, token := range []string{server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleAdmin]} {
		got := call(t, "POST", server.URL+"/api/v1/events", token, donation("sheet-client-7", "D-K-1", "5000.00"))
		code, violations := got.errorOf(t)
		if got.status != http.StatusBadRequest || code != "invalid" || len(violations) != 1 ||
			violations[0]["field"] != "idempotency_key" || violations[0]["rule"] != rule {
			t.Fatalf("a reserved key: %d %s", got.status, got.body)
		}
	}
	batch := `{"events":[` + donation("k-1", "D-K-2", "1.00") + "," + donation("sheet-k-2", "D-K-3", "1.00") + `]}`
	got := call(t, "POST", server.URL+"/api/v1/events", server.Tokens[httpapi.RoleClerk], batch)
	if code, violations := got.errorOf(t); got.status != http.StatusBadRequest || code != "invalid" || len(violations) != 1 ||
		violations[0]["field"] != "events[1].idempotency_key" || violations[0]["rule"] != rule {
		t.Fatalf("a batch with a reserved key: %d %s", got.status, got.body)
	}
	if head := server.head(t); head != 0 {
		t.Fatalf("%d events written under a reserved key", head)
	}
}

// The dashboard's preview tells every problem of a row at once, the
// cell's (quoting what the cell holds behind its format) and the ledger's
// (an unknown campaign), in the language asked for.
func TestSpreadsheetPreviewTellsEveryProblemOfARow(t *testing.T) {
	server := startTestServer(t)
	sheet := filledDonations(t, server, [][]any{
		{"D-E-1", "150626 乌审旗 Uxin", "夏送清凉", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 100.555},
	})
	for lang, want := range map[string][][2]string{
		"zh": {{"第 3 行「金额（元）」", "必须是不超过两位小数的金额 (must be an amount in yuan with at most two decimals)：单元格的值是 100.555"},
			{"第 3 行「活动」", `「夏送清凉」不在目录中，请从下拉列表选择 (unknown campaign "夏送清凉"; known: `}},
		"en": {{`row 3, "Amount (yuan)"`, "must be an amount in yuan with at most two decimals: the cell holds 100.555"},
			{`row 3, "Campaign"`, `unknown campaign "夏送清凉"; known: `}},
	} {
		status, preview := postSheet(t, server, server.Tokens[httpapi.RoleClerk], "?dry_run=true&lang="+lang, sheet)
		if status != http.StatusUnprocessableEntity || len(preview.Rows) != 1 || len(preview.Rows[0].Problems) != len(want) {
			t.Fatalf("%s: %d %+v, want one row with %d problems", lang, status, preview, len(want))
		}
		for i, problem := range preview.Rows[0].Problems {
			if problem.Where != want[i][0] || !strings.HasPrefix(problem.Rule, want[i][1]) {
				t.Errorf("%s: problem %d is %q: %q, want %q: %q…", lang, i+1, problem.Where, problem.Rule, want[i][0], want[i][1])
			}
		}
	}
}
