package app

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/projections"
)

// A report without a trend has the digest version 1 gave it (the figures
// and changes only), so seals printed before trends existed still verify;
// a trend changes the digest, so the seal binds it.
func TestReportDigestKeepsVersionOne(t *testing.T) {
	report := &MonthReport{Month: "2022-06", Campaign: "general",
		Rows:    []projections.Row{{County: "150626", Period: "2022-06", Figures: projections.Figures{Received: 500_000}}},
		All:     []projections.Row{{County: "all", Period: "2022-06", Figures: projections.Figures{Received: 500_000}}},
		Changes: []projections.AuditEntry{{Position: 7, Type: domain.TypeEntryVoided, Reason: "typed twice"}}}
	// The version 1 digest, as it was computed before trends.
	old, err := json.Marshal(struct {
		Rows    []projections.Row        `json:"rows"`
		All     []projections.Row        `json:"all"`
		Changes []projections.AuditEntry `json:"changes"`
	}{report.Rows, report.All, report.Changes})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(old)
	digest, err := figuresDigest(report, 1)
	if err != nil || digest != hex.EncodeToString(sum[:]) {
		t.Fatalf("a report without a trend digests to %s (%v), version 1 gave %x", digest, err, sum)
	}
	// Version 3 names itself in what it digests, so its seal cannot be
	// rewritten as an older version's with the same digest.
	every, err := figuresDigest(report, 3)
	if err != nil || every == digest {
		t.Fatalf("version 3 digests a report as version 1 did (%v)", err)
	}
	// So does version 4: a page of its layout cannot pass for one of
	// version 3's by its seal alone.
	if localized, err := figuresDigest(report, 4); err != nil || localized == every {
		t.Fatalf("version 4 digests a report as version 3 did (%v)", err)
	}
	report.Trend = []projections.Row{{County: "all", Period: "2022-06", Figures: projections.Figures{Received: 500_000}}}
	if withTrend, err := figuresDigest(report, 2); err != nil || withTrend == digest {
		t.Fatalf("the trend does not change the digest (%v)", err)
	}
}

// Seals of versions 1 to 4 are read, with their version; anything else
// is not a seal.
func TestParseReportSealVersions(t *testing.T) {
	rest := " month=2022-06 county= campaign=general size=3 root=AAAA figures=00"
	for text, version := range map[string]int{"ledger-report/1" + rest: 1, "ledger-report/2" + rest: 2, "ledger-report/3" + rest: 3,
		"ledger-report/4" + rest: 4} {
		seal, err := ParseReportSeal(text)
		if err != nil || seal.Version != version || seal.Campaign != "general" || seal.Size != 3 {
			t.Fatalf("%q: %+v, %v", text, seal, err)
		}
	}
	for _, text := range []string{"ledger-report/5" + rest, "ledger-report/0" + rest, "1" + rest, "ledger-report/1 month=2022-06"} {
		if _, err := ParseReportSeal(text); err == nil {
			t.Fatalf("%q is read as a seal", text)
		}
	}
}
