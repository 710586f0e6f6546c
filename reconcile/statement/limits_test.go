package statement_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/internal/xlsxlimit"
	"github.com/ordos-union/ledger/internal/xlsxlimit/xlsxtest"
	"github.com/ordos-union/ledger/reconcile/statement"
)

// handMadeStatement is a minimal XLSX written by hand, as an attacker
// would: a header row and one line, then rows of one cell each in the
// column given (inline strings, so no shared strings part is needed).
func handMadeStatement(t testing.TB, rows int, column string) []byte {
	t.Helper()
	var more strings.Builder
	for row := 3; row < 3+rows; row++ {
		fmt.Fprintf(&more, `<row r="%d">%s</row>`, row, inlineCell(fmt.Sprintf("%s%d", column, row), "x"))
	}
	return handMadeStatementRows(t, more.String())
}

// inlineCell is the XML of a cell holding text.
var inlineCell = xlsxtest.InlineCell

// handMadeStatementRows is the header row and one line, then the rows
// given as XML.
func handMadeStatementRows(t testing.TB, rows string) []byte {
	t.Helper()
	return xlsxtest.Workbook(t, "", `<row r="1">`+inlineCell("A1", "Date")+inlineCell("B1", "Description")+inlineCell("C1", "Amount")+`</row>`+
		`<row r="2">`+inlineCell("A2", "2022-07-01")+inlineCell("B2", "Donation")+inlineCell("C2", "1000.50")+`</row>`+rows)
}

// A statement row with a value beyond xlsxColumnsMax (256) columns is
// refused when it is read: each row was padded to its last cell, so rows
// of one cell in column XFD, taken for notes below the lines, cost 16,384
// strings apiece. Refusing costs that one row; a note within the limit is
// still read past.
func TestWideStatementRowIsRefusedInBoundedMemory(t *testing.T) {
	wide := handMadeStatement(t, 1000, "XFD")
	allocated, err := parseMeasured(wide)
	t.Logf("%d-byte statement, 1,000 rows with a cell in column XFD: %d KiB allocated, %v", len(wide), allocated>>10, err)
	if err == nil || !strings.Contains(err.Error(), "sheet Sheet1 row 3 has a value in column XFD (column 16384), more than the limit of 256 columns") {
		t.Fatalf("a statement with a value in column XFD: %v", err)
	}
	if allocated > 8<<20 {
		t.Fatalf("refusing the wide statement allocated %d MiB, want under 8 MiB", allocated>>20)
	}
	s, err := statement.ParseXLSX(handMadeStatement(t, 10, "IV"), "generic")
	if err != nil || len(s.Lines) != 1 {
		t.Fatalf("notes in column IV (256) below a line: %d lines, %v", len(s.Lines), err)
	}
	if _, err := statement.ParseXLSX(handMadeStatement(t, 10, "IW"), "generic"); err == nil || !strings.Contains(err.Error(), "column IW (column 257)") {
		t.Fatalf("a note in column IW (257): %v", err)
	}
}

// A statement row of cells written without references, numbered past
// column XFD, is refused by counting its cells before excelize parses it.
func TestStatementRowOfUnnumberedCellsIsRefusedInBoundedMemory(t *testing.T) {
	const cells = 200_000
	row := `<row r="3">` + strings.Repeat(`<c><v>1</v></c>`, cells) + `</row>`
	book := handMadeStatementRows(t, row)
	allocated, err := parseMeasured(book)
	t.Logf("%d-byte statement, a row of %d cells without references: %d KiB allocated, %v", len(book), cells, allocated>>10, err)
	if err == nil || !strings.Contains(err.Error(), "row 3 of the part has more than 16384 cells") {
		t.Fatalf("a row of %d cells: %v", cells, err)
	}
	if allocated > 8<<20 {
		t.Fatalf("refusing the row allocated %d MiB, want under 8 MiB", allocated>>20)
	}
}

// A statement of a few cells and a million tiny shared strings (a 40 KB
// upload) is refused before excelize decodes the strings, which cost it
// over half a gigabyte: a statement's strings are paid for by its cells
// (xlsxElementsPerCellMax).
func TestStatementOfManyStringsAndFewCellsIsRefusedInBoundedMemory(t *testing.T) {
	const count = 1_000_000
	book := xlsxtest.Workbook(t, strings.Repeat(`<si><t>x</t></si>`, count), `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
	allocated, err := parseMeasured(book)
	t.Logf("%d-byte statement of one cell and %d shared strings: %d KiB allocated, %v", len(book), count, allocated>>10, err)
	if err == nil || !strings.Contains(err.Error(), "elements besides its 1 cells") {
		t.Fatalf("one cell and %d shared strings: %v", count, err)
	}
	if allocated > 16<<20 {
		t.Fatalf("refusing one cell and %d shared strings allocated %d MiB, want under 16 MiB", count, allocated>>20)
	}
}

// A statement whose shared strings are one string of 64 MiB (a 65 KB
// upload) is refused before excelize decodes it: excelize decodes the
// shared strings whole, at several times their bytes, and one string of
// 400 MiB held 2.7 GB for a minute. The refusal names the part and the
// limit, and costs little more than unpacking the part once to count it.
func TestStatementOfOneHugeSharedStringIsRefusedInBoundedMemory(t *testing.T) {
	const size = 64 << 20
	book := xlsxtest.Workbook(t, "<si><t>"+strings.Repeat("A", size)+"</t></si>", `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
	allocated, err := parseMeasured(book)
	t.Logf("%d-byte statement whose shared strings are one string of %d MiB: %d KiB allocated, %v", len(book), size>>20, allocated>>10, err)
	var tooLarge *xlsxlimit.PartTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Part != "xl/sharedStrings.xml" || tooLarge.BytesMax != 32<<20 ||
		!strings.Contains(err.Error(), "xl/sharedStrings.xml: the part unpacks to more than 33554432 bytes (32 MiB)") {
		t.Fatalf("one shared string of %d MiB: %v", size>>20, err)
	}
	if allocated > 16<<20 {
		t.Fatalf("refusing one shared string of %d MiB allocated %d MiB, want under 16 MiB", size>>20, allocated>>20)
	}
}

// A large real statement, 20,000 lines each with a remark and a
// counterparty of its own (a sheet of inline strings as excelize's stream
// writer writes it, of about 13 MiB as the README says: between 12 and
// 14), is within xlsxPartBytesMax and imports whole.
func TestLargeRealStatementImports(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 lines")
	}
	const lines = 20_000
	f := excelize.NewFile()
	defer f.Close()
	stream, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.SetRow("A1", []any{"交易日期", "摘要", "对方户名", "对方账号", "收入金额", "支出金额", "余额"}); err != nil {
		t.Fatal(err)
	}
	balance := int64(0)
	for i := 1; i <= lines; i++ {
		balance += 10_000 + int64(i)
		remark := fmt.Sprintf("第 %d 笔 会员会费 鄂尔多斯市总工会 乌审旗工会 帮扶资金 转账 汇款 附言 %s", i, strings.Repeat("款", 40))
		row := []any{fmt.Sprintf("2022-07-%02d", 1+i%28), remark, fmt.Sprintf("某某有限责任公司第 %d 分公司", i), fmt.Sprintf("6222 0000 %08d", i),
			fmt.Sprintf("%d.%02d", (10_000+i)/100, (10_000+i)%100), "", fmt.Sprintf("%d.%02d", balance/100, balance%100)}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := stream.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Flush(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	archive, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range archive.File {
		t.Logf("%s: %d KiB", file.Name, file.UncompressedSize64>>10)
		if size := file.UncompressedSize64; file.Name == "xl/worksheets/sheet1.xml" && (size < 12<<20 || size > 14<<20) {
			t.Fatalf("the sheet of %d lines unpacks to %d KiB, want about 13 MiB (12 to 14)", lines, size>>10)
		}
		if size := file.UncompressedSize64; size > 32<<20 {
			t.Fatalf("%s unpacks to %d KiB, more than a part may (32 MiB)", file.Name, size>>10)
		}
	}
	s, err := statement.ParseXLSX(out.Bytes(), "generic")
	if err != nil || len(s.Lines) != lines {
		t.Fatalf("a real statement of %d lines (%d bytes): %d lines, %v", lines, out.Len(), len(s.Lines), err)
	}
	if err := s.CheckBalances(); err != nil {
		t.Fatal(err)
	}
}

// parseMeasured parses a statement workbook and says how many bytes the
// parse allocated, for the tests that hold a refusal to bounded memory.
func parseMeasured(book []byte) (uint64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := statement.ParseXLSX(book, "generic")
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, err
}

// camtDocument is a CAMT.053 document of one statement of one account,
// whose body after the account is the parts given, written by hand as an
// attacker would.
// The document is made to its size, so that the heap holds nothing else
// of it when a parse is measured.
func camtDocument(parts ...string) []byte {
	parts = append([]string{`<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>` +
		`<Acct><Id><Othr><Id>0602001109000012345</Id></Othr></Id><Ccy>CNY</Ccy></Acct>`}, parts...)
	parts = append(parts, `</Stmt></BkToCstmrStmt></Document>`)
	size := 0
	for _, part := range parts {
		size += len(part)
	}
	out := make([]byte, 0, size)
	for _, part := range parts {
		out = append(out, part...)
	}
	return out
}

// camtBooked is a booked entry of one yuan with the XML given inside it.
func camtBooked(inside string) string {
	return `<Ntry><Amt Ccy="CNY">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2022-07-04</Dt></BookgDt>` + inside + `</Ntry>`
}

// camtCost is what a parse cost: the most the heap held above what it
// held before (what a server's resident memory shows), and the bytes it
// allocated in all.
type camtCost struct {
	peak, allocated uint64
}

func (c camtCost) String() string {
	return fmt.Sprintf("heap peak +%d KiB, %d KiB allocated", c.peak>>10, c.allocated>>10)
}

// parseCAMTMeasured parses a CAMT.053 statement and says what it cost.
// The heap is sampled every millisecond while the parse runs: what the
// parse holds for longer than that is seen.
func parseCAMTMeasured(data []byte) (statement.Statement, camtCost, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stop, most := make(chan struct{}), make(chan uint64)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		ticker := time.NewTicker(time.Millisecond)
		defer ticker.Stop()
		var peak uint64
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				metrics.Read(sample)
				most <- max(peak, sample[0].Value.Uint64())
				return
			case <-ticker.C:
			}
		}
	}()
	s, err := statement.ParseCAMT053(data)
	close(stop)
	peak := <-most
	runtime.ReadMemStats(&after)
	return s, camtCost{peak: peak - min(peak, before.HeapAlloc), allocated: after.TotalAlloc - before.TotalAlloc}, err
}

// camtRefused checks that err is a CAMTLimitError of the limit, the most,
// the statement and the entry given, and that its message names them.
func camtRefused(t *testing.T, what string, err error, limit statement.CAMTLimit, most, stmt, entry int, place string) {
	t.Helper()
	var refused *statement.CAMTLimitError
	if !errors.As(err, &refused) || !errors.Is(err, statement.ErrCAMTLimit) || refused.Limit != limit || refused.Max != most ||
		refused.Statement != stmt || refused.Entry != entry || refused.XMLLine < 1 {
		t.Fatalf("%s: %v (%#v), want %v at most %d in statement %d entry %d", what, err, refused, limit, most, stmt, entry)
	}
	if want := fmt.Sprintf("statement: camt.053: %sxml line %d: more than %d %s", place, refused.XMLLine, most, limit); err.Error() != want {
		t.Fatalf("%s: %q, want %q", what, err, want)
	}
}

// camtBounded checks that refusing a statement held at most a small
// multiple of the file.
func camtBounded(t *testing.T, what string, data []byte, cost camtCost) {
	t.Helper()
	if cost.peak > 4*uint64(len(data)) {
		t.Fatalf("%s: refusing %d KiB held %d KiB, want at most 4 times the file", what, len(data)>>10, cost.peak>>10)
	}
}

// Entries are read one at a time, each counted before it is decoded. A
// million and one empty entries (6.7 MiB) held 545 MiB before the first
// was found to have no amount: now the first is refused at once. A
// million and one pending entries, none of them a line, were all held
// (741 MiB for 27 MiB) and the statement read as one without lines: now
// the one past MaxLines is refused, naming it, and the parse never holds
// more than one entry.
func TestCAMTEntriesAreReadOneAtATime(t *testing.T) {
	empty := camtDocument(strings.Repeat("<Ntry/>", statement.MaxLines+1))
	_, cost, err := parseCAMTMeasured(empty)
	t.Logf("%d KiB of %d empty entries: %v; %v", len(empty)>>10, statement.MaxLines+1, cost, err)
	if err == nil || err.Error() != "statement: camt.053: Ntry 1: no <Amt>" {
		t.Fatalf("empty entries: %v", err)
	}
	if cost.allocated > 1<<20 {
		t.Fatalf("refusing the first of %d empty entries allocated %d KiB, want under 1 MiB", statement.MaxLines+1, cost.allocated>>10)
	}
	camtBounded(t, "empty entries", empty, cost)
	if testing.Short() {
		t.Skip("reads a million pending entries")
	}
	pending := camtDocument(strings.Repeat("<Ntry><Sts>PDNG</Sts></Ntry>", statement.MaxLines+1))
	_, cost, err = parseCAMTMeasured(pending)
	t.Logf("%d KiB of %d pending entries: %v; %v", len(pending)>>10, statement.MaxLines+1, cost, err)
	camtRefused(t, "pending entries", err, statement.CAMTEntries, statement.MaxLines, 1, statement.MaxLines+1,
		fmt.Sprintf("Ntry %d, ", statement.MaxLines+1))
	camtBounded(t, "pending entries", pending, cost)
}

// A flood of elements is refused once it passes the tokens an entry, or
// what lies outside the entries, may have: 20,000 and 200,000 elements,
// texts and comments. Unknown elements were skipped, but known ones were
// all held: 2 million empty <TxDtls/> in one entry held 880 MiB, and 4
// million empty <Bal/> 1.4 GiB. An entry of 20,000 tokens is read.
func TestCAMTFloodOfElementsIsRefusedInBoundedMemory(t *testing.T) {
	for _, tc := range []struct {
		name         string
		data         func() []byte
		limit        statement.CAMTLimit
		most, entry  int
		place        string
		allocatedMax uint64
	}{
		{"4 million unknown elements in the statement", func() []byte { return camtDocument(strings.Repeat("<X/>", 4_000_000)) },
			statement.CAMTOutsideTokens, 200_000, 0, "Stmt, ", 128 << 20},
		{"4 million empty balances", func() []byte { return camtDocument(strings.Repeat("<Bal/>", 4_000_000)) },
			statement.CAMTOutsideTokens, 200_000, 0, "Stmt, ", 128 << 20},
		{"4 million unknown elements in an entry", func() []byte { return camtDocument("<Ntry>", strings.Repeat("<X/>", 4_000_000), "</Ntry>") },
			statement.CAMTEntryTokens, 20_000, 1, "Ntry 1, ", 32 << 20},
		{"2 million empty transactions in an entry", func() []byte {
			return camtDocument("<Ntry><NtryDtls>", strings.Repeat("<TxDtls/>", 2_000_000), "</NtryDtls></Ntry>")
		},
			statement.CAMTEntryTokens, 20_000, 1, "Ntry 1, ", 32 << 20},
		{"comments in the statement", func() []byte { return camtDocument(strings.Repeat("<!---->", 1_000_000)) },
			statement.CAMTOutsideTokens, 200_000, 0, "Stmt, ", 128 << 20},
	} {
		// Made here, so that the heap holds no other case's document.
		data := tc.data()
		_, cost, err := parseCAMTMeasured(data)
		t.Logf("%s (%d KiB): %v; %v", tc.name, len(data)>>10, cost, err)
		camtRefused(t, tc.name, err, tc.limit, tc.most, 1, tc.entry, tc.place)
		camtBounded(t, tc.name, data, cost)
		if cost.allocated > tc.allocatedMax {
			t.Fatalf("%s: allocated %d MiB, want under %d MiB", tc.name, cost.allocated>>20, tc.allocatedMax>>20)
		}
	}
	// A booked entry is 8 tokens (Ntry, Amt and its text, CdtDbtInd and
	// its text, BookgDt, Dt and its text): 19,992 more make 20,000.
	s, err := statement.ParseCAMT053(camtDocument(camtBooked(strings.Repeat("<X/>", 19_992))))
	if err != nil || len(s.Lines) != 1 {
		t.Fatalf("an entry of 20,000 tokens: %d lines, %v", len(s.Lines), err)
	}
	_, err = statement.ParseCAMT053(camtDocument(camtBooked(""), camtBooked(strings.Repeat("<X/>", 19_993))))
	camtRefused(t, "an entry of 20,001 tokens", err, statement.CAMTEntryTokens, 20_000, 1, 2, "Ntry 2, ")
	// The second statement's entry is named by its statement.
	_, err = statement.ParseCAMT053(camtDocument(`</Stmt><Stmt><Acct><Id><Othr><Id>0602001109000012345</Id></Othr></Id></Acct>`,
		camtBooked(strings.Repeat("<X/>", 19_993))))
	camtRefused(t, "an entry of 20,001 tokens in the second statement", err, statement.CAMTEntryTokens, 20_000, 2, 1, "Stmt 2 Ntry 1, ")
}

// Elements nested deeper than 64 are refused as the 65th opens: 4 million
// nested elements (11 MiB) held 450 MiB, the decoder holding every open
// one.
func TestCAMTDeepNestingIsRefusedInBoundedMemory(t *testing.T) {
	deep := camtDocument(strings.Repeat("<X>", 4_000_000))
	_, cost, err := parseCAMTMeasured(deep)
	t.Logf("4 million nested elements (%d KiB): %v; %v", len(deep)>>10, cost, err)
	camtRefused(t, "4 million nested elements", err, statement.CAMTDepth, 64, 1, 0, "Stmt, ")
	if cost.allocated > 1<<20 {
		t.Fatalf("refusing 4 million nested elements allocated %d KiB, want under 1 MiB", cost.allocated>>10)
	}
	// Document, BkToCstmrStmt and Stmt are 3 deep; 61 more are 64.
	if _, err := statement.ParseCAMT053(camtDocument(strings.Repeat("<X>", 61), strings.Repeat("</X>", 61))); err != nil {
		t.Fatalf("elements 64 deep: %v", err)
	}
	_, err = statement.ParseCAMT053(camtDocument(camtBooked(""), "<Ntry>", strings.Repeat("<X>", 61), strings.Repeat("</X>", 61), "</Ntry>"))
	camtRefused(t, "elements 65 deep in an entry", err, statement.CAMTDepth, 64, 1, 2, "Ntry 2, ")
}

// A text, a tag, a comment or a CDATA section of more than 64 KiB is
// refused as it is read, before the decoder holds it whole: a text of
// 32 MiB held 120 MiB, a tag of 4 million attributes (23 MiB) 580 MiB,
// and a CDATA section of 16 MiB 80 MiB. An element's text is counted
// whole, however comments split it. 64 attributes on an element, and
// 64 KiB of text in one, are read.
func TestCAMTHugeTextIsRefusedInBoundedMemory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  func() []byte
		limit statement.CAMTLimit
		most  int
		entry int
		place string
	}{
		{"a text of 32 MiB", func() []byte {
			return camtDocument("<Ntry><AddtlNtryInf>", strings.Repeat("A", 32<<20), "</AddtlNtryInf></Ntry>")
		},
			statement.CAMTTextBytes, 64 << 10, 1, "Ntry 1, "},
		{"a tag of 4 million attributes", func() []byte { return camtDocument("<Ntry", strings.Repeat(` a="1"`, 4_000_000), "/>") },
			statement.CAMTTextBytes, 64 << 10, 0, "Stmt, "},
		{"a CDATA section of 16 MiB of <a", func() []byte {
			return camtDocument("<Ntry><AddtlNtryInf><![CDATA[", strings.Repeat("<a", 8<<20), "]]></AddtlNtryInf></Ntry>")
		},
			statement.CAMTTextBytes, 64 << 10, 1, "Ntry 1, "},
		{"a comment of 16 MiB of <a>", func() []byte { return camtDocument("<Ntry><!--", strings.Repeat("<a>", 6<<20), "--></Ntry>") },
			statement.CAMTTextBytes, 64 << 10, 1, "Ntry 1, "},
		{"a text of 28 MiB split by comments", func() []byte {
			return camtDocument("<Ntry><AddtlNtryInf>", strings.Repeat("aaaaaaaa<!---->", 2_000_000), "</AddtlNtryInf></Ntry>")
		},
			statement.CAMTTextBytes, 64 << 10, 1, "Ntry 1, "},
		{"a declaration of 16 MiB of <a>", func() []byte {
			return append([]byte(`<!DOCTYPE Document [`+strings.Repeat("<a>", 6<<20)+`]>`), camtDocument()...)
		},
			statement.CAMTTextBytes, 64 << 10, 0, ""},
	} {
		// Made here, so that the heap holds no other case's document.
		data := tc.data()
		_, cost, err := parseCAMTMeasured(data)
		t.Logf("%s (%d KiB): %v; %v", tc.name, len(data)>>10, cost, err)
		camtRefused(t, tc.name, err, tc.limit, tc.most, map[bool]int{true: 1}[tc.place != ""], tc.entry, tc.place)
		// The decoder parses up to 128 KiB of a tag's attributes before
		// the tag is refused: some 5 MiB.
		if cost.allocated > 8<<20 {
			t.Fatalf("%s: refusing it allocated %d KiB, want under 8 MiB", tc.name, cost.allocated>>10)
		}
	}
	attributes := func(count int) string {
		var out strings.Builder
		for i := range count {
			fmt.Fprintf(&out, ` a%d="1"`, i)
		}
		return out.String()
	}
	if s, err := statement.ParseCAMT053(camtDocument(`<Ntry` + attributes(64) + `><Amt Ccy="CNY">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2022-07-04</Dt></BookgDt></Ntry>`)); err != nil || len(s.Lines) != 1 {
		t.Fatalf("an entry of 64 attributes: %d lines, %v", len(s.Lines), err)
	}
	_, err := statement.ParseCAMT053(camtDocument(camtBooked(`<AddtlNtryInf` + attributes(65) + `/>`)))
	camtRefused(t, "an element of 65 attributes", err, statement.CAMTAttributes, 64, 1, 1, "Ntry 1, ")
	s, err := statement.ParseCAMT053(camtDocument(camtBooked(`<AddtlNtryInf>` + strings.Repeat("A", 64<<10) + `</AddtlNtryInf>`)))
	if err != nil || len(s.Lines) != 1 || len(s.Lines[0].Remark) != 64<<10 {
		t.Fatalf("a remark of 64 KiB: %d lines, %v", len(s.Lines), err)
	}
	_, err = statement.ParseCAMT053(camtDocument(camtBooked(`<AddtlNtryInf>` + strings.Repeat("A", 32<<10) + `<!---->` + strings.Repeat("A", 32<<10+1) + `</AddtlNtryInf>`)))
	camtRefused(t, "a remark of 64 KiB and a byte", err, statement.CAMTTextBytes, 64<<10, 1, 1, "Ntry 1, ")
}

// A real statement of many entries is within every limit and reads as
// before: the fixture's six entries repeated 1,000 times.
func TestLargeRealCAMTStatementReads(t *testing.T) {
	text := string(fixture(t, "camt053-2022-07.xml"))
	begin, end := strings.Index(text, "<Ntry>"), strings.LastIndex(text, "</Ntry>")+len("</Ntry>")
	var entries strings.Builder
	for i := range 1000 {
		entries.WriteString(strings.ReplaceAll(text[begin:end], "AcctSvcrRef>202207", fmt.Sprintf("AcctSvcrRef>%06d", i)))
	}
	data := []byte(text[:begin] + entries.String() + text[end:])
	s, cost, err := parseCAMTMeasured(data)
	t.Logf("%d KiB, 6,000 entries: %v; %v", len(data)>>10, cost, err)
	if err != nil || len(s.Lines) != 6000 {
		t.Fatalf("6,000 entries: %d lines, %v", len(s.Lines), err)
	}
	if last := s.Lines[5999]; last.Source != "Ntry 6000" || last.Number != 6000 || last.Serial != "000999260047712" || last.Remark != "金秋助学金拨付 D-EDU-03" {
		t.Fatalf("the last line: %+v", last)
	}
}

// ParseDetect reads a CAMT.053 statement once: trying every profile in
// turn parsed a refused one five times, though it has none.
func TestParseDetectReadsCAMTOnce(t *testing.T) {
	text := string(fixture(t, "camt053-2022-07.xml"))
	begin, end := strings.Index(text, "<Ntry>"), strings.LastIndex(text, "</Ntry>")+len("</Ntry>")
	// 3,000 entries, then one without an amount.
	data := []byte(text[:begin] + strings.Repeat(text[begin:end], 500) + "<Ntry/>" + text[end:])
	measure := func(parse func() error) (uint64, error) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := parse()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, err
	}
	once, err := measure(func() error { _, err := statement.ParseCAMT053(data); return err })
	if err == nil || err.Error() != "statement: camt.053: Ntry 3001: no <Amt>" {
		t.Fatalf("ParseCAMT053: %v", err)
	}
	detect, detectErr := measure(func() error { _, err := statement.ParseDetect("x.xml", data, ""); return err })
	t.Logf("ParseCAMT053 allocated %d KiB, ParseDetect %d KiB", once>>10, detect>>10)
	if detectErr == nil || detectErr.Error() != err.Error() {
		t.Fatalf("ParseDetect: %v, want %v", detectErr, err)
	}
	if detect > once*3/2 {
		t.Fatalf("ParseDetect allocated %d KiB, ParseCAMT053 %d KiB: read more than once", detect>>10, once>>10)
	}
}
