package reconcile_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
)

var cst = time.FixedZone("CST", 8*3600)

func clock() time.Time { return time.Date(2022, 7, 1, 9, 0, 0, 0, cst) }

type books struct {
	t       *testing.T
	store   eventstore.Store
	service *ledger.Service
	// keys is the ledger's keystore, and ids the line ids keyed with the
	// secret in it, as the application makes them.
	keys *natsjs.Keystore
	ids  reconcile.LineIDs
	// stop ends the ledger's process: the store, the connection and the
	// server.
	stop func()
}

func newBooks(t *testing.T) *books {
	return openBooks(t, t.TempDir(), natsjs.MemoryStorage)
}

// openBooks starts a ledger storing in dir: the log in storage, the
// keystore on file, as a ledger keeps it.
func openBooks(t *testing.T, dir string, storage natsjs.Storage) *books {
	t.Helper()
	natsServer := natsjstest.RunServer(t, dir, false)
	connection := natsjstest.Connect(t, natsServer)
	store := natsjstest.Open(t, connection, natsjs.Options{Storage: storage})
	keys, err := natsjs.OpenKeystore(context.Background(), connection, 1)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := reconcile.NewLineIDs(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {
		_ = store.Close()
		connection.Close()
		natsServer.Shutdown()
		natsServer.WaitForShutdown()
	}
	return &books{t: t, store: store, service: ledger.New(store, ledger.Options{Clock: clock}), keys: keys, ids: ids, stop: stop}
}

func (b *books) record(events ...domain.Event) []ledger.Result {
	b.t.Helper()
	results, err := b.service.Record(context.Background(), events)
	if err != nil {
		b.t.Fatalf("record: %v", err)
	}
	return results
}

func received(id, campaign, donor string, yuan string, day int) domain.Event {
	amount, _ := domain.ParseYuan(yuan)
	return domain.Event{Type: domain.TypeDonationReceived, County: "150600", Actor: "finance",
		OccurredAt: time.Date(2022, 6, day, 10, 0, 0, 0, cst),
		Data: domain.DonationReceived{DonationID: id, Campaign: campaign, DonorKind: "enterprise", DonorOrg: donor,
			Form: domain.FormMoney, Amount: amount}}
}

func pledged(id, campaign, donor string, yuan string, day int) domain.Event {
	amount, _ := domain.ParseYuan(yuan)
	return domain.Event{Type: domain.TypeDonationPledged, County: "150600", Actor: "finance",
		OccurredAt: time.Date(2022, 6, day, 10, 0, 0, 0, cst),
		Data: domain.DonationPledged{DonationID: id, Campaign: campaign, DonorKind: "enterprise", DonorOrg: donor,
			Form: domain.FormMoney, Amount: amount}}
}

// june records the donations and pledges behind testdata/icbc-2022-06.csv,
// and one donation the bank never saw.
func (b *books) june() {
	const summer, autumn = "2022-summer-cooling", "2022-autumn-school-aid"
	b.record(
		received("D-SUM-01", summer, "内蒙古某能源集团有限公司", "500000.00", 6),
		received("D-EDU-03", autumn, "鄂尔多斯市某建设集团有限公司", "300000.00", 1),
		received("D-X-1", "general", "鄂尔多斯市某商贸有限公司", "10000.00", 6),
		received("D-X-2", "general", "准格尔旗某物流有限公司", "10000.00", 6),
		received("D-SUM-04", summer, "鄂尔多斯某煤业有限责任公司", "80000.00", 9),
		received("D-SUM-07", summer, "达拉特旗某农牧业有限公司", "12000.00", 13),
		pledged("D-SUM-02", summer, "伊金霍洛旗某矿业有限公司", "15000.00", 1),
		pledged("D-SUM-03", summer, "伊金霍洛旗某矿业有限公司", "20000.00", 1),
		pledged("D-EDU-05", autumn, "伊金霍洛旗某矿业有限公司", "10000.00", 1),
		received("D-X-3", "general", "东胜区某餐饮管理有限公司", "6666.66", 27),
		received("D-EDU-06", autumn, "内蒙古某能源集团有限公司", "50000.00", 28),
		received("D-X-9", "general", "鄂尔多斯某科技有限公司", "1000.00", 20),
		pledged("D-OLD-1", "general", "鄂尔多斯某老字号有限公司", "3000.00", 1),
	)
}

func (b *books) importFile(path, profile, account string) reconcile.ImportResult {
	b.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.t.Fatal(err)
	}
	imported, err := b.importData(path, data, profile, reconcile.ImportRequest{Account: account, Actor: "finance"})
	if err != nil {
		b.t.Fatalf("import %s: %v", path, err)
	}
	return imported
}

// importData imports a statement's bytes as the CLI and the API do.
func (b *books) importData(name string, data []byte, profile string, request reconcile.ImportRequest) (reconcile.ImportResult, error) {
	b.t.Helper()
	parsed, err := statement.Parse(name, data, profile)
	if err != nil {
		b.t.Fatalf("parse %s: %v", name, err)
	}
	request.FileName, request.County, request.Now = name, "150600", clock()
	request.LineIDs = b.ids
	return reconcile.Import(context.Background(), context.Background(), b.store, b.service, nil, parsed, request)
}

func (b *books) reconcile() (*reconcile.Book, reconcile.Result) {
	b.t.Helper()
	book, err := reconcile.BuildBook(context.Background(), b.store, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return book, reconcile.Reconcile(book, reconcile.Options{Now: time.Date(2022, 10, 1, 0, 0, 0, 0, cst)})
}

func (b *books) decide(request reconcile.DecisionRequest) error {
	b.t.Helper()
	book, result := b.reconcile()
	data, err := result.Decision(book, request)
	if err != nil {
		return err
	}
	_, err = b.service.Record(context.Background(), []domain.Event{{Type: data.EventType(), County: "150600",
		OccurredAt: clock(), Actor: "finance", Data: data}})
	return err
}

func donationsOf(match reconcile.Match) string {
	var ids []string
	for _, donation := range match.Donations {
		ids = append(ids, donation.DonationID)
	}
	return strings.Join(ids, "+")
}

func byRule(result reconcile.Result, list []reconcile.Match) map[string][]string {
	out := map[string][]string{}
	for _, match := range list {
		out[match.Rule] = append(out[match.Rule], donationsOf(match))
	}
	return out
}

func TestReconcileICBCStatement(t *testing.T) {
	b := newBooks(t)
	b.june()
	imported := b.importFile("statement/testdata/icbc-2022-06.csv", "icbc", "")
	if imported.Written != 12 || len(imported.PrintedTwice) != 1 {
		t.Fatalf("imported %d lines and %d repeats, want 12 and 1 (the line the bank printed twice)", imported.Written, len(imported.PrintedTwice))
	}
	// Importing again writes nothing.
	head, _ := b.store.Head(context.Background())
	again := b.importFile("statement/testdata/icbc-2022-06.csv", "icbc", "")
	if again.Written != 0 || len(again.Already) != 12 {
		t.Fatalf("re-import: %d written, %d already there", again.Written, len(again.Already))
	}
	if after, _ := b.store.Head(context.Background()); after != head {
		t.Fatalf("re-import moved the head from %d to %d", head, after)
	}

	_, result := b.reconcile()
	matched := byRule(result, result.Matched)
	if got := strings.Join(matched[reconcile.RuleReference], ","); got != "D-SUM-01,D-SUM-04,D-SUM-07,D-EDU-06" {
		t.Errorf("matched by reference: %s", got)
	}
	suggested := byRule(result, result.Suggested)
	want := map[string]string{
		reconcile.RuleSplit:      "D-EDU-03,D-EDU-03",          // two transfers for one donation
		reconcile.RuleAmountName: "D-X-1,D-X-2,D-X-3",          // two donors, same amount, same day: told apart by name
		reconcile.RuleCombined:   "D-SUM-02+D-SUM-03+D-EDU-05", // one transfer for three pledges
		reconcile.RuleRefund:     "D-SUM-07",
		reconcile.RuleFee:        "",
	}
	for rule, ids := range want {
		if got := strings.Join(suggested[rule], ","); got != ids {
			t.Errorf("suggested by %s: %q, want %q", rule, got, ids)
		}
	}
	if len(result.UnmatchedDonations) != 1 || result.UnmatchedDonations[0].DonationID != "D-X-9" {
		t.Errorf("unmatched donations: %+v", result.UnmatchedDonations)
	}
	if len(result.UnmatchedLines) != 0 {
		t.Errorf("unmatched lines: %+v", result.UnmatchedLines)
	}
	// The amount-and-name pairs are the right way round.
	for _, match := range result.Suggested {
		if match.Rule == reconcile.RuleAmountName && reconcile.Similarity(match.Lines[0].Counterparty, nameOf(b, match.Donations[0].DonationID)) < 1 {
			t.Errorf("%s paired with %s", match.Lines[0].Counterparty, match.Donations[0].DonationID)
		}
	}
	// Outstanding pledges: the three combined ones and one old one, aged.
	buckets := map[string]string{}
	for _, pledge := range result.Outstanding {
		buckets[pledge.DonationID] = pledge.Bucket
	}
	if buckets["D-OLD-1"] != reconcile.BucketOver90 || len(buckets) != 4 {
		t.Errorf("outstanding: %v", buckets)
	}

	// Finance confirms the suggestions one by one; each decision can settle
	// others (the second transfer of a split then matches by reference).
	for confirmed := 0; ; confirmed++ {
		_, open := b.reconcile()
		if len(open.Suggested) == 0 {
			break
		}
		if confirmed > len(result.Suggested) {
			t.Fatalf("suggestions do not run out: %+v", open.Suggested)
		}
		match := open.Suggested[0]
		if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: match.ID}); err != nil {
			t.Fatalf("confirm %s (%s): %v", match.ID, match.Rule, err)
		}
	}
	_, after := b.reconcile()
	if len(after.Suggested) != 0 || len(after.UnmatchedLines) != 0 || len(after.WrittenOff) != 1 {
		t.Fatalf("after confirming: %d suggested, %d lines unmatched, %d written off", len(after.Suggested), len(after.UnmatchedLines), len(after.WrittenOff))
	}
	// Nothing is double counted: a confirmed line cannot be confirmed again.
	book, _ := b.reconcile()
	lineID := book.Lines[0].LineID
	twice := domain.Event{Type: domain.TypeMatchConfirmed, County: "150600", OccurredAt: clock(), Actor: "finance",
		Data: domain.MatchConfirmed{Account: book.Lines[0].Account, MatchID: "M-again", LineIDs: []string{lineID},
			Donations: []domain.MatchedDonation{{DonationID: "D-EDU-03", Campaign: "2022-autumn-school-aid", Amount: book.Lines[0].Amount}}, Rule: "manual"}}
	if _, err := b.service.Record(context.Background(), []domain.Event{twice}); err == nil {
		t.Fatal("a line was matched twice")
	}

	// Undo a confirmation: its suggestion comes back.
	decision := ""
	for _, match := range after.Matched {
		if match.DecidedBy != "" {
			decision = match.DecidedBy
		}
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionUndo, ID: decision, Reason: "确认有误"}); err != nil {
		t.Fatalf("undo: %v", err)
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionUndo, ID: decision, Reason: "again"}); err == nil {
		t.Fatal("a decision was undone twice")
	}
	_, undone := b.reconcile()
	if len(undone.Suggested) != 1 {
		t.Fatalf("after undo: %d suggestions, want 1", len(undone.Suggested))
	}
	// Rejected, it stays away.
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionReject, ID: undone.Suggested[0].ID, Reason: "不是同一笔"}); err != nil {
		t.Fatalf("reject: %v", err)
	}
	if _, final := b.reconcile(); len(final.Suggested) != 0 {
		t.Fatalf("a rejected suggestion came back: %+v", final.Suggested)
	}
}

func nameOf(b *books, donationID string) string {
	book, _ := b.reconcile()
	return book.Donations[donationID].Donor
}

func TestExportsAddUpToTheLedger(t *testing.T) {
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
		t.Fatalf("the export does not open with excelize: %v", err)
	}
	defer file.Close()
	sumColumn := func(sheet string, column int) domain.Money {
		rows, err := file.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		var total domain.Money
		for _, row := range rows[1:] {
			if column < len(row) && row[column] != "" {
				value, err := domain.ParseYuan(strings.ReplaceAll(row[column], ",", ""))
				if err != nil {
					t.Fatalf("%s: %q is not an amount: %v", sheet, row[column], err)
				}
				total += value
			}
		}
		return total
	}
	var matchedLines domain.Money
	for _, match := range result.Matched {
		for _, line := range match.Lines {
			matchedLines += line.Amount
		}
	}
	if got := sumColumn("已匹配 Matched", 5); got != matchedLines || got == 0 {
		t.Errorf("matched sheet sums to %s, the ledger to %s", got, matchedLines)
	}
	var unmatched domain.Money
	for _, donation := range result.UnmatchedDonations {
		unmatched += donation.Amount
	}
	if got := sumColumn("未到账捐赠 Unmatched donations", 4); got != unmatched {
		t.Errorf("unmatched donations sheet sums to %s, the ledger to %s", got, unmatched)
	}
	var csv bytes.Buffer
	if err := result.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(csv.Bytes(), []byte("\ufeff")) || !strings.Contains(csv.String(), "流水金额 Line amount") {
		t.Errorf("the CSV lacks its byte order mark or Chinese headers")
	}
}

func TestOtherStatementFormatsImport(t *testing.T) {
	b := newBooks(t)
	camt := b.importFile("statement/testdata/camt053-2022-07.xml", "", "")
	xlsx := b.importFile("statement/testdata/ccb-2022-08.xlsx", "ccb", "ccb-test-account")
	if camt.Written == 0 || xlsx.Written == 0 {
		t.Fatalf("camt %d lines, xlsx %d lines", camt.Written, xlsx.Written)
	}
	if len(xlsx.Warnings) != 0 {
		t.Errorf("the CCB export's footer: %v", xlsx.Warnings)
	}
	book, _ := b.reconcile()
	if len(book.Lines) != camt.Written+xlsx.Written {
		t.Fatalf("book has %d lines, want %d", len(book.Lines), camt.Written+xlsx.Written)
	}
}

func TestNameSimilarity(t *testing.T) {
	cases := []struct {
		a, b string
		min  float64
	}{
		{"内蒙古某能源集团有限公司", "内蒙古某能源集团有限责任公司", 1},
		{"鄂尔多斯某煤业有限责任公", "鄂尔多斯某煤业有限责任公司", 0.9},
		{"ORDOS Coal Co., Ltd.", "ordos coal", 1},
	}
	for _, tc := range cases {
		if got := reconcile.Similarity(tc.a, tc.b); got < tc.min {
			t.Errorf("Similarity(%q, %q) = %.2f, want at least %.2f", tc.a, tc.b, got, tc.min)
		}
	}
	if got := reconcile.Similarity("内蒙古某能源集团有限公司", "准格尔旗某物流有限公司"); got >= 0.5 {
		t.Errorf("unrelated names score %.2f", got)
	}
}
