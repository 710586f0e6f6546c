package domain

import (
	"encoding/json"
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

// FuzzDecodeEventFast holds the fast path for a client's event to the
// strict decoding of DecodeEvent on arbitrary input, as
// FuzzDecodeStoredFast does for stored events: whatever the fast path
// accepts, the strict path accepts too and decodes to the same event, and
// every refusal is the strict path's own.
//
// Seeds: the stored fixtures of every version, the same in the form a
// client sends (without the ledger's envelope fields), and the seed corpus
// of FuzzDecodeEvent.
func FuzzDecodeEventFast(f *testing.F) {
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "events", "*", "*.json"))
	for _, path := range fixtures {
		if raw, err := os.ReadFile(path); err == nil {
			f.Add(raw)
			f.Add(clientForm(raw))
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
		if raw, err := strconv.Unquote(body); err == nil {
			f.Add([]byte(raw))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		event, err := DecodeEvent(raw)
		strict, strictErr := decodeEventStrict(raw)
		switch {
		case err == nil && strictErr != nil:
			t.Fatalf("the fast path accepted what the strict path refuses (%v):\n%q", strictErr, raw)
		case err != nil && (strictErr == nil || err.Error() != strictErr.Error()):
			t.Fatalf("refused with %v, the strict path says %v:\n%q", err, strictErr, raw)
		case !reflect.DeepEqual(event, strict):
			// A refusal comes back with what decoded (DecodeEvent), the
			// same on both paths.
			t.Fatalf("the fast path decoded differently:\nfast:   %#v\nstrict: %#v\ninput:  %q", event, strict, raw)
		}
	})
}

// decodeEventStrict is DecodeEvent without the fast path.
func decodeEventStrict(raw []byte) (Event, error) {
	fastPathOff = true
	defer func() { fastPathOff = false }()
	return DecodeEvent(raw)
}

// clientForm is a stored fixture as a client sends it: without the fields
// the ledger fills (id, recorded_at, schema_version, aggregate).
func clientForm(raw []byte) []byte {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return raw
	}
	for _, key := range []string{"id", "recorded_at", "schema_version", "aggregate"} {
		delete(fields, key)
	}
	encoded, err := json.Marshal(fields)
	if err != nil {
		return raw
	}
	return encoded
}

// Every current fixture, in the form a client sends, takes the client fast
// path and reads as the strict path reads it.
func TestClientFixturesTakeTheFastPath(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "events", "*", "*.json"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range fixtures {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var version struct {
			Type          EventType `json:"type"`
			SchemaVersion int       `json:"schema_version"`
		}
		if err := json.Unmarshal(raw, &version); err != nil {
			t.Fatal(err)
		}
		if version.SchemaVersion < CurrentVersion(version.Type) {
			// An older version is the strict path's to read.
			continue
		}
		for _, form := range [][]byte{raw, clientForm(raw)} {
			fast, ok := decodeClientFast(form)
			if !ok {
				t.Errorf("%s: the client fast path gave up on %s", path, form)
				continue
			}
			strict, err := decodeEventStrict(form)
			if err != nil || !reflect.DeepEqual(fast, strict) {
				t.Errorf("%s: fast %#v, strict %#v (%v)", path, fast, strict, err)
			}
		}
	}
}

// The client fast path gives up on a key given twice anywhere, on an older
// schema version, and on what the stored fast path gives up on; the strict
// path then refuses or reads the event as before.
func TestClientFastPathGivesUp(t *testing.T) {
	read := func(name string) string {
		raw, err := os.ReadFile(filepath.Join("testdata", "events", name, "v1.json"))
		if err != nil {
			t.Fatal(err)
		}
		return string(clientForm(raw))
	}
	corrected, delivered := read("entry_corrected"), read("supplies_delivered")
	for name, edited := range map[string]string{
		"envelope key twice":      strings.Replace(corrected, `"county":`, `"county":"150600","county":`, 1),
		"payload key twice":       strings.Replace(corrected, `"reason":`, `"reason":"x","reason":`, 1),
		"replacement key twice":   strings.Replace(corrected, `"donor_kind":`, `"donor_kind":"person","donor_kind":`, 1),
		"personal key twice":      strings.Replace(delivered, `"name":`, `"name":"x","name":`, 1),
		"item key twice":          strings.Replace(delivered, `"unit":`, `"unit":"x","unit":`, 1),
		"older schema version":    strings.Replace(read("training_held"), `{`, `{"schema_version":1,`, 1),
		"unknown payload key":     strings.Replace(corrected, `"reason":`, `"reasons":"x","reason":`, 1),
		"escaped envelope string": strings.Replace(corrected, `"county":"`, `"county":"\u0031`, 1),
	} {
		if !strings.Contains(edited, "twice") && edited == corrected {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		if _, ok := decodeClientFast([]byte(edited)); ok {
			t.Errorf("%s: the client fast path accepted %s", name, edited)
		}
		fast, err := DecodeEvent([]byte(edited))
		strict, strictErr := decodeEventStrict([]byte(edited))
		if (err == nil) != (strictErr == nil) || (err != nil && err.Error() != strictErr.Error()) || !reflect.DeepEqual(fast, strict) {
			t.Errorf("%s: DecodeEvent says %v, the strict path %v", name, err, strictErr)
		}
		if strings.Contains(name, "twice") && err == nil {
			t.Errorf("%s: a key given twice was accepted", name)
		}
	}
}

// A client's strings are its own: none is shared through internCode, so
// input from outside cannot grow the table of shared codes.
func TestClientFastPathSharesNoStrings(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "donation_received", "v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	county := `"county":"client-only-county-code"`
	edited := strings.Replace(string(clientForm(raw)), `"county":"150626"`, county, 1)
	if !strings.Contains(edited, county) {
		t.Fatalf("the edit changed nothing: %s", edited)
	}
	if _, ok := decodeClientFast([]byte(edited)); !ok {
		t.Fatalf("the client fast path gave up on %s", edited)
	}
	if known := codes.Load(); known != nil {
		if _, shared := (*known)["client-only-county-code"]; shared {
			t.Fatal("a client's county was added to the shared codes")
		}
	}
}
