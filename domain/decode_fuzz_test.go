package domain_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
)

// FuzzDecodeEvent feeds arbitrary bytes to DecodeEvent. It must never panic;
// every refusal must be a ValidationError with a field and a rule; and an
// event that decodes and validates must survive its stored form: Marshal
// then DecodeEvent gives an event that is still valid, has the same content
// hash and marshals to the same bytes.
//
// Every refusal must carry at least one violation with a rule. The field is
// not checked: DecodeEvent reports an unknown top-level key named "" with an
// empty field path (see the report handed over with these tests).
//
// Seeds: the valid events of validate_test.go and testdata/fuzz/FuzzDecodeEvent.
func FuzzDecodeEvent(f *testing.F) {
	for _, valid := range validEvents {
		f.Add([]byte(valid.json))
	}
	validator := newValidator()
	f.Fuzz(func(t *testing.T, raw []byte) {
		event, err := domain.DecodeEvent(raw)
		if err != nil {
			checkRefusal(t, "DecodeEvent", err)
			checkPartial(t, validator, event, err)
			return
		}
		if event.Data == nil {
			t.Fatalf("DecodeEvent returned no error and no payload for %q", raw)
		}
		if event.Data.EventType() != event.Type {
			t.Fatalf("payload type %s under envelope type %s", event.Data.EventType(), event.Type)
		}
		if err := validator.Validate(event); err != nil {
			checkRefusal(t, "Validate", err)
			return
		}
		hash, err := event.ContentHash()
		if err != nil {
			t.Fatalf("ContentHash of a valid event: %v", err)
		}
		stored, err := event.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a valid event: %v", err)
		}
		again, err := domain.DecodeStoredEvent(stored)
		if err != nil {
			t.Fatalf("stored form of a valid event does not decode: %v\ninput:  %q\nstored: %q", err, raw, stored)
		}
		if err := validator.Validate(again); err != nil {
			t.Fatalf("stored form of a valid event is invalid: %v\nstored: %q", err, stored)
		}
		hashAgain, err := again.ContentHash()
		if err != nil {
			t.Fatalf("ContentHash after the round trip: %v", err)
		}
		if hashAgain != hash {
			t.Fatalf("content hash changed in the round trip: %s then %s\ninput:  %q\nstored: %q", hash, hashAgain, raw, stored)
		}
		storedAgain, err := again.Marshal()
		if err != nil {
			t.Fatalf("Marshal after the round trip: %v", err)
		}
		if !bytes.Equal(stored, storedAgain) {
			t.Fatalf("stored form is not stable:\nfirst:  %q\nsecond: %q", stored, storedAgain)
		}
	})
}

// checkPartial checks what DecodeEvent returned with its refusal: nothing
// but an event whose payload decoded, of the envelope's type; its rules'
// problems, joined with the refusal, keep every problem of the refusal
// first and name none of its fields again.
func checkPartial(t *testing.T, validator domain.Validator, event domain.Event, refused error) {
	t.Helper()
	if event.Data == nil {
		if !reflect.DeepEqual(event, domain.Event{}) {
			t.Fatalf("a refusal came back with an event but no payload: %+v", event)
		}
		return
	}
	if event.Data.EventType() != event.Type {
		t.Fatalf("payload type %s under envelope type %s", event.Data.EventType(), event.Type)
	}
	joined := domain.JoinChecked(refused, validator.Validate(event))
	checkRefusal(t, "JoinChecked", joined)
	var decoded, all *domain.ValidationError
	errors.As(refused, &decoded)
	errors.As(joined, &all)
	if !reflect.DeepEqual(all.Violations[:len(decoded.Violations)], decoded.Violations) {
		t.Fatalf("the joined refusal %v does not start with the decoding's %v", joined, refused)
	}
	named := map[string]bool{}
	for _, violation := range decoded.Violations {
		named[violation.Field] = true
	}
	for _, violation := range all.Violations[len(decoded.Violations):] {
		if named[violation.Field] {
			t.Fatalf("the joined refusal %v names %s again", joined, violation.Field)
		}
	}
}

func checkRefusal(t *testing.T, stage string, err error) {
	t.Helper()
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("%s error %v does not match ErrInvalid", stage, err)
	}
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) == 0 {
		t.Fatalf("%s error %v carries no violations", stage, err)
	}
	for _, violation := range validation.Violations {
		if violation.Rule == "" || violation.Field == "" {
			t.Fatalf("%s violation without a field or a rule: %+v", stage, violation)
		}
	}
}

// TestFuzzSeedCorpus keeps the seed corpus honest: files named valid-* hold
// events that pass DecodeEvent and Validate, files named broken-* hold events
// that one of them refuses.
func TestFuzzSeedCorpus(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecodeEvent", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 8 {
		t.Fatalf("%d seeds, want at least 8", len(paths))
	}
	types := map[domain.EventType]bool{}
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			raw := readSeed(t, path)
			event, decodeErr := domain.DecodeEvent(raw)
			var err error = decodeErr
			if decodeErr == nil {
				err = newValidator().Validate(event)
			}
			switch {
			case strings.HasPrefix(name, "valid-"):
				if err != nil {
					t.Fatalf("valid seed refused: %v", err)
				}
				types[event.Type] = true
			case strings.HasPrefix(name, "broken-"):
				if !errors.Is(err, domain.ErrInvalid) {
					t.Fatalf("broken seed: got %v, want an error matching ErrInvalid", err)
				}
			default:
				// Crashers the fuzzer saves are kept only when they document
				// a bug; they need not decode.
			}
		})
	}
	for _, eventType := range domain.EventTypes {
		if !types[eventType] {
			t.Errorf("no valid seed of type %s", eventType)
		}
	}
}

// readSeed reads a "go test fuzz v1" file holding one []byte value.
func readSeed(t *testing.T, path string) []byte {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, body, ok := strings.Cut(string(content), "\n")
	if !ok || header != "go test fuzz v1" {
		t.Fatalf("%s: not a go test fuzz v1 file", path)
	}
	body = strings.TrimSpace(body)
	if !strings.HasPrefix(body, "[]byte(") || !strings.HasSuffix(body, ")") {
		t.Fatalf("%s: want one []byte(...) line, got %q", path, body)
	}
	value, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(body, "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(value)
}
