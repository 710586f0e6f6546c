package natsjs_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// lockedBuffer is a log the test reads while the live totals write it.
type lockedBuffer struct {
	mu   sync.Mutex
	text bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.text.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.text.String()
}

// A start fills the bucket, as the runtime, with every cell of the totals
// and nothing else: cells the bucket lacks or holds stale are written, at
// most the limit per start (with a warning; the next start writes the
// rest), cells it holds as they are are not written again (a restart
// republishes nothing), and a key that is no cell is removed from the
// stream altogether, leaving no deletion marker that names it.
func TestLiveTotalsFillWritesMissingCellsAndRemovesOthers(t *testing.T) {
	ctx := context.Background()
	natsServer, credentials := authServer(t)
	runtime := connectAs(t, natsServer, credentials, natsjs.RoleRuntime)
	values := map[string]string{"150622.general": `{"received":"7.00"}`, "150626.2022-summer-cooling": `{"received":"2.00"}`,
		"150626.general": `{"received":"1.00"}`}
	var log lockedBuffer
	live, err := natsjs.OpenLiveTotals(ctx, runtime, 1, func(county, campaign string) ([]byte, error) {
		return []byte(values[county+"."+campaign]), nil
	}, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(runtime)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := js.KeyValue(ctx, natsjs.LiveTotalsBucket)
	if err != nil {
		t.Fatal(err)
	}
	// What an older version left: one cell right, one stale, two keys of
	// finance's aggregates.
	for key, value := range map[string]string{"150626.general": values["150626.general"], "150622.general": `{"received":"1.00"}`,
		"150600.icbc-0602001109000012345": "{}", "150600.months": "{}"} {
		if _, err := bucket.Put(ctx, key, []byte(value)); err != nil {
			t.Fatal(err)
		}
	}
	stream, err := js.Stream(ctx, natsjs.LiveTotalsStream)
	if err != nil {
		t.Fatal(err)
	}
	subjects := func() (string, uint64) {
		t.Helper()
		info, err := stream.Info(ctx, jetstream.WithSubjectFilter("$KV."+natsjs.LiveTotalsBucket+".>"))
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for subject := range info.State.Subjects {
			keys = append(keys, strings.TrimPrefix(subject, "$KV."+natsjs.LiveTotalsBucket+"."))
		}
		sort.Strings(keys)
		return strings.Join(keys, " "), info.State.LastSeq
	}
	held := func() string {
		t.Helper()
		var got []string
		for _, key := range []string{"150622.general", "150626.2022-summer-cooling", "150626.general"} {
			entry, err := bucket.Get(ctx, key)
			if err != nil {
				got = append(got, key+"="+err.Error())
				continue
			}
			got = append(got, key+"="+string(entry.Value()))
		}
		return strings.Join(got, " ")
	}
	cells := []natsjs.LiveCell{{County: "150626", Campaign: "general"}, {County: "150622", Campaign: "general"},
		{County: "150626", Campaign: "2022-summer-cooling"}}
	_, before := subjects()

	// The first start may write one cell and remove one key: the stale
	// cell (the first in order) is written, the missing one waits, and a
	// warning says so.
	natsjs.FillUpToForTest(ctx, live, cells, 1)
	if keys, last := subjects(); keys != "150600.months 150622.general 150626.general" || last != before+1 {
		t.Fatalf("after a start limited to one: keys %q, %d writes; want the account's removed and one write", keys, last-before)
	}
	if text := log.String(); !strings.Contains(text, "a start writes at most liveCellsMax cells") || !strings.Contains(text, "left=1") ||
		!strings.Contains(text, "a start removes at most liveCellsMax keys") {
		t.Fatalf("no warning of what was left:\n%s", text)
	}

	// The next start writes the rest and removes the other key.
	live.Fill(ctx, cells)
	want := `150622.general={"received":"7.00"} 150626.2022-summer-cooling={"received":"2.00"} 150626.general={"received":"1.00"}`
	if got := held(); got != want {
		t.Fatalf("the bucket holds %s, want %s", got, want)
	}
	keys, last := subjects()
	if keys != "150622.general 150626.2022-summer-cooling 150626.general" || last != before+2 {
		t.Fatalf("after the second start: keys %q, %d writes; want the cells only and two writes", keys, last-before)
	}
	// A start that finds every cell as the totals say writes nothing.
	live.Fill(ctx, cells)
	if _, again := subjects(); again != last {
		t.Fatalf("a start over a current bucket wrote %d times", again-last)
	}
	// Nothing a watcher can read names an account or the periods.
	for _, text := range []string{keys, held()} {
		if strings.Contains(text, "icbc") || strings.Contains(text, "months") {
			t.Fatalf("the live totals still name finance's: %s", text)
		}
	}
}

// liveRetryWaitSeconds bounds a wait for a flush: generous, for a machine
// whose cores are busy with other work.
const liveRetryWaitSeconds = 30

// A cell whose put the server refuses (here the stream is full: its limit
// lowered to the one key it holds, as a leader election refuses writes
// for a while) stays marked changed: once the server takes writes again,
// the next flush writes it, with no new entry for that cell.
func TestLiveTotalsPutRefusedIsTriedAgain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	connection := natsjstest.Connect(t, natsjstest.RunServer(t, t.TempDir(), false))
	var log lockedBuffer
	live, err := natsjs.OpenLiveTotals(ctx, connection, 1, func(county, campaign string) ([]byte, error) {
		return []byte(`{"received":"5000.00"}`), nil
	}, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(connection)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := js.KeyValue(ctx, natsjs.LiveTotalsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bucket.Put(ctx, "150622.general", []byte(`{"received":"1.00"}`)); err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, natsjs.LiveTotalsStream)
	if err != nil {
		t.Fatal(err)
	}
	config := stream.CachedInfo().Config
	limit := func(messages int64) {
		t.Helper()
		limited := config
		limited.MaxMsgs = messages
		if _, err := js.UpdateStream(ctx, limited); err != nil {
			t.Fatal(err)
		}
	}
	limit(1)

	running, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { defer close(stopped); live.Run(running) }()
	defer func() { stop(); <-stopped }()
	live.Changed("150626", "general")
	// The warning of the refused put names the key.
	natsjstest.CheckFor(t, liveRetryWaitSeconds*time.Second, func() error {
		if !strings.Contains(log.String(), "150626.general") {
			return fmt.Errorf("no put refused yet:\n%s", log.String())
		}
		return nil
	})
	limit(config.MaxMsgs)
	natsjstest.CheckFor(t, liveRetryWaitSeconds*time.Second, func() error {
		entry, err := bucket.Get(ctx, "150626.general")
		if err != nil {
			return fmt.Errorf("150626.general after its put was refused: %w", err)
		}
		if string(entry.Value()) != `{"received":"5000.00"}` {
			return fmt.Errorf("150626.general holds %s", entry.Value())
		}
		return nil
	})
}
