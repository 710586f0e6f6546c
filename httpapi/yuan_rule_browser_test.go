package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordos-union/ledger/domain"
)

// yuanRuleTestSeconds bounds the whole test.
const yuanRuleTestSeconds = 60

// typedAmounts are texts a clerk might type as an amount: what the rule
// takes (separators, signs, white space), what it refuses and why, and
// the edges of each (Go's white space, which is not JavaScript's trim's;
// the bounds).
var typedAmounts = []string{
	"1250.50", "1250.5", "1250", "0", "0.00", "-0", "-5", "-5.00", "00,123",
	"1,250.50", "12,500", "1,000,000.00", "1,234,567.89", "￥1,250.50", "¥300", "¥ 300", "￥ 1,250.50", "-￥5", "-¥ 1,250.50",
	" 12 ", "\u3000300\u3000", "\u00a0300", "\u0085300", "\ufeff300", "\t7.5\n", "\u2007300",
	"12,50", "1,2345", "1,5", ",250", "1,,250", "1,250,5", "1.234,5", "1,250.5,0", "1,25.50", "1250,",
	"1e3", ".5", "5.", "+5", "$5", "5元", "abc", "", " ", "-", "--5", "￥-5", "¥¥5", "- 5", "１２３", "1 250", "1'250.50",
	"1250.505", "1,250.505", "0.001", "1,２３４", "1,２５０.00", "0,¥0", "1,２,345",
	"100000000000.00", "100000000000.01", "100,000,000,000", "99999999999999999999", "92233720368547758.07", "-100000000000.01",
}

// A clerk's amount is read by one rule wherever it is typed: the
// dashboard's form reads it with parseYuanTyped (format.js), the sheets
// and the command line with domain.ParseYuanTyped. The same texts, given
// to both, have the same answers: the same amount, or the same refusal.
func TestBrowserYuanOneRule(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), yuanRuleTestSeconds*time.Second)
	defer cancel()
	browser := page{t: t, tab: startBrowser(ctx, t).tab}
	browser.do("open the dashboard", chromedp.Navigate(server.URL+"/"))
	browser.waitFor("page loaded", `document.readyState === "complete"`, 30*time.Second)

	texts, err := json.Marshal(typedAmounts)
	if err != nil {
		t.Fatal(err)
	}
	answers, err := chromedp.Run(browser.tab, chromedp.Evaluate[string](`import("/format.js").then((m) => JSON.stringify(`+string(texts)+
		`.map((text) => { const read = m.parseYuanTyped(text); return read.error ? "error " + read.error : m.yuanText(read.fen); })))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("the page's parseYuanTyped: %v", err)
	}
	var page []string
	if err := json.Unmarshal([]byte(answers), &page); err != nil || len(page) != len(typedAmounts) {
		t.Fatalf("the page answered %s (%v)", answers, err)
	}
	taken := 0
	for i, text := range typedAmounts {
		want := goYuanAnswer(text)
		if page[i] != want {
			t.Errorf("%q: the page reads %q, domain.ParseYuanTyped %q", text, page[i], want)
		}
		if len(want) > 0 && want[0] != 'e' {
			taken++
		}
	}
	// The list holds both kinds, so the comparison says something of each.
	if taken < 20 || len(typedAmounts)-taken < 30 {
		t.Fatalf("%d of %d texts are amounts: the list should hold both kinds", taken, len(typedAmounts))
	}
}

// goYuanAnswer is domain.ParseYuanTyped's answer as the page words it:
// the canonical yuan string, or the refusal's kind.
func goYuanAnswer(text string) string {
	amount, err := domain.ParseYuanTyped(text)
	switch {
	case errors.Is(err, domain.ErrMisplacedThousands):
		return "error misplaced_thousands"
	case errors.Is(err, domain.ErrTooManyDecimals):
		return "error too_many_decimals"
	case errors.Is(err, domain.ErrAmountTooLarge):
		return "error too_large"
	case errors.Is(err, domain.ErrNotYuan):
		return "error not_yuan"
	case err != nil:
		return "error " + err.Error()
	}
	return amount.String()
}
