package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/ordos-union/ledger/eventstore"
)

// Disagreement is where a stored totals checkpoint and the log folded to
// its position part: the first cell whose figures differ (the
// checkpoint's own cells first, in the order of region, campaign and day:
// what it claims is what a reader would be served), and the figures of it
// that do, in the order the totals list them, at most figuresApartMax.
type Disagreement struct {
	// Position is the checkpoint's, which the log was folded to.
	Position uint64 `json:"position"`
	// Folded is the position the fold of the log reached (less than
	// Position when the log lacks the checkpoint's last events).
	Folded   uint64        `json:"folded"`
	County   string        `json:"county,omitempty"`
	Campaign string        `json:"campaign,omitempty"`
	Day      string        `json:"day,omitempty"`
	Figures  []FigureApart `json:"figures,omitempty"`
}

// FigureApart is one figure of a cell on which a checkpoint and the log
// differ: its name as the totals' JSON says it ("received"), and its
// value in each, as there.
type FigureApart struct {
	Figure string `json:"figure"`
	Stored string `json:"stored"`
	Log    string `json:"log"`
}

// figuresApartMax bounds the figures of a cell a disagreement names.
const figuresApartMax = 3

// String says where the two part, in words for the doctor and verify.
func (d Disagreement) String() string {
	if len(d.Figures) == 0 {
		return fmt.Sprintf("the log folded to position %d reached only %d", d.Position, d.Folded)
	}
	var apart []string
	for _, figure := range d.Figures {
		apart = append(apart, fmt.Sprintf("%s is %s in the checkpoint but %s in the log", figure.Figure, figure.Stored, figure.Log))
	}
	return fmt.Sprintf("region %s, campaign %s, day %s: %s", d.County, d.Campaign, d.Day, strings.Join(apart, ", "))
}

// CheckTotals folds the log from its start up to the checkpoint's
// position, as the live projection folds it, and compares the figures
// with the checkpoint's state: nil when they agree, else where they
// first part. It reads the log once and folds it, which costs what a
// rebuild of the totals to that position costs, and writes nothing.
// The checkpoint must be of the totals' version and decode (Load's own
// checks say why not otherwise).
func CheckTotals(ctx context.Context, store eventstore.Store, checkpoint eventstore.Checkpoint) (*Disagreement, error) {
	stored := NewTotalsProjection()
	if err := stored.UnmarshalState(checkpoint.State); err != nil {
		return nil, err
	}
	folded := NewTotalsProjection()
	runner := NewRunner(store, nil, folded, RunnerOptions{MayWrite: func() bool { return false }})
	if checkpoint.Position > 0 {
		if err := runner.catchUp(ctx, nil, checkpoint.Position); err != nil {
			return nil, err
		}
	}
	return compareTotals(checkpoint.Position, stored.Totals, folded.Totals)
}

// compareTotals finds the first cell whose figures differ between
// stored and folded (the stored cells first, each list in key order),
// comparing them as their JSON says them.
func compareTotals(position uint64, stored, folded *Totals) (*Disagreement, error) {
	var onlyFolded []cellKey
	for key := range folded.cells {
		if _, ok := stored.cells[key]; !ok {
			onlyFolded = append(onlyFolded, key)
		}
	}
	for _, key := range append(sortedKeys(stored.cells), sortKeys(onlyFolded)...) {
		apart, err := figuresApart(stored.cells[key], folded.cells[key])
		if err != nil {
			return nil, err
		}
		if len(apart) > 0 {
			return &Disagreement{Position: position, Folded: folded.Position, County: key.County, Campaign: key.Campaign, Day: key.Day,
				Figures: apart}, nil
		}
	}
	if folded.Position != position || stored.Position != position {
		return &Disagreement{Position: position, Folded: folded.Position}, nil
	}
	return nil, nil
}

func sortedKeys(cells map[cellKey]*Figures) []cellKey {
	keys := make([]cellKey, 0, len(cells))
	for key := range cells {
		keys = append(keys, key)
	}
	return sortKeys(keys)
}

func sortKeys(keys []cellKey) []cellKey {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.County != b.County {
			return a.County < b.County
		}
		if a.Campaign != b.Campaign {
			return a.Campaign < b.Campaign
		}
		return a.Day < b.Day
	})
	return keys
}

// figuresApart names the figures, in the order the totals list them, on
// which two cells differ (a missing cell counts as all zero), with each
// cell's value: at most figuresApartMax, none when they agree.
func figuresApart(stored, folded *Figures) ([]FigureApart, error) {
	storedFields, err := figureFields(stored)
	if err != nil {
		return nil, err
	}
	logFields, err := figureFields(folded)
	if err != nil {
		return nil, err
	}
	var apart []FigureApart
	for _, field := range reflect.VisibleFields(reflect.TypeFor[Figures]()) {
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if string(storedFields[name]) != string(logFields[name]) && len(apart) < figuresApartMax {
			apart = append(apart, FigureApart{Figure: name, Stored: valueText(storedFields[name]), Log: valueText(logFields[name])})
		}
	}
	return apart, nil
}

func figureFields(figures *Figures) (map[string]json.RawMessage, error) {
	if figures == nil {
		figures = &Figures{}
	}
	encoded, err := json.Marshal(figures)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	return fields, json.Unmarshal(encoded, &fields)
}

// valueText is a figure's JSON as a person reads it: a yuan string
// without its quotes, a count, or nothing for a figure that is absent.
func valueText(raw json.RawMessage) string {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return text
	}
	if len(raw) == 0 {
		return "none"
	}
	return string(raw)
}
