package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/reconcile"
)

// liveAccount is the bank account of the test's statement: finance's, and
// never a key of the live totals.
const liveAccount = "icbc-0602001109000012345"

// liveKeys lists the keys the live totals bucket holds, with their values.
func liveKeys(ctx context.Context, bucket jetstream.KeyValue) (map[string]string, error) {
	lister, err := bucket.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = lister.Stop() }()
	held := map[string]string{}
	for key := range lister.Keys() {
		entry, err := bucket.Get(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", key, err)
		}
		held[key] = string(entry.Value())
	}
	return held, nil
}

// received is a cell's received money as the bucket's JSON says it.
func received(value string) string {
	var figures struct{ Received string }
	if err := json.Unmarshal([]byte(value), &figures); err != nil {
		return "unreadable: " + err.Error()
	}
	return figures.Received
}

// The live totals bucket holds one key per region and campaign with
// figures, and nothing of finance's. A running ledger fills it from the
// totals when it starts: cells whose entries a command folded into the
// saved checkpoint it resumes from, so that it never hears of them, are
// there (and a stale one is corrected), and keys an older version wrote for a bank account and for
// the periods are removed. While it runs, a statement's bank lines, a
// match decision, a period close and an erasure make no key and nothing
// on the republished subject; a campaign's entry does.
func TestLiveTotalsHoldEveryCampaignCellAndNothingOfFinance(t *testing.T) {
	ctx := context.Background()
	ledger := openLedger(t, t.TempDir())
	// Entries recorded while no serve runs: three cells, one with two
	// entries.
	for _, event := range []domain.Event{
		eventstoretest.Donation("general", "150626", "D-1", 100000),
		eventstoretest.Donation("general", "150626", "D-2", 50000),
		eventstoretest.Donation("general", "150622", "D-3", 70000),
		eventstoretest.Donation("2022-summer-cooling", "150626", "D-4", 20000),
	} {
		if _, err := ledger.App.Record(ctx, []domain.Event{event}); err != nil {
			t.Fatal(err)
		}
	}
	// A command that reads the totals (`ledger totals`) folds them and
	// saves the projection's checkpoint, writing no live totals: a serve
	// started after it folds nothing of these entries again.
	if _, err := ledger.App.Totals(ctx, app.TotalsRequest{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"150626.general": "1500.00", "150622.general": "700.00", "150626.2022-summer-cooling": "200.00"}
	js, err := jetstream.New(ledger.Conn)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := js.KeyValue(ctx, natsjs.LiveTotalsBucket)
	if err != nil {
		t.Fatal(err)
	}
	// What an older version left: a stale cell, and keys of finance's
	// aggregates taken as campaigns.
	for key, value := range map[string]string{"150626.general": `{"received":"1.00"}`,
		"150600." + liveAccount: `{"received":"0.00"}`, "150600." + domain.PeriodsID: `{"received":"0.00"}`} {
		if _, err := bucket.Put(ctx, key, []byte(value)); err != nil {
			t.Fatal(err)
		}
	}
	published, err := ledger.Conn.SubscribeSync(natsjs.LiveTotalsSubject + ".>")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = published.Unsubscribe() }()

	runCtx, stop := context.WithCancel(ctx)
	running, err := ledger.Run(runCtx, node.RunOptions{Holder: "test"})
	if err != nil {
		stop()
		t.Fatal(err)
	}
	defer func() {
		stop()
		if err := running.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}()
	bucketIs := func(want map[string]string) func() error {
		return func() error {
			held, err := liveKeys(ctx, bucket)
			if err != nil {
				return err
			}
			got := map[string]string{}
			for key, value := range held {
				got[key] = received(value)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("the bucket holds %v, want %v", got, want)
			}
			return nil
		}
	}
	natsjstest.CheckFor(t, 30*time.Second, bucketIs(want))

	// Finance acts while serve runs: a statement whose line the remark
	// matches to a donation, the decision on that match, a period close,
	// and an erasure.
	donation := eventstoretest.Donation("general", "150626", "D-M1", 6600)
	if _, err := ledger.App.Record(ctx, []domain.Event{donation}); err != nil {
		t.Fatal(err)
	}
	want["150626.general"] = "1566.00"
	natsjstest.CheckFor(t, 30*time.Second, bucketIs(want))
	csv := "日期,流水号,摘要,对方户名,对方账号,交易金额\n2022-07-01,CN-1,捐款 D-M1,,,66.00\n"
	imported, _, err := ledger.App.ImportStatement(ctx, app.StatementRequest{FileName: "icbc.csv", Data: []byte(csv),
		Account: liveAccount, Actor: "finance", Personal: true})
	if err != nil || imported.Written == 0 {
		t.Fatalf("import: %+v %v", imported, err)
	}
	_, result, err := ledger.App.Reconciliation(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	decision := reconcile.DecisionRequest{Action: reconcile.ActionReject, Reason: "不是同一笔"}
	switch {
	case len(result.Matched) > 0:
		decision.ID = result.Matched[0].ID
	case len(result.Suggested) > 0:
		decision.ID, decision.Action, decision.Reason = result.Suggested[0].ID, reconcile.ActionConfirm, ""
	default:
		t.Fatalf("the statement's line matched nothing: %+v", result)
	}
	decided, err := ledger.App.Decide(ctx, "finance", decision)
	if err != nil {
		t.Fatalf("decide %+v: %v", decision, err)
	}
	if decided.Event.Type != domain.TypeMatchRejected && decided.Event.Type != domain.TypeMatchConfirmed {
		t.Fatalf("the decision recorded %s, want a match's", decided.Event.Type)
	}
	closed := domain.Event{Type: domain.TypePeriodClosed, County: ledger.Catalog.CityCode(), OccurredAt: time.Now(), Actor: "finance",
		Data: domain.PeriodClosed{Month: "2022-06"}}
	if _, err := ledger.App.Record(ctx, []domain.Event{closed}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ledger.App.Forget(ctx, "donor-1", "本人申请删除", "admin"); err != nil {
		t.Fatal(err)
	}
	// Two campaign entries after them, each awaited on the subject: the
	// second is flushed after the first was, and so after every change
	// marked before the first, finance's included.
	for _, marker := range []domain.Event{eventstoretest.Donation("general", "150622", "D-5", 100),
		eventstoretest.Donation("2022-summer-cooling", "150622", "D-6", 100)} {
		if _, err := ledger.App.Record(ctx, []domain.Event{marker}); err != nil {
			t.Fatal(err)
		}
		subject := natsjs.LiveTotalsSubject + "." + marker.County + "." + marker.Data.CampaignCode()
		natsjstest.CheckFor(t, 30*time.Second, func() error {
			for _, got := range drain(t, published) {
				if got == subject {
					return nil
				}
			}
			return fmt.Errorf("nothing on %s yet", subject)
		})
	}
	want["150622.general"], want["150622.2022-summer-cooling"] = "701.00", "1.00"
	natsjstest.CheckFor(t, 30*time.Second, bucketIs(want))
}

// drain takes what the subscription holds now, fails the test on a
// subject that is no campaign cell of the live totals, and returns the
// subjects taken.
func drain(t *testing.T, subscription *nats.Subscription) []string {
	t.Helper()
	var subjects []string
	for {
		message, err := subscription.NextMsg(10 * time.Millisecond)
		if errors.Is(err, nats.ErrTimeout) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, message.Subject)
	}
	for _, subject := range subjects {
		if strings.Contains(subject, liveAccount) || strings.HasSuffix(subject, "."+domain.PeriodsID) || strings.HasPrefix(subject, natsjs.LiveTotalsSubject+".150600.") {
			sort.Strings(subjects)
			t.Fatalf("finance's event was published on %s (with %v)", subject, subjects)
		}
	}
	return subjects
}
