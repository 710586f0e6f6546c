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

// accessRecords are the access log as an auditor reads it.
func accessRecords(t *testing.T, server *testServer, token string) []struct {
	Reader, Role, Via string
	Subjects          []string
	MoreSubjects      int `json:"more_subjects"`
} {
	t.Helper()
	got := call(t, "GET", server.URL+"/api/v1/access-log", token, "")
	var accessLog struct {
		Records []struct {
			Reader, Role, Via string
			Subjects          []string
			MoreSubjects      int `json:"more_subjects"`
		}
	}
	if got.status != http.StatusOK || json.Unmarshal(got.body, &accessLog) != nil {
		t.Fatalf("access log: %d %s", got.status, got.body)
	}
	return accessLog.Records
}

// A statement that names counterparties is compared with the names the
// ledger holds: whether a line is "new" or "already" there told a reader
// without the personal-data grant whether a guessed name was the one on a
// line (a security review guessed 钱某某, then 赵某某, in previews that
// wrote nothing and left no trace), even after the person was erased.
// Importing or previewing such a statement now needs the grant: without
// it the answer is 403 naming the grant, nothing is written and nothing
// is told; with it the read is recorded in the access log naming whose
// line was compared. A statement that names no one needs no grant. After
// an erasure a granted reader's right guess still matches the erased
// person's line (the id must, or the line would be imported twice), and
// the access log names the erased subject.
func TestStatementWithNamesNeedsTheGrant(t *testing.T) {
	server := startTestServer(t, func(options *httpapi.Options) {
		options.Clock = financeClock()
		tokens, err := httpapi.NewTokens(append(grantTokens, httpapi.Token{Name: "admin-granted", Role: httpapi.RoleAdmin,
			Token: "admin-granted-0123456789", Personal: true}))
		if err != nil {
			t.Fatal(err)
		}
		options.Tokens = tokens
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const plain, granted, auditor = "finance-plain-0123456789", "finance-granted-0123456789", "auditor-granted-0123456789"
	const path = "/api/v1/reconciliation/statements?file=g.csv&account=acct-g"
	statement := func(name string) string {
		return "日期,流水号,摘要,对方户名,对方账号,交易金额\n2022-06-23,,捐款," + name + ",,500.00\n"
	}
	if got := call(t, "POST", server.URL+path, granted, statement("赵某某")); got.status != http.StatusCreated {
		t.Fatalf("import with the grant: %d %s", got.status, got.body)
	}
	head := func() uint64 {
		position, err := server.Store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return position
	}
	// The subject the line's counterparty was sealed under.
	listing := call(t, "GET", server.URL+"/api/v1/events?type=bank_line_imported", auditor, "")
	var log struct {
		Events []struct {
			Event struct {
				Personal struct {
					Donor struct {
						SubjectID string `json:"subject_id"`
					}
				}
			}
		}
	}
	if json.Unmarshal(listing.body, &log) != nil || len(log.Events) != 1 || log.Events[0].Event.Personal.Donor.SubjectID == "" {
		t.Fatalf("the bank line: %d %s", listing.status, listing.body)
	}
	subject := log.Events[0].Event.Personal.Donor.SubjectID

	refusedWithoutTheGrant := func(when string) {
		t.Helper()
		start, records := head(), len(accessRecords(t, server, auditor))
		for _, token := range []string{plain, "admin-plain-0123456789"} {
			for _, guess := range []string{"钱某某", "赵某某"} {
				for _, preview := range []string{"&preview=true", ""} {
					got := call(t, "POST", server.URL+path+preview, token, statement(guess))
					if got.status != http.StatusForbidden || !strings.Contains(string(got.body), `"code":"forbidden"`) ||
						!strings.Contains(string(got.body), `\"personal\": true`) || strings.Contains(string(got.body), "already") {
						t.Errorf("%s: %s without the grant, guessing %s%s: %d %s", when, token, guess, preview, got.status, got.body)
					}
				}
			}
		}
		if head() != start {
			t.Errorf("%s: a refused statement wrote to the log", when)
		}
		if after := len(accessRecords(t, server, auditor)); after != records {
			t.Errorf("%s: a refused statement was recorded as a read (%d records, then %d)", when, records, after)
		}
	}
	refusedWithoutTheGrant("before the erasure")

	// With the grant the preview answers, and the access log names whose
	// line the statement was compared with.
	preview := func(guess string) statementAnswer {
		t.Helper()
		got := call(t, "POST", server.URL+path+"&preview=true", granted, statement(guess))
		var answer statementAnswer
		if got.status != http.StatusOK || json.Unmarshal(got.body, &answer) != nil {
			t.Fatalf("preview of %s with the grant: %d %s", guess, got.status, got.body)
		}
		return answer
	}
	lastRead := func() []string {
		t.Helper()
		records := accessRecords(t, server, auditor)
		last := records[len(records)-1]
		if last.Reader != "finance-granted" || last.Via != "POST /api/v1/reconciliation/statements" {
			t.Fatalf("the last read recorded is %+v, want finance-granted's preview", last)
		}
		return last.Subjects
	}
	if answer := preview("赵某某"); len(answer.Import.Already) != 1 || len(answer.Import.New) != 0 {
		t.Errorf("the same line with the grant: %+v", answer.Import)
	}
	if subjects := lastRead(); strings.Join(subjects, ",") != subject {
		t.Errorf("the preview's read names subjects %v, want %s", subjects, subject)
	}
	if answer := preview("钱某某"); len(answer.Import.New) != 1 {
		t.Errorf("another name with the grant: %+v", answer.Import)
	}
	if subjects := lastRead(); len(subjects) != 0 {
		t.Errorf("a preview that matched no stored line names subjects %v", subjects)
	}

	// A statement that names no counterparty holds no personal data.
	anonymous := "日期,流水号,摘要,对方户名,对方账号,交易金额\n2022-06-24,,利息,,,1.20\n"
	if got := call(t, "POST", server.URL+path+"&preview=true", plain, anonymous); got.status != http.StatusOK {
		t.Errorf("a statement naming no one, without the grant: %d %s", got.status, got.body)
	}

	if _, _, err := server.Ledger.Forget(ctx, subject, "本人申请删除", "admin"); err != nil {
		t.Fatal(err)
	}
	refusedWithoutTheGrant("after the erasure")
	// What remains: a granted reader's right guess still finds the erased
	// person's line, and the read is recorded naming that person.
	if answer := preview("赵某某"); len(answer.Import.Already) != 1 {
		t.Errorf("the erased person's line with the grant: %+v", answer.Import)
	}
	if subjects := lastRead(); strings.Join(subjects, ",") != subject {
		t.Errorf("the preview after the erasure names subjects %v, want %s", subjects, subject)
	}
}
