package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
)

// fixedNow is the ledger's clock in every test: 2022-07-01 09:00 Beijing time.
var fixedNow = time.Date(2022, 7, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newValidator() domain.Validator {
	return domain.Validator{Catalog: domain.DefaultCatalog(), Now: func() time.Time { return fixedNow }}
}

// targetID is the id of an earlier event that voids and corrections name.
const targetID = "01819d1c-6f3a-7c2e-9b1d-2f5e8a4c6b01"

// validEvents holds one valid event of every type, as a client sends it.
var validEvents = []struct{ name, json string }{
	{"donation_pledged", `{"type":"donation_pledged","county":"150602","occurred_at":"2022-06-10T10:00:00+08:00","actor":"clerk-2","idempotency_key":"pledge-D-2","data":{"donation_id":"D-2","campaign":"2022-summer-cooling","donor_kind":"organisation","donor_organisation":"东胜区商会","form":"goods","items":[{"item":"drinking-water","unit":"箱","quantity":200,"value":"6000.00"},{"item":"herbal-tea","unit":"箱","quantity":100,"value":"4500.00"}],"note":"六月底前送达"}}`},
	{"donation_received_money", `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","actor":"clerk-1","data":{"donation_id":"D-1","campaign":"2022-summer-cooling","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"5000.00","bank_reference":"CN-20220615-0001"}}`},
	{"donation_received_goods", `{"type":"donation_received","schema_version":1,"county":"150603","occurred_at":"2022-06-20T15:00:00+08:00","actor":"clerk-3","idempotency_key":"recv-D-3","correlation_id":"req-7f3a","data":{"donation_id":"D-3","campaign":"2022-summer-cooling","donor_kind":"individual","form":"goods","amount":"800.00","items":[{"item":"sunscreen","unit":"支","quantity":100,"value":"500.00"},{"item":"towel","unit":"条","quantity":60,"value":"300.00"}]},"personal":{"donor":{"subject_id":"subj-0001","name":"张三","phone":"13800138000"}}}`},
	{"funds_allocated", `{"type":"funds_allocated","aggregate":{"kind":"campaign","id":"2022-summer-cooling"},"county":"150626","occurred_at":"2022-06-16T11:00:00+08:00","actor":"finance-1","data":{"allocation_id":"A-1","campaign":"2022-summer-cooling","from_county":"150600","to_county":"150626","amount":"20000.00","purpose":"夏送清凉物资采购"}}`},
	{"supplies_delivered", `{"type":"supplies_delivered","county":"150626","occurred_at":"2022-06-25T10:00:00+08:00","actor":"clerk-1","data":{"delivery_id":"DL-1","campaign":"2022-summer-cooling","site":{"kind":"sanitation-depot","name":"乌审旗环卫站"},"beneficiary_group":"sanitation-workers","headcount":120,"items":[{"item":"drinking-water","unit":"箱","quantity":40,"value":"1200.00"},{"item":"heatstroke-medicine","unit":"盒","quantity":120,"value":"960.00"},{"item":"towel","unit":"条","quantity":120,"value":"600.00"}],"spent":"2760.00","funded_by":[{"donation_id":"D-1","amount":"2760.00"}],"note":"高温天气慰问"},"personal":{"workers":[{"subject_id":"w-0001","name":"王五"}]}}`},
	{"training_held", `{"type":"training_held","county":"150627","occurred_at":"2022-06-28T14:00:00+08:00","actor":"lecturer-1","data":{"session_id":"S-1","campaign":"2022-health-law-lectures","topic":"trade-union-law","title":"《工会法》进工地","format":"offline","participants":85,"duration_minutes":90,"venue":"伊金霍洛旗某建筑工地","beneficiary_group":"construction-workers","cost":"300.00"}}`},
	{"service_provided", `{"type":"service_provided","county":"150621","occurred_at":"2022-06-29T09:00:00+08:00","actor":"clerk-4","data":{"service_id":"SV-1","campaign":"2022-new-workers-month","kind":"health-checkup","beneficiary_group":"new-form-workers","count":1,"person_times":60,"site":{"kind":"service-station","name":"达拉特旗户外劳动者服务站"},"cost":"1800.00"}}`},
	{"entry_voided", `{"type":"entry_voided","county":"150626","occurred_at":"2022-06-30T16:00:00+08:00","actor":"clerk-1","data":{"campaign":"2022-summer-cooling","target_event_id":"` + targetID + `","reason":"重复录入"}}`},
	{"bank_line_imported", `{"type":"bank_line_imported","county":"150600","occurred_at":"2022-06-06T00:00:00+08:00","actor":"finance-1","idempotency_key":"bankline-icbc-0001","data":{"account":"icbc-0602001109000012345","line_id":"L-0001","serial":"CN-20220606-0001","booked_on":"2022-06-06","amount":"500000.00","balance":"512345.67","remark":"夏送清凉捐款 D-SUM-01","statement":"icbc-2022-06.csv"},"personal":{"donor":{"name":"内蒙古某能源集团有限公司","bank_account":"1234567890123"}}}`},
	{"match_confirmed", `{"type":"match_confirmed","county":"150600","occurred_at":"2022-06-07T10:00:00+08:00","actor":"finance-1","data":{"account":"icbc-0602001109000012345","match_id":"M-0001","line_ids":["L-0001"],"donations":[{"donation_id":"D-SUM-01","campaign":"2022-summer-cooling","amount":"500015.00"}],"fee":"15.00","rule":"partial-fee"}}`},
	{"match_rejected", `{"type":"match_rejected","county":"150600","occurred_at":"2022-06-07T10:05:00+08:00","actor":"finance-1","data":{"account":"icbc-0602001109000012345","suggestion_id":"S-abc123","line_ids":["L-0002"],"donation_ids":["D-SUM-02"],"reason":"同额不同捐赠人"}}`},
	{"statement_imported", `{"type":"statement_imported","county":"150600","occurred_at":"2022-07-01T09:00:00+08:00","actor":"finance-1","data":{"account":"icbc-0602001109000012345","file":"icbc-2022-06.csv","format":"csv","profile":"icbc","first_date":"2022-06-02","last_date":"2022-06-29","opening":"1286430.25","closing":"2298081.91","part":1,"parts":1,"lines":["L-0001","L-0002"],"already":["L-0003"],"printed_twice":[{"line_id":"L-0002","serial":"202206100017765","where":"csv line 11","of":"csv line 10"}]}}`},
	{"refund_paired", `{"type":"refund_paired","county":"150600","occurred_at":"2022-07-01T09:00:00+08:00","actor":"finance-1","data":{"account":"icbc-0602001109000012345","pair_id":"S-5f1c0e2a9b3d4e61","returned_line":"L-0004","refund_line":"L-0005","amount":"3000.00","note":"误转款退回"}}`},
	{"bank_line_written_off", `{"type":"bank_line_written_off","county":"150600","occurred_at":"2022-07-01T09:00:00+08:00","actor":"finance-1","data":{"account":"icbc-0602001109000012345","line_id":"L-0006","amount":"12.34","reason":"活期结息 interest"}}`},
	{"fee_written_off", `{"type":"fee_written_off","county":"150600","occurred_at":"2022-06-07T10:10:00+08:00","actor":"finance-1","data":{"account":"icbc-0602001109000012345","line_id":"L-0003","amount":"15.00","reason":"银行手续费"}}`},
	{"decision_undone", `{"type":"decision_undone","county":"150600","occurred_at":"2022-06-08T09:00:00+08:00","actor":"finance-1","data":{"account":"icbc-0602001109000012345","decision_event_id":"01a224c9-0000-7000-8000-000000000001","reason":"确认有误"}}`},
	{"period_closed", `{"type":"period_closed","county":"150600","occurred_at":"2022-06-30T17:00:00+08:00","actor":"finance-1","data":{"month":"2022-06","note":"六月结账"}}`},
	{"period_reopened", `{"type":"period_reopened","county":"150600","occurred_at":"2022-06-30T18:00:00+08:00","actor":"finance-1","data":{"month":"2022-06","reason":"补录遗漏捐款"}}`},
	{"subject_erased", `{"type":"subject_erased","county":"150600","occurred_at":"2022-06-30T18:00:00+08:00","actor":"admin-1","data":{"subject_id":"donor-0001","reason":"本人依《个人信息保护法》申请删除"}}`},
	{"entry_corrected", `{"type":"entry_corrected","county":"150626","occurred_at":"2022-06-30T16:30:00+08:00","actor":"clerk-1","data":{"campaign":"2022-summer-cooling","target_event_id":"` + targetID + `","reason":"金额录入错误","replacement":{"donation_id":"D-1","campaign":"2022-summer-cooling","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"4000.00"}}}`},
}

func eventJSON(name string) string {
	for _, event := range validEvents {
		if event.name == name {
			return event.json
		}
	}
	panic("no valid event named " + name)
}

// edit decodes a JSON event into generic maps, lets change alter it and
// encodes it again. Numbers stay json.Number so they survive unchanged.
func edit(t testing.TB, template string, change func(event map[string]any)) []byte {
	t.Helper()
	decoder := json.NewDecoder(strings.NewReader(template))
	decoder.UseNumber()
	var event map[string]any
	if err := decoder.Decode(&event); err != nil {
		t.Fatalf("template: %v", err)
	}
	change(event)
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(event); err != nil {
		t.Fatalf("encode edited event: %v", err)
	}
	return bytes.TrimSuffix(buffer.Bytes(), []byte("\n"))
}

func editData(t testing.TB, template string, change func(data map[string]any)) []byte {
	t.Helper()
	return edit(t, template, func(event map[string]any) { change(event["data"].(map[string]any)) })
}

func item(data map[string]any, index int) map[string]any {
	return data["items"].([]any)[index].(map[string]any)
}

// decodeAndValidate runs what the ledger runs on a client's event and says
// which stage refused it.
func decodeAndValidate(raw []byte) (string, error) {
	event, err := domain.DecodeEvent(raw)
	if err != nil {
		return "decode", err
	}
	return "validate", newValidator().Validate(event)
}

func violationsOf(t testing.TB, err error) []domain.Violation {
	t.Helper()
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("error %v does not match domain.ErrInvalid", err)
	}
	var validation *domain.ValidationError
	if !errors.As(err, &validation) {
		t.Fatalf("error %T is not a *domain.ValidationError", err)
	}
	return validation.Violations
}

// expectViolation checks that stage refused the event with a violation at
// field whose rule contains phrase, among exactly count violations.
func expectViolation(t testing.TB, stage string, err error, wantStage, field, phrase string, count int) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %s to refuse it with %s: ...%s...", wantStage, field, phrase)
	}
	list := violationsOf(t, err)
	if stage != wantStage {
		t.Errorf("refused by %s, want by %s: %v", stage, wantStage, err)
	}
	found := false
	for _, violation := range list {
		if violation.Field == field && strings.Contains(violation.Rule, phrase) {
			found = true
		}
	}
	if !found {
		t.Errorf("no violation %q with a rule containing %q; got %v", field, phrase, list)
	}
	if len(list) != count {
		t.Errorf("got %d violations, want %d: %v", len(list), count, list)
	}
}

func TestValidEventsOfEveryType(t *testing.T) {
	seen := map[domain.EventType]bool{}
	for _, valid := range validEvents {
		t.Run(valid.name, func(t *testing.T) {
			event, err := domain.DecodeEvent([]byte(valid.json))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := newValidator().Validate(event); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if event.Data.EventType() != event.Type {
				t.Errorf("payload type %s, envelope type %s", event.Data.EventType(), event.Type)
			}
			seen[event.Type] = true
		})
	}
	for _, eventType := range domain.EventTypes {
		if !seen[eventType] {
			t.Errorf("no valid example of %s", eventType)
		}
	}
}

func TestDecodeFillsTheEvent(t *testing.T) {
	event, err := domain.DecodeEvent([]byte(eventJSON("donation_received_goods")))
	if err != nil {
		t.Fatal(err)
	}
	if event.Type != domain.TypeDonationReceived || event.County != "150603" || event.Actor != "clerk-3" ||
		event.IdempotencyKey != "recv-D-3" || event.CorrelationID != "req-7f3a" || event.SchemaVersion != 1 {
		t.Errorf("envelope = %+v", event)
	}
	if want := time.Date(2022, 6, 20, 7, 0, 0, 0, time.UTC); !event.OccurredAt.Equal(want) {
		t.Errorf("occurred_at = %s, want %s", event.OccurredAt, want)
	}
	data, ok := event.Data.(domain.DonationReceived)
	if !ok {
		t.Fatalf("data is %T, want domain.DonationReceived", event.Data)
	}
	if data.Amount != 80_000 || len(data.Items) != 2 || data.Items[0].Value != 50_000 || data.Items[1].Quantity != 60 {
		t.Errorf("data = %+v", data)
	}
	if event.Personal == nil || event.Personal.Donor == nil || event.Personal.Donor.Phone != "13800138000" {
		t.Errorf("personal = %+v", event.Personal)
	}
	if domain.EntityID(event.Data) != "D-3" || event.Data.CampaignCode() != "2022-summer-cooling" {
		t.Errorf("entity %q campaign %q", domain.EntityID(event.Data), event.Data.CampaignCode())
	}
}

// TestValidationRules has one case per rule: each starts from a valid event,
// breaks one thing and names the field and rule that must be reported.
func TestValidationRules(t *testing.T) {
	received := eventJSON("donation_received_money")
	goods := eventJSON("donation_received_goods")
	pledged := eventJSON("donation_pledged")
	allocated := eventJSON("funds_allocated")
	delivered := eventJSON("supplies_delivered")
	training := eventJSON("training_held")
	service := eventJSON("service_provided")
	voided := eventJSON("entry_voided")
	corrected := eventJSON("entry_corrected")

	setData := func(template, key string, value any) []byte {
		return editData(t, template, func(data map[string]any) { data[key] = value })
	}
	setTop := func(template, key string, value any) []byte {
		return edit(t, template, func(event map[string]any) { event[key] = value })
	}
	dropTop := func(template, key string) []byte {
		return edit(t, template, func(event map[string]any) { delete(event, key) })
	}
	dropData := func(template, key string) []byte {
		return editData(t, template, func(data map[string]any) { delete(data, key) })
	}
	badUTF8 := []byte(strings.Replace(received, "某公司", "某\xff公司", 1))
	badUTF8Offset := strings.Index(received, "某公司") + len("某")
	oversized := setData(received, "note", strings.Repeat("x", domain.EventBytesMax))
	oneByteOver := append([]byte(received), bytes.Repeat([]byte(" "), domain.EventBytesMax+1-len(received))...)
	v4 := uuid.New().String()

	cases := []struct {
		name   string
		raw    []byte
		stage  string // "decode" or "validate"
		field  string
		phrase string
		count  int // violations expected in all; 0 means 1
	}{
		// Amounts.
		{name: "zero amount", raw: setData(received, "amount", "0.00"), stage: "validate", field: "data.amount", phrase: "must be > 0"},
		{name: "negative amount", raw: setData(received, "amount", "-5.00"), stage: "validate", field: "data.amount", phrase: "must be > 0"},
		{name: "amount overflowing int64", raw: setData(received, "amount", "999999999999999999999.00"), stage: "validate", field: "data.amount", phrase: "overflows"},
		{name: "amount above AmountFenMax", raw: setData(received, "amount", "100000000000.01"), stage: "validate", field: "data.amount", phrase: "overflows: must be at most 100000000000.00 yuan"},
		{name: "amount as JSON float", raw: setData(received, "amount", json.Number("12.5")), stage: "validate", field: "data.amount", phrase: "JSON numbers are refused"},
		{name: "amount as JSON integer", raw: setData(received, "amount", json.Number("12")), stage: "validate", field: "data.amount", phrase: "JSON numbers are refused"},
		{name: "amount with three decimals", raw: setData(received, "amount", "12.345"), stage: "validate", field: "data.amount", phrase: "at most two decimals"},
		{name: "amount with thousands separator", raw: setData(received, "amount", "1,000.00"), stage: "validate", field: "data.amount", phrase: "must be a decimal yuan amount"},
		{name: "money donation without amount", raw: dropData(received, "amount"), stage: "validate", field: "data.amount", phrase: "must be > 0"},
		{name: "allocation amount zero", raw: setData(allocated, "amount", "0"), stage: "validate", field: "data.amount", phrase: "must be > 0"},
		{name: "negative spent", raw: setData(delivered, "spent", "-1.00"), stage: "validate", field: "data.spent", phrase: "must be > 0", count: 2}, // and funded_by now exceeds spent
		{name: "training cost with three decimals", raw: setData(training, "cost", "300.001"), stage: "validate", field: "data.cost", phrase: "at most two decimals"},
		{name: "item value zero", raw: editData(t, delivered, func(data map[string]any) { item(data, 1)["value"] = "0.00" }), stage: "validate", field: "data.items[1].value", phrase: "must be > 0"},
		{name: "funding amount as number", raw: editData(t, delivered, func(data map[string]any) {
			data["funded_by"].([]any)[0].(map[string]any)["amount"] = json.Number("2760")
		}), stage: "validate", field: "data.funded_by[0].amount", phrase: "JSON numbers are refused"},

		// Reference data.
		{name: "unknown county", raw: setTop(received, "county", "150699"), stage: "validate", field: "county", phrase: `unknown region code "150699"`},
		{name: "unknown beneficiary group", raw: setData(delivered, "beneficiary_group", "astronauts"), stage: "validate", field: "data.beneficiary_group", phrase: `unknown beneficiary group "astronauts"`},
		{name: "unknown item kind", raw: editData(t, delivered, func(data map[string]any) { item(data, 0)["item"] = "ice-cream" }), stage: "validate", field: "data.items[0].item", phrase: `unknown item kind "ice-cream"`},
		{name: "unknown campaign", raw: setData(received, "campaign", "2021-summer-cooling"), stage: "validate", field: "data.campaign", phrase: `unknown campaign "2021-summer-cooling"`},
		{name: "unknown site kind", raw: editData(t, service, func(data map[string]any) { data["site"].(map[string]any)["kind"] = "moon-base" }), stage: "validate", field: "data.site.kind", phrase: `unknown site kind "moon-base"`},
		{name: "unknown training topic", raw: setData(training, "topic", "astrology"), stage: "validate", field: "data.topic", phrase: `unknown training topic "astrology"`},
		{name: "unknown from_county", raw: setData(allocated, "from_county", "110000"), stage: "validate", field: "data.from_county", phrase: `unknown region code "110000"`},
		{name: "unknown event type", raw: setTop(received, "type", "donation_stolen"), stage: "decode", field: "type", phrase: `unknown event type "donation_stolen"`},
		{name: "unknown service kind", raw: setData(service, "kind", "massage"), stage: "validate", field: "data.kind", phrase: "must be one of health-checkup"},
		{name: "unknown donor kind", raw: setData(received, "donor_kind", "government"), stage: "validate", field: "data.donor_kind", phrase: "must be enterprise, organisation, union-allocation or individual"},
		{name: "unknown donation form", raw: setData(received, "form", "cheque"), stage: "validate", field: "data.form", phrase: "must be money or goods"},
		{name: "bad training format", raw: setData(training, "format", "hybrid"), stage: "validate", field: "data.format", phrase: "must be online, offline or both"},

		// Required fields.
		{name: "missing county", raw: dropTop(received, "county"), stage: "validate", field: "county", phrase: "is required"},
		{name: "missing occurred_at", raw: dropTop(received, "occurred_at"), stage: "decode", field: "occurred_at", phrase: "is required"},
		{name: "missing actor", raw: dropTop(received, "actor"), stage: "validate", field: "actor", phrase: "is required"},
		{name: "blank actor", raw: setTop(received, "actor", "   "), stage: "validate", field: "actor", phrase: "is required"},
		{name: "missing type", raw: dropTop(received, "type"), stage: "decode", field: "type", phrase: "is required"},
		{name: "missing donation_id", raw: dropData(received, "donation_id"), stage: "validate", field: "data.donation_id", phrase: "is required"},
		{name: "missing data", raw: dropTop(received, "data"), stage: "decode", field: "data", phrase: "is required"},
		{name: "null data", raw: setTop(received, "data", nil), stage: "decode", field: "data", phrase: "is required"},
		{name: "missing campaign", raw: dropData(received, "campaign"), stage: "validate", field: "data.campaign", phrase: "is required"},
		{name: "missing donor organisation", raw: dropData(received, "donor_organisation"), stage: "validate", field: "data.donor_organisation", phrase: "is required"},
		{name: "missing delivery items", raw: setData(delivered, "items", []any{}), stage: "validate", field: "data.items", phrase: "must list at least one item"},
		{name: "goods donation without items", raw: dropData(goods, "items"), stage: "validate", field: "data.items", phrase: "must list at least one item", count: 2}, // and amount no longer matches
		{name: "missing void reason", raw: dropData(voided, "reason"), stage: "validate", field: "data.reason", phrase: "is required"},
		{name: "missing correction replacement", raw: dropData(corrected, "replacement"), stage: "validate", field: "data.replacement", phrase: "is required"},
		{name: "missing training title", raw: dropData(training, "title"), stage: "validate", field: "data.title", phrase: "is required"},

		// Shape of the JSON.
		{name: "unknown top-level field", raw: setTop(received, "colour", "red"), stage: "decode", field: "colour", phrase: "unknown field"},
		{name: "unknown field inside data", raw: setData(received, "colour", "red"), stage: "decode", field: "data.colour", phrase: "unknown field"},
		{name: "invalid UTF-8 inside a string", raw: badUTF8, stage: "decode", field: "data.donor_organisation", phrase: fmt.Sprintf("must be valid UTF-8 (invalid byte at offset %d)", badUTF8Offset)},
		{name: "payload over EventBytesMax", raw: oversized, stage: "decode", field: "$", phrase: fmt.Sprintf("event is %d bytes, must be at most %d", len(oversized), domain.EventBytesMax)},
		{name: "payload one byte over EventBytesMax", raw: oneByteOver, stage: "decode", field: "$", phrase: fmt.Sprintf("event is %d bytes, must be at most %d", domain.EventBytesMax+1, domain.EventBytesMax)},
		{name: "truncated JSON", raw: []byte(received[:len(received)-2]), stage: "decode", field: "$", phrase: "unexpected EOF"},
		{name: "trailing data", raw: []byte(received + ` {}`), stage: "decode", field: "$", phrase: "trailing data after the JSON value"},
		{name: "array instead of object", raw: []byte(`[` + received + `]`), stage: "decode", field: "$", phrase: "must be an object, not array"},
		{name: "headcount as string", raw: setData(delivered, "headcount", "120"), stage: "decode", field: "data.headcount", phrase: "must be an integer, not string"},
		{name: "type as number", raw: setTop(received, "type", json.Number("2")), stage: "decode", field: "type", phrase: "must be a string, not number"},

		// Text limits.
		{name: "venue over 200 runes", raw: setData(training, "venue", strings.Repeat("场", 201)), stage: "validate", field: "data.venue", phrase: "must be at most 200 characters"},
		{name: "note over 2000 runes", raw: setData(received, "note", strings.Repeat("注", 2001)), stage: "validate", field: "data.note", phrase: "must be at most 2000 characters"},
		{name: "actor over 64 runes", raw: setTop(received, "actor", strings.Repeat("a", 65)), stage: "validate", field: "actor", phrase: "must be at most 64 characters"},
		{name: "site name over 200 runes", raw: editData(t, delivered, func(data map[string]any) { data["site"].(map[string]any)["name"] = strings.Repeat("站", 201) }), stage: "validate", field: "data.site.name", phrase: "must be at most 200 characters"},
		{name: "bank reference over 64 runes", raw: setData(received, "bank_reference", strings.Repeat("9", 65)), stage: "validate", field: "data.bank_reference", phrase: "must be at most 64 characters"},
		{name: "control character in note", raw: setData(received, "note", "收到\u0007"), stage: "validate", field: "data.note", phrase: "must not contain control characters"},
		{name: "C1 control in note", raw: setData(received, "note", "收到\u0085"), stage: "validate", field: "data.note", phrase: "must not contain control characters"},
		{name: "bidi override in donor organisation", raw: setData(received, "donor_organisation", "某公司\u202e司公"), stage: "validate", field: "data.donor_organisation", phrase: "bidirectional override or isolate"},
		{name: "bidi isolate in note", raw: setData(received, "note", "\u2066收到\u2069"), stage: "validate", field: "data.note", phrase: "bidirectional override or isolate"},
		{name: "amount given twice", raw: []byte(strings.Replace(string(received), `"amount":`, `"amount":"1.00","amount":`, 1)), stage: "decode", field: "data.amount", phrase: "appears twice"},
		{name: "type given twice", raw: []byte(strings.Replace(string(received), `"county":`, `"type":"donation_received","county":`, 1)), stage: "decode", field: "type", phrase: "appears twice"},
		// encoding/json matches keys to fields ignoring case (and folding
		// the Kelvin sign as K): a key in another case fills the same field.
		{name: "amount given twice, once in capitals", raw: []byte(strings.Replace(string(received), `"amount":`, `"AMOUNT":"1.00","amount":`, 1)), stage: "decode", field: "data.amount", phrase: "appears twice"},
		{name: "county given twice, once capitalised", raw: []byte(strings.Replace(string(received), `"county":`, `"County":"150603","county":`, 1)), stage: "decode", field: "county", phrase: "appears twice"},
		{name: "donor_kind given twice, once with the Kelvin sign", raw: []byte(strings.Replace(string(received), `"donor_kind":`, "\"donor_\u212aind\":\"individual\",\"donor_kind\":", 1)), stage: "decode", field: "data.donor_kind", phrase: "appears twice"},
		{name: "replacement key twice in another case", raw: []byte(strings.Replace(string(corrected), `"replacement":{`, `"replacement":{"DONOR_KIND":"张三 身份证110101199001011234",`, 1)), stage: "decode", field: "data.replacement.donor_kind", phrase: "appears twice"},
		{name: "key twice inside an item", raw: []byte(strings.Replace(string(delivered), `"quantity":40`, `"quantity":4,"quantity":40`, 1)), stage: "decode", field: "data.items[].quantity", phrase: "appears twice"},
		{name: "entity id with a space", raw: setData(received, "donation_id", "D 1"), stage: "validate", field: "data.donation_id", phrase: "must be 1-64 letters, digits"},
		{name: "idempotency key with a slash", raw: setTop(received, "idempotency_key", "recv/D-1"), stage: "validate", field: "idempotency_key", phrase: "must use only letters, digits"},
		{name: "idempotency key over 128 bytes", raw: setTop(received, "idempotency_key", strings.Repeat("k", 129)), stage: "validate", field: "idempotency_key", phrase: "must be at most 128 bytes"},

		// Clock.
		{name: "occurred_at beyond the future tolerance", raw: setTop(received, "occurred_at", fixedNow.Add(domain.FutureToleranceMinutes*time.Minute+time.Second).Format(time.RFC3339)), stage: "validate", field: "occurred_at", phrase: "must not be more than 10 minutes in the future"},
		{name: "occurred_at a year ahead", raw: setTop(received, "occurred_at", "2023-07-01T09:00:00+08:00"), stage: "validate", field: "occurred_at", phrase: "in the future"},
		{name: "occurred_at before 2000", raw: setTop(received, "occurred_at", "1999-12-31T23:59:59Z"), stage: "validate", field: "occurred_at", phrase: "must be after 2000-01-01"},
		{name: "occurred_at year 0202 typo", raw: setTop(received, "occurred_at", "0202-06-15T09:30:00+08:00"), stage: "validate", field: "occurred_at", phrase: "must be after 2000-01-01"},
		{name: "occurred_at before 2000 in UTC though 2000 locally", raw: setTop(received, "occurred_at", "2000-01-01T07:59:59+08:00"), stage: "validate", field: "occurred_at", phrase: "must be after 2000-01-01"},
		{name: "occurred_at not RFC 3339", raw: setTop(received, "occurred_at", "2022-06-15 09:30"), stage: "decode", field: "occurred_at", phrase: "must be an RFC 3339 time"},
		{name: "recorded_at not RFC 3339", raw: setTop(received, "recorded_at", "yesterday"), stage: "decode", field: "recorded_at", phrase: "must be an RFC 3339 time"},

		// Items, goods and funding.
		{name: "items[2].quantity zero", raw: editData(t, delivered, func(data map[string]any) { item(data, 2)["quantity"] = json.Number("0") }), stage: "validate", field: "data.items[2].quantity", phrase: "must be > 0"},
		{name: "items[2].quantity negative", raw: editData(t, delivered, func(data map[string]any) { item(data, 2)["quantity"] = json.Number("-3") }), stage: "validate", field: "data.items[2].quantity", phrase: "must be > 0"},
		{name: "quantity above the count cap", raw: editData(t, delivered, func(data map[string]any) { item(data, 0)["quantity"] = json.Number("100000001") }), stage: "validate", field: "data.items[0].quantity", phrase: "must be at most 100000000"},
		{name: "headcount zero", raw: setData(delivered, "headcount", json.Number("0")), stage: "validate", field: "data.headcount", phrase: "must be > 0"},
		{name: "more than 100 items", raw: editData(t, delivered, func(data map[string]any) {
			items := make([]any, 101)
			for i := range items {
				items[i] = map[string]any{"item": "towel", "quantity": json.Number("1"), "value": "1.00"}
			}
			data["items"] = items
		}), stage: "validate", field: "data.items", phrase: "must list at most 100 items"},
		{name: "goods donation amount differs from item total", raw: setData(goods, "amount", "900.00"), stage: "validate", field: "data.amount", phrase: "must equal the items' total value 800.00 yuan"},
		{name: "pledged goods amount differs from item total", raw: setData(pledged, "amount", "10000.00"), stage: "validate", field: "data.amount", phrase: "must equal the items' total value 10500.00 yuan"},
		{name: "money donation with items", raw: setData(received, "items", []any{map[string]any{"item": "towel", "quantity": json.Number("1"), "value": "1.00"}}), stage: "validate", field: "data.items", phrase: "must be empty for a money donation"},
		{name: "funded_by above spent", raw: editData(t, delivered, func(data map[string]any) {
			data["funded_by"] = []any{
				map[string]any{"donation_id": "D-1", "amount": "2000.00"},
				map[string]any{"donation_id": "D-2", "amount": "760.01"},
			}
		}), stage: "validate", field: "data.funded_by", phrase: "adds up to 2760.01 yuan, more than spent (2760.00 yuan)"},
		{name: "funded_by without cost", raw: editData(t, training, func(data map[string]any) {
			delete(data, "cost")
			data["funded_by"] = []any{map[string]any{"donation_id": "D-1", "amount": "1.00"}}
		}), stage: "validate", field: "data.funded_by", phrase: "more than cost (0.00 yuan)", count: 1},
		{name: "funded_by names a donation twice", raw: editData(t, delivered, func(data map[string]any) {
			data["funded_by"] = []any{
				map[string]any{"donation_id": "D-1", "amount": "1000.00"},
				map[string]any{"donation_id": "D-1", "amount": "1000.00"},
			}
		}), stage: "validate", field: "data.funded_by[1].donation_id", phrase: "names the same donation twice"},
		{name: "duration over one week", raw: setData(training, "duration_minutes", json.Number("10081")), stage: "validate", field: "data.duration_minutes", phrase: "must be at most 10080 (one week)"},
		{name: "allocation to the county it comes from", raw: setData(allocated, "from_county", "150626"), stage: "validate", field: "data.to_county", phrase: "must differ from from_county"},
		{name: "allocation recorded under another county", raw: setTop(allocated, "county", "150602"), stage: "validate", field: "county", phrase: "must be the receiving county to_county (150626)"},

		// Personal data.
		{name: "donor phone in idempotency key", raw: setTop(goods, "idempotency_key", "recv-13800138000"), stage: "validate", field: "idempotency_key", phrase: "must not contain personal data"},
		{name: "donor name in correlation id", raw: edit(t, goods, func(event map[string]any) {
			event["personal"].(map[string]any)["donor"].(map[string]any)["name"] = "ZhangSan"
			event["correlation_id"] = "req-ZhangSan-1"
		}), stage: "validate", field: "correlation_id", phrase: "must not contain personal data"},
		{name: "donor on a delivery", raw: edit(t, delivered, func(event map[string]any) {
			event["personal"].(map[string]any)["donor"] = map[string]any{"name": "张三"}
		}), stage: "validate", field: "personal.donor", phrase: "only donations have a donor"},
		{name: "workers on a donation", raw: edit(t, goods, func(event map[string]any) {
			event["personal"].(map[string]any)["workers"] = []any{map[string]any{"name": "王五"}}
		}), stage: "validate", field: "personal.workers", phrase: "only deliveries, services and sessions list workers"},
		{name: "donor organisation named for an individual", raw: setData(goods, "donor_organisation", "张三"), stage: "validate", field: "data.donor_organisation", phrase: "must be empty for an individual"},
		{name: "malformed donor phone", raw: edit(t, goods, func(event map[string]any) {
			event["personal"].(map[string]any)["donor"].(map[string]any)["phone"] = "call me"
		}), stage: "validate", field: "personal.donor.phone", phrase: "must be a phone number of 5-20 digits"},
		{name: "malformed worker id number", raw: edit(t, delivered, func(event map[string]any) {
			event["personal"].(map[string]any)["workers"].([]any)[0].(map[string]any)["id_number"] = "15-27"
		}), stage: "validate", field: "personal.workers[0].id_number", phrase: "must be 6-32 letters and digits"},

		// Envelope.
		{name: "schema_version 2", raw: setTop(received, "schema_version", json.Number("2")), stage: "validate", field: "schema_version", phrase: "must be 1"},
		{name: "id that is not a UUID", raw: setTop(received, "id", "event-1"), stage: "decode", field: "id", phrase: "must be a UUID"},
		{name: "id that is a UUIDv4", raw: setTop(received, "id", v4), stage: "validate", field: "id", phrase: "must be a UUIDv7"},
		{name: "aggregate of another campaign", raw: setTop(allocated, "aggregate", map[string]any{"kind": "campaign", "id": "general"}), stage: "validate", field: "aggregate", phrase: "must be campaign/2022-summer-cooling"},
		{name: "void target that is not a UUID", raw: setData(voided, "target_event_id", "DL-1"), stage: "validate", field: "data.target_event_id", phrase: "must be the UUID of an earlier event"},
		{name: "void target nil UUID", raw: setData(voided, "target_event_id", uuid.Nil.String()), stage: "validate", field: "data.target_event_id", phrase: "must be the UUID of an earlier event"},
		{name: "missing void target", raw: dropData(voided, "target_event_id"), stage: "validate", field: "data.target_event_id", phrase: "is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			count := tc.count
			if count == 0 {
				count = 1
			}
			stage, err := decodeAndValidate(tc.raw)
			expectViolation(t, stage, err, tc.stage, tc.field, tc.phrase, count)
		})
	}
}

// TestValidationBoundariesAccepted holds the edges of the rules above that
// must still pass.
func TestValidationBoundariesAccepted(t *testing.T) {
	received := eventJSON("donation_received_money")
	cases := []struct {
		name string
		raw  []byte
	}{
		{"occurred_at exactly at the future tolerance", edit(t, received, func(event map[string]any) {
			event["occurred_at"] = fixedNow.Add(domain.FutureToleranceMinutes * time.Minute).Format(time.RFC3339)
		})},
		{"occurred_at just within the future tolerance, in UTC", edit(t, received, func(event map[string]any) {
			event["occurred_at"] = fixedNow.Add(9*time.Minute + 59*time.Second).UTC().Format(time.RFC3339)
		})},
		{"occurred_at at the ledger's now", edit(t, received, func(event map[string]any) {
			event["occurred_at"] = fixedNow.Format(time.RFC3339Nano)
		})},
		{"occurred_at at 2000-01-01 UTC", edit(t, received, func(event map[string]any) { event["occurred_at"] = "2000-01-01T00:00:00Z" })},
		{"schema_version 1", edit(t, received, func(event map[string]any) { event["schema_version"] = json.Number("1") })},
		{"id that is a UUIDv7", edit(t, received, func(event map[string]any) { event["id"] = uuid.Must(uuid.NewV7()).String() })},
		{"venue of exactly 200 runes", editData(t, eventJSON("training_held"), func(data map[string]any) { data["venue"] = strings.Repeat("场", 200) })},
		{"note of exactly 2000 runes", editData(t, received, func(data map[string]any) { data["note"] = strings.Repeat("注", 2000) })},
		{"note with newlines and tabs", editData(t, received, func(data map[string]any) { data["note"] = "第一行\n\t第二行" })},
		{"amount of exactly AmountFenMax", editData(t, received, func(data map[string]any) { data["amount"] = "100000000000.00" })},
		{"amount of one fen", editData(t, received, func(data map[string]any) { data["amount"] = "0.01" })},
		{"goods donation without amount", editData(t, eventJSON("donation_received_goods"), func(data map[string]any) { delete(data, "amount") })},
		{"delivery of donated goods, nothing spent", editData(t, eventJSON("supplies_delivered"), func(data map[string]any) {
			delete(data, "spent")
			delete(data, "funded_by")
		})},
		{"funded_by below spent", editData(t, eventJSON("supplies_delivered"), func(data map[string]any) {
			data["funded_by"] = []any{map[string]any{"donation_id": "D-1", "amount": "1000.00"}}
		})},
		{"service without site", editData(t, eventJSON("service_provided"), func(data map[string]any) { delete(data, "site") })},
		{"personal data longer than 3 bytes only outside keys", edit(t, eventJSON("donation_received_goods"), func(event map[string]any) {
			event["idempotency_key"] = "recv-138"
		})},
		{"payload of exactly EventBytesMax (whitespace padded)", func() []byte {
			return append([]byte(received), bytes.Repeat([]byte(" "), domain.EventBytesMax-len(received))...)
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if stage, err := decodeAndValidate(tc.raw); err != nil {
				t.Fatalf("refused by %s: %v", stage, err)
			}
		})
	}
}

func TestThreeViolationsReportedTogether(t *testing.T) {
	raw := edit(t, eventJSON("donation_received_money"), func(event map[string]any) {
		event["county"] = "150699"
		data := event["data"].(map[string]any)
		data["campaign"] = "2019-nothing"
		data["amount"] = json.Number("12.5")
	})
	event, err := domain.DecodeEvent(raw)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	err = newValidator().Validate(event)
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Validate = %v, want an error matching ErrInvalid", err)
	}
	got := map[string]string{}
	for _, violation := range violationsOf(t, err) {
		got[violation.Field] = violation.Rule
	}
	want := map[string]string{
		"county":        "unknown region code",
		"data.campaign": "unknown campaign",
		"data.amount":   "JSON numbers are refused",
	}
	if len(got) != len(want) || len(violationsOf(t, err)) != 3 {
		t.Fatalf("violations = %v, want exactly %v", got, want)
	}
	for field, phrase := range want {
		if !strings.Contains(got[field], phrase) {
			t.Errorf("%s: rule %q, want it to contain %q", field, got[field], phrase)
		}
	}
	for field := range want {
		if !strings.Contains(err.Error(), field+": ") {
			t.Errorf("error text %q does not name %s", err, field)
		}
	}
}

func TestDecodeReportsSeveralEnvelopeProblemsTogether(t *testing.T) {
	raw := edit(t, eventJSON("donation_received_money"), func(event map[string]any) {
		event["id"] = "not-a-uuid"
		event["occurred_at"] = "15/06/2022"
		event["type"] = "donation_lost"
	})
	_, err := domain.DecodeEvent(raw)
	got := map[string]bool{}
	for _, violation := range violationsOf(t, err) {
		got[violation.Field] = true
	}
	for _, field := range []string{"id", "occurred_at", "type"} {
		if !got[field] {
			t.Errorf("no violation for %s in %v", field, err)
		}
	}
	if len(got) != 3 {
		t.Errorf("violations %v, want exactly id, occurred_at and type", err)
	}
}

func TestEventUnmarshalJSONGoesThroughDecodeEvent(t *testing.T) {
	var events []domain.Event
	batch := "[" + eventJSON("donation_received_money") + "," + eventJSON("training_held") + "]"
	if err := json.Unmarshal([]byte(batch), &events); err != nil {
		t.Fatalf("unmarshal batch: %v", err)
	}
	if len(events) != 2 || events[0].Type != domain.TypeDonationReceived || events[1].Type != domain.TypeTrainingHeld {
		t.Fatalf("events = %+v", events)
	}
	if _, ok := events[1].Data.(domain.TrainingHeld); !ok {
		t.Errorf("second payload is %T, want domain.TrainingHeld", events[1].Data)
	}
	bad := "[" + string(edit(t, eventJSON("training_held"), func(event map[string]any) { event["colour"] = "red" })) + "]"
	if err := json.Unmarshal([]byte(bad), &events); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("unmarshal of an event with an unknown field = %v, want ErrInvalid", err)
	}
}

func TestMarshalRoundTripKeepsContentHash(t *testing.T) {
	for _, valid := range validEvents {
		t.Run(valid.name, func(t *testing.T) {
			event, err := domain.DecodeEvent([]byte(valid.json))
			if err != nil {
				t.Fatal(err)
			}
			event.ID = uuid.Must(uuid.NewV7())
			event.RecordedAt = fixedNow
			stored, err := event.Marshal()
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			again, err := domain.DecodeEvent(stored)
			if err != nil {
				t.Fatalf("decode stored form %s: %v", stored, err)
			}
			if again.ID != event.ID || !again.RecordedAt.Equal(event.RecordedAt) {
				t.Errorf("id/recorded_at %s/%s, want %s/%s", again.ID, again.RecordedAt, event.ID, event.RecordedAt)
			}
			first, _ := event.ContentHash()
			second, err := again.ContentHash()
			if err != nil || first != second || len(first) != 64 {
				t.Errorf("content hash %q then %q (err %v)", first, second, err)
			}
			if err := newValidator().Validate(again); err != nil {
				t.Errorf("stored form no longer valid: %v", err)
			}
		})
	}
}

func TestContentHashIgnoresBookkeeping(t *testing.T) {
	event, err := domain.DecodeEvent([]byte(eventJSON("donation_received_money")))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := event.ContentHash()
	retry := event
	retry.ID = uuid.Must(uuid.NewV7())
	retry.RecordedAt = fixedNow
	retry.CorrelationID = "another-request"
	retry.OccurredAt = event.OccurredAt.UTC() // same instant, other zone
	if hash, _ := retry.ContentHash(); hash != base {
		t.Errorf("hash changed with id, recorded_at, correlation id or zone: %s vs %s", hash, base)
	}
	changed := event
	data := changed.Data.(domain.DonationReceived)
	data.Amount++
	changed.Data = data
	if hash, _ := changed.ContentHash(); hash == base {
		t.Errorf("hash did not change with the amount")
	}
}

// A batch's violations carry which event they are about as data; their
// path (and the error's text) names it as events[i].
func TestInEventPlacesViolations(t *testing.T) {
	err := &domain.ValidationError{Violations: []domain.Violation{
		{Field: "$", Rule: "must be valid UTF-8"},
		{Field: "data.items[2].quantity", Rule: "must be > 0"},
	}}
	placed := domain.InEvent(err, 3)
	got := violationsOf(t, placed)
	if got[0].Event != 4 || got[1].Event != 4 || got[1].Field != "data.items[2].quantity" {
		t.Errorf("placed = %+v, want event 4 (1-based) and the field unchanged", got)
	}
	if got[0].Path() != "events[3]" || got[1].Path() != "events[3].data.items[2].quantity" {
		t.Errorf("paths = %q, %q", got[0].Path(), got[1].Path())
	}
	if err.Violations[1].Event != 0 {
		t.Errorf("InEvent changed its input: %v", err.Violations)
	}
	if got, want := placed.Error(), "invalid input: events[3]: must be valid UTF-8; events[3].data.items[2].quantity: must be > 0"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	encoded, _ := json.Marshal(got[1])
	var decoded map[string]string
	if err := json.Unmarshal(encoded, &decoded); err != nil || decoded["field"] != "events[3].data.items[2].quantity" ||
		decoded["rule"] != "must be > 0" || len(decoded) != 2 {
		t.Errorf("JSON = %s", encoded)
	}
	if out := violationsOf(t, domain.OutOfBatch(placed)); out[1].Path() != "data.items[2].quantity" || out[0].Path() != "$" {
		t.Errorf("out of the batch: %+v", out)
	}
	rule := domain.InEvent(&domain.RuleError{Field: "data.amount", Rule: "too much"}, 1)
	if rule.Error() != "rejected: events[1].data.amount: too much" {
		t.Errorf("rule = %v", rule)
	}
	other := errors.New("disk full")
	if domain.InEvent(other, 2) != other {
		t.Errorf("a non-validation error must pass through unchanged")
	}
	if domain.InEvent(nil, 2) != nil {
		t.Errorf("nil must stay nil")
	}
}

func TestErrorKinds(t *testing.T) {
	rule := &domain.RuleError{Field: "data.donation_id", Rule: "received twice"}
	if !errors.Is(rule, domain.ErrRejected) || errors.Is(rule, domain.ErrInvalid) {
		t.Errorf("RuleError must match ErrRejected only")
	}
	if got := rule.Error(); got != "rejected: data.donation_id: received twice" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&domain.RuleError{Rule: "overspend"}).Error(); got != "rejected: overspend" {
		t.Errorf("Error() without field = %q", got)
	}
	validation := &domain.ValidationError{Violations: []domain.Violation{{Field: "county", Rule: "is required"}}}
	if !errors.Is(fmt.Errorf("line 4: %w", validation), domain.ErrInvalid) || errors.Is(validation, domain.ErrRejected) {
		t.Errorf("ValidationError must match ErrInvalid only, also when wrapped")
	}
}

func TestCatalog(t *testing.T) {
	catalog := domain.DefaultCatalog()
	if got := catalog.CityCode(); got != "150600" {
		t.Errorf("CityCode = %q, want 150600", got)
	}
	if region, ok := catalog.Region("150626"); !ok || region.Level != "county" || region.Pinyin != "Uxin" {
		t.Errorf("Region(150626) = %+v, %v", region, ok)
	}
	if _, ok := catalog.Region("150699"); ok {
		t.Errorf("Region(150699) found")
	}
	if got := catalog.RegionName("150626"); got != "乌审旗 Uxin" {
		t.Errorf("RegionName = %q", got)
	}
	if got := catalog.RegionName("999999"); got != "999999" {
		t.Errorf("RegionName of an unknown code = %q, want the bare code", got)
	}

	loaded, err := domain.LoadCatalog(strings.NewReader(`{"regions":[
		{"code":"150200","zh":"包头市总工会","pinyin":"Baotou","level":"city"},
		{"code":"150202","zh":"东河区","pinyin":"Donghe","level":"county"}]}`))
	if err != nil {
		t.Fatalf("LoadCatalog: %v", err)
	}
	if loaded.CityCode() != "150200" || len(loaded.Campaigns) != len(catalog.Campaigns) {
		t.Errorf("loaded catalog: city %s, %d campaigns", loaded.CityCode(), len(loaded.Campaigns))
	}
	validator := domain.Validator{Catalog: loaded, Now: func() time.Time { return fixedNow }}
	event, err := domain.DecodeEvent([]byte(eventJSON("donation_received_money")))
	if err != nil {
		t.Fatal(err)
	}
	expectViolation(t, "validate", validator.Validate(event), "validate", "county", `unknown region code "150626"`, 1)
	event.County = "150202"
	if err := validator.Validate(event); err != nil {
		t.Errorf("county of the loaded catalog refused: %v", err)
	}

	for name, text := range map[string]string{
		"two cities":     `{"regions":[{"code":"150200","level":"city"},{"code":"150600","level":"city"}]}`,
		"no city":        `{"regions":[{"code":"150202","level":"county"}]}`,
		"short code":     `{"regions":[{"code":"1502","level":"city"}]}`,
		"bad level":      `{"regions":[{"code":"150200","level":"province"}]}`,
		"duplicate":      `{"regions":[{"code":"150200","level":"city"},{"code":"150200","level":"county"}]}`,
		"upper-case":     `{"campaigns":[{"code":"Winter"}]}`,
		"duplicate item": `{"item_kinds":[{"code":"towel"},{"code":"towel"}]}`,
		"unknown field":  `{"provinces":[]}`,
		"not JSON":       `regions: []`,
	} {
		if _, err := domain.LoadCatalog(strings.NewReader(text)); err == nil {
			t.Errorf("LoadCatalog accepted %s: %s", name, text)
		}
	}
}
