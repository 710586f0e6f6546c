package httpapi_test

import (
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// A refused read is not told "nothing was written", which would suggest a
// read might write; a refused write still is.
func TestRefusedReadsAreNotToldNothingWasWritten(t *testing.T) {
	server := startTestServer(t)
	viewer, clerk := server.Tokens[httpapi.RoleViewer], server.Tokens[httpapi.RoleClerk]
	read := call(t, "GET", server.URL+"/api/v1/totals?by=campaign", viewer, "")
	if read.status != 400 || strings.Contains(string(read.body), "written") || !strings.Contains(string(read.body), "query breaks validation rules") {
		t.Errorf("GET /api/v1/totals?by=campaign: %d %s; want 400 saying the query breaks the rules, not that nothing was written", read.status, read.body)
	}
	write := call(t, "POST", server.URL+"/api/v1/events", clerk, donation("k-1", "D-1", "1.005"))
	if write.status != 400 || !strings.Contains(string(write.body), "the input breaks validation rules; nothing was written") {
		t.Errorf("POST a bad donation: %d %s; want 400 saying nothing was written", write.status, write.body)
	}
}
