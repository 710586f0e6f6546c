package domain_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
)

// Every stored fixture of every version reads into the current shape, and
// the current version is what validation asks for.
func TestStoredFixturesOfEveryVersionReadAsCurrent(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "events", "*", "v*.json"))
	if err != nil {
		t.Fatal(err)
	}
	types := map[domain.EventType]bool{}
	for _, file := range files {
		eventType := domain.EventType(filepath.Base(filepath.Dir(file)))
		var version int
		if _, err := fmt.Sscanf(filepath.Base(file), "v%d.json", &version); err != nil {
			t.Fatalf("%s: not v<N>.json", file)
		}
		t.Run(string(eventType)+"/"+filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			event, err := domain.DecodeStoredEvent(raw)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			current := domain.CurrentVersion(eventType)
			if event.SchemaVersion != current {
				t.Fatalf("read as version %d, want the current %d", event.SchemaVersion, current)
			}
			if version < current && event.UpcastFrom != version {
				t.Fatalf("UpcastFrom = %d, want %d", event.UpcastFrom, version)
			}
			recorded := event.RecordedAt
			validator := domain.Validator{Catalog: domain.DefaultCatalog(), Now: func() time.Time { return recorded }}
			if err := validator.Validate(event); err != nil {
				t.Fatalf("the upcast event is not valid today: %v", err)
			}
			// Writing an old version is refused.
			if version < current {
				if _, err := domain.DecodeEvent(raw); err == nil {
					if err := validator.Validate(mustDecode(t, raw)); err == nil || !strings.Contains(err.Error(), "schema_version") {
						t.Fatalf("an old version was accepted as input: %v", err)
					}
				}
			}
		})
		types[eventType] = true
	}
	for _, eventType := range domain.EventTypes {
		if !types[eventType] {
			t.Errorf("no stored fixture of %s", eventType)
		}
		if _, err := os.Stat(filepath.Join("testdata", "events", string(eventType), fmt.Sprintf("v%d.json", domain.CurrentVersion(eventType)))); err != nil {
			t.Errorf("no fixture of the current version of %s", eventType)
		}
	}
}

func mustDecode(t *testing.T, raw []byte) domain.Event {
	t.Helper()
	event, err := domain.DecodeEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	return event
}

func TestTrainingFormatWordsUpcastToCodes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "training_held", "v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	event, err := domain.DecodeStoredEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	if format := event.Data.(domain.TrainingHeld).Format; format != domain.FormatBoth {
		t.Fatalf("format = %q, want both", format)
	}
}
