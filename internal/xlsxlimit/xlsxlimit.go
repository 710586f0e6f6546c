// Package xlsxlimit checks the rows of an XLSX before excelize reads it.
// excelize's row reader hands a row over only once it has parsed every
// cell of it, so a caller cannot refuse a row of millions of cells (cells
// written without a reference are numbered one after another, past the
// last column) before paying for all of them: a 65 KB upload of one such
// row allocated 1.5 GiB. Check counts the cells of every row with a plain
// byte scan first, which allocates nearly nothing.
package xlsxlimit

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// RowCellsMax is Excel's own number of columns (A to XFD): no spreadsheet
// program writes a row with more cells. A caller may hold rows to fewer.
const RowCellsMax = 16_384

// scanBufferBytes is the read buffer of the scan.
const scanBufferBytes = 64 << 10

// Check refuses a workbook (the bytes of an XLSX, a zip) with a row of
// more than rowCellsMax cells in any part (at most RowCellsMax), or whose
// parts unpack to more than unzipBytesMax bytes in all. Every part is scanned, whatever its
// name: a worksheet may live at any path its relationships name. An
// element whose local name is c counts as a cell and one named row starts
// a new row; a comment or CDATA holding such text can only count more
// cells, never fewer. What does not unpack is left to excelize, which
// unpacks with the same archive/zip, to refuse in its own words.
func Check(content []byte, unzipBytesMax int64, rowCellsMax int) error {
	rowCellsMax = min(rowCellsMax, RowCellsMax)
	archive, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil
	}
	remaining := unzipBytesMax
	buffer := bufio.NewReaderSize(nil, scanBufferBytes)
	for _, file := range archive.File {
		part, err := file.Open()
		if err != nil {
			continue
		}
		limited := &io.LimitedReader{R: part, N: remaining + 1}
		buffer.Reset(limited)
		err = scan(buffer, file.Name, rowCellsMax)
		part.Close()
		remaining -= (remaining + 1) - limited.N
		if remaining < 0 {
			return fmt.Errorf("the workbook unpacks to more than %d bytes", unzipBytesMax)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scan counts the cells of each row of one part, until the part ends or
// does not unpack.
func scan(in *bufio.Reader, name string, rowCellsMax int) error {
	rows, cells := 0, 0
	for {
		// Skip to the next tag.
		if _, err := in.ReadSlice('<'); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			return nil
		}
		switch elementName(in) {
		case "row":
			rows, cells = rows+1, 0
		case "c":
			cells++
			if cells > rowCellsMax {
				return fmt.Errorf("%s: row %d of the part has more than %d cells, the most a row may have", name, rows, rowCellsMax)
			}
		}
	}
}

// elementName reads the name of the tag just opened and answers its local
// name (after any prefix) when that is c or row, and "" otherwise: an end
// tag, a declaration, any other element, or the end of the part. The name
// is read to its end however long it is, so a long prefix cannot hide a
// cell.
func elementName(in *bufio.Reader) string {
	var local [3]byte
	length := 0 // of the local name so far; beyond 3 it is neither
	for first := true; ; first = false {
		b, err := in.ReadByte()
		if err != nil {
			return ""
		}
		switch b {
		case ' ', '\t', '\n', '\r', '>', '/':
			if first || length > len(local) {
				// "</…" is an end tag, "< " no tag at all.
				return ""
			}
			switch string(local[:length]) {
			case "c":
				return "c"
			case "row":
				return "row"
			}
			return ""
		case ':':
			length = 0
		case '<':
			// A stray "<" opens the next tag: leave it to be found.
			_ = in.UnreadByte()
			return ""
		default:
			if length < len(local) {
				local[length] = b
			}
			length++
		}
	}
}
