package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ordos-union/ledger/domain"
)

// Limits on one input file, unit last.
const (
	// InputBytesMax caps a file given to ReadEvents.
	InputBytesMax = 256 << 20
	// InputEventsMax caps the events of one file: a day of a large
	// federation is a few thousand entries.
	InputEventsMax = 1_000_000
)

// Line is one event read from input, with its line number (1-based) or, in a
// JSON array, its index plus one.
type Line struct {
	Number int
	Event  domain.Event
	Err    error
	// Partial says Err is the decoding's refusal of an event whose payload
	// did decode (domain.DecodeEvent): Event holds what decoded, so that
	// its rules are checked too and their problems reported with Err's
	// (domain.JoinChecked).
	Partial bool
}

// decodeLine decodes one event of the input as its line number.
func decodeLine(number int, raw []byte) Line {
	event, err := domain.DecodeEvent(raw)
	return Line{Number: number, Event: event, Err: err, Partial: err != nil && event.Data != nil}
}

// ReadEvents reads events from a JSON array, a single JSON object, or JSON
// Lines (one object a line; blank lines are skipped). A line that does not
// decode is returned with its error, so the caller can report every bad line
// at once.
func ReadEvents(reader io.Reader) ([]Line, error) {
	input, err := io.ReadAll(io.LimitReader(reader, InputBytesMax+1))
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	if len(input) > InputBytesMax {
		return nil, fmt.Errorf("read events: input is larger than %d bytes: %w", InputBytesMax, domain.ErrInvalid)
	}
	input = bytes.TrimPrefix(input, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(input)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, fmt.Errorf("read events: the input starts with '[' but is not a JSON array: %v: %w", err, domain.ErrInvalid)
		}
		if len(items) > InputEventsMax {
			return nil, fmt.Errorf("read events: %d events, at most %d: %w", len(items), InputEventsMax, domain.ErrInvalid)
		}
		lines := make([]Line, len(items))
		for i, item := range items {
			lines[i] = decodeLine(i+1, item)
		}
		return lines, nil
	}
	// A single object spread over several lines is one event, not JSONL.
	if json.Valid(trimmed) && bytes.Count(trimmed, []byte("\n")) > 0 && trimmed[0] == '{' {
		return []Line{decodeLine(1, trimmed)}, nil
	}
	// The input is in memory already: splitting it keeps every line's
	// number, so a line over the event size limit is reported as that line
	// (by DecodeEvent, with the limit) rather than ending the read.
	var lines []Line
	number := 0
	for line := range bytes.Lines(input) {
		number++
		text := bytes.TrimSpace(line)
		if len(text) == 0 {
			continue
		}
		if len(lines) == InputEventsMax {
			return nil, fmt.Errorf("read events: more than %d events: %w", InputEventsMax, domain.ErrInvalid)
		}
		lines = append(lines, decodeLine(number, append([]byte(nil), text...)))
	}
	return lines, nil
}
