package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// headlessBrowser is a Chromium tab whose console is kept: every message
// is logged at the end, and exceptions and CSP violations fail the test.
type headlessBrowser struct {
	tab      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	mutex    sync.Mutex
	lines    []string
	problems []string
	once     sync.Once
}

// startBrowser starts headless Chromium for the test; finish reports its
// console, and runs at cleanup if the test ends early.
func startBrowser(ctx context.Context, t *testing.T) *headlessBrowser {
	t.Helper()
	allocator, cancelAllocator := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browserChromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	tab, cancelTab := chromedp.NewContext(allocator)
	browser := &headlessBrowser{tab: tab, done: make(chan struct{}),
		cancel: func() { cancelTab(); cancelAllocator() }}
	messages := chromedp.Console(tab)
	go func() {
		defer close(browser.done)
		for message, err := range messages {
			if err != nil {
				return
			}
			line := fmt.Sprintf("%s [%s] %s:%d", message, message.Source, message.URL, message.Line+1)
			problem := message.IsException() ||
				(message.Type == chromedp.ConsoleError && message.Source != "network") ||
				strings.Contains(message.Text, "Content Security Policy")
			browser.mutex.Lock()
			browser.lines = append(browser.lines, line)
			if problem {
				browser.problems = append(browser.problems, line)
			}
			browser.mutex.Unlock()
		}
	}()
	t.Cleanup(func() { browser.finish(t) })
	return browser
}

// finish closes the browser and reports what its console said.
func (b *headlessBrowser) finish(t *testing.T) {
	b.once.Do(func() {
		b.cancel()
		<-b.done
		b.mutex.Lock()
		defer b.mutex.Unlock()
		for _, line := range b.lines {
			t.Logf("console: %s", line)
		}
		for _, problem := range b.problems {
			t.Errorf("browser console problem: %s", problem)
		}
	})
}

// page drives one tab of a headless browser for a test, failing the test
// on the first step that does not work.
type page struct {
	t   *testing.T
	tab context.Context
}

func (p page) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.tab, actions...); err != nil {
		p.t.Fatalf("%s: %v", step, err)
	}
}

func (p page) eval(step, expression string) string {
	p.t.Helper()
	value, err := chromedp.Run(p.tab, chromedp.Evaluate[string](expression))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", step, expression, err)
	}
	return value
}

// waitFor polls predicate in the page until it holds, up to limit.
func (p page) waitFor(step, predicate string, limit time.Duration) {
	p.t.Helper()
	if _, err := chromedp.Run(p.tab, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(limit))); err != nil {
		p.t.Fatalf("%s: %q did not hold within %v: %v", step, predicate, limit, err)
	}
}
