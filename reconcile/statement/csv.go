package statement

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseCSV reads a bank's CSV export with a profile ("" means "generic").
// The text may be UTF-8 (with or without BOM), UTF-16 with BOM, or
// GBK/GB18030 (anything that is not valid UTF-8). Fields may be separated by
// commas, tabs, semicolons or vertical bars.
func ParseCSV(data []byte, profile string) (Statement, error) {
	if err := checkSize("", data); err != nil {
		return Statement{}, err
	}
	p, err := lookupProfile(profile)
	if err != nil {
		return Statement{}, err
	}
	text, err := decodeText(data)
	if err != nil {
		return Statement{}, err
	}
	var firstErr error
	for _, sep := range []rune{',', '\t', ';', '|'} {
		s, err := parseCSVWith(text, sep, p)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errNoHeader) {
			return Statement{}, err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return Statement{}, firstErr
}

var errNoHeader = errors.New("no header")

type noHeaderError struct{ err error }

func (e noHeaderError) Error() string        { return e.err.Error() }
func (e noHeaderError) Is(target error) bool { return target == errNoHeader }

func parseCSVWith(text []byte, sep rune, p Profile) (Statement, error) {
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = sep
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	cells := &layout{format: "csv"}
	t := &table{
		profile:  p,
		stmt:     Statement{Format: "csv", Profile: p.Name, layout: cells},
		rowName:  func(row int) string { return fmt.Sprintf("csv line %d", row) },
		cellName: cells.cellName,
	}
	for {
		record, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if t.cols == nil {
					return Statement{}, noHeaderError{fmt.Errorf("statement: csv line %d: %v", pe.Line, pe.Err)}
				}
				return Statement{}, fmt.Errorf("statement: csv line %d: %v", pe.Line, pe.Err)
			}
			return Statement{}, fmt.Errorf("statement: csv: %v", err)
		}
		line, _ := r.FieldPos(0)
		if err := t.row(line, record); err != nil {
			if t.cols == nil {
				return Statement{}, noHeaderError{err}
			}
			return Statement{}, err
		}
	}
	s, err := t.finish()
	if err != nil {
		return Statement{}, noHeaderError{err}
	}
	return s, nil
}

// decodeText turns the file into UTF-8 text without BOM.
func decodeText(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		return data[len(utf8BOM):], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("statement: csv: the file starts with a UTF-16 byte order mark but is not UTF-16: %v", err)
		}
		return bytes.TrimPrefix(out, utf8BOM), nil
	case utf8.Valid(data):
		return data, nil
	default:
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("statement: csv: the file is neither UTF-8 nor GBK/GB18030: %v", err)
		}
		return out, nil
	}
}
