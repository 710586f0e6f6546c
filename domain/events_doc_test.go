package domain_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
)

// eventsExampleMarker, on the line before a ```json block of
// docs/EVENTS.md, says what the example is when it is not an event a
// client sends: "invalid" for a documented refusal.
const eventsExampleMarker = "<!-- events-example: "

// eventsExample is one ```json block of docs/EVENTS.md.
type eventsExample struct {
	heading string
	line    int
	marker  string
	text    string
}

// eventsExamples reads the ```json blocks of docs/EVENTS.md with the
// heading each stands under and the marker before it, if any.
func eventsExamples(t *testing.T) []eventsExample {
	t.Helper()
	content, err := os.ReadFile("../docs/EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	var examples []eventsExample
	var heading, marker string
	var block *eventsExample
	var text strings.Builder
	for i, line := range strings.Split(string(content), "\n") {
		switch {
		case block != nil && strings.TrimSpace(line) == "```":
			block.text = text.String()
			examples = append(examples, *block)
			block = nil
		case block != nil:
			text.WriteString(line + "\n")
		case strings.TrimSpace(line) == "```json":
			block = &eventsExample{heading: heading, line: i + 1, marker: marker}
			text.Reset()
		case strings.HasPrefix(line, "#"):
			heading = line
		}
		if block == nil && strings.HasPrefix(line, eventsExampleMarker) {
			marker = strings.TrimSuffix(strings.TrimPrefix(line, eventsExampleMarker), " -->")
		} else if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "```json") {
			marker = ""
		}
	}
	if block != nil {
		t.Fatalf("docs/EVENTS.md: the ```json block of line %d is not closed", block.line)
	}
	return examples
}

// Every event example of docs/EVENTS.md decodes strictly, as the API
// decodes a client's event, and passes the default catalog's rules (the
// stored form too: the fields the ledger adds are ones a client may send).
// An example marked invalid (a documented refusal) must fail. Every event
// type has a valid example.
func TestEventsDocExamplesAreValid(t *testing.T) {
	validator := domain.Validator{Catalog: domain.DefaultCatalog(), Now: time.Now}
	seen := map[domain.EventType]bool{}
	for _, example := range eventsExamples(t) {
		if !strings.Contains(example.text, `"type"`) || !strings.Contains(example.text, `"data"`) {
			continue // not an event
		}
		where := "docs/EVENTS.md " + example.heading + " (line " + strconv.Itoa(example.line) + ")"
		event, err := domain.DecodeEvent([]byte(example.text))
		if err == nil {
			err = validator.Validate(event)
		}
		switch {
		case example.marker == "invalid" && err == nil:
			t.Errorf("%s: marked invalid, but decodes and validates", where)
		case example.marker == "invalid":
		case err != nil:
			t.Errorf("%s: %v", where, err)
		default:
			seen[event.Type] = true
		}
	}
	for _, eventType := range domain.EventTypes {
		if !seen[eventType] {
			t.Errorf("docs/EVENTS.md has no valid example of %s", eventType)
		}
	}
}
