package report_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// TestPrintedReportReadsBack: what Paper prints, ReadPrinted reads back
// (the seal and every figure), CheckPrinted accepts it, and a figure
// changed on the page is named.
func TestPrintedReportReadsBack(t *testing.T) {
	monthly := &app.MonthReport{Month: "2022-06", Seal: "ledger-report/v1 month=2022-06 size=3",
		Rows:       []projections.Row{{County: "150626", Figures: projections.Figures{Received: 123456, Deliveries: 2}}},
		All:        []projections.Row{{County: "all", Figures: projections.Figures{Received: 123456, Deliveries: 2}}},
		Checkpoint: integrity.Checkpoint{Origin: "test", Size: 3, Time: time.Date(2022, 7, 1, 0, 0, 0, 0, domain.Beijing)}}
	var page bytes.Buffer
	if err := report.Paper(&page, monthly, domain.DefaultCatalog(), "en"); err != nil {
		t.Fatal(err)
	}
	seal, printed, err := report.ReadPrinted(page.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if seal != monthly.Seal {
		t.Errorf("seal %q, want %q", seal, monthly.Seal)
	}
	if len(printed) == 0 || printed["150626/received"] != report.PrintedFigures(monthly)["150626/received"] {
		t.Fatalf("printed figures %v", printed)
	}
	if err := report.CheckPrinted(monthly, printed); err != nil {
		t.Fatalf("the page as printed: %v", err)
	}
	printed["150626/received"] = "99,999.00"
	if err := report.CheckPrinted(monthly, printed); !errors.Is(err, app.ErrReportMismatch) || !strings.Contains(err.Error(), "150626/received") {
		t.Fatalf("a changed figure: %v", err)
	}
	if _, _, err := report.ReadPrinted([]byte("<html>no seal</html>")); !errors.Is(err, app.ErrReportMismatch) {
		t.Fatalf("a page without a seal: %v", err)
	}
}
