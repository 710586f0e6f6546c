package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/node"
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
	donation := eventstoretest.Donation("general", "150626", "D-1", 100000)
	data := donation.Data.(domain.DonationReceived)
	data.DonorKind, data.DonorOrg = "individual", ""
	donation.Data = data
	donation.Personal = &domain.Personal{Donor: &domain.Person{SubjectID: "donor-1", Name: "王某某", Phone: "13900000009"}}
	if _, err := ledger.App.Record(ctx, []domain.Event{donation}); err != nil {
		t.Fatal(err)
	}
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
