package reconcile

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/privacy"
	"github.com/ordos-union/ledger/reconcile/statement"
)

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

// LineIDs makes bank lines' ids: "L-" and 20 hex digits of an HMAC-SHA-256,
// keyed with the ledger's secret (privacy.BankLineIDSecret), of the line's
// account and serial, or, without a serial, of what the line says and how
// many equal lines came before it in the same statement. Importing the same
// file, or an overlapping one, gives the same ids, and so writes nothing
// twice. The key is what keeps the id from telling the counterparty's name:
// every other field of a line is shown to readers without the personal-data
// grant, and the id stays in the log (and in exported tiles and mirrors)
// after the person is erased, so an unkeyed hash could be recomputed for
// every likely name until one matched.
type LineIDs struct{ key []byte }

// NewLineIDs returns the ledger's line ids, with the secret from its
// keystore, made there on first use. Backups, restores and migrations copy
// the keystore, secret included, so a copied ledger computes the same ids.
func NewLineIDs(ctx context.Context, keys privacy.Keystore) (LineIDs, error) {
	if keys == nil {
		return LineIDs{}, errors.New("bank line ids: the ledger has no keystore for their secret")
	}
	key, err := keys.CreateKey(ctx, privacy.BankLineIDSecret)
	if err != nil {
		return LineIDs{}, fmt.Errorf("bank line ids: %w", err)
	}
	return LineIDs{key: key}, nil
}

// ID is the id of a line of the account, the occurrence-th (from 0) of the
// statement's lines with its content (contentKey), when it has no serial.
func (ids LineIDs) ID(account string, line statement.Line, occurrence int) string {
	mac := hmac.New(sha256.New, ids.key)
	// Every field is written with its length, so no two different lines
	// write the same bytes, whatever their fields hold ("|" included).
	write := func(field string) {
		var size [binary.MaxVarintLen64]byte
		mac.Write(size[:binary.PutUvarint(size[:], uint64(len(field)))])
		mac.Write([]byte(field))
	}
	write("bank-line-id/1")
	write(account)
	if line.Serial != "" {
		write("serial")
		write(line.Serial)
	} else {
		write("content")
		write(contentKey(line))
		write(strconv.Itoa(occurrence))
	}
	return "L-" + hex.EncodeToString(mac.Sum(nil))[:20]
}

// contentKey is what a line without a serial is told apart by: its day,
// amount, counterparty and remark, each with its length so that no two
// different lines share one. The counterparty stays in it: without it, two
// lines alike but for who sent them would be counted as one content, and
// an overlapping statement, whose count starts again, would give the second
// line the first one's id and lose it.
func contentKey(line statement.Line) string {
	var key strings.Builder
	for _, field := range []string{line.Date.In(domain.Beijing).Format(time.DateOnly), line.Amount.String(), line.Counterparty, line.Remark} {
		fmt.Fprintf(&key, "%d:%s", len(field), field)
	}
	return key.String()
}

// legacyLineID is the id lines were given before ids were keyed: an unkeyed
// SHA-256 of the line's fields, from which a reader shown every other field
// could guess the counterparty's name. It is kept only to recognise the
// lines ledgers already hold under such ids (the log is immutable, so they
// keep them), so that importing their statement again writes nothing; a new
// line is never given one.
func legacyLineID(account string, line statement.Line, occurrence int) string {
	identity := account + "|" + line.Serial
	if line.Serial == "" {
		identity = fmt.Sprintf("%s|%s|%s|%s|%s|%d", account, line.Date.Format(time.DateOnly), line.Amount, line.Counterparty,
			line.Remark, occurrence)
	}
	sum := sha256.Sum256([]byte(identity))
	return "L-" + hex.EncodeToString(sum[:])[:20]
}

// legacyContentKey is what legacyLineID counted equal lines by.
func legacyContentKey(line statement.Line) string {
	return fmt.Sprintf("%s|%s|%s|%s", line.Date.Format(time.DateOnly), line.Amount, line.Counterparty, line.Remark)
}

// ImportRequest is what a clerk asks for when importing a statement.
type ImportRequest struct {
	// Account is our bank account number; empty takes the one the
	// statement states.
	Account string
	// FileName, Actor and County go into the provenance event; County is
	// the federation's own code (finance's events belong to it).
	FileName string
	Actor    string
	County   string
	// Strict refuses a statement whose printed footer totals disagree with
	// its lines; without it the disagreement is a warning.
	Strict bool
	// AcceptBalanceGap imports a statement whose opening balance disagrees
	// with the ledger's balance before it (a statement in between is
	// missing); the gap is recorded as a warning of the import.
	AcceptBalanceGap bool
	Now              time.Time
	// Check applies the ledger's rules to one event, as recording it
	// would (ledger.Service.Check). The plan checks every event it would
	// write with it, so a preview refuses what the import would. Nil takes
	// domain.Validator with the default catalog and Now as the clock;
	// Import takes its recorder's Check when it has one.
	Check func(domain.Event) error
	// LineIDs gives new lines their ids (NewLineIDs on the ledger's
	// keystore); required.
	LineIDs LineIDs
}

// PlannedLine is one statement line as the import sees it.
type PlannedLine struct {
	LineID       string        `json:"line_id"`
	Serial       string        `json:"serial,omitempty"`
	Date         string        `json:"date"`
	Amount       domain.Money  `json:"amount"`
	Balance      *domain.Money `json:"balance,omitempty"`
	Counterparty string        `json:"counterparty,omitempty"`
	Remark       string        `json:"remark,omitempty"`
	Where        string        `json:"where,omitempty"`
	// Subject is, for a line the ledger already holds, its counterparty's
	// data subject id (also when erased): the import compared the name
	// stored for that person, and the access log says so. Never shown.
	Subject string `json:"-"`
}

// ImportPlan is what importing a statement will write, and what it found:
// the lines the ledger does not have yet, those it has, the rows the bank
// printed twice, and the checks. It is shown as a preview and written by
// Import; both come from PlanImport, so they cannot differ.
type ImportPlan struct {
	domain.StatementHeader
	New          []PlannedLine         `json:"new"`
	Already      []PlannedLine         `json:"already"`
	PrintedTwice []domain.PrintedTwice `json:"printed_twice"`
	// BalanceChecked says the opening balance was compared with the
	// ledger's balance before the statement's first day.
	BalanceChecked bool `json:"balance_checked"`
	// BalanceAgrees says the opening balance was compared and agrees; a
	// gap is then among Problems, or among Warnings when accepted.
	BalanceAgrees bool `json:"balance_agrees"`
	// Warnings are recorded with the import; Problems refuse it.
	Warnings []string `json:"warnings"`
	Problems []string `json:"problems"`
	// Invalid are the ledger's rules that the events of the statement's
	// lines would break, in statement order, each naming its line and
	// cell; at most invalidShownMax, and InvalidMore counts the rest. Each
	// is also the last of Problems, as text, so that every reader of
	// Problems sees the import refused.
	Invalid     []LineProblem `json:"invalid"`
	InvalidMore int           `json:"invalid_more"`
	// Batches are the events to write, each one atomic batch: a part's new
	// lines and the statement_imported event that lists them.
	Batches [][]domain.Event `json:"-"`
}

// LineProblem is a rule of the ledger that the event of a statement line
// would break: which line, where in the file, what the line says there and
// the rule. A rule about the import itself (the actor, say) has no line.
type LineProblem struct {
	// Line is the line's number within the statement (1-based), 0 for a
	// rule about the import rather than one line.
	Line int `json:"line,omitempty"`
	// Where names the cell, with its column's header ("csv line 900,
	// column 5 (对方账号)"), or the row when the cell is not known.
	Where string `json:"where,omitempty"`
	// Field is what the line says there ("counterparty account"), or the
	// event's field for a rule about the import ("actor").
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

// Violation is the problem as a domain violation: the statement's cell is
// its field, so a front end names the line and column, not the event.
func (l LineProblem) Violation() domain.Violation {
	if l.Where == "" {
		return domain.Violation{Field: l.Field, Rule: l.Rule}
	}
	return domain.Violation{Field: l.Where, Rule: l.Field + " " + l.Rule}
}

func (l LineProblem) String() string { return l.Violation().String() }

// invalidMore is the last problem of a plan whose lines break more rules
// than it names.
func (p ImportPlan) invalidMore() string {
	return fmt.Sprintf("and %d more: only the first %d problems of the lines are named", p.InvalidMore, invalidShownMax)
}

// Refused is the error of a plan with problems, naming every one: the
// statement's problems, then the rules its lines break, each as a
// violation of the line's cell.
func (p ImportPlan) Refused() error {
	if len(p.Problems) == 0 {
		return nil
	}
	// The line problems are the last of Problems, as text; they are named
	// here as data instead.
	named := len(p.Invalid)
	if p.InvalidMore > 0 {
		named++
	}
	general := p.Problems[:max(0, len(p.Problems)-named)]
	violations := make([]domain.Violation, 0, len(general)+named)
	for _, problem := range general {
		violations = append(violations, domain.Violation{Field: "statement", Rule: problem})
	}
	for _, problem := range p.Invalid {
		violations = append(violations, problem.Violation())
	}
	if p.InvalidMore > 0 {
		violations = append(violations, domain.Violation{Field: "statement", Rule: p.invalidMore()})
	}
	return fmt.Errorf("nothing imported: %w", &domain.ValidationError{Violations: violations})
}

// Limits of an import, unit last.
const (
	// printedTwiceMax bounds the printed-twice rows recorded with one
	// import: a statement with more is a broken export.
	printedTwiceMax = domain.StatementPartLinesMax
	// importAttemptsMax bounds the fresh looks at the log when another
	// clerk imports the same lines at the same moment.
	importAttemptsMax = 3
	// invalidShownMax bounds the broken rules of a statement's lines that
	// a refusal names one by one, in problems: a column the ledger cannot
	// take breaks a rule on every line, and one message of thousands
	// helps nobody. The rest are counted.
	invalidShownMax = 10
)

// PlanImport compares a parsed statement with the book. A line is new when
// its id is not in the account, nor its legacy (unkeyed) id, which lines
// imported before the ids were keyed keep; a line already there must say what the
// bank said before, balance included. The statement's opening balance must
// be the ledger's balance after its last line before the statement's first
// day, where both are known.
func PlanImport(book *Book, parsed statement.Statement, request ImportRequest) (ImportPlan, error) {
	if request.Now.IsZero() {
		request.Now = time.Now()
	}
	account := request.Account
	if account == "" {
		account = parsed.Account
	}
	if strings.TrimSpace(account) == "" {
		return ImportPlan{}, &domain.ValidationError{Violations: []domain.Violation{{Field: "account",
			Rule: "is required: the statement does not say its account"}}}
	}
	code := AccountCode(account)
	if code == "" {
		return ImportPlan{}, &domain.ValidationError{Violations: []domain.Violation{{Field: "account",
			Rule: fmt.Sprintf("%q has no letters or digits", account)}}}
	}
	if len(request.LineIDs.key) == 0 {
		return ImportPlan{}, errors.New("import: no secret for the lines' ids (ImportRequest.LineIDs)")
	}
	if len(parsed.Lines) == 0 {
		return ImportPlan{}, &domain.ValidationError{Violations: []domain.Violation{{Field: "statement", Rule: "has no lines"}}}
	}
	if err := parsed.CheckBalances(); err != nil {
		return ImportPlan{}, &domain.ValidationError{Violations: []domain.Violation{{Field: "statement",
			Rule: "balances do not add up, nothing imported: " + err.Error()}}}
	}
	plan := ImportPlan{StatementHeader: domain.StatementHeader{Account: code, File: truncateRunes(request.FileName, 200),
		Format: parsed.Format, Profile: parsed.Profile, Opening: parsed.Opening, Closing: parsed.Closing},
		New: []PlannedLine{}, Already: []PlannedLine{},
		PrintedTwice: []domain.PrintedTwice{}, Warnings: []string{}, Problems: []string{}, Invalid: []LineProblem{}}
	if plan.Format != "csv" && plan.Format != "xlsx" {
		plan.Profile = ""
	}
	existing := map[string]Line{}
	for _, line := range book.Lines {
		if line.Account == code {
			existing[line.LineID] = line
		}
	}

	repeats := map[int]int{} // line number → number of the line it repeats
	for _, repeat := range parsed.Duplicates() {
		repeats[repeat.Line] = repeat.Of
	}
	type numbered struct {
		line statement.Line
		id   string
	}
	var lines []numbered
	idOfNumber := map[int]string{}
	occurrences, legacyOccurrences := map[string]int{}, map[string]int{}
	for _, line := range parsed.Lines {
		if _, repeat := repeats[line.Number]; repeat {
			continue
		}
		key, legacyKey := contentKey(line), legacyContentKey(line)
		id := request.LineIDs.ID(code, line, occurrences[key])
		// A line the account holds under its legacy (unkeyed) id is the
		// same line: it keeps the id it was stored with.
		if _, keyed := existing[id]; !keyed {
			legacy := legacyLineID(code, line, legacyOccurrences[legacyKey])
			if _, stored := existing[legacy]; stored {
				id = legacy
			}
		}
		occurrences[key]++
		legacyOccurrences[legacyKey]++
		idOfNumber[line.Number] = id
		lines = append(lines, numbered{line, id})
	}
	sourceOf := map[int]string{}
	for _, line := range parsed.Lines {
		sourceOf[line.Number] = line.Source
		if sourceOf[line.Number] == "" {
			sourceOf[line.Number] = fmt.Sprintf("line %d", line.Number)
		}
	}
	for _, line := range parsed.Lines {
		if of, repeat := repeats[line.Number]; repeat && len(plan.PrintedTwice) < printedTwiceMax {
			plan.PrintedTwice = append(plan.PrintedTwice, domain.PrintedTwice{LineID: idOfNumber[of], Serial: truncateRunes(line.Serial, 64),
				Where: truncateRunes(sourceOf[line.Number], 64), Of: truncateRunes(sourceOf[of], 64)})
		}
	}
	if len(repeats) > printedTwiceMax {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("%d rows were printed twice; the first %d are recorded", len(repeats), printedTwiceMax))
	}

	first, last := lines[0].line.Date, lines[0].line.Date
	for _, entry := range lines {
		if entry.line.Date.Before(first) {
			first = entry.line.Date
		}
		if entry.line.Date.After(last) {
			last = entry.line.Date
		}
	}
	plan.FirstDate, plan.LastDate = first.In(domain.Beijing).Format(time.DateOnly), last.In(domain.Beijing).Format(time.DateOnly)

	newIDs := map[string]bool{}
	for _, entry := range lines {
		line := entry.line
		planned := PlannedLine{LineID: entry.id, Serial: line.Serial, Date: line.Date.In(domain.Beijing).Format(time.DateOnly), Amount: line.Amount,
			Balance: line.Balance, Counterparty: line.Counterparty, Remark: line.Remark, Where: line.Source}
		stored, known := existing[entry.id]
		if !known {
			plan.New = append(plan.New, planned)
			newIDs[entry.id] = true
			continue
		}
		planned.Subject = stored.Subject
		plan.Already = append(plan.Already, planned)
		storedDate := stored.Date.In(domain.Beijing).Format(time.DateOnly)
		switch {
		case stored.Amount != line.Amount || storedDate != planned.Date:
			plan.Problems = append(plan.Problems, fmt.Sprintf("%s (serial %s): the ledger has this line as %s yuan on %s, the statement says %s yuan on %s",
				line.Source, line.Serial, stored.Amount, storedDate, line.Amount, planned.Date))
		case stored.Balance != nil && line.Balance != nil && *stored.Balance != *line.Balance:
			plan.Problems = append(plan.Problems, fmt.Sprintf("%s (serial %s, %s): the balance after it is %s in the ledger but %s in this statement",
				line.Source, line.Serial, planned.Date, stored.Balance, line.Balance))
		}
	}

	// The balance before the statement: the ledger's last line of the
	// account booked before the statement's first day that printed one.
	opening := parsed.Opening
	if opening == nil {
		if firstLine := lines[0].line; firstLine.Balance != nil {
			derived := *firstLine.Balance - firstLine.Amount
			opening = &derived
		}
	}
	var before *Line
	for _, line := range book.Lines {
		if line.Account != code || line.Balance == nil || newIDs[line.LineID] || !line.Date.Before(startOfDay(first)) {
			continue
		}
		if before == nil || line.Date.After(before.Date) || (line.Date.Equal(before.Date) && line.Position > before.Position) {
			candidate := line
			before = &candidate
		}
	}
	if opening != nil && before != nil {
		plan.BalanceChecked = true
		plan.BalanceAgrees = *opening == *before.Balance
		if !plan.BalanceAgrees {
			gap := fmt.Sprintf("the statement opens at %s yuan on %s, but the ledger's balance after line %s (serial %s, %s) is %s yuan: "+
				"a statement between them may be missing, or this is another account", opening, plan.FirstDate, before.LineID, before.Serial,
				before.Date.Format(time.DateOnly), before.Balance)
			if request.AcceptBalanceGap {
				plan.Warnings = append(plan.Warnings, gap)
			} else {
				plan.Problems = append(plan.Problems, gap+" (import it anyway with --accept-balance-gap)")
			}
		}
	}
	if err := parsed.CheckFooter(); err != nil {
		if request.Strict {
			plan.Problems = append(plan.Problems, err.Error())
		} else {
			plan.Warnings = append(plan.Warnings, err.Error())
		}
	}
	if len(plan.New) == 0 {
		return plan, nil
	}
	// Every event the import would write is checked now, before anything
	// is written and whatever else refuses the statement, so a preview
	// names every problem and refuses exactly what the import would.
	events := lines2events(code, request, parsed, idOfNumber, newIDs)
	batches := plan.batches(events, request)
	lineOf := make(map[string]statement.Line, len(lines))
	for _, entry := range lines {
		lineOf[entry.id] = entry.line
	}
	if err := plan.check(batches, parsed, lineOf, request); err != nil {
		return plan, err
	}
	if len(plan.Problems) == 0 {
		plan.Batches = batches
	}
	return plan, nil
}

// check applies the ledger's rules to every event of the batches, and
// adds the rules they break to the plan's problems: a line's by its line
// and cell in the statement, the import's own (the actor, say) once.
func (p *ImportPlan) check(batches [][]domain.Event, parsed statement.Statement, lineOf map[string]statement.Line,
	request ImportRequest) error {
	check := request.Check
	if check == nil {
		validator := domain.Validator{Catalog: domain.DefaultCatalog(), Now: func() time.Time { return request.Now }}
		check = validator.Validate
	}
	var problems []LineProblem
	seen := map[LineProblem]bool{}
	for _, batch := range batches {
		for _, event := range batch {
			err := check(event)
			if err == nil {
				continue
			}
			var validation *domain.ValidationError
			if !errors.As(err, &validation) {
				return err
			}
			data, isLine := event.Data.(domain.BankLineImported)
			for _, violation := range validation.Violations {
				problem := LineProblem{Field: violation.Field, Rule: violation.Rule}
				if line, ok := lineOf[data.LineID]; ok && isLine && !importFields[violation.Field] {
					// A field the line's cells do not hold (its key, say)
					// is named by the line's row and the event's field.
					field, inCell := lineFields[violation.Field]
					name := string(field)
					if !inCell {
						name = violation.Field
					}
					problem = LineProblem{Line: line.Number, Where: parsed.Where(line, field), Field: name, Rule: violation.Rule}
				}
				if !seen[problem] {
					seen[problem] = true
					problems = append(problems, problem)
				}
			}
		}
	}
	// Statement order: the import's own problems first, then line by line.
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	shown := problems[:min(len(problems), invalidShownMax)]
	p.Invalid = append(p.Invalid, shown...)
	p.InvalidMore = len(problems) - len(shown)
	for _, problem := range shown {
		p.Problems = append(p.Problems, problem.String())
	}
	if p.InvalidMore > 0 {
		p.Problems = append(p.Problems, p.invalidMore())
	}
	return nil
}

// importFields are the fields of a bank_line_imported event that the
// import sets alike on every line: a rule they break is named once.
var importFields = map[string]bool{"actor": true, "county": true, "data.account": true}

// lineFields are the fields of a bank_line_imported event that hold what
// a statement line says, and the line's field each comes from.
var lineFields = map[string]statement.Field{
	"occurred_at":                 statement.FieldDate,
	"data.booked_on":              statement.FieldDate,
	"data.serial":                 statement.FieldSerial,
	"data.amount":                 statement.FieldAmount,
	"data.balance":                statement.FieldBalance,
	"data.remark":                 statement.FieldRemark,
	"personal.donor.name":         statement.FieldCounterparty,
	"personal.donor.bank_account": statement.FieldCounterpartyAccount,
}

func startOfDay(instant time.Time) time.Time {
	year, month, day := instant.In(domain.Beijing).Date()
	return time.Date(year, month, day, 0, 0, 0, 0, domain.Beijing)
}

// lines2events makes the bank_line_imported event of every new line, keyed
// by line id. Its content is what the bank printed, so the same line from
// another file or clerk is the same event.
func lines2events(code string, request ImportRequest, parsed statement.Statement, idOfNumber map[int]string,
	newIDs map[string]bool) map[string]domain.Event {
	events := map[string]domain.Event{}
	for _, line := range parsed.Lines {
		id, ok := idOfNumber[line.Number]
		if !ok || !newIDs[id] {
			continue
		}
		data := domain.BankLineImported{Account: code, LineID: id, Serial: line.Serial, BookedOn: line.Date.In(domain.Beijing).Format(time.DateOnly),
			Amount: line.Amount, Balance: line.Balance, Remark: truncateRunes(line.Remark, 2000)}
		event := domain.Event{Type: domain.TypeBankLineImported, County: request.County, OccurredAt: line.Date, Actor: request.Actor,
			IdempotencyKey: "bankline-" + id, Data: data}
		if line.Counterparty != "" || line.CounterpartyAccount != "" {
			event.Personal = &domain.Personal{Donor: &domain.Person{Name: truncateRunes(line.Counterparty, 100),
				BankAccount: strings.ReplaceAll(line.CounterpartyAccount, " ", "")}}
		}
		if !request.Now.IsZero() && event.OccurredAt.After(request.Now) {
			event.OccurredAt = request.Now
		}
		events[id] = event
	}
	return events
}

// batches cuts the statement into parts of at most StatementPartLinesMax
// lines; each part with new lines is one atomic batch of those lines and
// the statement_imported event that lists them and the part's lines the
// ledger already had.
func (p ImportPlan) batches(events map[string]domain.Event, request ImportRequest) [][]domain.Event {
	all := make([]PlannedLine, 0, len(p.New)+len(p.Already))
	all = append(all, p.New...)
	all = append(all, p.Already...)
	// Statement order: by where the line is, which is the order parsed.
	order := map[string]int{}
	for i, line := range p.New {
		order[line.LineID] = i
	}
	for i, line := range p.Already {
		order[line.LineID] = len(p.New) + i
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Date != all[j].Date {
			return all[i].Date < all[j].Date
		}
		return order[all[i].LineID] < order[all[j].LineID]
	})
	var parts [][]PlannedLine
	for start := 0; start < len(all); start += domain.StatementPartLinesMax {
		part := all[start:min(start+domain.StatementPartLinesMax, len(all))]
		for _, line := range part {
			if _, isNew := events[line.LineID]; isNew {
				parts = append(parts, part)
				break
			}
		}
	}
	var batches [][]domain.Event
	for i, part := range parts {
		provenance := domain.StatementImported{StatementHeader: p.StatementHeader, Part: i + 1, Parts: len(parts), Lines: []string{}}
		var batch []domain.Event
		for _, line := range part {
			if event, isNew := events[line.LineID]; isNew {
				batch = append(batch, event)
				provenance.Lines = append(provenance.Lines, line.LineID)
			} else {
				provenance.Already = append(provenance.Already, line.LineID)
			}
		}
		if i == 0 {
			provenance.PrintedTwice = p.PrintedTwice
			for _, warning := range p.Warnings {
				provenance.Warnings = append(provenance.Warnings, truncateRunes(warning, 2000))
			}
			if len(provenance.Warnings) > 20 {
				provenance.Warnings = provenance.Warnings[:20]
			}
		}
		// The key is the part's new lines: a retry of the same import is
		// the same event, another import of other lines another one.
		hash := sha256.New()
		hash.Write([]byte(p.Account))
		for _, id := range provenance.Lines {
			hash.Write([]byte("|" + id))
		}
		batch = append(batch, domain.Event{Type: domain.TypeStatementImported, County: request.County, OccurredAt: request.Now,
			Actor: request.Actor, IdempotencyKey: "statement-" + hex.EncodeToString(hash.Sum(nil))[:32], Data: provenance})
		batches = append(batches, batch)
	}
	return batches
}

// Recorder records events atomically (ledger.Service).
type Recorder interface {
	Record(ctx context.Context, events []domain.Event) ([]ledger.Result, error)
}

// ImportResult is what an import wrote.
type ImportResult struct {
	ImportPlan
	// Written is how many line events were written; the plan's Already
	// lines were there before.
	Written int `json:"written"`
}

// Import plans the statement against the log and writes the plan, part by
// part. When another clerk writes the same lines between the plan and the
// write, the plan is made again from the log: an import never fails
// because the lines it brings are there already.
//
// The parts are separate appends because a statement may hold more lines
// than one atomic batch can (eventstore.BatchEventsMax): each part is one
// batch of its lines and the statement_imported event that lists them, so
// every written part says which import it was. What can be known before
// writing is checked for all parts first: the plan applies the ledger's
// rules to every event (request.Check, or the recorder's own Check), so a
// statement the ledger would refuse writes no part at all. What cannot be
// known is what another writer appends to the account between two parts:
// a line of the same id with other content, written by a concurrent
// import of another statement, refuses a later part after the earlier
// ones are written. The error then says how many lines were written, and
// the result holds the plan.
//
// ctx bounds reading the log and planning; writes bounds the writes.
// Once a part is written, the import is not to be cut between parts by
// ctx ending (a client hanging up): a plan made again after that reads on
// writes too. A caller that wants no difference passes ctx twice.
func Import(ctx, writes context.Context, store eventstore.Store, recorder Recorder, unseal Unsealer, parsed statement.Statement,
	request ImportRequest) (ImportResult, error) {
	if checker, ok := recorder.(interface {
		Check(domain.Event) (ledger.Checked, error)
	}); ok && request.Check == nil {
		request.Check = func(event domain.Event) error {
			_, err := checker.Check(event)
			return err
		}
	}
	var result ImportResult
	reading := ctx
	for attempt := 1; ; attempt++ {
		if result.Written > 0 {
			reading = writes
		}
		book, err := BuildBook(reading, store, unseal)
		if err != nil {
			return result, err
		}
		plan, err := PlanImport(book, parsed, request)
		if err != nil {
			return result, err
		}
		if err := plan.Refused(); err != nil {
			result.ImportPlan = plan
			if result.Written > 0 {
				// A part written by an earlier attempt stays written.
				return result, fmt.Errorf("import: %s written, then the statement was refused: %w", linesWere(result.Written), errors.Unwrap(err))
			}
			return result, err
		}
		written := 0
		for _, batch := range plan.Batches {
			if _, err = recorder.Record(writes, batch); err != nil {
				break
			}
			written += len(batch) - 1
		}
		result.Written += written
		if err == nil {
			result.ImportPlan = plan
			// Lines written by an earlier attempt are this import's too.
			return result, nil
		}
		raced := errors.Is(err, domain.ErrIdempotencyKeyReused) || errors.Is(err, domain.ErrRejected) || errors.Is(err, domain.ErrConflict)
		if !raced || attempt == importAttemptsMax {
			if result.Written > 0 {
				result.ImportPlan = plan
				return result, fmt.Errorf("import: %s written before: %w", linesWere(result.Written), err)
			}
			return result, fmt.Errorf("import: %w", err)
		}
	}
}

func truncateRunes(text string, max int) string {
	runes := []rune(text)
	if len(runes) <= max {
		return text
	}
	return string(runes[:max])
}

// linesWere says how many lines were written: "1 line was", "2 lines
// were".
func linesWere(n int) string {
	if n == 1 {
		return "1 line was"
	}
	return fmt.Sprintf("%d lines were", n)
}
