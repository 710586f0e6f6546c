package integrity_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/projections"
)

// bundleFixture is an audit bundle exported from events a real ledger
// recorded on a real JetStream store.
type bundleFixture struct {
	dir    string
	keys   integrity.Keys
	events [][]byte
	report integrity.PeriodReport
	tree   *integrity.Tree
}

var (
	bundleFrom = time.Date(2022, 6, 1, 0, 0, 0, 0, domain.Beijing)
	bundleTo   = time.Date(2022, 7, 31, 23, 59, 59, 0, domain.Beijing)
)

func newBundle(t *testing.T) *bundleFixture {
	t.Helper()
	ctx := context.Background()
	store := natsjstest.Store(t, natsjs.Options{}, false)
	service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
	record := func(events ...domain.Event) []ledger.Result {
		t.Helper()
		results, err := service.Record(ctx, events)
		if err != nil {
			t.Fatalf("record: %v", err)
		}
		return results
	}
	const campaign = "2022-summer-cooling"
	record(eventstoretest.Donation(campaign, "150626", "D-1", 500000))              // 1
	donation2 := record(eventstoretest.Donation(campaign, "150602", "D-2", 300000)) // 2
	record(eventstoretest.Delivery(campaign, "150626", "S-1", 120000))              // 3
	record(eventstoretest.Donation("general", "150603", "D-3", 80000),              // 4
		eventstoretest.Delivery("general", "150603", "S-2", 50000)) // 5
	record(domain.Event{Type: domain.TypeEntryVoided, County: "150602", OccurredAt: eventstoretest.Clock(), Actor: "clerk-test",
		Data: domain.EntryVoided{Campaign: campaign, TargetEventID: donation2[0].EventID.String(), Reason: "录入错误"}}) // 6

	fixture := &bundleFixture{dir: filepath.Join(t.TempDir(), "bundle"), keys: newKeys(t)}
	var records []eventstore.Record
	for record, err := range store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		records = append(records, record)
		fixture.events = append(fixture.events, record.Data)
	}
	if len(records) != 6 {
		t.Fatalf("the store holds %d events, want 6", len(records))
	}
	void, ok := records[5].Event.Data.(domain.EntryVoided)
	if !ok || void.TargetPosition != records[1].Position || void.EffectivePosition != records[1].Position {
		t.Fatalf("the void's stored data = %#v, want it to locate position %d", records[5].Event.Data, records[1].Position)
	}

	tree, err := integrity.NewTree(&integrity.MemoryHashes{})
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range fixture.events {
		if err := tree.Append(data); err != nil {
			t.Fatal(err)
		}
	}
	fixture.tree = tree
	_, signed3 := signAt(t, fixture.keys, tree, 3)
	_, signed6 := signAt(t, fixture.keys, tree, 6)
	fixture.report, err = integrity.ExportBundle(ctx, fixture.dir, fixture.events, [][]byte{signed3, signed6}, fixture.keys, bundleFrom, bundleTo)
	if err != nil {
		t.Fatalf("ExportBundle: %v", err)
	}
	return fixture
}

// copyBundle copies the bundle for one tamper.
func (f *bundleFixture) copyBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		content, err := os.ReadFile(filepath.Join(f.dir, entry.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, entry.Name()), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func editFile(t *testing.T, path string, edit func([]byte) []byte) {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(bytes.Clone(content))
	if bytes.Equal(edited, content) {
		t.Fatalf("setup: the edit left %s unchanged", filepath.Base(path))
	}
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
}

func rowOf(t *testing.T, answer projections.Answer, county string, all bool) projections.Row {
	t.Helper()
	rows := answer.Rows
	if all {
		rows = answer.All
	}
	for _, row := range rows {
		if row.County == county && row.Period == "2022-07" {
			return row
		}
	}
	t.Fatalf("no row for %s in 2022-07: rows %+v all %+v", county, answer.Rows, answer.All)
	return projections.Row{}
}

func TestBundleRoundTrip(t *testing.T) {
	f := newBundle(t)
	root, _ := f.tree.Root(6)
	stamp := projections.TreeStamp{Size: 6, Root: root.String()}
	if f.report.Tree != stamp || f.report.Totals.Tree == nil || *f.report.Totals.Tree != stamp {
		t.Fatalf("report stamped %+v / %+v, want %+v", f.report.Tree, f.report.Totals.Tree, stamp)
	}
	if !f.report.From.Equal(bundleFrom) || !f.report.To.Equal(bundleTo) || f.report.Totals.Position != 6 {
		t.Fatalf("report period %s..%s position %d", f.report.From, f.report.To, f.report.Totals.Position)
	}
	uxin := rowOf(t, f.report.Totals, "150626", false)
	if uxin.Received != 500000 || uxin.Spent != 120000 || uxin.Deliveries != 1 || uxin.Voided != 0 {
		t.Errorf("150626 = %+v, want received 5000.00, spent 1200.00, one delivery", uxin.Figures)
	}
	dongsheng := rowOf(t, f.report.Totals, "150602", false)
	if dongsheng.Received != 0 || dongsheng.Voided != 1 {
		t.Errorf("150602 = %+v, want its voided donation to count nothing and voided 1", dongsheng.Figures)
	}
	kangbashi := rowOf(t, f.report.Totals, "150603", false)
	if kangbashi.Received != 80000 || kangbashi.Spent != 50000 {
		t.Errorf("150603 = %+v, want received 800.00, spent 500.00", kangbashi.Figures)
	}
	all := rowOf(t, f.report.Totals, projections.AllRegions, true)
	if all.Received != 580000 || all.Spent != 170000 || all.Deliveries != 2 || all.Voided != 1 {
		t.Errorf("all regions = %+v, want received 5800.00, spent 1700.00, 2 deliveries, 1 voided", all.Figures)
	}

	// The files say what they should.
	lines, _ := os.ReadFile(filepath.Join(f.dir, "events.jsonl"))
	if want := append(bytes.Join(f.events, []byte("\n")), '\n'); !bytes.Equal(lines, want) {
		t.Errorf("events.jsonl is not the stored events one a line")
	}
	key, _ := os.ReadFile(filepath.Join(f.dir, "verifier.key"))
	if string(key) != f.keys.VerifierKey+"\n" {
		t.Errorf("verifier.key = %q", key)
	}
	notes, _ := os.ReadFile(filepath.Join(f.dir, "checkpoints.note"))
	if parts := bytes.Split(notes, []byte("---\n")); len(parts) != 2 {
		t.Errorf("checkpoints.note holds %d notes, want 2", len(parts))
	}
	var proofs []integrity.ConsistencyProof
	proofJSON, _ := os.ReadFile(filepath.Join(f.dir, "consistency.json"))
	if err := json.Unmarshal(proofJSON, &proofs); err != nil || len(proofs) != 1 || proofs[0].Check(f.keys.Verifier) != nil {
		t.Errorf("consistency.json = %d proofs, %v", len(proofs), err)
	}

	exported, _ := json.Marshal(f.report)
	for name, key := range map[string]string{"key text": f.keys.VerifierKey, "key file": filepath.Join(f.dir, "verifier.key")} {
		verifier, err := integrity.NewVerifier(key)
		if err != nil {
			t.Fatal(err)
		}
		verified, err := integrity.VerifyBundle(context.Background(), f.dir, verifier)
		if err != nil {
			t.Fatalf("VerifyBundle with the %s: %v", name, err)
		}
		if again, _ := json.Marshal(verified); !bytes.Equal(again, exported) {
			t.Fatalf("VerifyBundle recomputed\n%s\nwant\n%s", again, exported)
		}
	}
}

func TestBundleTampers(t *testing.T) {
	f := newBundle(t)
	ctx := context.Background()
	other := newKeys(t)
	tampers := []struct {
		name   string
		tamper func(dir string)
		want   string
	}{
		{"one byte of an event covered by the first checkpoint", func(dir string) {
			editFile(t, filepath.Join(dir, "events.jsonl"), func(b []byte) []byte {
				lines := bytes.Split(b, []byte("\n"))
				flipActor(t, lines[1])
				return bytes.Join(lines, []byte("\n"))
			})
		}, "checkpoint 1 (size 3) does not match the bundle's events"},
		{"one byte of the void", func(dir string) {
			editFile(t, filepath.Join(dir, "events.jsonl"), func(b []byte) []byte {
				lines := bytes.Split(b, []byte("\n"))
				flipActor(t, lines[5])
				return bytes.Join(lines, []byte("\n"))
			})
		}, "checkpoint 2 (size 6) does not match the bundle's events"},
		{"an event line dropped", func(dir string) {
			editFile(t, filepath.Join(dir, "events.jsonl"), func(b []byte) []byte {
				lines := bytes.SplitAfter(b, []byte("\n"))
				return bytes.Join(append(lines[:3:3], lines[4:]...), nil)
			})
		}, "checkpoint 2 commits to 6 events; the bundle has 5"},
		{"an event line added", func(dir string) {
			editFile(t, filepath.Join(dir, "events.jsonl"), func(b []byte) []byte {
				return append(b, append(bytes.Clone(f.events[0]), '\n')...)
			})
		}, "the last checkpoint covers 6 events; the bundle has 7"},
		{"a received amount in report.json", func(dir string) {
			editFile(t, filepath.Join(dir, "report.json"), func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"received": "5000.00"`), []byte(`"received": "5001.00"`), 1)
			})
		}, "report.json does not match the totals recomputed from the events"},
		{"the voided count in report.json", func(dir string) {
			editFile(t, filepath.Join(dir, "report.json"), func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"voided": 1`), []byte(`"voided": 0`), 1)
			})
		}, "report.json does not match the totals recomputed from the events"},
		{"the tree root in report.json", func(dir string) {
			editFile(t, filepath.Join(dir, "report.json"), func(b []byte) []byte {
				root36, _ := f.tree.Root(5)
				return bytes.ReplaceAll(b, []byte(f.report.Tree.Root), []byte(root36.String()))
			})
		}, "report.json does not match the totals recomputed from the events"},
		{"the last checkpoint removed", func(dir string) {
			editFile(t, filepath.Join(dir, "checkpoints.note"), func(b []byte) []byte {
				return bytes.Split(b, []byte("---\n"))[0]
			})
		}, "the last checkpoint covers 3 events; the bundle has 6"},
		{"every checkpoint removed", func(dir string) {
			editFile(t, filepath.Join(dir, "checkpoints.note"), func([]byte) []byte { return nil })
		}, "checkpoint 1: bad checkpoint"},
		{"a checkpoint's root line edited", func(dir string) {
			editFile(t, filepath.Join(dir, "checkpoints.note"), func(b []byte) []byte {
				root5, _ := f.tree.Root(5)
				return bytes.Replace(b, []byte(f.report.Tree.Root), []byte(root5.String()), 1)
			})
		}, "checkpoint 2: bad checkpoint: signature"},
		{"a consistency proof hash changed", func(dir string) {
			editFile(t, filepath.Join(dir, "consistency.json"), func(b []byte) []byte {
				var proofs []integrity.ConsistencyProof
				if err := json.Unmarshal(b, &proofs); err != nil || len(proofs) != 1 || len(proofs[0].Proof) == 0 {
					t.Fatalf("setup: consistency.json = %s", b)
				}
				proofs[0].Proof[0][0] ^= 1
				out, _ := json.Marshal(proofs)
				return out
			})
		}, "consistency proof 1: the newer log does not extend the older"},
	}
	for _, tamper := range tampers {
		dir := f.copyBundle(t)
		tamper.tamper(dir)
		_, err := integrity.VerifyBundle(ctx, dir, f.keys.Verifier)
		if err == nil || !strings.Contains(err.Error(), tamper.want) {
			t.Errorf("%s: VerifyBundle err = %v, want it to say %q", tamper.name, err, tamper.want)
		}
	}

	// Untouched, but checked with another key.
	_, err := integrity.VerifyBundle(ctx, f.dir, other.Verifier)
	if !errors.Is(err, integrity.ErrBadCheckpoint) || !strings.Contains(err.Error(), "checkpoint 1") {
		t.Errorf("VerifyBundle with another key: err = %v, want checkpoint 1 refused", err)
	}
	// The bundle's own key file does not help a bundle re-signed by
	// another key: the auditor's key decides.
	resigned := f.copyBundle(t)
	_, signed3 := signAt(t, other, f.tree, 3)
	_, signed6 := signAt(t, other, f.tree, 6)
	if _, err := integrity.ExportBundle(ctx, resigned, f.events, [][]byte{signed3, signed6}, other, bundleFrom, bundleTo); err != nil {
		t.Fatal(err)
	}
	if _, err := integrity.VerifyBundle(ctx, resigned, f.keys.Verifier); !errors.Is(err, integrity.ErrBadCheckpoint) {
		t.Errorf("a bundle signed by another key, checked with the ledger's: err = %v", err)
	}
	// The untouched bundle still verifies after all of that.
	if _, err := integrity.VerifyBundle(ctx, f.dir, f.keys.Verifier); err != nil {
		t.Fatalf("the original bundle no longer verifies: %v", err)
	}
}

// ExportBundle refuses checkpoints that do not end at the bundle's events.
func TestExportBundleRefuses(t *testing.T) {
	f := newBundle(t)
	ctx := context.Background()
	_, signed3 := signAt(t, f.keys, f.tree, 3)
	_, signed6 := signAt(t, f.keys, f.tree, 6)
	other := newKeys(t)
	_, otherSigned6 := signAt(t, other, f.tree, 6)
	for name, signed := range map[string][][]byte{
		"no checkpoint of the whole bundle":  {signed3},
		"no checkpoint at all":               nil,
		"a checkpoint signed by another key": {signed3, otherSigned6},
		"checkpoints out of order":           {signed6, signed3},
	} {
		if _, err := integrity.ExportBundle(ctx, filepath.Join(t.TempDir(), "out"), f.events, signed, f.keys, bundleFrom, bundleTo); err == nil {
			t.Errorf("ExportBundle with %s succeeded", name)
		}
	}
}
