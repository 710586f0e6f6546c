package httpapi

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

// TestLookupMatchesOnlyTheWholeDigest checks the word-wise comparison of
// digests: a digest that differs from a known one in any single bit of any
// word is not taken for it, each known token finds its own entry whatever
// its place in the list, and an unknown token finds none.
func TestLookupMatchesOnlyTheWholeDigest(t *testing.T) {
	var known []Token
	for i := range 40 {
		known = append(known, Token{Name: fmt.Sprintf("holder-%d", i), Role: RoleClerk, Token: fmt.Sprintf("token-%02d-0123456789abcdef", i)})
	}
	tokens, err := NewTokens(known)
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range known {
		who, ok := tokens.lookup(token.Token)
		if !ok || who.name != token.Name || who.role != token.Role {
			t.Fatalf("%s: found %+v, %v", token.Name, who, ok)
		}
	}
	for _, unknown := range []string{"", "token-40-0123456789abcdef", "token-00-0123456789abcde", known[0].Token + " "} {
		if who, ok := tokens.lookup(unknown); ok {
			t.Fatalf("unknown token %q found %+v", unknown, who)
		}
	}
	target := wordsOf(sha256.Sum256([]byte(known[17].Token)))
	for word := range target {
		for bit := range 64 {
			near := target
			near[word] ^= 1 << bit
			if who, ok := tokens.lookupDigest(near); ok {
				t.Fatalf("a digest differing in bit %d of word %d found %+v", bit, word, who)
			}
		}
	}
	if who, ok := tokens.lookupDigest(target); !ok || who.name != known[17].Name {
		t.Fatalf("the digest itself found %+v, %v", who, ok)
	}
}

// BenchmarkTokenLookup checks a token among 51, as the HTTP benchmark's
// server does for every request.
func BenchmarkTokenLookup(b *testing.B) {
	known := []Token{{Name: "bench", Role: RoleAdmin, Token: "bench-token-0123456789abcdef"}}
	for client := range 50 {
		known = append(known, Token{Name: fmt.Sprintf("viewer-%d", client), Role: RoleViewer, Token: fmt.Sprintf("bench-viewer-%02d-0123456789abcdef", client)})
	}
	tokens, err := NewTokens(known)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tokens.lookup("bench-token-0123456789abcdef"); !ok {
			b.Fatal("the token was not found")
		}
	}
}

// A malformed LEDGER_TOKENS entry is named by its place, never quoted: the
// part that is not a name and role may be the secret itself.
func TestParseTokensNeverEchoesAnEntry(t *testing.T) {
	const secret = "Sup3rS3cretT0kenValue"
	for text, place := range map[string]string{
		"alice:admin:aaaaaaaaaaaaaaaaaaaa,bob-admin-" + secret: "token 2:",
		"alice:admin:aaaaaaaaaaaaaaaaaaaa,bob:" + secret:       "token 2:",
		" , " + secret + ",alice:admin:aaaaaaaaaaaaaaaaaaaa":   "token 1:",
	} {
		_, err := ParseTokens(text)
		if err == nil {
			t.Fatalf("ParseTokens(%q) accepted a malformed entry", text)
		}
		if strings.Contains(err.Error(), "Sup3r") || strings.Contains(err.Error(), "bob") {
			t.Errorf("ParseTokens error shows the entry: %v", err)
		}
		if !strings.HasPrefix(err.Error(), place) || !strings.Contains(err.Error(), "name:role:token") {
			t.Errorf("ParseTokens error %q does not name the entry as %q and the form it must have", err, place)
		}
	}
}
