package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// A void's or correction's line of the printed report names the position
// of the entry it is about, since a log written before the ledger refused
// reused ids may give its target's id to two events. The position is not
// part of the JSON the seal's figures digest is made of, so a report sealed
// before still verifies.
func TestPrintedChangesNameTheirTargetsPosition(t *testing.T) {
	void := projections.AuditEntry{Position: 124, EventID: "01a23132-5e00-7a1e-91d6-f2e01764fcbb", Type: domain.TypeEntryVoided,
		Summary: "voids 01a2312f-db08-70ac-8c4a-2184386558bd: recorded by mistake", Reason: "recorded by mistake", TargetPosition: 123}
	monthly := &app.MonthReport{Month: "2022-07", Seal: "ledger-report/v1 month=2022-07 size=124", Changes: []projections.AuditEntry{void},
		Checkpoint: integrity.Checkpoint{Origin: "test", Size: 124, Time: time.Date(2022, 8, 1, 0, 0, 0, 0, domain.Beijing)}}
	for language, want := range map[string]string{"en": "(the entry at position 123)", "zh": "（对象为第 123 条记录）"} {
		var page bytes.Buffer
		if err := report.Paper(&page, monthly, domain.DefaultCatalog(), language); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page.String(), want) {
			t.Fatalf("the %s report does not name the void's target position: want %q", language, want)
		}
	}
	encoded, err := json.Marshal(void)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(encoded), "123") {
		t.Fatalf("the change as the digest sees it carries the target position: %s", encoded)
	}
}
