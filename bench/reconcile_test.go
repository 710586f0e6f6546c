package bench

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile"
)

// reconcileSize is how many lines and donations BenchmarkReconcile matches.
const reconcileSize = 100_000

// syntheticBook builds a year of an account: donations from 20,000 donors,
// and bank lines for them: most by reference, many by amount and name, some
// less a fee, some split in two, and unrelated lines.
func syntheticBook() *reconcile.Book {
	book := &reconcile.Book{Donations: map[string]*reconcile.Donation{}, Pledges: map[string]*reconcile.Donation{}}
	start := time.Date(2022, 1, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for i := range reconcileSize {
		id := "D-" + strconv.Itoa(i)
		donor := "鄂尔多斯某" + strconv.Itoa(i%20_000) + "号企业有限公司"
		date := start.Add(time.Duration(i%360) * 24 * time.Hour)
		amount := domain.Money(10_000_00 + (i%5000)*100)
		book.Donations[id] = &reconcile.Donation{DonationID: id, Campaign: "general", County: "150626", Amount: amount,
			Date: date, Donor: donor, Received: true, Position: uint64(i + 1)}
		line := reconcile.Line{LineID: "L-" + strconv.Itoa(i), Account: "bench", Date: date, Amount: amount,
			Counterparty: donor, Position: uint64(reconcileSize + i + 1)}
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			line.Remark = "捐款 " + id
		case 5:
			line.Amount = amount - 15_00
		case 6:
			line.Counterparty = "鄂尔多斯某" + strconv.Itoa(i%20_000) + "号企业有限责任公"
		case 9:
			line.Counterparty, line.Amount = "无关单位", domain.Money(1_00+i)
		}
		book.Lines = append(book.Lines, line)
	}
	return book
}

// BenchmarkReconcile matches 100k statement lines against 100k donations:
// time and memory.
func BenchmarkReconcile(b *testing.B) {
	for b.Loop() {
		book := syntheticBook()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		started := time.Now()
		result := reconcile.Reconcile(book, reconcile.Options{Now: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)})
		elapsed := time.Since(started)
		runtime.ReadMemStats(&after)
		if len(result.Matched) < reconcileSize/2 {
			b.Fatalf("only %d matched", len(result.Matched))
		}
		allocated := float64(after.TotalAlloc-before.TotalAlloc) / mebibyte
		b.ReportMetric(elapsed.Seconds(), "match-seconds")
		b.ReportMetric(allocated, "allocated-MiB")
		summarize(fmt.Sprintf("RECONCILE %d lines against %d donations in %s, %.0f MiB allocated: %d matched, %d suggested, %d lines and %d donations unmatched",
			reconcileSize, reconcileSize, elapsed.Round(time.Millisecond), allocated, len(result.Matched), len(result.Suggested),
			len(result.UnmatchedLines), len(result.UnmatchedDonations)))
	}
}
