package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/httpapi"
)

// lateStore is the JetStream store whose append numbered failing (from 1)
// lands and then answers as the group-commit store does when the append's
// deadline passed while it waited: context deadline exceeded, with the
// events in the log all the same.
type lateStore struct {
	*natsjs.Store
	mu      sync.Mutex
	appends int
	failing int
}

func (s *lateStore) Append(ctx context.Context, parts ...eventstore.AggregateAppend) ([]uint64, error) {
	positions, err := s.Store.Append(ctx, parts...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.appends++; s.appends == s.failing && err == nil {
		return nil, fmt.Errorf("append: %w", context.DeadlineExceeded)
	}
	return positions, err
}

// startLateServer is a test server on a lateStore whose second append
// gives up waiting.
func startLateServer(t *testing.T, options ...func(*httpapi.Options)) (*testServer, *lateStore) {
	late := &lateStore{failing: 2}
	server := startServerOn(t, func(store *natsjs.Store) eventstore.Store {
		late.Store = store
		return late
	}, options...)
	return server, late
}

// A sheet of three batches whose second batch's write gave up waiting for
// the store (it landed all the same) is answered with every row: the first
// batch's recorded, the second's of unknown outcome, the third's not
// recorded, and the count of rows recorded, as 503 outcome_unknown, never
// a bare 500. Importing the same sheet again records each row once.
func TestSheetImportOfUnknownOutcome(t *testing.T) {
	server, late := startLateServer(t)
	const count = 2500
	rows := make([][]any, count)
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("D-U-%d", i), "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 10}
	}
	sheet := filledDonations(t, server, rows)
	reply := call(t, "POST", server.URL+"/api/v1/imports?lang=en", server.Tokens[httpapi.RoleClerk], string(sheet))
	var answer importReply
	if err := json.Unmarshal(reply.body, &answer); err != nil || reply.status != http.StatusServiceUnavailable || answer.Error == nil ||
		answer.Error.Code != "outcome_unknown" || answer.Recorded != 1000 || len(answer.Rows) != count {
		t.Fatalf("the import: %d, %d rows, recorded %d, error %+v; want 503 outcome_unknown with every row, 1000 recorded (%v)",
			reply.status, len(answer.Rows), answer.Recorded, answer.Error, err)
	}
	want := "rows 1003-2002 may have been recorded; importing the same sheet again is safe, every row's key finds the row if it was; " +
		"the 1000 entries before them were recorded"
	if !strings.HasSuffix(answer.Error.Message, want) {
		t.Errorf("the error says %q, want it to end %q", answer.Error.Message, want)
	}
	for i, row := range answer.Rows {
		status := "recorded"
		if i >= 2000 {
			status = "valid"
		} else if i >= 1000 {
			status = "unknown"
		}
		if row.Status != status {
			t.Fatalf("row %d is %s, want %s", row.Row, row.Status, status)
		}
	}
	if head := server.head(t); head != 2000 {
		t.Fatalf("head %d, want the 2000 rows whose write landed", head)
	}
	late.mu.Lock()
	late.failing = 0
	late.mu.Unlock()
	status, again := postSheet(t, server, server.Tokens[httpapi.RoleClerk], "", sheet)
	if status != http.StatusCreated || again.Recorded != 500 || again.Duplicates != 2000 || again.Error != nil {
		t.Fatalf("the same sheet again: %d, recorded %d, duplicates %d, %+v; want the last 500 recorded", status, again.Recorded,
			again.Duplicates, again.Error)
	}
	if head := server.head(t); head != count {
		t.Fatalf("head %d, want each of the %d rows once", head, count)
	}
}

// A statement of two parts whose second part's write gave up waiting (it
// landed all the same) is answered with the import and the line events
// written before it, as 503 outcome_unknown; importing it again writes
// nothing more, finding every line there.
func TestStatementImportOfUnknownOutcome(t *testing.T) {
	server, late := startLateServer(t, func(options *httpapi.Options) { options.Clock = financeClock() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const count = 500
	var statement strings.Builder
	statement.WriteString("日期,流水号,摘要,对方户名,对方账号,交易金额\n")
	for i := range count {
		fmt.Fprintf(&statement, "2022-06-08,ICBC-U-%04d,利息,,,1.00\n", i)
	}
	const path = "/api/v1/reconciliation/statements?file=june.csv&account=icbc-test-account"
	status, body := financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path, statement.String())
	var answer struct {
		statementAnswer
		Error *struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &answer); err != nil || status != http.StatusServiceUnavailable || answer.Error == nil ||
		answer.Error.Code != "outcome_unknown" || answer.Import.Written == 0 || answer.Import.Written >= count {
		t.Fatalf("the import: %d %.300s; want 503 outcome_unknown, with the lines written before (%v)", status, body, err)
	}
	want := fmt.Sprintf("the statement's last part may have been written, after %d line events; importing the same statement again is safe, "+
		"its lines written are found", answer.Import.Written)
	if !strings.HasSuffix(answer.Error.Message, want) {
		t.Errorf("the error says %q, want it to end %q", answer.Error.Message, want)
	}
	head := server.head(t)
	late.mu.Lock()
	late.failing = 0
	late.mu.Unlock()
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost, path, statement.String())
	answer.Import.Written, answer.Import.Already = -1, nil
	if err := json.Unmarshal(body, &answer); err != nil || status != http.StatusCreated || answer.Import.Written != 0 ||
		len(answer.Import.Already) != count || server.head(t) != head {
		t.Fatalf("the same statement again: %d %.300s; want every line found there and nothing written (%v)", status, body, err)
	}
}
