package domain

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecodeStoredFast holds the stored-event fast path to the strict
// decoding on arbitrary input: whatever the fast path accepts, the strict
// path accepts too, and decodes to the same event. The fast path may give
// up on anything; it may never be more lenient, nor read differently.
//
// Seeds: the stored fixtures of every version (testdata/events) and the
// seed corpus of FuzzDecodeEvent, as they are and in the stored form the
// ledger writes.
func FuzzDecodeStoredFast(f *testing.F) {
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "events", "*", "*.json"))
	for _, path := range fixtures {
		if raw, err := os.ReadFile(path); err == nil {
			f.Add(raw)
		}
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecodeEvent", "*"))
	for _, path := range seeds {
		content, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		_, body, _ := strings.Cut(string(content), "\n")
		body = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(body), "[]byte("), ")")
		raw, err := strconv.Unquote(body)
		if err != nil {
			continue
		}
		f.Add([]byte(raw))
		if event, err := DecodeEvent([]byte(raw)); err == nil {
			if stored, err := event.Marshal(); err == nil {
				f.Add(stored)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		event, err := DecodeStoredEvent(raw)
		strict, strictErr := decodeStoredStrict(raw)
		switch {
		case err == nil && strictErr != nil:
			t.Fatalf("the fast path accepted what the strict path refuses (%v):\n%q", strictErr, raw)
		case err != nil && (strictErr == nil || err.Error() != strictErr.Error()):
			t.Fatalf("refused with %v, the strict path says %v:\n%q", err, strictErr, raw)
		case err == nil && !reflect.DeepEqual(event, strict):
			t.Fatalf("the fast path decoded differently:\nfast:   %#v\nstrict: %#v\ninput:  %q", event, strict, raw)
		}
	})
}

// decodeStoredStrict is DecodeStoredEvent without the fast path.
func decodeStoredStrict(raw []byte) (Event, error) {
	fastPathOff = true
	defer func() { fastPathOff = false }()
	return DecodeStoredEvent(raw)
}

// Every stored fixture, of every version, takes the fast path (else it
// would be measured, not used) and reads as the strict path reads it.
func TestStoredFixturesTakeTheFastPath(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "events", "*", "*.json"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range fixtures {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := decodeStoredFast(raw)
		if !ok {
			t.Errorf("%s: the fast path gave up", path)
			continue
		}
		strict, err := decodeStoredStrict(raw)
		if err != nil || !reflect.DeepEqual(fast, strict) {
			t.Errorf("%s: fast %#v, strict %#v (%v)", path, fast, strict, err)
		}
	}
}

// The fast path gives up, and the strict path reports as before, on what
// it is not sure of.
func TestFastPathGivesUp(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "donation_received", "v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	event, err := DecodeStoredEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := event.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	valid := string(stored)
	if _, ok := decodeStoredFast(stored); !ok {
		t.Fatalf("the fast path gave up on the stored form %s", stored)
	}
	for name, edit := range map[string]func(string) string{
		"unknown envelope key": func(s string) string { return strings.Replace(s, `"county":`, `"countie":"x","county":`, 1) },
		"unknown payload key":  func(s string) string { return strings.Replace(s, `"campaign":`, `"campaing":"x","campaign":`, 1) },
		"key in another case":  func(s string) string { return strings.Replace(s, `"campaign":`, `"Campaign":`, 1) },
		"key twice":            func(s string) string { return strings.Replace(s, `"county":`, `"county":"150600","county":`, 1) },
		"escaped string":       func(s string) string { return strings.Replace(s, `"county":"`, `"county":"\u0031`, 1) },
		"null payload":         func(s string) string { return s[:strings.Index(s, `"data":`)] + `"data":null}` },
		"trailing data":        func(s string) string { return s + " {}" },
	} {
		edited := edit(valid)
		if edited == valid && name != "trailing data" {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		if _, ok := decodeStoredFast([]byte(edited)); ok {
			t.Errorf("%s: the fast path accepted %s", name, edited)
		}
	}
}
