package statement

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// An entry's remarks are told apart in a time that grows with their
// number, not with its square: comparing each with all before it took
// 90 ms for an entry of 9,000, and 61 s for an entry of 200,000.
// The remarks are joined in the order first met, each once.
func TestCAMTLineIsLinearInItsRemarks(t *testing.T) {
	const count = 200_000
	var e camtEntry
	e.Amt = camtAmount{Value: "1.00", Ccy: "CNY"}
	e.CdtDbtInd = "CRDT"
	e.BookgDt.Dt = "2022-07-04"
	e.NtryDtls = make([]struct {
		TxDtls []camtTx `xml:"TxDtls"`
	}, 1)
	e.NtryDtls[0].TxDtls = make([]camtTx, 1)
	remarks := make([]string, 0, count+2)
	for i := range count {
		remarks = append(remarks, fmt.Sprintf("remark %d", i))
	}
	remarks = append(remarks, " remark 0 ", "")
	e.NtryDtls[0].TxDtls[0].RmtInf.Ustrd = remarks
	began := time.Now()
	line, err := camtLine(e)
	took := time.Since(began)
	t.Logf("an entry of %d remarks: %v", count, took)
	if err != nil {
		t.Fatal(err)
	}
	if took > 5*time.Second {
		t.Fatalf("an entry of %d remarks took %v, want well under 5 s", count, took)
	}
	const first = "remark 0 / remark 1 / remark 2 / remark 3 / remark 4 / remark 5 / remark 6 / remark 7 / remark 8 / remark 9 / remark 10 /"
	if !strings.HasPrefix(line.Remark, first) || !strings.HasSuffix(line.Remark, " / remark 199999") || strings.Count(line.Remark, " / ") != count-1 {
		t.Fatalf("the remarks were not joined in order, each once: %.120q … %q", line.Remark, line.Remark[max(0, len(line.Remark)-40):])
	}
}
