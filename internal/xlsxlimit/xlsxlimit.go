// Package xlsxlimit checks what an XLSX holds before excelize reads it.
// excelize's row reader hands a row over only once it has parsed every
// cell of it, so a caller cannot refuse a row of millions of cells (cells
// written without a reference are numbered one after another, past the
// last column) before paying for all of them: a 65 KB upload of one such
// row allocated 1.5 GiB. And excelize decodes the shared strings, the
// styles and the workbook whole, at some hundreds of bytes an element: an
// 80 KB upload of tiny shared strings allocated 2 GiB. Check counts rows'
// cells and other elements with a plain byte scan first, which allocates
// nearly nothing.
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

// Limits are what Check allows.
type Limits struct {
	// UnzipBytesMax caps what the parts unpack to, in all.
	UnzipBytesMax int64
	// PartBytesMax caps what any one part unpacks to; zero means no cap
	// besides UnzipBytesMax. excelize decodes the shared strings, the
	// styles and the workbook whole, and a worksheet's row whole, at
	// several times their size: a 409 KB upload whose shared strings
	// were one string of 400 MiB took 2.7 GB. The element caps do not
	// see it, as it is one element.
	PartBytesMax int64
	// RowCellsMax caps the cells of a row (at most the package's
	// RowCellsMax, which zero means).
	RowCellsMax int
	// ElementsMax caps the elements of all parts together, leaving out a
	// worksheet's rows, cells and their values (row, c, v, f, is, t),
	// which excelize streams and RowCellsMax bounds; zero means no cap.
	ElementsMax int
	// ElementsPerCellMax caps those elements relative to the cells: at most
	// ElementsFree plus this many for each cell of the workbook; zero means
	// no such cap. A large workbook may need many shared strings, but each
	// one a program writes is there for a cell that shows it: a handful of
	// cells and a million strings is no spreadsheet, only a way to make
	// excelize decode a million strings.
	ElementsPerCellMax int
}

// ElementsFree are the elements any workbook may have besides its cells
// under ElementsPerCellMax: the styles, theme, names and properties an
// office program writes into an empty workbook are a few hundred.
const ElementsFree = 20_000

// Check refuses a workbook (the bytes of an XLSX, a zip) beyond limits.
// Every part is scanned, whatever its name: a worksheet may live at any
// path its relationships name. An element whose local name is c counts as
// a cell and one named row starts a new row; a comment or CDATA holding
// such text can only count more, never less. What does not unpack is
// left to excelize, which unpacks with the same archive/zip, to refuse in
// its own words.
func Check(content []byte, limits Limits) error {
	if limits.RowCellsMax <= 0 || limits.RowCellsMax > RowCellsMax {
		limits.RowCellsMax = RowCellsMax
	}
	archive, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil
	}
	counts := counts{limits: limits}
	remaining := limits.UnzipBytesMax
	buffer := bufio.NewReaderSize(nil, scanBufferBytes)
	for _, file := range archive.File {
		part, err := file.Open()
		if err != nil {
			continue
		}
		// The part is read to one byte past the lesser cap, so that
		// reading past either is seen without reading on.
		allowed := remaining
		if limits.PartBytesMax > 0 && limits.PartBytesMax < allowed {
			allowed = limits.PartBytesMax
		}
		limited := &io.LimitedReader{R: part, N: allowed + 1}
		buffer.Reset(limited)
		err = counts.scan(buffer, file.Name)
		part.Close()
		read := (allowed + 1) - limited.N
		if limits.PartBytesMax > 0 && read > limits.PartBytesMax {
			return &PartTooLargeError{Part: file.Name, BytesMax: limits.PartBytesMax}
		}
		remaining -= read
		if remaining < 0 {
			return fmt.Errorf("the workbook unpacks to more than %d bytes", limits.UnzipBytesMax)
		}
		if err != nil {
			return err
		}
	}
	if per := limits.ElementsPerCellMax; per > 0 && counts.elements > ElementsFree+per*counts.cells {
		return fmt.Errorf("the workbook has %d elements besides its %d cells (shared strings, rich-text runs, styles, names), "+
			"more than %d and %d for each cell", counts.elements, counts.cells, ElementsFree, per)
	}
	return nil
}

// ErrPartTooLarge is what PartTooLargeError is (errors.Is).
var ErrPartTooLarge = errors.New("a part of the workbook unpacks to more than the limit")

// PartTooLargeError says that a part (by its name in the zip) unpacks to
// more than BytesMax bytes (Limits.PartBytesMax).
type PartTooLargeError struct {
	Part     string
	BytesMax int64
}

func (e *PartTooLargeError) Error() string {
	return fmt.Sprintf("%s: the part unpacks to more than %d bytes (%d MiB), the most one part of the workbook may (PartBytesMax)",
		e.Part, e.BytesMax, e.BytesMax>>20)
}

// Is makes errors.Is(err, ErrPartTooLarge) hold.
func (e *PartTooLargeError) Is(target error) bool { return target == ErrPartTooLarge }

// counts are what the scan has met so far.
type counts struct {
	limits   Limits
	elements int
	// cells counts the cells of every part.
	cells int
}

// scan counts the cells of each row of one part, and its other elements,
// until the part ends or does not unpack.
func (c *counts) scan(in *bufio.Reader, name string) error {
	rows, cells := 0, 0
	for {
		// Skip to the next tag.
		if _, err := in.ReadSlice('<'); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			return nil
		}
		switch element(in) {
		case tagRow:
			rows, cells = rows+1, 0
		case tagCell:
			cells++
			c.cells++
			if cells > c.limits.RowCellsMax {
				return fmt.Errorf("%s: row %d of the part has more than %d cells, the most a row may have", name, rows, c.limits.RowCellsMax)
			}
		case tagOther:
			c.elements++
			if c.limits.ElementsMax > 0 && c.elements > c.limits.ElementsMax {
				return fmt.Errorf("%s: the workbook has more than %d elements besides its cells (shared strings, rich-text runs, styles, names), the most it may have", name, c.limits.ElementsMax)
			}
		}
	}
}

// tag is what kind of tag was opened.
type tag int

const (
	tagNone  tag = iota // an end tag, a declaration, a comment, or the end
	tagRow              // a row
	tagCell             // a cell
	tagValue            // a cell's value: v, f, is, t
	tagOther            // any other element
)

// element reads the name of the tag just opened and tells what it is by
// its local name (after any prefix). The name is read to its end however
// long it is, so a long prefix cannot hide a cell.
func element(in *bufio.Reader) tag {
	var local [3]byte
	length := 0 // of the local name so far; beyond 3 it is none of ours
	for first := true; ; first = false {
		b, err := in.ReadByte()
		if err != nil {
			return tagNone
		}
		switch b {
		case ' ', '\t', '\n', '\r', '>', '/':
			if first {
				// "</…" is an end tag, "< " no tag at all.
				return tagNone
			}
			if length > len(local) {
				return tagOther
			}
			switch string(local[:length]) {
			case "row":
				return tagRow
			case "c":
				return tagCell
			case "v", "f", "is", "t":
				return tagValue
			}
			return tagOther
		case '?', '!':
			if first {
				// A declaration, processing instruction, comment or CDATA.
				return tagNone
			}
		case ':':
			length = 0
			continue
		case '<':
			// A stray "<" opens the next tag: leave it to be found.
			_ = in.UnreadByte()
			return tagNone
		}
		if length < len(local) {
			local[length] = b
		}
		length++
	}
}
