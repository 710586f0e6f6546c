package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/report"
)

// The printed monthly report of June 2022 carries the figures the log
// gives for that month, prints to a PDF whose text holds them, carries a
// QR code that decodes to its seal, and verify-report accepts it; a report
// whose printed figure or seal was edited is refused.
func TestPrintedReportIsBoundToTheSignedLog(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	page := filepath.Join(t.TempDir(), "report-2022-06.html")
	runLedger(t, "", "report", "--data", data, "--month", "2022-06", "--out", page).expect(t, 1, "no signed checkpoint yet")
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	runLedger(t, "", "report", "--data", data, "--month", "2022-13", "--out", page).expect(t, 2, "--month must be a month")
	runLedger(t, "", "report", "--data", data, "--month", "2022-06", "--out", page).expect(t, 0, "bound to the signed checkpoint of 121 events")
	content, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}

	// The figures are the month's, as the totals by month give them.
	var totals struct {
		All []struct{ Period, Received, Spent string }
	}
	out := runLedger(t, "", "totals", "--data", data, "--by", "month", "--format", "json")
	if err := json.Unmarshal([]byte(out.stdout), &totals); err != nil {
		t.Fatalf("totals: %v\n%s", err, out.stdout)
	}
	var received, spent string
	for _, row := range totals.All {
		if row.Period == "2022-06" {
			received, spent = report.GroupDigits(row.Received), report.GroupDigits(row.Spent)
		}
	}
	if received == "" || spent == "" {
		t.Fatalf("no totals for 2022-06 in:\n%s", out.stdout)
	}
	for key, want := range map[string]string{"all/received": received, "all/spent": spent} {
		if !strings.Contains(string(content), `data-key="`+key+`">`+want+`<`) {
			t.Fatalf("the report does not print %s = %s (the totals of June)", key, want)
		}
	}

	// Printed to PDF by the browser, its text holds the same figures.
	pdf := filepath.Join(t.TempDir(), "report.pdf")
	print := exec.Command("/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf="+pdf, "file://"+page)
	if output, err := print.CombinedOutput(); err != nil {
		t.Fatalf("print to PDF: %v\n%s", err, output)
	}
	text, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (Debian: apt-get install -y poppler-utils; .ci/run installs it): %v", err)
	}
	for _, want := range []string{received, spent, "鄂尔多斯市总工会", "2022年6月"} {
		if !strings.Contains(string(text), want) {
			t.Fatalf("the PDF's text lacks %q:\n%s", want, text)
		}
	}

	// The QR code decodes to the seal the page carries.
	seal := regexp.MustCompile(`<meta name="ledger-report-seal" content="([^"]*)">`).FindSubmatch(content)
	image := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindSubmatch(content)
	if seal == nil || image == nil {
		t.Fatal("the report has no seal or no QR image")
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(string(image[1])))
	if err != nil {
		t.Fatal(err)
	}
	picture, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	bitmap, err := gozxing.NewBinaryBitmapFromImage(picture)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := qrcode.NewQRCodeReader().Decode(bitmap, nil)
	if err != nil {
		t.Fatalf("decode the QR code: %v", err)
	}
	if decoded.GetText() != html.UnescapeString(string(seal[1])) || !strings.HasPrefix(decoded.GetText(), "ledger-report/4 month=2022-06 ") {
		t.Fatalf("the QR code says %q, the page's seal %q", decoded.GetText(), seal[1])
	}

	// verify-report accepts the page and the seal alone.
	runLedger(t, "", "verify-report", page, "--data", data).expect(t, 0, "OK: the report of 2022-06", "first 121 events")
	runLedger(t, "", "verify-report", decoded.GetText(), "--data", data).expect(t, 0, "OK")
	// An edited printed figure, or an edited seal, is refused.
	edited := filepath.Join(t.TempDir(), "edited.html")
	forged := strings.Replace(string(content), `data-key="all/received">`+received+`<`, `data-key="all/received">9,`+received[2:]+`<`, 1)
	if err := os.WriteFile(edited, []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "verify-report", edited, "--data", data).expect(t, 1, "regions/合计 received: printed 9,", "the log says "+received)
	badSeal := regexp.MustCompile(`figures=[0-9a-f]{4}`).ReplaceAllString(decoded.GetText(), "figures=0000")
	runLedger(t, "", "verify-report", badSeal, "--data", data).expect(t, 1, "are not what the log's first 121 events say")
	// A seal rewritten to an older version, whose page bound fewer cells
	// or was printed otherwise, does not verify: the digest of versions 3
	// and later names its version.
	for _, older := range []string{"ledger-report/2 ", "ledger-report/3 "} {
		runLedger(t, "", "verify-report", strings.Replace(decoded.GetText(), "ledger-report/4 ", older, 1), "--data", data).
			expect(t, 1, "are not what the log's first 121 events say")
	}
	// Every table's figures are bound, not only the regions': a group's
	// people, an item's quantity and value, and a void's reason edited on
	// the page are refused, each named by its table, row and column.
	for _, edit := range []struct{ from, to, message string }{
		{`data-key="groups/construction-workers/people">220<`, `data-key="groups/construction-workers/people">2200<`,
			"groups/建筑工 people: printed 2200, the log says 220"},
		{`data-key="goods/herbal-tea/quantity">1000<`, `data-key="goods/herbal-tea/quantity">10000<`, "goods/凉茶 quantity: printed 10000, the log says 1000"},
		{`data-key="goods/herbal-tea/value">48,000.00<`, `data-key="goods/herbal-tea/value">48,000.01<`, "goods/凉茶 value: printed 48,000.01, the log says 48,000.00"},
		{`重复录入：与 V-SUM-150624-1 为同一次配送</td></tr>`, `重复录入</td></tr>`, "reason: printed 重复录入, the log says"},
	} {
		if strings.Count(string(content), edit.from) != 1 {
			t.Fatalf("the June report prints %s %d times", edit.from, strings.Count(string(content), edit.from))
		}
		if err := os.WriteFile(edited, []byte(strings.Replace(string(content), edit.from, edit.to, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		runLedger(t, "", "verify-report", edited, "--data", data).expect(t, 1, edit.message)
	}
	if err := os.WriteFile(edited, []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
	// Offline, an audit bundle answers the same: the page checks against
	// the bundle's events and checkpoints with the verifier key alone.
	bundle := filepath.Join(t.TempDir(), "bundle")
	runLedger(t, "", "export-audit", "--data", data, "--from", "2022-06-01", "--to", "2022-06-30", bundle).expect(t, 0)
	verifierKey := strings.TrimSpace(runLedger(t, "", "pubkey", "--data", data).stdout)
	runLedger(t, "", "verify-report", page, "--bundle", bundle, "--key", verifierKey).
		expect(t, 0, "OK: the report of 2022-06", "the bundle's first 121 events")
	runLedger(t, "", "verify-report", edited, "--bundle", bundle, "--key", verifierKey).expect(t, 1, "regions/合计 received: printed 9,")
	runLedger(t, "", "verify-report", page, "--bundle", bundle).expect(t, 2, "give --key")

	// The summer campaign's July report carries the campaign's trend: June
	// and July, with the figures `ledger totals --by month --campaign`
	// gives, in the table and on the chart's bars; it prints on A4 with
	// the chart, is sealed as version 3, and verify-report accepts it.
	campaignPage := filepath.Join(t.TempDir(), "report-2022-07-summer.html")
	runLedger(t, "", "report", "--data", data, "--month", "2022-07", "--campaign", "2022-summer-cooling", "--out", campaignPage).expect(t, 0)
	campaign, err := os.ReadFile(campaignPage)
	if err != nil {
		t.Fatal(err)
	}
	var byMonth struct {
		All []struct{ Period, Received, Spent string }
	}
	out = runLedger(t, "", "totals", "--data", data, "--by", "month", "--campaign", "2022-summer-cooling", "--format", "json")
	if err := json.Unmarshal([]byte(out.stdout), &byMonth); err != nil {
		t.Fatalf("totals: %v\n%s", err, out.stdout)
	}
	if len(byMonth.All) != 2 {
		t.Fatalf("the summer campaign has %d months, want June and July:\n%s", len(byMonth.All), out.stdout)
	}
	if groups := strings.Count(string(campaign), `<g class="month" data-period="`); groups != len(byMonth.All) {
		t.Fatalf("the campaign report's chart has %d month groups, want %d", groups, len(byMonth.All))
	}
	for _, row := range byMonth.All {
		for key, yuan := range map[string]string{"received": row.Received, "spent": row.Spent} {
			cell := `data-key="trend/` + row.Period + `/` + key + `">` + report.GroupDigits(yuan) + `<`
			fen, err := domain.ParseYuan(yuan)
			if err != nil {
				t.Fatal(err)
			}
			bar := `data-key="trend/` + row.Period + `/` + key + `" data-fen="` + strconv.FormatInt(int64(fen), 10) + `"`
			if !strings.Contains(string(campaign), cell) || !strings.Contains(string(campaign), bar) {
				t.Fatalf("the campaign report lacks %s or %s", cell, bar)
			}
		}
	}
	if !strings.Contains(string(campaign), `content="ledger-report/4 month=2022-07 county= campaign=2022-summer-cooling `) {
		t.Fatalf("the campaign report is not sealed as version 4")
	}
	campaignPDF := filepath.Join(t.TempDir(), "campaign.pdf")
	print = exec.Command("/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf="+campaignPDF, "file://"+campaignPage)
	if output, err := print.CombinedOutput(); err != nil {
		t.Fatalf("print the campaign report to PDF: %v\n%s", err, output)
	}
	if text, err = exec.Command("pdftotext", "-layout", campaignPDF, "-").Output(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"本活动逐月趋势", "2022-06", "2022-07", report.GroupDigits(byMonth.All[0].Spent)} {
		if !strings.Contains(string(text), want) {
			t.Fatalf("the campaign report's PDF text lacks %q:\n%s", want, text)
		}
	}
	runLedger(t, "", "verify-report", campaignPage, "--data", data).expect(t, 0, "OK: the report of 2022-07")
	forged = strings.Replace(string(campaign), `data-key="trend/2022-06/spent" data-fen="`, `data-key="trend/2022-06/spent" data-fen="1`, 1)
	if err := os.WriteFile(edited, []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "verify-report", edited, "--data", data).expect(t, 1, "chart/trend/2022-06/spent")

	// A later entry does not change a report bound to the checkpoint.
	runLedger(t, goodLine+"\n", "record", "-", "--data", data).expect(t, 0)
	runLedger(t, "", "verify-report", page, "--data", data).expect(t, 0, "OK")
}

// A report of one region names it in the page's language (范围：乌审旗,
// Scope：Uxin; before, "乌审旗 Uxin" on both) and says its checkpoint was
// signed in Beijing time; it is sealed as version 4 and verify-report
// accepts it.
func TestEndToEndReportSpeaksItsLanguage(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	for lang, want := range map[string][]string{
		"zh": {"<span>范围：乌审旗</span>", "于北京时间 "},
		"en": {"<span>Scope：Uxin</span>", " Beijing time commits to."},
	} {
		page := filepath.Join(t.TempDir(), "report-"+lang+".html")
		runLedger(t, "", "report", "--data", data, "--month", "2022-06", "--county", "150626", "--lang", lang, "--out", page).
			expect(t, 0, "ledger-report/4 month=2022-06 county=150626 ")
		content, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range want {
			if !strings.Contains(string(content), text) {
				t.Errorf("%s: the page lacks %q", lang, text)
			}
		}
		runLedger(t, "", "verify-report", page, "--data", data).expect(t, 0, "OK: the report of 2022-06")
	}
}
