package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
	"github.com/ordos-union/ledger/report"
)

// These tests follow a user review of the reconciliation: pledges paid by
// a transfer, a donation voided after its match, automatic matches taken
// back, the reasons given for suggestions, and the exports.

// suggestionOf is the one suggestion of a rule, or fails the test.
func suggestionOf(t *testing.T, result reconcile.Result, rule string) reconcile.Match {
	t.Helper()
	var found []reconcile.Match
	for _, match := range result.Suggested {
		if match.Rule == rule {
			found = append(found, match)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s suggestions, want 1: %+v", len(found), rule, result.Suggested)
	}
	return found[0]
}

func outstandingIDs(result reconcile.Result) string {
	var ids []string
	for _, pledge := range result.Outstanding {
		ids = append(ids, pledge.DonationID)
	}
	return strings.Join(ids, ",")
}

// A transfer confirmed against two pledges settles them: they are no
// longer outstanding (from the line's day), the match lists them as
// receipts to record, and once a receipt is recorded the money is the
// line's, not an unmatched donation's.
func TestConfirmingALineAgainstPledgesSettlesThem(t *testing.T) {
	b := newBooks(t)
	const donor = "准格尔某物流有限公司"
	b.record(pledged("D-P5", "general", donor, "1000.00", 1), pledged("D-P6", "general", donor, "2000.00", 1))
	lines := []statementLine{{"2022-06-20", "202206200000001", "认捐汇款", donor, "0602002209000045672", "3000.00"}}
	if _, err := b.importData("june.csv", statementCSV(t, "0.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	_, result := b.reconcile()
	combined := suggestionOf(t, result, reconcile.RuleCombined)
	if donationsOf(combined) != "D-P5+D-P6" || !strings.Contains(combined.Why, "record their receipts") {
		t.Fatalf("combined: %+v", combined)
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: combined.ID}); err != nil {
		t.Fatal(err)
	}
	book, after := b.reconcile()
	if len(after.Matched) != 1 || strings.Join(after.Matched[0].ToReceive, ",") != "D-P5,D-P6" ||
		!strings.Contains(after.Matched[0].Why, "record their receipts") {
		t.Fatalf("matched: %+v", after.Matched)
	}
	if len(after.Outstanding) != 0 || len(after.Suggested) != 0 || len(after.UnmatchedLines) != 0 {
		t.Fatalf("after the confirmation: outstanding %s, %d suggested, %d lines unmatched", outstandingIDs(after), len(after.Suggested),
			len(after.UnmatchedLines))
	}
	confirmation := book.Decisions[len(book.Decisions)-1].Payload
	if got := strings.Join(book.ToReceive(confirmation), ","); got != "D-P5,D-P6" {
		t.Fatalf("receipts to record: %s", got)
	}
	// Before the money arrived, the pledges were outstanding.
	before := reconcile.Reconcile(book, reconcile.Options{Now: time.Date(2022, 6, 19, 23, 0, 0, 0, cst)})
	if outstandingIDs(before) != "D-P5,D-P6" {
		t.Fatalf("as of the day before the line: %s", outstandingIDs(before))
	}
	// The receipt recorded, the money is the line's: no unmatched
	// donation, one receipt left to record.
	b.record(received("D-P5", "general", donor, "1000.00", 20))
	_, recorded := b.reconcile()
	if len(recorded.UnmatchedDonations) != 0 || len(recorded.Matched) != 1 || strings.Join(recorded.Matched[0].ToReceive, ",") != "D-P6" ||
		len(recorded.Outstanding) != 0 {
		t.Fatalf("after the receipt: %+v", recorded)
	}
}

// A transfer that pays one pledge in full is suggested: by the pledge's id
// in the remark, or by the same donor and amount.
func TestATransferPayingOnePledgeIsSuggested(t *testing.T) {
	b := newBooks(t)
	b.record(pledged("D-P1", "general", "鄂托克某化工有限公司", "20000.00", 1),
		pledged("D-P2", "general", "杭锦某建材有限公司", "3000.00", 1))
	lines := []statementLine{
		{"2022-07-08", "202207080001", "D-P1 认捐款", "鄂托克某化工有限公司", "0602004509000022222", "20000.00"},
		{"2022-07-09", "202207090001", "捐款", "杭锦某建材有限公司", "0602004509000033333", "3000.00"},
	}
	if _, err := b.importData("july.csv", statementCSV(t, "0.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	_, result := b.reconcile()
	if len(result.Matched) != 0 || len(result.UnmatchedLines) != 0 {
		t.Fatalf("a pledge was matched at once, or a line left: %+v", result)
	}
	reference := suggestionOf(t, result, reconcile.RuleReference)
	if donationsOf(reference) != "D-P1" || !strings.Contains(reference.Why, "names pledge D-P1") {
		t.Fatalf("reference: %+v", reference)
	}
	pledge := suggestionOf(t, result, reconcile.RulePledge)
	if donationsOf(pledge) != "D-P2" || !strings.Contains(pledge.Why, "pledge D-P2 in full") {
		t.Fatalf("pledge: %+v", pledge)
	}
}

// A confirmed match keeps the why its rule gave, and the confirmer's note,
// in every format of the report; a pledge's match keeps its why once the
// receipt is recorded, and says what to record until then.
func TestAConfirmedMatchSaysWhy(t *testing.T) {
	b := newBooks(t)
	b.record(received("D-W-1", "general", "鄂尔多斯市某商贸有限公司", "10000.00", 6),
		pledged("D-W-2", "general", "杭锦某建材有限公司", "3000.00", 1))
	lines := []statementLine{
		{"2022-06-07", "202206070000001", "捐款", "鄂尔多斯市某商贸有限公司", "0602000100000000001", "10000.00"},
		{"2022-06-09", "202206090000001", "捐款", "杭锦某建材有限公司", "0602004509000033333", "3000.00"},
	}
	if _, err := b.importData("june.csv", statementCSV(t, "0.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	_, result := b.reconcile()
	named, pledge := suggestionOf(t, result, reconcile.RuleAmountName), suggestionOf(t, result, reconcile.RulePledge)
	const note = "对过回单 checked the slip"
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: named.ID, Note: note}); err != nil {
		t.Fatal(err)
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: pledge.ID}); err != nil {
		t.Fatal(err)
	}
	matchedAs := func(result reconcile.Result, id string) reconcile.Match {
		t.Helper()
		for _, match := range result.Matched {
			if match.ID == id {
				return match
			}
		}
		t.Fatalf("%s is not matched: %+v", id, result.Matched)
		return reconcile.Match{}
	}
	_, after := b.reconcile()
	if confirmed := matchedAs(after, named.ID); confirmed.Why != named.Why || confirmed.Note != note || confirmed.DecidedBy == "" {
		t.Fatalf("the confirmed match: %+v, suggested with why %q", confirmed, named.Why)
	}
	if paid := matchedAs(after, pledge.ID); !strings.Contains(paid.Why, "pledge D-W-2 in full") || !strings.Contains(paid.Why, "record its receipt") {
		t.Fatalf("the confirmed pledge: %q", paid.Why)
	}
	for _, format := range []string{"table", "json", "csv", "xlsx"} {
		var written bytes.Buffer
		if err := report.WriteReconciliation(&written, after, format); err != nil {
			t.Fatal(err)
		}
		content := written.String()
		if format == "xlsx" {
			file, err := excelize.OpenReader(&written)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := file.GetRows("已匹配 Matched")
			if err != nil {
				t.Fatal(err)
			}
			content = ""
			for _, row := range rows {
				content += strings.Join(row, "\t") + "\n"
			}
			file.Close()
		}
		if !strings.Contains(content, named.Why) || !strings.Contains(content, note) || !strings.Contains(content, "pledge D-W-2 in full") {
			t.Errorf("the %s report lacks a confirmed match's why or note:\n%s", format, content)
		}
	}
	b.record(received("D-W-2", "general", "杭锦某建材有限公司", "3000.00", 9))
	_, recorded := b.reconcile()
	if paid := matchedAs(recorded, pledge.ID); !strings.Contains(paid.Why, "pledge D-W-2 in full") || strings.Contains(paid.Why, "record its receipt") {
		t.Fatalf("the pledge's match once its receipt is recorded: %q", paid.Why)
	}
}

// Outstanding on a day is not received on that day, whatever was received
// later.
func TestPledgesAsOfADayAreNotReceivedYet(t *testing.T) {
	b := newBooks(t)
	b.record(pledged("D-P3", "general", "杭锦旗某公司", "1500.50", 1))
	late := received("D-P3", "general", "杭锦旗某公司", "1500.50", 25)
	b.record(late)
	book, err := reconcile.BuildBook(t.Context(), b.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	result := reconcile.Reconcile(book, reconcile.Options{Now: time.Date(2022, 6, 20, 23, 0, 0, 0, cst)})
	if len(result.Outstanding) != 1 || result.Outstanding[0].Received {
		t.Fatalf("as of 2022-06-20: %+v", result.Outstanding)
	}
	encoded, err := json.Marshal(result.Outstanding)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(encoded), `"received":false`) {
		t.Fatalf("JSON: %s", encoded)
	}
}

// A donation voided after its match leaves the line explained by nothing:
// it is listed, in every format, with the decision to undo, and no longer
// as matched.
func TestAMatchToAVoidedDonationIsFlagged(t *testing.T) {
	b := newBooks(t)
	results := b.record(received("D-R2", "general", "达拉特旗某农牧业有限公司", "5000.00", 10))
	lines := []statementLine{{"2022-06-11", "202206110000001", "捐款", "达拉特旗某农牧业有限公司", "0602004509000044444", "4990.00"}}
	if _, err := b.importData("june.csv", statementCSV(t, "0.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	_, result := b.reconcile()
	fee := suggestionOf(t, result, reconcile.RulePartialFee)
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: fee.ID}); err != nil {
		t.Fatal(err)
	}
	b.record(domain.Event{Type: domain.TypeEntryVoided, County: "150600", Actor: "finance", OccurredAt: clock(),
		Data: domain.EntryVoided{Campaign: "general", TargetEventID: results[0].EventID.String(), Reason: "录错"}})
	_, after := b.reconcile()
	if len(after.Matched) != 0 || len(after.VoidedMatches) != 1 {
		t.Fatalf("after the void: matched %+v, voided %+v", after.Matched, after.VoidedMatches)
	}
	voided := after.VoidedMatches[0]
	if !strings.Contains(voided.Why, "D-R2") || !strings.Contains(voided.Why, voided.DecidedBy) || !strings.Contains(voided.Why, "undo") {
		t.Fatalf("why: %s", voided.Why)
	}
	var text, csv, encoded bytes.Buffer
	report.ReconciliationText(&text, after)
	if !strings.Contains(text.String(), "voided since") || !strings.Contains(text.String(), voided.Why) ||
		strings.Contains(text.String(), "Matched (已匹配)") {
		t.Fatalf("text:\n%s", text.String())
	}
	if err := after.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !csvRowHas(csv.String(), "已作废捐赠的匹配 Matched to voided", voided.ID, "D-R2", voided.DecidedBy) {
		t.Fatalf("CSV:\n%s", csv.String())
	}
	if rows := sheetRows(t, after, "已作废捐赠的匹配 Matched to voided"); len(rows) != 2 || rows[1][0] != voided.ID {
		t.Fatalf("XLSX: %v", rows)
	}
	if err := json.NewEncoder(&encoded).Encode(after.WithoutPersonal()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(encoded.String(), `"voided_matches":[{"id":"`+voided.ID) {
		t.Fatalf("JSON: %s", encoded.String())
	}
	// Undone, the line is open again.
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionUndo, ID: voided.DecidedBy, Reason: "捐赠已作废"}); err != nil {
		t.Fatal(err)
	}
	if _, undone := b.reconcile(); len(undone.VoidedMatches) != 0 || len(undone.UnmatchedLines) != 1 {
		t.Fatalf("after the undo: %+v", undone)
	}
}

// An automatic match is rejected like a suggestion, and is not made again;
// confirming it, or rejecting a confirmed match, says what the id is and
// what to do.
func TestAnAutomaticMatchIsRejected(t *testing.T) {
	b := newBooks(t)
	event := received("D-REF-1", "general", "内蒙古某能源集团有限公司", "30000.00", 6)
	data := event.Data.(domain.DonationReceived)
	data.BankReference = "XSQL-2022-001"
	event.Data = data
	b.record(event)
	lines := []statementLine{{"2022-06-07", "202206070000001", "XSQL-2022-001", "某某公司", "0602000100000000001", "30000.00"}}
	if _, err := b.importData("june.csv", statementCSV(t, "0.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	_, result := b.reconcile()
	if len(result.Matched) != 1 || result.Matched[0].DecidedBy != "" {
		t.Fatalf("matched: %+v", result.Matched)
	}
	automatic := result.Matched[0].ID
	// What the ledger holds refuses it, not how it was asked: a refusal.
	var refused *domain.RuleError
	err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: automatic})
	if !errors.As(err, &refused) || refused.Field != "id" || !strings.Contains(err.Error(), "made automatically") ||
		!strings.Contains(err.Error(), "reject") {
		t.Fatalf("confirming an automatic match: %v", err)
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionReject, ID: automatic, Reason: "参考号录错"}); err != nil {
		t.Fatalf("rejecting an automatic match: %v", err)
	}
	book, after := b.reconcile()
	for _, match := range append(after.Matched, after.Suggested...) {
		if match.ID == automatic {
			t.Fatalf("the rejected match came back: %+v", match)
		}
	}
	if len(after.UnmatchedLines) != 1 {
		t.Fatalf("the line is not open again: %+v", after)
	}
	rejection := book.Decisions[len(book.Decisions)-1]
	if rejection.Type != string(domain.TypeMatchRejected) {
		t.Fatalf("recorded %s", rejection.Type)
	}
	// Undoing the rejection makes the match again.
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionUndo, ID: rejection.EventID, Reason: "参考号无误"}); err != nil {
		t.Fatal(err)
	}
	if _, again := b.reconcile(); len(again.Matched) != 1 || again.Matched[0].ID != automatic {
		t.Fatalf("after undoing the rejection: %+v", again.Matched)
	}
	err = b.decide(reconcile.DecisionRequest{Action: reconcile.ActionReject, ID: "S-0000000000000000", Reason: "x"})
	// Said in words, without the sentinel's "not found" tacked on.
	if want := "there is no suggestion or match S-0000000000000000: the reconciliation report lists their ids"; !errors.Is(err, domain.ErrNotFound) ||
		err.Error() != want {
		t.Fatalf("an unknown id: %v, want %q", err, want)
	}
}

// A rejection is of the pairing: the same line and donation are not
// suggested again under another rule (the reference match rejected, the
// amount, date and name still agree), until the rejection is undone.
func TestARejectedMatchIsNotSuggestedAgainByAnotherRule(t *testing.T) {
	b := newBooks(t)
	event := received("D-REF-2", "general", "鄂尔多斯市某商贸有限公司", "10000.00", 6)
	data := event.Data.(domain.DonationReceived)
	data.BankReference = "XSQL-2022-002"
	event.Data = data
	b.record(event)
	lines := []statementLine{{"2022-06-07", "202206070000001", "XSQL-2022-002", "鄂尔多斯市某商贸有限公司", "0602000100000000001", "10000.00"}}
	if _, err := b.importData("june.csv", statementCSV(t, "0.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	_, result := b.reconcile()
	if len(result.Matched) != 1 || result.Matched[0].Rule != reconcile.RuleReference {
		t.Fatalf("matched: %+v", result.Matched)
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionReject, ID: result.Matched[0].ID, Reason: "参考号录错"}); err != nil {
		t.Fatal(err)
	}
	book, after := b.reconcile()
	for _, match := range append(after.Matched, after.Suggested...) {
		for _, donation := range match.Donations {
			if donation.DonationID == "D-REF-2" {
				t.Fatalf("the rejected pairing came back as %s %s", match.Rule, match.ID)
			}
		}
	}
	if len(after.UnmatchedLines) != 1 || len(after.UnmatchedDonations) != 1 {
		t.Fatalf("the line and the donation are not open: %+v", after)
	}
	rejection := book.Decisions[len(book.Decisions)-1]
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionUndo, ID: rejection.EventID, Reason: "参考号无误"}); err != nil {
		t.Fatal(err)
	}
	if _, again := b.reconcile(); len(again.Matched) != 1 || again.Matched[0].ID != result.Matched[0].ID {
		t.Fatalf("after undoing the rejection: %+v", again.Matched)
	}
}

// A match confirmed by a person is taken back by undoing its event: a
// rejection says so.
func TestRejectingAConfirmedMatchNamesItsEvent(t *testing.T) {
	b := newBooks(t)
	b.record(received("D-X-1", "general", "鄂尔多斯市某商贸有限公司", "10000.00", 6))
	lines := []statementLine{{"2022-06-07", "202206070000001", "捐款", "鄂尔多斯市某商贸有限公司", "0602000100000000001", "10000.00"}}
	if _, err := b.importData("june.csv", statementCSV(t, "0.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	_, result := b.reconcile()
	suggestion := suggestionOf(t, result, reconcile.RuleAmountName)
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: suggestion.ID}); err != nil {
		t.Fatal(err)
	}
	_, after := b.reconcile()
	err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionReject, ID: suggestion.ID, Reason: "错了"})
	// Decided already: a refusal of what the ledger holds, not of how it
	// was asked.
	var refused *domain.RuleError
	if !errors.As(err, &refused) || refused.Field != "id" || !strings.Contains(err.Error(), "undo event "+after.Matched[0].DecidedBy) {
		t.Fatalf("rejecting a confirmed match: %v", err)
	}
	err = b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: suggestion.ID})
	if !errors.As(err, &refused) || errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "undo event "+after.Matched[0].DecidedBy) {
		t.Fatalf("confirming a confirmed match again: %v", err)
	}
}

// Every rule says why it suggests a match, in the text report and the JSON.
func TestEverySuggestionSaysWhy(t *testing.T) {
	b := newBooks(t)
	b.june()
	b.importFile("statement/testdata/icbc-2022-06.csv", "icbc", "")
	b.record(received("D-FEE-1", "general", "伊克昭某实业有限公司", "8000.00", 20))
	lines := []statementLine{{"2022-06-21", "202206210000009", "捐款", "伊克昭某实业有限公司", "0602000100000000009", "7985.00"}}
	if _, err := b.importData("june-2.csv", statementCSV(t, "0.00", lines, false), "icbc",
		reconcile.ImportRequest{Actor: "finance", Account: "0602001109000077777"}); err != nil {
		t.Fatal(err)
	}
	_, result := b.reconcile()
	rules := map[string]bool{}
	var text bytes.Buffer
	report.ReconciliationText(&text, result)
	for _, match := range result.Suggested {
		rules[match.Rule] = true
		if match.Why == "" {
			t.Errorf("%s %s gives no why", match.Rule, match.ID)
		}
		if !strings.Contains(text.String(), "why: "+match.Why) {
			t.Errorf("the text report has no why for %s", match.ID)
		}
	}
	for _, rule := range []string{reconcile.RuleAmountName, reconcile.RulePartialFee, reconcile.RuleCombined, reconcile.RuleSplit} {
		if !rules[rule] {
			t.Errorf("no %s suggestion to check", rule)
		}
	}
	// A why names no person: readers without the grant are shown it.
	for _, match := range result.WithoutPersonal().Suggested {
		for _, line := range result.Suggested[0].Lines {
			if strings.Contains(match.Why, line.Counterparty) {
				t.Errorf("why %q names the counterparty", match.Why)
			}
		}
	}
}

// The summary's counts are numbers a spreadsheet adds up.
func TestSummaryCountsAreNumbersInTheWorkbook(t *testing.T) {
	b := newBooks(t)
	b.june()
	b.importFile("statement/testdata/icbc-2022-06.csv", "icbc", "")
	_, result := b.reconcile()
	var workbook bytes.Buffer
	if err := result.WriteXLSX(&workbook); err != nil {
		t.Fatal(err)
	}
	file, err := excelize.OpenReader(&workbook)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	const sheet = "汇总 Summary"
	rows, err := file.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= len(rows); i++ {
		for _, column := range []string{"B", "C", "D"} {
			kind, err := file.GetCellType(sheet, column+strconv.Itoa(i))
			if err != nil {
				t.Fatal(err)
			}
			if kind != excelize.CellTypeUnset && kind != excelize.CellTypeNumber {
				t.Fatalf("%s%d (%s) is of type %v, not a number", column, i, rows[i-1][0], kind)
			}
		}
	}
	if err := file.SetCellFormula(sheet, "F1", "SUM(B2:B"+strconv.Itoa(len(rows))+")"); err != nil {
		t.Fatal(err)
	}
	total, err := file.CalcCellValue(sheet, "F1")
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, summary := range result.Summaries() {
		want += summary.Count
	}
	if total != strconv.Itoa(want) || want == 0 {
		t.Fatalf("SUM of the counts is %s, want %d", total, want)
	}
}

// planWith plans an import of an ICBC-style statement as a dry run does,
// accepting a balance gap or not.
func (b *books) planWith(name string, data []byte, acceptGap bool) reconcile.ImportPlan {
	b.t.Helper()
	book, err := reconcile.BuildBook(context.Background(), b.store, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	plan, err := reconcile.PlanImport(book, statementOf(b.t, name, data), reconcile.ImportRequest{FileName: name, County: "150600",
		Actor: "finance", Now: clock(), LineIDs: b.ids, AcceptBalanceGap: acceptGap, Check: func(event domain.Event) error {
			_, err := b.service.Check(event)
			return err
		}})
	if err != nil {
		b.t.Fatalf("plan %s: %v", name, err)
	}
	return plan
}

func statementOf(t *testing.T, name string, data []byte) statement.Statement {
	t.Helper()
	parsed, err := statement.Parse(name, data, "icbc")
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return parsed
}

// A statement whose opening balance disagrees with the ledger is never
// said to agree: the import's text says the gap, once.
func TestImportTextSaysTheBalanceCheckOnce(t *testing.T) {
	b := newBooks(t)
	june := []statementLine{{"2022-06-07", "202206070000001", "捐款", "某某公司", "0602000100000000001", "100.00"}}
	if _, err := b.importData("june.csv", statementCSV(t, "0.00", june, false), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	july := []statementLine{{"2022-07-07", "202207070000001", "捐款", "某某公司", "0602000100000000001", "100.00"}}
	data := statementCSV(t, "90.00", july, false)
	for _, accept := range []bool{false, true} {
		plan := b.planWith("july.csv", data, accept)
		var out bytes.Buffer
		report.ImportText(&out, "july.csv", statementOf(t, "july.csv", data), reconcile.ImportResult{ImportPlan: plan}, true)
		encoded, err := json.Marshal(plan)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(encoded), `"balance_agrees":false`) {
			t.Fatalf("the plan's JSON: %s", encoded)
		}
		if !plan.BalanceChecked || plan.BalanceAgrees || strings.Contains(out.String(), "agrees") ||
			!strings.Contains(out.String(), "the statement opens at 90.00") {
			t.Fatalf("accept gap %v: %+v\n%s", accept, plan, out.String())
		}
	}
	plan := b.planWith("july.csv", statementCSV(t, "100.00", july, false), false)
	var out bytes.Buffer
	report.ImportText(&out, "july.csv", statementOf(t, "july.csv", data), reconcile.ImportResult{ImportPlan: plan}, true)
	if !plan.BalanceAgrees || !strings.Contains(out.String(), "opening balance agrees with the ledger") || len(plan.Problems) != 0 {
		t.Fatalf("agreeing: %+v\n%s", plan, out.String())
	}
}
