package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// lockedBuffer is a log destination the server's goroutines may write to
// while the test reads it.
type lockedBuffer struct {
	mu     sync.Mutex
	buffer bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.String()
}

// A write whose client went away before the ledger answered (its request
// context ended) is no failure of the ledger: it is not logged as an error
// nor counted as a 500 "internal error", but as a client gone (499,
// reason client_gone), logged at info.
func TestClientGoneIsNoInternalError(t *testing.T) {
	var logged lockedBuffer
	server := startTestServer(t, func(options *httpapi.Options) {
		options.Logger = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	gone, hangUp := context.WithCancel(context.Background())
	hangUp()
	body := fmt.Sprintf(donationJSON, "gone-1", "D-GONE-1", "100.00")
	request := httptest.NewRequestWithContext(gone, http.MethodPost, "/api/v1/events", strings.NewReader(body))
	request.Header.Set("Authorization", "Bearer "+server.Tokens[httpapi.RoleClerk])
	request.Header.Set("Content-Type", "application/json")
	answer := httptest.NewRecorder()
	server.API.Handler().ServeHTTP(answer, request)
	if answer.Code != 499 || !strings.Contains(answer.Body.String(), `"client_gone"`) {
		t.Errorf("a write whose client went away: %d %s, want 499 client_gone", answer.Code, answer.Body)
	}
	if log := logged.String(); strings.Contains(log, "level=ERROR") || !strings.Contains(log, `msg="client went away"`) {
		t.Errorf("the log says, want no error and the client gone at info:\n%s", log)
	}
	metrics := call(t, "GET", server.URL+"/metrics", server.Tokens[httpapi.RoleFinance], "")
	for _, line := range []string{`ledger_rejections_total{reason="client_gone"} 1`, `route="POST /api/v1/events",status="499"} 1`} {
		if !strings.Contains(string(metrics.body), line) {
			t.Errorf("the metrics lack %s:\n%s", line, metrics.body)
		}
	}
}
