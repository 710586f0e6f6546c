package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile/statement"
)

// Import is a statement turned into events, with what was left out.
type Import struct {
	Events []domain.Event
	// Repeats are lines the statement printed twice (the same serial and
	// content): they are not a second movement of money.
	Repeats []statement.Duplicate
}

var accountTokenPattern = regexp.MustCompile(`[^a-z0-9-]+`)

// AccountCode turns a bank account number into the aggregate id: lower-case
// letters, digits and dashes.
func AccountCode(account string) string {
	code := strings.Trim(accountTokenPattern.ReplaceAllString(strings.ToLower(strings.TrimSpace(account)), "-"), "-")
	if len(code) > 64 {
		code = code[:64]
	}
	return code
}

// LineID is a bank line's stable id: from the serial when there is one,
// else from what the line says and how many equal lines came before it in
// the same statement. Importing the same file, or an overlapping one, gives
// the same ids, and so writes nothing twice.
func LineID(account string, line statement.Line, occurrence int) string {
	identity := account + "|" + line.Serial
	if line.Serial == "" {
		identity = fmt.Sprintf("%s|%s|%s|%s|%s|%d", account, line.Date.Format(time.DateOnly), line.Amount, line.Counterparty,
			line.Remark, occurrence)
	}
	sum := sha256.Sum256([]byte(identity))
	return "L-" + hex.EncodeToString(sum[:])[:20]
}

// BuildImport turns a parsed statement into bank line events for account.
// The balances must add up where the statement gives them.
func BuildImport(parsed statement.Statement, account, actor, fileName string, now time.Time) (Import, error) {
	code := AccountCode(account)
	if code == "" {
		return Import{}, fmt.Errorf("account %q has no letters or digits: %w", account, domain.ErrInvalid)
	}
	if err := parsed.CheckBalances(); err != nil {
		return Import{}, fmt.Errorf("statement balances do not add up, nothing imported: %v: %w", err, domain.ErrInvalid)
	}
	repeats := map[int]bool{}
	result := Import{Repeats: parsed.Duplicates()}
	for _, repeat := range result.Repeats {
		repeats[repeat.Line] = true
	}
	occurrences := map[string]int{}
	for _, line := range parsed.Lines {
		if repeats[line.Number] {
			continue
		}
		key := fmt.Sprintf("%s|%s|%s|%s", line.Date.Format(time.DateOnly), line.Amount, line.Counterparty, line.Remark)
		occurrence := occurrences[key]
		occurrences[key]++
		id := LineID(code, line, occurrence)
		data := domain.BankLineImported{Account: code, LineID: id, Serial: line.Serial, BookedOn: line.Date.In(beijing).Format(time.DateOnly),
			Amount: line.Amount, Balance: line.Balance, Remark: truncateRunes(line.Remark, 2000), Statement: truncateRunes(fileName, 200)}
		event := domain.Event{Type: domain.TypeBankLineImported, County: cityCodeDefault, OccurredAt: line.Date, Actor: actor,
			IdempotencyKey: "bankline-" + id, Data: data}
		if line.Counterparty != "" || line.CounterpartyAccount != "" {
			event.Personal = &domain.Personal{Donor: &domain.Person{Name: truncateRunes(line.Counterparty, 100),
				BankAccount: strings.ReplaceAll(line.CounterpartyAccount, " ", "")}}
		}
		if event.OccurredAt.After(now) {
			event.OccurredAt = now
		}
		result.Events = append(result.Events, event)
	}
	return result, nil
}

// cityCodeDefault is the county of finance's events: the federation itself.
// Callers with another catalog set the county before recording.
const cityCodeDefault = "150600"

func truncateRunes(text string, max int) string {
	runes := []rune(text)
	if len(runes) <= max {
		return text
	}
	return string(runes[:max])
}
