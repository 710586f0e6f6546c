// Package xlsxtest writes minimal XLSX workbooks by hand, as an attacker
// would, for the tests of the readers that must refuse them in bounded
// memory (sheets, reconcile/statement, the HTTP import). It is used by
// tests only.
package xlsxtest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// Workbook is an XLSX of one sheet, Sheet1 to SheetN, for each of sheets,
// each the XML inside that worksheet's sheetData; when sharedStrings is
// not empty, a shared strings part holds it as the XML inside its sst.
func Workbook(t testing.TB, sharedStrings string, sheets ...string) []byte {
	t.Helper()
	var out bytes.Buffer
	archive := zip.NewWriter(&out)
	add := func(name, body string) {
		writer, err := archive.Create(name)
		if err == nil {
			_, err = writer.Write([]byte(body))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var types, names, relations strings.Builder
	for i, rows := range sheets {
		number := i + 1
		fmt.Fprintf(&types, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, number)
		fmt.Fprintf(&names, `<sheet name="Sheet%d" sheetId="%d" r:id="rId%d"/>`, number, number, number)
		fmt.Fprintf(&relations, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, number, number)
		add(fmt.Sprintf("xl/worksheets/sheet%d.xml", number), `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
			rows+`</sheetData></worksheet>`)
	}
	if sharedStrings != "" {
		types.WriteString(`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`)
		fmt.Fprintf(&relations, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`, len(sheets)+1)
		add("xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+sharedStrings+`</sst>`)
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		types.String()+`</Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`+
		names.String()+`</sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		relations.String()+`</Relationships>`)
	if err := archive.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// InlineCell is the XML of a cell holding text.
func InlineCell(cell, text string) string {
	return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, cell, text)
}
