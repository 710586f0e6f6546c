package domain_test

import (
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
)

// Regressions for bugs found by review and fuzzing.

func TestVoidTargetMustBeCanonical(t *testing.T) {
	log := newCampaignLog(t)
	first := log.record(delivery(uxin, "DL-1", "0"))
	upper := strings.ToUpper(first.ID.String())
	raw := envelope("entry_voided", uxin, `{"campaign":"`+cooling+`","target_event_id":"`+upper+`","reason":"重复录入"}`)
	_, err := decodeAndValidate([]byte(raw))
	expectViolation(t, "validate", err, "validate", "data.target_event_id", "canonical form", 1)
	// Voided in canonical form, the id is released for a new entry.
	log.record(void(uxin, first.ID))
	log.record(delivery(uxin, "DL-1", "0"))
}

func TestCorrectionFromGoodsToMoneyFundsSpending(t *testing.T) {
	log := newCampaignLog(t)
	goods := log.record(goodsReceipt(uxin, "D-1"))
	log.record(correction(uxin, goods.ID, receiptData("D-1", "5000.00")))
	log.expectBalance(uxin, yuan("5000.00"))
	log.record(delivery(uxin, "DL-1", "100.00", fund("D-1", "100.00")))
}

func TestEmptyUnknownFieldNamedAsRoot(t *testing.T) {
	_, err := domain.DecodeEvent([]byte(`{"":""}`))
	expectViolation(t, "decode", err, "decode", "$", "unknown field", 1)
}

func TestLineSeparatorsRefused(t *testing.T) {
	raw := editData(t, eventJSON("supplies_delivered"), func(data map[string]any) { data["note"] = "a\u2028b" })
	_, err := decodeAndValidate(raw)
	expectViolation(t, "validate", err, "validate", "data.note", "line separators", 1)
}

func TestLargestInputStillReadsBackOnceStored(t *testing.T) {
	// A delivery just under the input limit, made of many workers' names:
	// the ledger's own envelope fields must not push it past what reads back.
	var workers []any
	raw := edit(t, eventJSON("supplies_delivered"), func(event map[string]any) {})
	for len(raw) < domain.EventBytesMax-400 && len(workers) < 500 {
		workers = append(workers, map[string]any{"name": strings.Repeat("王", 100)})
		raw = edit(t, eventJSON("supplies_delivered"), func(event map[string]any) {
			event["personal"] = map[string]any{"workers": workers}
		})
	}
	event, err := domain.DecodeEvent(raw)
	if err != nil {
		t.Fatalf("decode input of %d bytes: %v", len(raw), err)
	}
	if err := newValidator().Validate(event); err != nil {
		t.Fatalf("input of %d bytes is invalid: %v", len(raw), err)
	}
	stored, err := newCampaignLog(t).prepare(string(raw)).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) <= len(raw) || len(raw) < domain.EventBytesMax-1000 {
		t.Fatalf("input %d bytes, stored %d: the test does not reach the limit or the growth", len(raw), len(stored))
	}
	if _, err := domain.DecodeStoredEvent(stored); err != nil {
		t.Fatalf("stored form of %d bytes does not read back: %v", len(stored), err)
	}
}
