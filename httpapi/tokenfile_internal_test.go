package httpapi

import (
	"os"
	"path/filepath"
	"testing"
)

// A --tokens FILE in the README's shape, {"tokens":[{"name","role",
// "token","personal"}]}, grants personal data to the tokens that carry
// "personal": true and to no other; a clerk's token carrying it is refused.
func TestTokensFileCarriesThePersonalGrant(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens.json")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"tokens":[{"name":"auditor-li","role":"auditor","token":"auditor-token-0123456789","personal":true},
		{"name":"finance-wang","role":"finance","token":"finance-token-0123456789"}]}`)
	tokens, _, _, err := LoadServerTokens(file, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]identity{
		"auditor-token-0123456789": {name: "auditor-li", role: RoleAuditor, personal: true},
		"finance-token-0123456789": {name: "finance-wang", role: RoleFinance},
	} {
		if who, ok := tokens.lookup(token); !ok || who != want {
			t.Errorf("token of %s: %+v (found %v), want %+v", want.name, who, ok, want)
		}
	}
	write(`{"tokens":[{"name":"clerk-zhao","role":"clerk","token":"clerk-token-0123456789","personal":true}]}`)
	if tokens, _, _, err := LoadServerTokens(file, "", t.TempDir()); err == nil {
		t.Fatalf("a clerk's token granted personal data was read: %+v", tokens)
	}
}
