package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// The first start of a data directory makes a token a role, finance's
// with the personal-data grant: finance previews and imports a statement
// that names counterparties with it (before, no finance token was made,
// and none had the grant, so both were 403 until tokens.json was edited by
// hand), and may not record a campaign entry. No other token has the
// grant. A tokens file already there is read and never written.
func TestFirstRunTokensLetFinanceImportAStatement(t *testing.T) {
	dir := t.TempDir()
	tokens, _, admin, err := httpapi.LoadServerTokens("", "", dir)
	if err != nil || admin == "" {
		t.Fatalf("first start: %v %q", err, admin)
	}
	content, err := os.ReadFile(filepath.Join(dir, "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Tokens []httpapi.Token }
	if err := json.Unmarshal(content, &file); err != nil {
		t.Fatal(err)
	}
	made := map[httpapi.Role]httpapi.Token{}
	for _, token := range file.Tokens {
		made[token.Role] = token
		if token.Personal != (token.Role == httpapi.RoleFinance) {
			t.Errorf("token %s (%s): personal %v, want the grant on finance's alone", token.Name, token.Role, token.Personal)
		}
	}
	for _, first := range httpapi.FirstRunTokens() {
		if got := made[first.Role]; got.Name != first.Name || got.Personal != first.Personal {
			t.Errorf("made %+v for role %s, want %s", got, first.Role, first.Name)
		}
	}
	if len(file.Tokens) != 5 {
		t.Fatalf("made %d tokens, want one for each of the five roles", len(file.Tokens))
	}

	server := startTestServer(t, func(options *httpapi.Options) { options.Tokens, options.Clock = tokens, financeClock() })
	finance, clerk := made[httpapi.RoleFinance].Token, made[httpapi.RoleClerk].Token
	const path = "/api/v1/reconciliation/statements?file=june.csv&account=acct-first"
	statement := "日期,流水号,摘要,对方户名,对方账号,交易金额\n2022-06-23,,捐款,赵某某,,500.00\n"
	if got := call(t, "POST", server.URL+path+"&preview=true", finance, statement); got.status != http.StatusOK {
		t.Fatalf("finance's preview of a statement naming a counterparty: %d %s", got.status, got.body)
	}
	if got := call(t, "POST", server.URL+path, finance, statement); got.status != http.StatusCreated {
		t.Fatalf("finance's import of a statement naming a counterparty: %d %s", got.status, got.body)
	}
	if got := call(t, "POST", server.URL+path, clerk, statement); got.status != http.StatusForbidden {
		t.Fatalf("a clerk's import: %d %s, want 403", got.status, got.body)
	}
	if got := call(t, "POST", server.URL+"/api/v1/events", finance, donation("first-1", "D-FIRST-1", "10.00")); got.status != http.StatusForbidden {
		t.Fatalf("finance recording a donation: %d %s, want 403", got.status, got.body)
	}

	// An operator's file, without a finance token, stays as it is.
	kept := t.TempDir()
	own := []byte(`{"tokens":[{"name":"ops","role":"admin","token":"ops-admin-0123456789"}]}` + "\n")
	if err := os.WriteFile(filepath.Join(kept, "tokens.json"), own, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, admin, err := httpapi.LoadServerTokens("", "", kept); err != nil || admin != "" {
		t.Fatalf("an operator's tokens file: %v, admin %q shown", err, admin)
	}
	if after, err := os.ReadFile(filepath.Join(kept, "tokens.json")); err != nil || !bytes.Equal(after, own) {
		t.Fatalf("an operator's tokens file was changed: %v\n%s", err, after)
	}
	// The operator adds finance's token as docs/OPERATIONS.md shows: the
	// next start reads it, granted, and leaves the file as written.
	own = []byte(`{"tokens":[{"name":"ops","role":"admin","token":"ops-admin-0123456789"},` +
		`{"name": "local-finance", "role": "finance", "token": "9f2c4e1a7b3d5f6e8a0c2e4f6a8b0d1c3e5f7a9b1d3c5e7f", "personal": true}]}`)
	if err := os.WriteFile(filepath.Join(kept, "tokens.json"), own, 0o600); err != nil {
		t.Fatal(err)
	}
	added, _, _, err := httpapi.LoadServerTokens("", "", kept)
	if err != nil {
		t.Fatal(err)
	}
	server = startTestServer(t, func(options *httpapi.Options) { options.Tokens, options.Clock = added, financeClock() })
	if got := call(t, "POST", server.URL+path+"&preview=true", "9f2c4e1a7b3d5f6e8a0c2e4f6a8b0d1c3e5f7a9b1d3c5e7f", statement); got.status != http.StatusOK {
		t.Fatalf("the added finance token's preview: %d %s", got.status, got.body)
	}
	if after, err := os.ReadFile(filepath.Join(kept, "tokens.json")); err != nil || !bytes.Equal(after, own) {
		t.Fatalf("the operator's edited tokens file was changed: %v\n%s", err, after)
	}
}
