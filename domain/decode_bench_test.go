package domain

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkDecodeStored compares, on the stored fixtures of every type, the
// decoder with its fast path, the strict decoding alone, and the floor the
// rebuild benchmark measures against: json.Unmarshal into an envelope
// struct whose payload stays raw JSON.
func BenchmarkDecodeStored(b *testing.B) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "events", "*", "*.json"))
	if err != nil || len(fixtures) == 0 {
		b.Fatalf("no fixtures: %v", err)
	}
	var events [][]byte
	for _, path := range fixtures {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		event, err := DecodeStoredEvent(raw)
		if err != nil {
			b.Fatal(err)
		}
		// The stored form, as the ledger writes it (the fixtures are
		// indented for people).
		stored, err := event.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		events = append(events, stored)
	}
	b.Run("DecodeStoredEvent", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := DecodeStoredEvent(events[i%len(events)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		fastPathOff = true
		defer func() { fastPathOff = false }()
		for i := 0; b.Loop(); i++ {
			if _, err := DecodeStoredEvent(events[i%len(events)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal-envelope", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			var envelope struct {
				ID             string          `json:"id"`
				Type           string          `json:"type"`
				SchemaVersion  int             `json:"schema_version"`
				Aggregate      json.RawMessage `json:"aggregate"`
				County         string          `json:"county"`
				OccurredAt     time.Time       `json:"occurred_at"`
				RecordedAt     time.Time       `json:"recorded_at"`
				Actor          string          `json:"actor"`
				IdempotencyKey string          `json:"idempotency_key"`
				Data           json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(events[i%len(events)], &envelope); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeEvent compares, on the current fixtures in the form a
// client sends, DecodeEvent with its fast path and the strict decoding
// alone.
func BenchmarkDecodeEvent(b *testing.B) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "events", "*", "*.json"))
	if err != nil || len(fixtures) == 0 {
		b.Fatalf("no fixtures: %v", err)
	}
	var events [][]byte
	for _, path := range fixtures {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		form := clientForm(raw)
		if _, ok := decodeClientFast(form); ok {
			events = append(events, form)
		}
	}
	if len(events) == 0 {
		b.Fatal("no fixture takes the fast path")
	}
	b.Run("DecodeEvent", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := DecodeEvent(events[i%len(events)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		fastPathOff = true
		defer func() { fastPathOff = false }()
		for i := 0; b.Loop(); i++ {
			if _, err := DecodeEvent(events[i%len(events)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
