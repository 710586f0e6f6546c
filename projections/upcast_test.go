package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/projections"
)

// A rebuild over a log that mixes old and current versions equals one over
// the same events written in the current version: projections only ever see
// the current shape.
func TestRebuildOverMixedVersionsEqualsUpcast(t *testing.T) {
	formats := []struct{ old, code string }{{"线上", domain.FormatOnline}, {"线下", domain.FormatOffline}, {"线上线下", domain.FormatBoth}}
	write := func(old bool) []byte {
		store := natsjstest.Store(t, natsjs.Options{Storage: natsjs.MemoryStorage}, false)
		ctx := context.Background()
		for i := range 9 {
			format := formats[i%3]
			event := domain.Event{ID: uuid.Must(uuid.NewV7()), Type: domain.TypeTrainingHeld, SchemaVersion: 2, County: "150627",
				Aggregate:  domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "2022-health-law-lectures"},
				OccurredAt: time.Date(2022, 7, 12+i, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)), RecordedAt: time.Now().UTC(), Actor: "clerk",
				Data: domain.TrainingHeld{SessionID: fmt.Sprintf("S-%d", i), Campaign: "2022-health-law-lectures", Topic: "safety",
					Title: "安全生产", Format: format.code, Participants: int64(10 * (i + 1)), DurationMinutes: 90, Venue: "活动中心"}}
			if old && i%2 == 0 {
				// Every other session as an early clerk wrote it: version 1,
				// the format in words.
				data := event.Data.(domain.TrainingHeld)
				data.Format = format.old
				event.Data, event.SchemaVersion = data, 1
			}
			if _, err := store.Append(ctx, eventstore.AggregateAppend{Aggregate: event.Aggregate, ExpectedVersion: eventstore.AnyVersion,
				Events: []domain.Event{event}}); err != nil {
				t.Fatal(err)
			}
		}
		totals, err := projections.FoldTotals(ctx, store, projections.TotalsOptions{}, time.Time{}, "")
		if err != nil {
			t.Fatal(err)
		}
		answer, err := totals.Query(projections.Query{By: projections.ByDay})
		if err != nil {
			t.Fatal(err)
		}
		encoded, err := json.Marshal(answer)
		if err != nil {
			t.Fatal(err)
		}
		return encoded
	}
	mixed, current := write(true), write(false)
	if string(mixed) != string(current) {
		t.Fatalf("rebuild over mixed versions differs:\n%s\n%s", mixed, current)
	}
}
