package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
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
		Row      int
		Status   string
		Problems []struct{ Column, Rule, Where string }
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
