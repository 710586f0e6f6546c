package report

import (
	"fmt"
	"strings"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/projections"
)

// EventLine renders one event as a line for people: position, event id,
// when it occurred, type, region, campaign and what it says, its money
// grouped by thousands as totals prints it (¥500,000.00). The event id is
// what a void or correction names, so a clerk copies it from here.
func EventLine(record eventstore.Record, name RegionName) string {
	event := record.Event
	// An event keeps the zone it was entered in (2022-06-30T16:30:00Z);
	// people read Beijing time, as audit shows it and the totals count it.
	return fmt.Sprintf("%6d  %s  %s  %-18s  %s  %-24s  %s", record.Position, event.ID, event.OccurredAt.In(domain.Beijing).Format("2006-01-02 15:04"),
		event.Type, PadRight(name(event.County), 22), event.Aggregate.ID, projections.DescribeWith(event.Data, Yuan))
}

// PersonalSummary lists the people an event names (erased ones as
// erased), for a reader granted personal data.
func PersonalSummary(personal *domain.Personal) string {
	if personal == nil {
		return ""
	}
	var names []string
	add := func(person domain.Person) {
		if person.Erased {
			names = append(names, person.SubjectID+"=erased")
		} else {
			names = append(names, person.SubjectID+"="+person.Name)
		}
	}
	if personal.Donor != nil {
		add(*personal.Donor)
	}
	for _, worker := range personal.Workers {
		add(worker)
	}
	return "[" + strings.Join(names, ", ") + "]"
}
