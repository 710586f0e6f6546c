package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ordos-union/ledger/domain"
)

// Role is what a token may do.
type Role string

// Roles. Finance reconciles (a later feature) and reads like an auditor.
const (
	RoleViewer  Role = "viewer"
	RoleClerk   Role = "clerk"
	RoleFinance Role = "finance"
	RoleAuditor Role = "auditor"
	RoleAdmin   Role = "admin"
)

func (r Role) valid() bool {
	switch r {
	case RoleViewer, RoleClerk, RoleFinance, RoleAuditor, RoleAdmin:
		return true
	}
	return false
}

// Token is one credential: who holds it and what role it has.
type Token struct {
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	Token string `json:"token"`
	// Personal grants reading personal data (finance, auditors and admins
	// only); every such read is logged.
	Personal bool `json:"personal,omitempty"`
}

// tokenBytesMin refuses guessable tokens.
const tokenBytesMin = 16

// Tokens checks bearer tokens. It keeps only SHA-256 digests and compares
// them in constant time.
type Tokens struct {
	// entries are who holds each token.
	entries []identity
	// digests are the entries' digests in the same order, kept together
	// and as words so that a lookup, which compares every one of them,
	// reads one short run of memory.
	digests []digestWords
}

// digestWords is a SHA-256 digest as four 64-bit words: comparing two takes
// four exclusive-ors, where a byte-by-byte constant-time compare loops over
// 32 bytes. With a few dozen tokens the byte loop was most of the cost of
// checking a request's token.
type digestWords [sha256.Size / 8]uint64

// wordsOf reads a digest as four little-endian words. Any fixed order
// would do, as long as every digest is read the same way.
func wordsOf(digest [sha256.Size]byte) digestWords {
	var words digestWords
	for i := range words {
		words[i] = binary.LittleEndian.Uint64(digest[i*8:])
	}
	return words
}

// sameDigest is 1 when two digests are equal and 0 when not, in time that
// does not depend on them: every word is compared, the differences are
// folded together, and the result is computed without a branch, as
// subtle.ConstantTimeCompare does over bytes.
func sameDigest(a, b digestWords) int {
	difference := (a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])
	return subtle.ConstantTimeEq(int32(uint32(difference>>32)|uint32(difference)), 0)
}

// NewTokens checks and indexes tokens.
func NewTokens(tokens []Token) (*Tokens, error) {
	result := &Tokens{}
	seen := map[[sha256.Size]byte]bool{}
	for i, token := range tokens {
		if !token.Role.valid() {
			return nil, fmt.Errorf("token %d (%s): role must be viewer, clerk, finance, auditor or admin", i+1, token.Name)
		}
		if len(token.Token) < tokenBytesMin {
			return nil, fmt.Errorf("token %d (%s): must be at least %d characters", i+1, token.Name, tokenBytesMin)
		}
		digest := sha256.Sum256([]byte(token.Token))
		if seen[digest] {
			return nil, fmt.Errorf("token %d (%s): the same token is listed twice", i+1, token.Name)
		}
		seen[digest] = true
		if token.Personal && token.Role != RoleAuditor && token.Role != RoleAdmin && token.Role != RoleFinance {
			return nil, fmt.Errorf("token %d (%s): only finance, auditors and admins may be granted personal data", i+1, token.Name)
		}
		result.entries = append(result.entries, identity{name: token.Name, role: token.Role, personal: token.Personal})
		result.digests = append(result.digests, wordsOf(digest))
	}
	return result, nil
}

// LoadTokens reads {"tokens":[{"name":…,"role":…,"token":…}]}.
func LoadTokens(reader io.Reader) (*Tokens, error) {
	var file struct {
		Tokens []Token `json:"tokens"`
	}
	decoder := json.NewDecoder(io.LimitReader(reader, 1<<20))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&file); err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	return NewTokens(file.Tokens)
}

// ParseTokens reads "name:role:token,name:role:token" (the environment form).
func ParseTokens(text string) (*Tokens, error) {
	var tokens []Token
	for _, field := range strings.Split(text, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		parts := strings.SplitN(field, ":", 3)
		if len(parts) != 3 {
			// A malformed entry is named by its place, counted as NewTokens
			// counts, and never quoted: with a separator missing, any part
			// of it may be the secret, and errors reach logs and terminals.
			return nil, fmt.Errorf("token %d: must be name:role:token, and it has %d of those parts (the entry is not shown, as it may hold a token)", len(tokens)+1, len(parts))
		}
		tokens = append(tokens, Token{Name: parts[0], Role: Role(parts[1]), Token: parts[2]})
	}
	return NewTokens(tokens)
}

// identity is who made a request.
type identity struct {
	name     string
	role     Role
	personal bool
}

func (t *Tokens) lookup(token string) (identity, bool) {
	return t.lookupDigest(wordsOf(sha256.Sum256([]byte(token))))
}

// lookupDigest finds the entry of a digest. Every entry is compared, with
// no early exit and no branch on a comparison's result, so the time taken
// says nothing of which entry, if any, matched.
func (t *Tokens) lookupDigest(digest digestWords) (identity, bool) {
	found := -1
	for i, candidate := range t.digests {
		found = subtle.ConstantTimeSelect(sameDigest(candidate, digest), i, found)
	}
	if found < 0 {
		return identity{}, false
	}
	return t.entries[found], true
}

// allows says whether a role may use an access level.
func (r Role) allows(access access) bool {
	switch access {
	case accessRead:
		return true
	case accessRecord:
		return r == RoleClerk || r == RoleFinance || r == RoleAdmin
	case accessFinance:
		return r == RoleFinance || r == RoleAuditor || r == RoleAdmin
	case accessInspect:
		return r == RoleClerk || r == RoleFinance || r == RoleAuditor || r == RoleAdmin
	case accessAudit:
		return r == RoleAuditor || r == RoleAdmin
	}
	return false
}

// access levels of routes.
type access int

const (
	// accessRead: dashboard data, totals, projection status: every role.
	accessRead access = iota
	// accessRecord: writing entries: clerks (campaign entries), finance
	// (bank lines, decisions, period closes) and admins.
	accessRecord
	// accessInspect: the log, audit trails, fund traces: everyone but
	// viewers.
	accessInspect
	// accessFinance: the reconciliation: finance, auditors and admins.
	accessFinance
	// accessAudit: the access log of personal data: auditors and admins.
	accessAudit
)

// recordRefusal is the 403 a role gets for recording event, or nil when it
// may. A void or correction that names closed_period changes a month
// finance has closed, deliberately: only the roles that close and reopen
// months (finance and admins) may, and finance records no other void or
// correction. The command line's operator, who holds the data directory,
// is not asked.
func (r Role) recordRefusal(event domain.Event) *apiError {
	amendment, amends := domain.AmendmentOf(event.Data)
	switch {
	case amends && amendment.ClosedPeriod != "" && !r.mayChangeClosedMonth():
		return &apiError{status: http.StatusForbidden, code: "forbidden", reason: reasonClosedPeriodRole,
			message: fmt.Sprintf("role %s may not change a month finance has closed (closed_period): only finance and admins record "+
				"a void or correction that names one; ask them, or ask finance to reopen the month", r)}
	case amends && amendment.ClosedPeriod != "" && r == RoleFinance:
		return nil
	case amends && r == RoleFinance:
		return &apiError{status: http.StatusForbidden, code: "forbidden", reason: reasonClosedPeriodOnly,
			message: "role finance records a void or correction only of an entry in a closed month, naming the month in " +
				"closed_period; clerks record the others"}
	case !r.mayRecord(string(event.Type)):
		return &apiError{status: http.StatusForbidden, code: "forbidden",
			message: fmt.Sprintf("role %s may not record %s entries", r, event.Type)}
	}
	return nil
}

// mayChangeClosedMonth says whether a role may change a month finance has
// closed: the roles that close and reopen months.
func (r Role) mayChangeClosedMonth() bool { return r == RoleFinance || r == RoleAdmin }

// mayRecord says whether a role may record an event type: clerks record the
// campaigns' entries, finance its own.
func (r Role) mayRecord(eventType string) bool {
	if eventType == "subject_erased" {
		// Erasing a person is an administrator's act.
		return r == RoleAdmin
	}
	switch r {
	case RoleAdmin:
		return true
	case RoleFinance:
		return financeTypes[eventType]
	case RoleClerk:
		return !financeTypes[eventType]
	}
	return false
}
