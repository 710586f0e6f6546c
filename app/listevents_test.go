package app_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/reconcile"
)

// A listing that opens personal data records the read once in the access
// log before it reads, and logs each event's read with its subjects; a
// refused listing records nothing, and one without personal data neither.
func TestListEventsRecordsAPersonalRead(t *testing.T) {
	ctx := context.Background()
	var logged bytes.Buffer
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	recordPersonDonating(ctx, t, ledger)
	access := node.OperatorAccess("ops", "ledger events --personal")
	records := func() int {
		t.Helper()
		read, err := ledger.App.AccessLog().Records(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(read)
	}

	for _, err := range ledger.App.ListEvents(ctx, app.EventsQuery{County: "999999", Personal: true}, access) {
		if err == nil || !strings.Contains(err.Error(), "county") {
			t.Fatalf("an unknown region: %v, want it refused naming county", err)
		}
	}
	for listed, err := range ledger.App.ListEvents(ctx, app.EventsQuery{}, access) {
		if err != nil || listed.Event.Personal != nil {
			t.Fatalf("without personal data: %+v, %v", listed.Event.Personal, err)
		}
	}
	if count := records(); count != 0 || strings.Contains(logged.String(), "personal data read") {
		t.Fatalf("%d reads recorded, log:\n%s\nwant none", count, logged.String())
	}

	var listed []app.ListedEvent
	for event, err := range ledger.App.ListEvents(ctx, app.EventsQuery{Personal: true}, access) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, event)
	}
	if len(listed) != 1 || listed[0].Event.Personal == nil || listed[0].Event.Personal.Donor.Name != "王某某" ||
		!slices.Equal(listed[0].Subjects, []string{"donor-1"}) {
		t.Fatalf("listed %+v", listed)
	}
	read, err := ledger.App.AccessLog().Records(ctx)
	if err != nil || len(read) != 1 || read[0].Reader != "ops" || read[0].Role != "operator" || read[0].Via != "ledger events --personal" {
		t.Fatalf("access log %+v, %v", read, err)
	}
	if !strings.Contains(logged.String(), "personal data read") || !strings.Contains(logged.String(), listed[0].Event.ID.String()) {
		t.Fatalf("the read is not logged with its event:\n%s", logged.String())
	}
}

// A long listing is recorded a page at a time, each record naming the
// subjects its page shows (so every read names whose data it showed,
// bounded per record), and a followed listing goes on recording each new
// event's read before it shows it.
func TestListEventsRecordsWhoseDataPageByPage(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	individual := func(i int) domain.Event {
		donation := eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d", i), 100000)
		data := donation.Data.(domain.DonationReceived)
		data.DonorKind, data.DonorOrg = "individual", ""
		donation.Data = data
		donation.Personal = &domain.Personal{Donor: &domain.Person{SubjectID: fmt.Sprintf("donor-%d", i), Name: "王某某"}}
		return donation
	}
	const stored = 450
	var batch []domain.Event
	for i := range stored {
		batch = append(batch, individual(i))
	}
	if _, err := ledger.App.Record(ctx, batch); err != nil {
		t.Fatal(err)
	}
	access := node.OperatorAccess("ops", "ledger events --personal")
	listed := 0
	for _, err := range ledger.App.ListEvents(ctx, app.EventsQuery{Personal: true, Follow: true, Limit: stored + 1}, access) {
		if err != nil {
			t.Fatal(err)
		}
		if listed++; listed == stored {
			// The log's end: one more event arrives while the listing follows.
			if _, err := ledger.App.Record(ctx, []domain.Event{individual(stored)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	read, err := ledger.App.AccessLog().Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pages []int
	named := map[string]bool{}
	for _, record := range read {
		pages = append(pages, len(record.Subjects))
		for _, subject := range record.Subjects {
			named[subject] = true
		}
	}
	if listed != stored+1 || !slices.Equal(pages, []int{200, 200, 50, 1}) || len(named) != stored+1 ||
		!slices.Equal(read[len(read)-1].Subjects, []string{fmt.Sprintf("donor-%d", stored)}) {
		t.Fatalf("listed %d; recorded pages of %v subjects, %d distinct; want 200, 200, 50, then 1 for the followed event", listed, pages, len(named))
	}
}

// The reconciliation shows a donor's name only to a reader with the
// personal-data grant, and records that read naming the donor; a reader
// without the grant gets it withheld and nothing is recorded, since
// nothing personal was read.
func TestReadReconciliationShowsNamesOnlyUnderTheGrant(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	recordPersonDonating(ctx, t, ledger)
	access := node.OperatorAccess("finance-1", "GET /api/v1/reconciliation")
	withheld, err := ledger.App.ReadReconciliation(ctx, "", app.Reading{Access: access}, reconcileSubjects)
	if err != nil {
		t.Fatal(err)
	}
	if len(withheld.UnmatchedDonations) != 1 || withheld.UnmatchedDonations[0].Donor == "王某某" {
		t.Fatalf("without the grant: %+v, want the donation with its donor withheld", withheld.UnmatchedDonations)
	}
	if read, err := ledger.App.AccessLog().Records(ctx); err != nil || len(read) != 0 {
		t.Fatalf("without the grant %d reads recorded (%v), want none", len(read), err)
	}
	shown, err := ledger.App.ReadReconciliation(ctx, "", app.Reading{Access: access, Granted: true}, reconcileSubjects)
	if err != nil {
		t.Fatal(err)
	}
	if len(shown.UnmatchedDonations) != 1 || shown.UnmatchedDonations[0].Donor != "王某某" {
		t.Fatalf("with the grant: %+v, want the donor's name", shown.UnmatchedDonations)
	}
	read, err := ledger.App.AccessLog().Records(ctx)
	if err != nil || len(read) != 1 || read[0].Reader != "finance-1" || !slices.Contains(read[0].Subjects, "donor-1") {
		t.Fatalf("with the grant: %+v, %v; want one read by finance-1 naming donor-1", read, err)
	}
}

// reconcileSubjects is every subject a reconciliation shows.
func reconcileSubjects(result reconcile.Result) []string { return result.Subjects() }

// recordPersonDonating records a donation by a person, donor-1 (王某某),
// whose name and phone are personal data.
func recordPersonDonating(ctx context.Context, t *testing.T, ledger *node.Node) {
	t.Helper()
	donation := eventstoretest.Donation("general", "150626", "D-1", 100000)
	data := donation.Data.(domain.DonationReceived)
	data.DonorKind, data.DonorOrg = "individual", ""
	donation.Data = data
	donation.Personal = &domain.Personal{Donor: &domain.Person{SubjectID: "donor-1", Name: "王某某", Phone: "13900000009"}}
	if _, err := ledger.App.Record(ctx, []domain.Event{donation}); err != nil {
		t.Fatal(err)
	}
}
