package report

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
)

// A page sealed as version 3 or later is compared whole: Paper prints the
// report recomputed from the log again, in the page's language and its
// seal's layout (a page sealed as version 3 names its region in both
// languages and its signing time without saying Beijing time), under the
// verifier's catalog, and both pages are read by an HTML tokenizer (the
// way a browser splits them into tags, attributes, text and comments) and
// compared token by token. Picking cells out of the page could not see
// what was printed around them: a row without a key, a name swapped, a
// row hidden by a style, a comment holding the genuine cell while an
// edited one stood beside it. Only one thing may differ: the time the
// footer says the checkpoint was signed, which must still be a time
// (2006-01-02 15:04:05), since the log may hold several signed
// checkpoints of the report's size and verify-report recomputes the
// report under the newest of them. The QR code's image is compared as
// the rest is, byte for byte: a PNG can hold more than the picture Go's
// decoder reads (an APNG frame a browser draws instead), so only the PNG
// the ledger draws for the seal is that seal's QR code.
//
// Nothing is normalized besides what the tokenizer itself does (entities
// decoded, tag and attribute names in lower case, spaces inside a tag),
// since Paper prints the same bytes for the same report.

// NameMismatchError says that a page names something from the catalog (a
// region, campaign, group or item; Kind says which, Code its code), or a
// service kind in this program's words, otherwise than the verifier's
// catalog now does: a rename since the page was printed, or a forgery,
// which an auditor tells apart by the catalog's history. Place is where
// the page prints the name (its table, row and column, or its part).
type NameMismatchError struct {
	Place, Kind, Code, Printed, Named string
	// Catalog is false for a name this program gives (a service kind).
	Catalog bool
}

func (e *NameMismatchError) Error() string {
	source := "the catalog now names it"
	if !e.Catalog {
		source = "this program names it"
	}
	return fmt.Sprintf("%s: %s %s is printed as %s; %s %s", e.Place, e.Kind, e.Code, shown(e.Printed), source, shown(e.Named))
}

func (e *NameMismatchError) Unwrap() error { return app.ErrReportMismatch }

// PageMismatchError says where a page sealed as version 3 or later differs from
// the page the log's report prints, other than in a figure or a name:
// Place is the table, row and column (or the part of the page), Printed
// what the page has there and Logged what the log's report prints.
type PageMismatchError struct {
	Place, Printed, Logged string
	// PrintedRow and LoggedRow are the row the difference is in, its
	// cells' texts quoted, as the page prints it and as the log's report
	// does; empty outside a table's rows.
	PrintedRow, LoggedRow string
}

func (e *PageMismatchError) Error() string {
	text := fmt.Sprintf("%s: the page prints %s where the log's report prints %s", e.Place, e.Printed, e.Logged)
	if e.PrintedRow != "" {
		text += fmt.Sprintf(" (the page's row: %s; the log's: %s)", e.PrintedRow, e.LoggedRow)
	}
	return text
}

func (e *PageMismatchError) Unwrap() error { return app.ErrReportMismatch }

// maxQuotedChars is how many characters of an added row an error quotes.
const maxQuotedChars = 200

// checkPage compares a page sealed as version 3 or later with the page Paper
// prints of the report recomputed from the log, and names the first
// difference.
func checkPage(report *app.MonthReport, catalog *domain.Catalog, printed Printed) error {
	if catalog == nil {
		return fmt.Errorf("check a printed report: no catalog to print its names with: %w", domain.ErrInvalid)
	}
	var rendered bytes.Buffer
	if err := Paper(&rendered, report, catalog, printed.Lang); err != nil {
		return err
	}
	compare := pageWalk{report: report, catalog: catalog, text: paperTexts[printed.Lang], labels: map[string]string{},
		want: html.NewTokenizer(bytes.NewReader(rendered.Bytes())), got: html.NewTokenizer(bytes.NewReader(printed.page))}
	return compare.run()
}

// openElement is an element the comparison is inside, with the text
// printed in it so far.
type openElement struct {
	name, key, label string
	text             strings.Builder
}

// pageWalk walks the rendered page and the printed one together. What it
// knows of where it is (the section, the table's columns, the row) comes
// from the tokens both pages share.
type pageWalk struct {
	report    *app.MonthReport
	catalog   *domain.Catalog
	text      paperText
	want, got *html.Tokenizer

	open []*openElement
	// section is the heading of the part of the page the walk is in.
	section string
	// headers are the current table's column names; row is the number of
	// the row in its body (from 1) and rowName the text of its first
	// cell; cell is the column of the cell the walk is in (from 0), and
	// rowCells the texts of the row's cells before it.
	headers   []string
	row, cell int
	rowName   string
	rowCells  []string
	tables    int
	// labels are the rows' names by their data-label ("groups/<code>").
	labels map[string]string
	// afterFooter is set once the footer has ended.
	afterFooter bool
}

// token is a token of a page, or its end.
// A text's raw bytes are kept beside its decoded text: in a raw text
// element (a title, a style) the tokenizer decodes entities a browser
// would read as markup in an SVG's title, so texts are compared as
// written.
type token struct {
	html.Token
	raw string
	end bool
}

func next(z *html.Tokenizer) (token, error) {
	if z.Next() == html.ErrorToken {
		if errors.Is(z.Err(), io.EOF) {
			return token{end: true}, nil
		}
		return token{}, z.Err()
	}
	raw := string(z.Raw())
	return token{Token: z.Token(), raw: raw}, nil
}

func (w *pageWalk) run() error {
	// The walk ends with the rendered page, which is a few thousand
	// tokens; the printed page is read no further than it.
	for {
		want, err := next(w.want)
		if err != nil {
			return err
		}
		got, err := next(w.got)
		if err != nil {
			return fmt.Errorf("%s: the page is not HTML the comparison can read: %v: %w", w.place(), err, app.ErrReportMismatch)
		}
		if want.end && got.end {
			return nil
		}
		if err := w.compare(want, got); err != nil {
			return err
		}
		w.advance(want)
	}
}

// compare names the difference between the token the log's report prints
// and the one the page prints at the same place, if any.
func (w *pageWalk) compare(want, got token) error {
	switch {
	case want.end || got.end || want.Type != got.Type:
		return w.structural(want, got)
	case want.Type == html.TextToken && want.Data == got.Data && want.raw != got.raw:
		return w.mismatch(w.place(), want, got, "the text written as "+strconv.Quote(got.raw), "it as "+strconv.Quote(want.raw))
	case want.Type == html.TextToken:
		if w.isSigningTime(want.raw, got.raw) {
			return nil
		}
		return w.compareText(want.Data, got.Data)
	case want.Data != got.Data:
		// A comment, a doctype, or a tag of another name.
		return w.structural(want, got)
	case want.Type == html.CommentToken || want.Type == html.DoctypeToken:
		return nil
	}
	return w.compareAttributes(want, got)
}

// structural names a token the page has in place of another: an added or
// missing row, a comment, a tag where the report has another.
func (w *pageWalk) structural(want, got token) error {
	place := w.placeOf(want)
	switch {
	case isStart(got, "tr") && !isStart(want, "tr") && w.inside("table"):
		return &PageMismatchError{Place: fmt.Sprintf("%s, after row %d", w.tableName(), w.row),
			Printed: "a row the log's report does not have, " + rowText(w.got, nil, "", got) + ",", Logged: describe(want)}
	case isStart(want, "tr") && !isStart(got, "tr"):
		return &PageMismatchError{Place: place, Printed: describe(got), Logged: "one more row, " + rowText(w.want, nil, "", want) + ","}
	case got.Type == html.CommentToken && want.Type != html.CommentToken:
		return w.mismatch(place, want, got, "a comment, "+describe(got)+",", describe(want))
	}
	return w.mismatch(place, want, got, describe(got), describe(want))
}

// mismatch is a *PageMismatchError at place; in a row of a table, it
// quotes the row as the page prints it and as the log's report does,
// read on from the tokens that differ.
func (w *pageWalk) mismatch(place string, want, got token, printed, logged string) error {
	err := &PageMismatchError{Place: place, Printed: printed, Logged: logged}
	if !w.inside("tbody") || !w.inside("tr") && !isStart(want, "tr") {
		return err
	}
	partial := ""
	if inner := w.innermost(); inner != nil && (inner.name == "td" || inner.name == "th") {
		partial = inner.text.String()
	}
	err.PrintedRow = rowText(w.got, w.rowCells, partial, got)
	err.LoggedRow = rowText(w.want, w.rowCells, partial, want)
	return err
}

// rowText is a row's cells' texts joined by " | ", quoted for an error:
// the cells before (shared by both pages), the text of the cell read so
// far (partial), then the tokens from first to the row's end read from z.
func rowText(z *html.Tokenizer, before []string, partial string, first token) string {
	cells := append([]string{}, before...)
	var cell strings.Builder
	cell.WriteString(partial)
	tok := first
	for range maxQuotedChars {
		if tok.end || tok.Type == html.EndTagToken && tok.Data == "tr" {
			break
		}
		switch {
		case tok.Type == html.TextToken:
			cell.WriteString(tok.Data)
		case tok.Type == html.EndTagToken && (tok.Data == "td" || tok.Data == "th"):
			cells = append(cells, cell.String())
			cell.Reset()
		}
		var err error
		if tok, err = next(z); err != nil {
			break
		}
	}
	text := strings.Join(cells, " | ")
	if runes := []rune(text); len(runes) > maxQuotedChars {
		text = string(runes[:maxQuotedChars]) + "…"
	}
	return strconv.Quote(text)
}

func isStart(tok token, name string) bool {
	return !tok.end && tok.Type == html.StartTagToken && tok.Data == name
}

// describe is a token as an error shows it.
func describe(tok token) string {
	if tok.end {
		return "the end of the page"
	}
	quoted := func(text string) string {
		if runes := []rune(text); len(runes) > maxQuotedChars {
			text = string(runes[:maxQuotedChars]) + "…"
		}
		return strconv.Quote(text)
	}
	switch tok.Type {
	case html.TextToken:
		return "the text " + quoted(tok.Data)
	case html.CommentToken:
		return quoted("<!--" + tok.Data + "-->")
	case html.DoctypeToken:
		return quoted("<!DOCTYPE " + tok.Data + ">")
	case html.EndTagToken:
		return "</" + tok.Data + ">"
	}
	return quoted(tok.String())
}

// compareText compares a text the log's report prints with the page's:
// a figure's cell is named by its key, a name by what it names and its
// code, anything else by its place.
func (w *pageWalk) compareText(want, got string) error {
	if want == got {
		return nil
	}
	inner := w.innermost()
	if name := w.nameError(inner, want, got); name != nil {
		name.Place = w.place()
		return name
	}
	if inner != nil && inner.key != "" {
		return &PrintedMismatchError{Key: inner.key, Name: figureName(inner.key, w.labels), Printed: got, Logged: want}
	}
	wanted, printed := token{Token: html.Token{Type: html.TextToken, Data: want}}, token{Token: html.Token{Type: html.TextToken, Data: got}}
	return w.mismatch(w.place(), wanted, printed, describe(printed), describe(wanted))
}

// isSigningTime says whether got is want with only the footer's time of
// the signed checkpoint replaced by another well-formed time.
func (w *pageWalk) isSigningTime(want, got string) bool {
	if !w.inside("footer") {
		return false
	}
	signed := bindingFigures(w.report)["time"]
	before, after, found := strings.Cut(want, signed)
	if !found || strings.Contains(after, signed) || len(got) != len(want) ||
		!strings.HasPrefix(got, before) || !strings.HasSuffix(got, after) {
		return false
	}
	_, err := time.ParseInLocation("2006-01-02 15:04:05", got[len(before):len(got)-len(after)], domain.Beijing)
	return err == nil
}

// nameError is the error for a name printed otherwise than the catalog
// (or, for service kinds, this program) names it now, or nil when the
// text is not such a name: a row's name (data-label), the page's region
// and campaign in the line under the title, and a change's region.
func (w *pageWalk) nameError(inner *openElement, want, got string) *NameMismatchError {
	lang := "en"
	if w.text.Lang != "en" {
		lang = "zh"
	}
	if inner != nil && inner.label != "" {
		table, code, _ := strings.Cut(inner.label, "/")
		switch table {
		case "regions":
			if code != "all" {
				return &NameMismatchError{Kind: "region", Code: code, Printed: got, Named: want, Catalog: true}
			}
		case "groups":
			return &NameMismatchError{Kind: "group", Code: code, Printed: got, Named: want, Catalog: true}
		case "goods":
			return &NameMismatchError{Kind: "item", Code: code, Printed: got, Named: want, Catalog: true}
		case "services":
			return &NameMismatchError{Kind: "service kind", Code: code, Printed: got, Named: want}
		}
	}
	if scope := scopeName(w.report, w.catalog, lang); w.inside("div") && w.report.County != "" && want == w.text.Scope+"："+scope {
		return &NameMismatchError{Kind: "region", Code: w.report.County, Printed: strings.TrimPrefix(got, w.text.Scope+"："),
			Named: scope, Catalog: true}
	}
	if w.inside("div") && w.report.Campaign != "" {
		named := labelOf(w.catalog.Campaigns, w.report.Campaign, lang)
		if want == w.text.Campaign+"："+named {
			return &NameMismatchError{Kind: "campaign", Code: w.report.Campaign, Printed: strings.TrimPrefix(got, w.text.Campaign+"："),
				Named: named, Catalog: true}
		}
	}
	if w.section == w.text.Changes && w.row >= 1 && w.row <= len(w.report.Changes) && w.cell < len(w.headers) && w.headers[w.cell] == w.text.Region {
		change := w.report.Changes[w.row-1]
		return &NameMismatchError{Kind: "region", Code: change.County, Printed: got, Named: want, Catalog: true}
	}
	return nil
}

// compareAttributes compares a tag's attributes, in order: a keyed chart
// mark's figure is named by its key, the QR code's image as an image,
// anything else by its place.
func (w *pageWalk) compareAttributes(want, got token) error {
	for i := 0; i < len(want.Attr) || i < len(got.Attr); i++ {
		var wanted, printed html.Attribute
		if i < len(want.Attr) {
			wanted = want.Attr[i]
		}
		if i < len(got.Attr) {
			printed = got.Attr[i]
		}
		if wanted == printed {
			continue
		}
		if want.Data == "img" && wanted.Key == "src" && printed.Key == "src" {
			return w.qrImageError(want, wanted.Val, printed.Val)
		}
		key := attribute(want, "data-key")
		if key != "" && wanted.Key == printed.Key && (wanted.Key == "data-fen" || wanted.Key == "data-count") {
			key = "chart/" + key
			return &PrintedMismatchError{Key: key, Name: figureName(key, w.labels), Printed: printed.Val, Logged: wanted.Val}
		}
		return w.mismatch(w.placeOf(want), want, got, describe(got), describe(want))
	}
	return nil
}

// qrImageError names a QR code image other than the PNG Paper draws for
// the seal: the image must be those bytes exactly. A PNG may hold more
// than the picture Go's decoder reads (an APNG animation frame browsers
// draw over it, a colour profile, text), so no picture "the same" to
// Go's decoder is taken for it. The error lists the PNG's chunks, so an
// auditor sees what was added.
func (w *pageWalk) qrImageError(want token, wanted, printed string) error {
	return &PageMismatchError{Place: w.placeOf(want) + ", the QR code's image",
		Printed: describeImage(printed), Logged: describeImage(wanted) + ", the one the ledger draws for the seal"}
}

// describeImage is an image's data: URL as an error shows it: the size
// of its PNG and its chunks' types.
func describeImage(url string) string {
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(url, prefix) {
		if runes := []rune(url); len(runes) > maxQuotedChars {
			url = string(runes[:maxQuotedChars]) + "…"
		}
		return "an image from " + strconv.Quote(url)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, prefix))
	if err != nil {
		return "a data: URL that is not base64"
	}
	if !bytes.HasPrefix(raw, []byte(pngSignature)) {
		return fmt.Sprintf("%d bytes that are not a PNG", len(raw))
	}
	return fmt.Sprintf("a PNG of %d bytes with chunks %s", len(raw), pngChunkTypes(raw))
}

// pngSignature begins every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// maxListedChunks is how many of a PNG's chunks an error lists.
const maxListedChunks = 24

// pngChunkTypes lists a PNG file's chunks' types, runs of one type (a
// picture's IDATs) as one, and says what follows the last chunk that
// fits in the file.
func pngChunkTypes(file []byte) string {
	var types []string
	rest := file[len(pngSignature):]
	for len(rest) >= 12 && len(types) < maxListedChunks {
		size := uint64(binary.BigEndian.Uint32(rest))
		if uint64(len(rest)) < 12+size {
			break
		}
		kind := strconv.QuoteToASCII(string(rest[4:8]))
		kind = kind[1 : len(kind)-1]
		if len(types) == 0 || types[len(types)-1] != kind {
			types = append(types, kind)
		}
		rest = rest[12+size:]
	}
	listed := strings.Join(types, " ")
	switch {
	case len(types) == maxListedChunks:
		listed += " …"
	case len(rest) > 0:
		listed += fmt.Sprintf(", then %d bytes", len(rest))
	}
	return listed
}

func attribute(tok token, key string) string {
	for _, attr := range tok.Attr {
		if attr.Key == key {
			return attr.Val
		}
	}
	return ""
}

// voidElements are the elements of the page that have no end tag.
var voidElements = map[string]bool{"meta": true, "img": true, "br": true, "link": true, "hr": true, "input": true}

// advance takes a token both pages print into what the walk knows of
// where it is.
func (w *pageWalk) advance(tok token) {
	switch tok.Type {
	case html.StartTagToken:
		if voidElements[tok.Data] {
			return
		}
		element := &openElement{name: tok.Data, key: attribute(tok, "data-key"), label: attribute(tok, "data-label")}
		switch tok.Data {
		case "table":
			w.tables++
			w.headers, w.row, w.cell, w.rowName = nil, 0, -1, ""
		case "tr":
			if w.inside("tbody") {
				w.row++
			}
			w.cell, w.rowName, w.rowCells = -1, "", nil
		case "td", "th":
			w.cell++
		}
		w.open = append(w.open, element)
	case html.TextToken:
		if inner := w.innermost(); inner != nil {
			inner.text.WriteString(tok.Data)
		}
		// A cell's text counts for every element it is inside, so a
		// row's name reaches its cell through a span.
		for _, element := range w.open {
			if element.name == "td" || element.name == "th" || element.name == "h2" {
				if element != w.innermost() {
					element.text.WriteString(tok.Data)
				}
			}
		}
	case html.EndTagToken:
		for i := len(w.open) - 1; i >= 0; i-- {
			if w.open[i].name == tok.Data {
				for _, closed := range w.open[i:] {
					w.closed(closed)
				}
				w.open = w.open[:i]
				break
			}
		}
	}
}

// closed takes an element's end into what the walk knows.
func (w *pageWalk) closed(element *openElement) {
	text := element.text.String()
	if element.label != "" {
		w.labels[element.label] = text
	}
	switch element.name {
	case "h2":
		w.section = text
	case "footer":
		w.afterFooter = true
	case "th", "td":
		if w.inside("thead") {
			w.headers = append(w.headers, text)
			break
		}
		if w.cell == 0 {
			w.rowName = text
		}
		if len(w.rowCells) < maxQuotedChars {
			w.rowCells = append(w.rowCells, text)
		}
	}
}

func (w *pageWalk) innermost() *openElement {
	if len(w.open) == 0 {
		return nil
	}
	return w.open[len(w.open)-1]
}

func (w *pageWalk) inside(name string) bool {
	for _, element := range w.open {
		if element.name == name {
			return true
		}
	}
	return false
}

// tableName names the table the walk is in by the heading above it.
func (w *pageWalk) tableName() string {
	switch {
	case w.tables == 1:
		return "the table of regions"
	case w.section == w.text.Trend:
		return fmt.Sprintf("the table under the chart %q", w.section)
	}
	return fmt.Sprintf("the table %q", w.section)
}

// placeOf names the place of a tag the log's report prints: a row's or a
// cell's start tag is in the row or cell it starts.
func (w *pageWalk) placeOf(want token) string {
	if want.end || want.Type != html.StartTagToken {
		return w.place()
	}
	row, cell, rowName := w.row, w.cell, w.rowName
	defer func() { w.row, w.cell, w.rowName = row, cell, rowName }()
	switch want.Data {
	case "tr":
		if w.inside("tbody") {
			w.row++
		}
		w.cell, w.rowName = -1, ""
		w.open = append(w.open, &openElement{name: "tr"})
		defer func() { w.open = w.open[:len(w.open)-1] }()
	case "td", "th":
		w.cell++
	}
	return w.place()
}

// place names where the walk is, for an error: the table (by the heading
// above it), the row (its number and its name) and the column (its
// header), or the part of the page.
func (w *pageWalk) place() string {
	if !w.inside("table") {
		switch {
		case w.inside("head"):
			return "the page's head"
		case w.inside("header"):
			return "the page's heading"
		case w.inside("footer"):
			return "the footer"
		case w.inside("figure"):
			return fmt.Sprintf("the chart %q", w.section)
		case w.inside("div") && w.section == "" && w.tables == 0:
			return "the line under the title"
		case w.afterFooter:
			return "after the footer"
		case w.section != "":
			return fmt.Sprintf("the part %q", w.section)
		}
		return "the page"
	}
	table := w.tableName()
	switch {
	case w.inside("thead"):
		table += ", its header"
	case w.inside("tbody") && w.row > 0:
		table += fmt.Sprintf(", row %d", w.row)
		if name := w.rowName; name != "" && w.cell > 0 {
			table += " " + strconv.Quote(name)
		}
	default:
		return table
	}
	if w.cell >= 0 && w.inside("tr") {
		column := strconv.Itoa(w.cell + 1)
		if w.cell < len(w.headers) {
			column = strconv.Quote(w.headers[w.cell])
		}
		table += ", column " + column
	}
	return table
}
