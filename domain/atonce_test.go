package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
)

// badDeliveryLine breaks five rules: occurred_at is a day, not a time,
// the site kind and the item kind are no codes of the catalog, the item
// has no value and spent is a JSON number.
const badDeliveryLine = `{"type":"supplies_delivered","county":"150626","occurred_at":"2022-07-06","actor":"x",` +
	`"idempotency_key":"k-bad-1","data":{"delivery_id":"V-X1","campaign":"2022-summer-cooling",` +
	`"items":[{"item":"water","quantity":1}],"beneficiary_group":"outdoor-workers","headcount":3,` +
	`"site":{"kind":"street","name":"a"},"spent":12}}`

// problem is a violation as the tests compare it: where, which rule, and
// the rule's code.
type problem struct{ field, phrase, code string }

// expectProblems checks that err lists exactly want, in order, each at its
// field with a rule containing its phrase and its code.
func expectProblems(t *testing.T, err error, want []problem) {
	t.Helper()
	got := violationsOf(t, err)
	if len(got) != len(want) {
		t.Fatalf("%d violations, want %d: %v", len(got), len(want), err)
	}
	for i, violation := range got {
		if violation.Field != want[i].field || !strings.Contains(violation.Rule, want[i].phrase) || violation.Code != want[i].code {
			t.Errorf("violation %d is %s (code %q), want %s: ...%s... (code %q)", i, violation, violation.Code,
				want[i].field, want[i].phrase, want[i].code)
		}
	}
}

// The problems of one event are reported together: a malformed
// occurred_at does not hide what the payload's rules find, and it is named
// once, not also as missing.
func TestDecodeAndValidateReportEveryProblemAtOnce(t *testing.T) {
	event, err := domain.DecodeEvent([]byte(badDeliveryLine))
	expectProblems(t, err, []problem{{"occurred_at", "must be an RFC 3339 time", domain.CodeTime}})
	if event.Data == nil || event.Type != domain.TypeSuppliesDelivered || !event.OccurredAt.IsZero() {
		t.Fatalf("DecodeEvent returned %+v with its refusal, want the payload that decoded and no occurred_at", event)
	}
	all := domain.JoinChecked(err, newValidator().Validate(event))
	expectProblems(t, all, []problem{
		{"occurred_at", "must be an RFC 3339 time", domain.CodeTime},
		{"data.site.kind", `unknown site kind "street"`, domain.CodeUnknownCode},
		{"data.items[0].item", `unknown item kind "water"`, domain.CodeUnknownCode},
		{"data.items[0].value", "must be > 0", domain.CodePositive},
		{"data.spent", "must be a string of yuan", domain.CodeYuan},
	})
	if !errors.Is(all, domain.ErrInvalid) {
		t.Fatalf("the joined refusal %v does not match ErrInvalid", all)
	}

	// An id that is no UUID is named once too, and the event keeps no
	// part of it.
	withID := strings.Replace(badDeliveryLine, `{"type"`, `{"id":"01819d1c-6f3a-7c2e-9b1d-2f5e8a4c6bzz","type"`, 1)
	event, err = domain.DecodeEvent([]byte(withID))
	if err == nil || event.ID != [16]byte{} {
		t.Fatalf("DecodeEvent = id %s, %v; want a refusal and no id", event.ID, err)
	}
	all = domain.JoinChecked(err, newValidator().Validate(event))
	if got := violationsOf(t, all); len(got) != 6 || got[0].Field != "id" || got[1].Field != "occurred_at" {
		t.Fatalf("violations %v, want id, occurred_at and the payload's four", all)
	}
}

// An event whose payload does not decode, or whose type is unknown, comes
// back from DecodeEvent with its refusal alone: with nothing decoded there
// is nothing else to check, and a field malformed in the payload could
// read as missing.
func TestDecodeReturnsNothingButThePayload(t *testing.T) {
	for name, raw := range map[string]string{
		"a payload of the wrong shape":  strings.Replace(badDeliveryLine, `"headcount":3`, `"headcount":"3"`, 1),
		"an unknown type":               strings.Replace(badDeliveryLine, `"supplies_delivered"`, `"supplies_lost"`, 1),
		"an envelope of the wrong kind": strings.Replace(badDeliveryLine, `"actor":"x"`, `"actor":7`, 1),
	} {
		event, err := domain.DecodeEvent([]byte(raw))
		if err == nil || !reflect.DeepEqual(event, domain.Event{}) {
			t.Errorf("%s: DecodeEvent = %+v, %v; want a refusal and no event", name, event, err)
		}
	}
	// The log's events decode whole or not at all.
	if event, err := domain.DecodeStoredEvent([]byte(badDeliveryLine)); err == nil || !reflect.DeepEqual(event, domain.Event{}) {
		t.Errorf("DecodeStoredEvent = %+v, %v; want a refusal and no event", event, err)
	}
}

// JoinChecked names a field the decoding named once, and leaves out what
// the rules say of a field inside it; a problem of the whole event leaves
// nothing to add.
func TestJoinCheckedNamesAFieldOnce(t *testing.T) {
	refusal := func(fields ...string) error {
		violations := make([]domain.Violation, len(fields))
		for i, field := range fields {
			violations[i] = domain.Violation{Field: field, Rule: "decoding"}
		}
		return &domain.ValidationError{Violations: violations}
	}
	fields := func(err error) []string {
		var names []string
		for _, violation := range violationsOf(t, err) {
			names = append(names, violation.Field)
		}
		return names
	}
	checked := refusal("occurred_at", "data.site.kind", "data.sites", "data.items[0].item", "data.items", "county")
	for _, tc := range []struct {
		refused []string
		want    []string
	}{
		{[]string{"occurred_at"}, []string{"occurred_at", "data.site.kind", "data.sites", "data.items[0].item", "data.items", "county"}},
		{[]string{"data.site"}, []string{"data.site", "occurred_at", "data.sites", "data.items[0].item", "data.items", "county"}},
		{[]string{"data.items", "county"}, []string{"data.items", "county", "occurred_at", "data.site.kind", "data.sites"}},
		{[]string{"$"}, []string{"$"}},
	} {
		got := fields(domain.JoinChecked(refusal(tc.refused...), checked))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("refused %v: joined %v, want %v", tc.refused, got, tc.want)
		}
	}
	refused := refusal("occurred_at")
	if got := domain.JoinChecked(refused, nil); got != refused {
		t.Errorf("JoinChecked with nothing checked = %v, want the refusal as it is", got)
	}
	other := errors.New("not a validation error")
	if got := domain.JoinChecked(refused, other); got != refused {
		t.Errorf("JoinChecked with another error = %v, want the refusal as it is", got)
	}
}
