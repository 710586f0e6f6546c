package reconcile_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile"
)

// statementAccount is the account statementCSV states, as the ledger codes it.
const statementAccount = "0602001109000012345"

// unkeyedID is how lines were given ids before the ids were keyed, written
// out as anyone could from the documented format: SHA-256 of the account
// and the serial, or of the account, day, amount, counterparty, remark and
// occurrence. A reader shown every field of a line but the counterparty's
// name can compute it for every likely name.
func unkeyedID(account, serial, day, amount, counterparty, remark string, occurrence int) string {
	identity := account + "|" + serial
	if serial == "" {
		identity = fmt.Sprintf("%s|%s|%s|%s|%s|%d", account, day, amount, counterparty, remark, occurrence)
	}
	sum := sha256.Sum256([]byte(identity))
	return "L-" + hex.EncodeToString(sum[:])[:20]
}

var lineIDForm = regexp.MustCompile(`^L-[0-9a-f]{20}$`)

// guessable says whether a line's id is the unkeyed hash of the fields a
// reader without the personal-data grant is shown and one of the names,
// for a few occurrences (what the reviewer's attack did), and which name;
// of a line with a serial, whether it is the unkeyed hash of the serial.
func guessable(line reconcile.Line, names []string) (string, bool) {
	if line.Serial != "" {
		// Such an id tells no name, but it is keyed all the same.
		return "nobody: it is the unkeyed hash of its serial", unkeyedID(line.Account, line.Serial, "", "", "", "", 0) == line.LineID
	}
	for _, name := range names {
		for occurrence := range 4 {
			if unkeyedID(line.Account, line.Serial, line.Date.In(domain.Beijing).Format(time.DateOnly), line.Amount.String(), name,
				line.Remark, occurrence) == line.LineID {
				return name, true
			}
		}
	}
	return "", false
}

// A line without a serial shows a reader without the grant its account,
// day, amount and remark, and its id: the id must not let them find the
// counterparty's name by trying names, as it did when it was an unkeyed
// hash ("王小明" was found so, and stayed findable after his erasure).
func TestLineIDDoesNotTellTheCounterparty(t *testing.T) {
	b := newBooks(t)
	imported, err := b.importData("y.csv", statementCSV(t, "1000.00", []statementLine{
		{"2022-06-23", "", "会费", "王小明", "6222000011111", "66.00"},
		{"2022-06-23", "", "会费", "王小明", "6222000011111", "66.00"},
		{"2022-06-24", "202206240000001", "会费", "李四", "6222000011112", "88.00"},
	}, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || imported.Written != 3 {
		t.Fatalf("import: %d written, %v", imported.Written, err)
	}
	book, result := b.reconcile()
	shown := result.WithoutPersonal()
	if len(shown.UnmatchedLines) != 3 {
		t.Fatalf("%d unmatched lines shown, want 3", len(shown.UnmatchedLines))
	}
	names := []string{"张三", "李四", "王五", "王小明", "赵六"}
	for _, line := range shown.UnmatchedLines {
		if line.Counterparty == "王小明" || line.Counterparty == "李四" {
			t.Fatalf("the name is shown without the grant: %+v", line)
		}
		if !lineIDForm.MatchString(line.LineID) {
			t.Errorf("line id %q is not L- and 20 hex digits", line.LineID)
		}
		if name, found := guessable(line, names); found {
			t.Errorf("line %s: the counterparty %s is found from the id and the shown fields", line.LineID, name)
		}
	}
	if len(book.Lines) != 3 || book.Lines[0].LineID == book.Lines[1].LineID {
		t.Fatalf("two equal lines of one statement share an id: %+v", book.Lines)
	}
}

// A statement without serials imported again writes nothing, and one that
// overlaps it adds exactly its new lines, with keyed ids: among them a line
// alike but for its counterparty to one the ledger has, whose count of
// equal lines starts again in the new statement. Were the counterparty left
// out of the id, it would be taken for the line already there and lost.
func TestNoSerialStatementsImportEachLineOnce(t *testing.T) {
	b := newBooks(t)
	june := []statementLine{
		{"2022-06-28", "", "会费", "张三", "6222000011111", "50.00"},
		{"2022-06-29", "", "会费", "王五", "6222000011113", "20.00"},
		{"2022-06-29", "", "会费", "王五", "6222000011113", "20.00"},
		{"2022-06-30", "", "会费", "张三", "6222000011111", "50.00"},
	}
	first, err := b.importData("june.csv", statementCSV(t, "1000.00", june, true), "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || first.Written != 4 {
		t.Fatalf("june: %d written, %v", first.Written, err)
	}
	head := headOf(t, b)
	again, err := b.importData("june-copy.csv", statementCSV(t, "1000.00", june, true), "icbc", reconcile.ImportRequest{Actor: "another-clerk"})
	if err != nil || again.Written != 0 || len(again.Already) != 4 || headOf(t, b) != head {
		t.Fatalf("june again: %d written, %d already there, %v", again.Written, len(again.Already), err)
	}
	// July's export starts later on 30 June: 张三's line is not in it, 李四's
	// of the same amount and remark that day is, and is new.
	july := []statementLine{
		{"2022-06-30", "", "会费", "李四", "6222000011112", "50.00"},
		{"2022-07-01", "", "会费", "王五", "6222000011113", "20.00"},
	}
	overlap, err := b.importData("july.csv", statementCSV(t, "1140.00", july, true), "icbc",
		reconcile.ImportRequest{Actor: "finance", AcceptBalanceGap: true})
	if err != nil || overlap.Written != 2 || len(overlap.Already) != 0 {
		t.Fatalf("july: %d written, %d already there, %v", overlap.Written, len(overlap.Already), err)
	}
	// And July once more, with the end of June before it: nothing new.
	whole := append(append([]statementLine{}, june...), july...)
	last, err := b.importData("june-july.csv", statementCSV(t, "1000.00", whole, true), "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || last.Written != 0 || len(last.Already) != 6 {
		t.Fatalf("june and july: %d written, %d already there, %v", last.Written, len(last.Already), err)
	}
	book, _ := b.reconcile()
	if len(book.Lines) != 6 {
		t.Fatalf("the book has %d lines, want 6", len(book.Lines))
	}
	for _, line := range book.Lines {
		if name, found := guessable(line, []string{"张三", "李四", "王五"}); found {
			t.Errorf("line %s is the unkeyed hash of its fields and %s", line.LineID, name)
		}
	}
}

// A ledger holds lines under the ids the import gave before they were
// keyed (the log is immutable, so they keep them). Importing their
// statement again, or one that overlaps it, finds them by those ids and
// writes only the lines that are new, under keyed ids.
func TestLinesUnderLegacyIDsAreFoundAgain(t *testing.T) {
	b := newBooks(t)
	lines := []statementLine{
		{"2022-06-27", "202206270000001", "会费", "鄂尔多斯市某单位", "0602000100000000001", "100.00"},
		{"2022-06-28", "", "会费", "张三", "6222000011111", "50.00"},
		{"2022-06-28", "", "会费", "张三", "6222000011111", "50.00"},
		{"2022-06-29", "", "捐款", "李四", "6222000011112", "30.00"},
	}
	// The first three lines, recorded as the import did before the ids were
	// keyed.
	balance := domain.Money(100000)
	occurrences := map[string]int{}
	var legacy []string
	for _, line := range lines[:3] {
		amount, err := domain.ParseYuan(line.amount)
		if err != nil {
			t.Fatal(err)
		}
		balance += amount
		after := balance
		key := line.date + "|" + line.amount + "|" + line.counterparty + "|" + line.remark
		id := unkeyedID(statementAccount, line.serial, line.date, amount.String(), line.counterparty, line.remark, occurrences[key])
		occurrences[key]++
		legacy = append(legacy, id)
		day, err := time.ParseInLocation(time.DateOnly, line.date, domain.Beijing)
		if err != nil {
			t.Fatal(err)
		}
		b.record(domain.Event{Type: domain.TypeBankLineImported, County: "150600", OccurredAt: day, Actor: "finance",
			IdempotencyKey: "bankline-" + id,
			Data: domain.BankLineImported{Account: statementAccount, LineID: id, Serial: line.serial, BookedOn: line.date, Amount: amount,
				Balance: &after, Remark: line.remark},
			Personal: &domain.Personal{Donor: &domain.Person{Name: line.counterparty, BankAccount: line.account}}})
	}
	head := headOf(t, b)
	same, err := b.importData("june.csv", statementCSV(t, "1000.00", lines[:3], false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || same.Written != 0 || len(same.Already) != 3 || headOf(t, b) != head {
		t.Fatalf("the same statement again: %d written, %d already there, %v", same.Written, len(same.Already), err)
	}
	more, err := b.importData("june-more.csv", statementCSV(t, "1000.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || more.Written != 1 || len(more.Already) != 3 {
		t.Fatalf("with one more line: %d written, %d already there, %v", more.Written, len(more.Already), err)
	}
	for i, line := range more.Already {
		if line.LineID != legacy[i] {
			t.Errorf("line %d already there is named %s, want its stored id %s", i+1, line.LineID, legacy[i])
		}
	}
	fresh := more.New[0]
	if fresh.LineID == unkeyedID(statementAccount, "", fresh.Date, fresh.Amount.String(), "李四", fresh.Remark, 0) ||
		!lineIDForm.MatchString(fresh.LineID) {
		t.Errorf("the new line's id %s is not keyed", fresh.LineID)
	}
	book, _ := b.reconcile()
	if len(book.Lines) != 4 {
		t.Fatalf("the book has %d lines, want 4", len(book.Lines))
	}
	if _, err := b.importData("june-more.csv", statementCSV(t, "1000.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	if after, _ := b.reconcile(); len(after.Lines) != 4 {
		t.Fatalf("a third import: %d lines, want 4", len(after.Lines))
	}
}

// The ids are the keystore's secret's: a ledger whose process starts again
// (the keystore opened anew) gives a statement's lines the same ids, and a
// ledger with another secret other ones.
func TestLineIDsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	lines := []statementLine{{"2022-06-23", "", "会费", "王小明", "6222000011111", "66.00"}}
	data := statementCSV(t, "1000.00", lines, false)
	first := openBooks(t, dir, 0)
	imported, err := first.importData("y.csv", data, "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || imported.Written != 1 {
		t.Fatalf("import: %d written, %v", imported.Written, err)
	}
	id := imported.New[0].LineID
	first.stop()

	second := openBooks(t, dir, 0)
	again, err := second.importData("y.csv", data, "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || again.Written != 0 || len(again.Already) != 1 || again.Already[0].LineID != id {
		t.Fatalf("after a restart: %d written, already %+v, %v; want the line %s there", again.Written, again.Already, err, id)
	}
	secret, err := second.keys.Key(context.Background(), "ledger/bank-line-ids")
	if err != nil || len(secret) != 32 {
		t.Fatalf("the secret in the keystore: %d bytes, %v", len(secret), err)
	}
	other := newBooks(t)
	elsewhere, err := other.importData("y.csv", data, "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || elsewhere.Written != 1 || elsewhere.New[0].LineID == id {
		t.Fatalf("another ledger: %+v, %v; want a line of another id than %s", elsewhere.New, err, id)
	}
}
