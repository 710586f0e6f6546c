// Package projections folds the event log into the figures people ask for.
// Projections apply facts and never decide: the same events always give the
// same figures, so any total can be rebuilt from the log alone, years later.
package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// ItemFigures are goods of one kind: how many, and their assessed value.
type ItemFigures struct {
	Quantity int64        `json:"quantity"`
	Value    domain.Money `json:"value"`
}

// CountFigures are sessions or services and the people they reached.
type CountFigures struct {
	Count  int64 `json:"count"`
	People int64 `json:"people"`
}

// Figures are the totals of one cell (a region, a campaign, a day) or of any
// sum of cells. Money is int64 fen in Go and a yuan string in JSON.
type Figures struct {
	Pledged             domain.Money `json:"pledged"`
	Received            domain.Money `json:"received"`
	GoodsReceivedValue  domain.Money `json:"goods_received_value"`
	AllocatedIn         domain.Money `json:"allocated_in"`
	AllocatedOut        domain.Money `json:"allocated_out"`
	Spent               domain.Money `json:"spent"`
	GoodsDeliveredValue domain.Money `json:"goods_delivered_value"`
	Deliveries          int64        `json:"deliveries"`
	PeopleReached       int64        `json:"people_reached"`
	Sessions            int64        `json:"sessions"`
	Participants        int64        `json:"participants"`
	Services            int64        `json:"services"`
	PersonTimes         int64        `json:"person_times"`
	Voided              int64        `json:"voided"`
	Corrected           int64        `json:"corrected"`

	PeopleByGroup    map[string]int64        `json:"people_by_group,omitempty"`
	GoodsReceived    map[string]ItemFigures  `json:"goods_received,omitempty"`
	GoodsDelivered   map[string]ItemFigures  `json:"goods_delivered,omitempty"`
	SessionsByFormat map[string]CountFigures `json:"sessions_by_format,omitempty"`
	ServicesByKind   map[string]CountFigures `json:"services_by_kind,omitempty"`
}

// Balance is what the region holds: received plus allocated in, less
// allocated out and spent.
func (f Figures) Balance() domain.Money {
	return f.Received + f.AllocatedIn - f.AllocatedOut - f.Spent
}

func addTo[V any](values *map[string]V, key string, change func(V) V) {
	if *values == nil {
		*values = map[string]V{}
	}
	(*values)[key] = change((*values)[key])
	var zero V
	if any((*values)[key]) == any(zero) {
		delete(*values, key)
	}
	if len(*values) == 0 {
		*values = nil
	}
}

func addItems(values *map[string]ItemFigures, items []domain.GoodsItem, sign int64) domain.Money {
	var total domain.Money
	for _, item := range items {
		addTo(values, item.Item, func(f ItemFigures) ItemFigures {
			return ItemFigures{Quantity: f.Quantity + sign*item.Quantity, Value: f.Value + domain.Money(sign)*item.Value}
		})
		total += item.Value
	}
	return domain.Money(sign) * total
}

func addCount(values *map[string]CountFigures, key string, count, people int64) {
	addTo(values, key, func(f CountFigures) CountFigures {
		return CountFigures{Count: f.Count + count, People: f.People + people}
	})
}

// Merge adds other into f.
func (f *Figures) Merge(other Figures) {
	f.Pledged += other.Pledged
	f.Received += other.Received
	f.GoodsReceivedValue += other.GoodsReceivedValue
	f.AllocatedIn += other.AllocatedIn
	f.AllocatedOut += other.AllocatedOut
	f.Spent += other.Spent
	f.GoodsDeliveredValue += other.GoodsDeliveredValue
	f.Deliveries += other.Deliveries
	f.PeopleReached += other.PeopleReached
	f.Sessions += other.Sessions
	f.Participants += other.Participants
	f.Services += other.Services
	f.PersonTimes += other.PersonTimes
	f.Voided += other.Voided
	f.Corrected += other.Corrected
	for key, value := range other.PeopleByGroup {
		addTo(&f.PeopleByGroup, key, func(v int64) int64 { return v + value })
	}
	for key, value := range other.GoodsReceived {
		addTo(&f.GoodsReceived, key, func(v ItemFigures) ItemFigures {
			return ItemFigures{Quantity: v.Quantity + value.Quantity, Value: v.Value + value.Value}
		})
	}
	for key, value := range other.GoodsDelivered {
		addTo(&f.GoodsDelivered, key, func(v ItemFigures) ItemFigures {
			return ItemFigures{Quantity: v.Quantity + value.Quantity, Value: v.Value + value.Value}
		})
	}
	for key, value := range other.SessionsByFormat {
		addCount(&f.SessionsByFormat, key, value.Count, value.People)
	}
	for key, value := range other.ServicesByKind {
		addCount(&f.ServicesByKind, key, value.Count, value.People)
	}
}

// cellKey addresses the finest grain the totals keep: a region, a campaign
// and a day of effective (occurred-at) time. The state therefore grows with
// regions × campaigns × active days, never with the number of events.
type cellKey struct {
	County   string `json:"county"`
	Campaign string `json:"campaign"`
	Day      string `json:"day"`
}

// Lookup reads the event at a position; voids and corrections use it to find
// what they undo.
type Lookup func(ctx context.Context, position uint64) (eventstore.Record, error)

// TotalsOptions shape a fold.
type TotalsOptions struct {
	// Zone decides which day an instant falls on (default UTC+8, the
	// federation's time).
	Zone *time.Location
	// AsOf, if set, counts only entries that occurred at or before it: "what
	// really happened by 30 June". Voids and corrections recorded later still
	// apply to them, because they say what really happened.
	AsOf time.Time
	// From, if set, counts only entries that occurred at or after it, so a
	// report can cover one period.
	From time.Time
	// Through, if set, folds the log only up to this position: the figures
	// of a report bound to a signed checkpoint of that size.
	Through uint64
}

// Totals folds events into figures per region, campaign and day. Voids and
// corrections are applied to the cell of the entry they change: a voided entry
// counts for nothing, a corrected one counts as corrected, and the cell says
// how many of each there were.
type Totals struct {
	// Position is the log position of the last event folded in.
	Position uint64
	// LastRecordedAt is when the ledger took that event.
	LastRecordedAt time.Time
	options        TotalsOptions
	cells          map[cellKey]*Figures
	dayNames       map[int64]string
}

// NewTotals returns empty totals.
func NewTotals(options TotalsOptions) *Totals {
	if options.Zone == nil {
		options.Zone = domain.Beijing
	}
	return &Totals{options: options, cells: map[cellKey]*Figures{}, dayNames: map[int64]string{}}
}

// day names the day an instant falls on in the totals' zone. Formatting is
// the costliest step of folding an event, and a log has few distinct days,
// so names are cached by day number.
func (t *Totals) day(occurred time.Time) string {
	local := occurred.In(t.options.Zone)
	_, offset := local.Zone()
	seconds := occurred.Unix() + int64(offset)
	number := seconds / 86400
	if seconds%86400 < 0 {
		number--
	}
	if name, ok := t.dayNames[number]; ok {
		return name
	}
	if len(t.dayNames) >= dayNamesCachedMax {
		clear(t.dayNames)
	}
	name := local.Format(time.DateOnly)
	t.dayNames[number] = name
	return name
}

// dayNamesCachedMax bounds the day-name cache: thirty years of days.
const dayNamesCachedMax = 11_000

func (t *Totals) cell(county, campaign string, occurred time.Time) *Figures {
	key := cellKey{County: county, Campaign: campaign, Day: t.day(occurred)}
	figures, ok := t.cells[key]
	if !ok {
		figures = &Figures{}
		t.cells[key] = figures
	}
	return figures
}

func (t *Totals) counts(occurred time.Time) bool {
	return (t.options.AsOf.IsZero() || !occurred.After(t.options.AsOf)) &&
		(t.options.From.IsZero() || !occurred.Before(t.options.From))
}

// Apply folds one stored event in. It returns an error only if a void or
// correction's target cannot be read.
func (t *Totals) Apply(ctx context.Context, record eventstore.Record, lookup Lookup) error {
	event := record.Event
	defer func() {
		t.Position, t.LastRecordedAt = record.Position, event.RecordedAt
	}()
	campaign := event.Aggregate.ID
	switch data := event.Data.(type) {
	case domain.EntryVoided:
		target, err := resolveTarget(ctx, lookup, data.TargetEventID, data.TargetLocation)
		if err != nil {
			return err
		}
		if t.counts(target.occurredAt) {
			t.add(target.payload, target.county, campaign, target.occurredAt, -1)
			t.cell(target.county, campaign, target.occurredAt).Voided++
		}
	case *domain.EntryCorrected:
		target, err := resolveTarget(ctx, lookup, data.TargetEventID, data.TargetLocation)
		if err != nil {
			return err
		}
		replacement, err := domain.ResolveCorrection(data, target.eventType)
		if err != nil {
			return err
		}
		if t.counts(target.occurredAt) {
			t.add(target.payload, target.county, campaign, target.occurredAt, -1)
			t.add(replacement, event.County, campaign, target.occurredAt, +1)
			t.cell(event.County, campaign, target.occurredAt).Corrected++
		}
	default:
		// Finance's events (bank lines, matches, period closes) move no
		// campaign money: they have their own reports.
		if event.Aggregate.Kind == domain.AggregateCampaign && t.counts(event.OccurredAt) {
			t.add(event.Data, event.County, campaign, event.OccurredAt, +1)
		}
	}
	return nil
}

// target is an entry as a void or correction finds it: its original event
// and the payload in effect when the void or correction was recorded.
type target struct {
	eventType  domain.EventType
	occurredAt time.Time
	county     string
	payload    domain.Payload
}

func resolveTarget(ctx context.Context, lookup Lookup, id string, location domain.TargetLocation) (target, error) {
	if location.TargetPosition == 0 || location.EffectivePosition == 0 {
		return target{}, fmt.Errorf("void or correction of %s does not say where its target is", id)
	}
	original, err := lookup(ctx, location.TargetPosition)
	if err != nil {
		return target{}, fmt.Errorf("read target %s at %d: %w", id, location.TargetPosition, err)
	}
	if original.Event.ID.String() != id {
		return target{}, fmt.Errorf("position %d holds %s, not the target %s", location.TargetPosition, original.Event.ID, id)
	}
	found := target{eventType: original.Event.Type, occurredAt: original.Event.OccurredAt, county: original.Event.County, payload: original.Event.Data}
	if location.EffectivePosition == location.TargetPosition {
		return found, nil
	}
	effective, err := lookup(ctx, location.EffectivePosition)
	if err != nil {
		return target{}, fmt.Errorf("read correction of %s at %d: %w", id, location.EffectivePosition, err)
	}
	correction, ok := effective.Event.Data.(*domain.EntryCorrected)
	if !ok || correction.TargetEventID != id {
		return target{}, fmt.Errorf("position %d is not a correction of %s", location.EffectivePosition, id)
	}
	found.payload, err = domain.ResolveCorrection(correction, original.Event.Type)
	if err != nil {
		return target{}, err
	}
	found.county = effective.Event.County
	return found, nil
}

func (t *Totals) add(payload domain.Payload, county, campaign string, occurred time.Time, sign int64) {
	money := domain.Money(sign)
	figures := t.cell(county, campaign, occurred)
	switch p := payload.(type) {
	case domain.DonationPledged:
		if p.Form == domain.FormMoney {
			figures.Pledged += money * p.Amount
		} else {
			figures.Pledged += money * itemsValue(p.Items)
		}
	case domain.DonationReceived:
		if p.Form == domain.FormMoney {
			figures.Received += money * p.Amount
		} else {
			figures.GoodsReceivedValue += addItems(&figures.GoodsReceived, p.Items, sign)
		}
	case domain.FundsAllocated:
		t.cell(p.FromCounty, campaign, occurred).AllocatedOut += money * p.Amount
		t.cell(p.ToCounty, campaign, occurred).AllocatedIn += money * p.Amount
	case domain.SuppliesDelivered:
		figures.Spent += money * p.Spent
		figures.GoodsDeliveredValue += addItems(&figures.GoodsDelivered, p.Items, sign)
		figures.Deliveries += sign
		figures.PeopleReached += sign * p.Headcount
		addTo(&figures.PeopleByGroup, p.BeneficiaryGroup, func(v int64) int64 { return v + sign*p.Headcount })
	case domain.TrainingHeld:
		figures.Spent += money * p.Cost
		figures.Sessions += sign
		figures.Participants += sign * p.Participants
		addCount(&figures.SessionsByFormat, p.Format, sign, sign*p.Participants)
		if p.BeneficiaryGroup != "" {
			addTo(&figures.PeopleByGroup, p.BeneficiaryGroup, func(v int64) int64 { return v + sign*p.Participants })
		}
	case domain.ServiceProvided:
		figures.Spent += money * p.Cost
		figures.Services += sign * p.Count
		figures.PersonTimes += sign * p.PersonTimes
		addCount(&figures.ServicesByKind, p.Kind, sign*p.Count, sign*p.PersonTimes)
		addTo(&figures.PeopleByGroup, p.BeneficiaryGroup, func(v int64) int64 { return v + sign*p.PersonTimes })
	}
}

func itemsValue(items []domain.GoodsItem) domain.Money {
	var total domain.Money
	for _, item := range items {
		total += item.Value
	}
	return total
}

// Periods a query groups by.
const (
	ByNone  = ""
	ByDay   = "day"
	ByMonth = "month"
	ByYear  = "year"
)

// Query selects and groups cells. Empty fields select everything.
type Query struct {
	County   string
	Campaign string
	By       string
}

// Row is one line of an answer: a region (or "all") in a period.
type Row struct {
	County string `json:"county"`
	Period string `json:"period,omitempty"`
	Figures
}

// TreeStamp names the Merkle tree an answer was computed from: its size
// (the log position) and root hash, so anyone holding the log can reproduce
// the answer and prove the log was not rewritten.
type TreeStamp struct {
	Size int64  `json:"size"`
	Root string `json:"root"`
}

// Answer is what a totals query returns, with the log position it reflects.
type Answer struct {
	Position uint64     `json:"position"`
	Tree     *TreeStamp `json:"tree,omitempty"`
	Rows     []Row      `json:"rows"`
	// All sums the regions of each period; allocations between them cancel.
	All []Row `json:"all"`
	// Warnings say what the figures may lack: positions the log lost.
	Warnings []string `json:"warnings,omitempty"`
}

// AllRegions is the County of the rows that sum all regions.
const AllRegions = "all"

func period(day, by string) (string, error) {
	switch by {
	case ByNone:
		return "", nil
	case ByDay:
		return day, nil
	case ByMonth:
		return day[:7], nil
	case ByYear:
		return day[:4], nil
	}
	return "", fmt.Errorf("group by %q: must be day, month or year: %w", by, domain.ErrInvalid)
}

// Query answers from the folded cells.
func (t *Totals) Query(query Query) (Answer, error) {
	if _, err := period("2000-01-01", query.By); err != nil {
		return Answer{}, err
	}
	type rowKey struct{ county, period string }
	rows := map[rowKey]*Row{}
	all := map[string]*Row{}
	for key, figures := range t.cells {
		if (query.County != "" && key.County != query.County) || (query.Campaign != "" && key.Campaign != query.Campaign) {
			continue
		}
		label, err := period(key.Day, query.By)
		if err != nil {
			return Answer{}, err
		}
		row, ok := rows[rowKey{key.County, label}]
		if !ok {
			row = &Row{County: key.County, Period: label}
			rows[rowKey{key.County, label}] = row
		}
		row.Merge(*figures)
		sum, ok := all[label]
		if !ok {
			sum = &Row{County: AllRegions, Period: label}
			all[label] = sum
		}
		sum.Merge(*figures)
	}
	answer := Answer{Position: t.Position, Rows: []Row{}, All: []Row{}}
	for _, row := range rows {
		answer.Rows = append(answer.Rows, *row)
	}
	sort.Slice(answer.Rows, func(i, j int) bool {
		if answer.Rows[i].Period != answer.Rows[j].Period {
			return answer.Rows[i].Period < answer.Rows[j].Period
		}
		return answer.Rows[i].County < answer.Rows[j].County
	})
	for _, row := range all {
		answer.All = append(answer.All, *row)
	}
	sort.Slice(answer.All, func(i, j int) bool { return answer.All[i].Period < answer.All[j].Period })
	return answer, nil
}

// Sum is every cell of the query added up.
func (t *Totals) Sum(query Query) Figures {
	query.By = ByNone
	answer, _ := t.Query(query)
	if len(answer.All) == 0 {
		return Figures{}
	}
	return answer.All[0].Figures
}

type storedCell struct {
	cellKey
	Figures Figures `json:"figures"`
}

type storedTotals struct {
	Position       uint64       `json:"position"`
	LastRecordedAt time.Time    `json:"last_recorded_at"`
	Cells          []storedCell `json:"cells"`
}

// MarshalState encodes the position and the cells, sorted, so that equal
// totals give equal bytes.
func (t *Totals) MarshalState() ([]byte, error) {
	cells := make([]storedCell, 0, len(t.cells))
	for key, figures := range t.cells {
		cells = append(cells, storedCell{cellKey: key, Figures: *figures})
	}
	sort.Slice(cells, func(i, j int) bool {
		a, b := cells[i].cellKey, cells[j].cellKey
		if a.County != b.County {
			return a.County < b.County
		}
		if a.Campaign != b.Campaign {
			return a.Campaign < b.Campaign
		}
		return a.Day < b.Day
	})
	return json.Marshal(storedTotals{Position: t.Position, LastRecordedAt: t.LastRecordedAt, Cells: cells})
}

// UnmarshalState restores totals written by MarshalState.
func (t *Totals) UnmarshalState(data []byte) error {
	var stored storedTotals
	if err := json.Unmarshal(data, &stored); err != nil {
		return fmt.Errorf("totals state: %w", err)
	}
	t.Position, t.LastRecordedAt = stored.Position, stored.LastRecordedAt
	t.cells = make(map[cellKey]*Figures, len(stored.Cells))
	for _, cell := range stored.Cells {
		figures := cell.Figures
		t.cells[cell.cellKey] = &figures
	}
	return nil
}

// Cells is how many region-campaign-day cells the totals hold.
func (t *Totals) Cells() int { return len(t.cells) }

// RegionCampaign names a region and a campaign the totals hold figures
// of: one key of the live totals.
type RegionCampaign struct {
	County   string
	Campaign string
}

// RegionCampaigns lists every region and campaign the totals hold a cell
// of, each once, sorted by region and then campaign. Only a campaign's
// entries make cells, so finance's accounts and periods are never among
// them.
func (t *Totals) RegionCampaigns() []RegionCampaign {
	seen := map[RegionCampaign]bool{}
	for key := range t.cells {
		seen[RegionCampaign{County: key.County, Campaign: key.Campaign}] = true
	}
	list := make([]RegionCampaign, 0, len(seen))
	for cell := range seen {
		list = append(list, cell)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].County != list[j].County {
			return list[i].County < list[j].County
		}
		return list[i].Campaign < list[j].Campaign
	})
	return list
}

// FoldTotals folds the log on demand, for questions the live projection does
// not keep: totals as of an effective instant (options.AsOf) and as the ledger
// knew them at an instant (knownAt: the log up to the first event recorded
// after it). A campaign narrows the read to that campaign.
func FoldTotals(ctx context.Context, store eventstore.Store, options TotalsOptions, knownAt time.Time, campaign string) (*Totals, error) {
	totals := NewTotals(options)
	filter := eventstore.Filter{}
	if campaign != "" {
		filter.AggregateKind, filter.AggregateID = domain.AggregateCampaign, campaign
	}
	for record, err := range store.Read(ctx, 0, filter) {
		if err != nil {
			return nil, err
		}
		if !knownAt.IsZero() && record.Event.RecordedAt.After(knownAt) {
			break
		}
		if options.Through != 0 && record.Position > options.Through {
			break
		}
		if err := totals.Apply(ctx, record, store.Get); err != nil {
			return nil, err
		}
	}
	return totals, nil
}
