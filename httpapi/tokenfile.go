package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ordos-union/ledger/internal/atomicfile"
	"github.com/ordos-union/ledger/internal/private"
)

// FirstRunToken is one of the tokens made for a data directory that has
// none: its holder's name, role and grant, and what it is for, as the
// banner of the first start lists it.
type FirstRunToken struct {
	Name     string
	Role     Role
	Personal bool
	Does     string
}

// FirstRunTokens are the tokens LoadServerTokens makes on the first start
// of a data directory: one a role, each with no more than its work needs.
// Finance alone has the personal-data grant: importing a bank statement
// names the counterparties, and an import or preview of one is refused
// without it (statementImport), so finance's monthly work needs it. The
// admin and the auditor do not: an operator who wants them to read names
// grants it in tokens.json.
func FirstRunTokens() []FirstRunToken {
	return []FirstRunToken{
		{Name: "local-admin", Role: RoleAdmin, Does: "records and decides anything, erases a person; reads everything but names (no personal-data grant)"},
		{Name: "local-clerk", Role: RoleClerk, Does: "records campaign entries, voids and corrections (not of a closed month); " +
			"reads the log, audit trails and traces"},
		{Name: "local-finance", Role: RoleFinance, Personal: true, Does: "imports bank statements, reconciles, closes periods and " +
			"voids or corrects their entries (closed_period); reads the log and the reconciliation, names included (each such read is recorded)"},
		{Name: "local-auditor", Role: RoleAuditor, Does: "reads the log, audit trails, traces, the reconciliation and the access log; records nothing"},
		{Name: "local-viewer", Role: RoleViewer, Does: "the dashboard's totals and live feed"},
	}
}

// LoadServerTokens reads the tokens file, or the tokens text (name:role:
// token,...), or makes a set of tokens once (FirstRunTokens) and keeps it
// in the data directory (mode 0600), never in the repository. A tokens
// file already there is read as it is and never written: the operator's
// own edits stay. It returns the tokens,
// a note of where they came from and, for the data directory's own tokens
// when it made them, the local admin's token, so the person who started
// the server can open the dashboard once.
//
// A tokens file that group or other users may read or write is refused
// (private.ExposedError), --tokens FILE and the data directory's alike:
// whoever read a token acts with its role, and whoever may write the file
// gives themselves one.
func LoadServerTokens(tokensFile, tokensText, dataDir string) (*Tokens, string, string, error) {
	if tokensFile != "" {
		handle, err := private.Open(tokensFile)
		if err != nil {
			return nil, "", "", err
		}
		defer handle.Close()
		tokens, err := LoadTokens(handle)
		return tokens, "tokens from " + tokensFile, "", err
	}
	if tokensText != "" {
		tokens, err := ParseTokens(tokensText)
		return tokens, "tokens from LEDGER_TOKENS", "", err
	}
	path := filepath.Join(dataDir, "tokens.json")
	content, err := private.ReadFile(path)
	note := "tokens in " + path
	made := errors.Is(err, os.ErrNotExist)
	if made {
		var made []Token
		for _, first := range FirstRunTokens() {
			secret := make([]byte, 24)
			if _, err := rand.Read(secret); err != nil {
				return nil, "", "", err
			}
			made = append(made, Token{Name: first.Name, Role: first.Role, Token: hex.EncodeToString(secret), Personal: first.Personal})
		}
		if content, err = json.MarshalIndent(map[string]any{"tokens": made}, "", "  "); err != nil {
			return nil, "", "", err
		}
		// Written whole or not at all: a torn token file would stop the
		// next start.
		if err := atomicfile.Write(path, content, 0o600); err != nil {
			return nil, "", "", err
		}
		note = "new tokens written to " + path
	} else if err != nil {
		return nil, "", "", err
	}
	var file struct {
		Tokens []Token `json:"tokens"`
	}
	if err := json.Unmarshal(content, &file); err != nil {
		return nil, "", "", fmt.Errorf("%s: %w", path, err)
	}
	tokens, err := NewTokens(file.Tokens)
	admin := ""
	for _, token := range file.Tokens {
		if token.Role == RoleAdmin && admin == "" && made {
			admin = token.Token
		}
	}
	return tokens, note, admin, err
}
