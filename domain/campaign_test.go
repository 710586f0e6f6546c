package domain_test

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
)

const (
	cooling  = "2022-summer-cooling"
	cityCode = "150600"
	uxin     = "150626"
	dongshen = "150602"
)

// campaignLog drives a campaign aggregate the way the ledger service does:
// decode, validate, give an id, Decide, then Apply at the next position.
type campaignLog struct {
	t         *testing.T
	campaign  *domain.Campaign
	validator domain.Validator
	position  uint64
	events    []domain.Event
}

func newCampaignLog(t *testing.T) *campaignLog {
	return &campaignLog{t: t, campaign: domain.NewCampaign(cooling, cityCode), validator: newValidator()}
}

func (l *campaignLog) prepare(raw string) domain.Event {
	l.t.Helper()
	event, err := domain.DecodeEvent([]byte(raw))
	if err != nil {
		l.t.Fatalf("decode %s: %v", raw, err)
	}
	if err := l.validator.Validate(event); err != nil {
		l.t.Fatalf("validate %s: %v", raw, err)
	}
	event.ID = uuid.Must(uuid.NewV7())
	event.SchemaVersion = domain.SchemaVersion
	event.Aggregate = domain.AggregateRef{Kind: domain.AggregateCampaign, ID: event.Data.CampaignCode()}
	return event
}

// record decides and applies the event; the test fails if it is refused.
func (l *campaignLog) record(raw string) domain.Event {
	l.t.Helper()
	event := l.prepare(raw)
	if err := l.campaign.Decide(&event, l.validator); err != nil {
		l.t.Fatalf("Decide refused %s: %v", raw, err)
	}
	l.position++
	l.campaign.Apply(event, l.position)
	l.events = append(l.events, event)
	return event
}

type campaignSnapshot struct {
	Balances map[string]domain.Money
	Len      int
	Version  uint64
}

func snapshotOf(campaign *domain.Campaign) campaignSnapshot {
	balances := map[string]domain.Money{}
	for _, region := range domain.DefaultCatalog().Regions {
		balances[region.Code] = campaign.Balance(region.Code)
	}
	return campaignSnapshot{Balances: balances, Len: campaign.Len(), Version: campaign.Version}
}

// decide runs Decide alone and checks that it changed nothing.
func (l *campaignLog) decide(raw string) error {
	l.t.Helper()
	event := l.prepare(raw)
	before := snapshotOf(l.campaign)
	err := l.campaign.Decide(&event, l.validator)
	if after := snapshotOf(l.campaign); !reflect.DeepEqual(before, after) {
		l.t.Errorf("Decide changed the state: before %+v, after %+v", before, after)
	}
	return err
}

// reject expects Decide to refuse the event with a business rule.
func (l *campaignLog) reject(raw, field, phrase string) *domain.RuleError {
	l.t.Helper()
	err := l.decide(raw)
	if !errors.Is(err, domain.ErrRejected) {
		l.t.Fatalf("Decide = %v, want an error matching ErrRejected (%s: ...%s...)", err, field, phrase)
	}
	var rule *domain.RuleError
	if !errors.As(err, &rule) {
		l.t.Fatalf("error %T is not a *domain.RuleError", err)
	}
	if rule.Field != field || !strings.Contains(rule.Rule, phrase) {
		l.t.Errorf("rejected with %q: %q; want %q with a rule containing %q", rule.Field, rule.Rule, field, phrase)
	}
	return rule
}

func (l *campaignLog) expectBalance(region string, want domain.Money) {
	l.t.Helper()
	if got := l.campaign.Balance(region); got != want {
		l.t.Errorf("balance of %s = %s yuan, want %s yuan", region, got, want)
	}
}

func yuan(text string) domain.Money {
	money, err := domain.ParseYuan(text)
	if err != nil {
		panic(err)
	}
	return money
}

func envelope(eventType, county, data string) string {
	return `{"type":"` + eventType + `","county":"` + county +
		`","occurred_at":"2022-06-20T10:00:00+08:00","actor":"clerk-1","data":` + data + `}`
}

func receiptData(donationID, amount string) string {
	return `{"donation_id":"` + donationID + `","campaign":"` + cooling +
		`","donor_kind":"enterprise","donor_organisation":"鄂尔多斯市某能源有限公司","form":"money","amount":"` + amount + `"}`
}

func receipt(county, donationID, amount string) string {
	return envelope("donation_received", county, receiptData(donationID, amount))
}

func goodsReceipt(county, donationID string) string {
	return envelope("donation_received", county, `{"donation_id":"`+donationID+`","campaign":"`+cooling+
		`","donor_kind":"enterprise","donor_organisation":"某饮料公司","form":"goods","items":[{"item":"herbal-tea","unit":"箱","quantity":50,"value":"2250.00"}]}`)
}

func pledge(county, donationID, amount string) string {
	return envelope("donation_pledged", county, `{"donation_id":"`+donationID+`","campaign":"`+cooling+
		`","donor_kind":"enterprise","donor_organisation":"某建筑公司","form":"money","amount":"`+amount+`"}`)
}

func allocation(allocationID, from, to, amount string) string {
	return envelope("funds_allocated", to, `{"allocation_id":"`+allocationID+`","campaign":"`+cooling+
		`","from_county":"`+from+`","to_county":"`+to+`","amount":"`+amount+`"}`)
}

func fund(donationID, amount string) string {
	return `{"donation_id":"` + donationID + `","amount":"` + amount + `"}`
}

// spending renders the cost and funded_by fields of a spending entry.
func spending(costField, cost string, fundings []string) string {
	text := ""
	if cost != "" {
		text += `,"` + costField + `":"` + cost + `"`
	}
	if len(fundings) > 0 {
		text += `,"funded_by":[` + strings.Join(fundings, ",") + `]`
	}
	return text
}

func deliveryData(deliveryID, spent string, fundings ...string) string {
	return `{"delivery_id":"` + deliveryID + `","campaign":"` + cooling +
		`","site":{"kind":"sanitation-depot","name":"环卫站"},"beneficiary_group":"sanitation-workers","headcount":40,` +
		`"items":[{"item":"drinking-water","unit":"箱","quantity":40,"value":"1200.00"}]` + spending("spent", spent, fundings) + `}`
}

func delivery(county, deliveryID, spent string, fundings ...string) string {
	return envelope("supplies_delivered", county, deliveryData(deliveryID, spent, fundings...))
}

func training(county, sessionID, cost string, fundings ...string) string {
	return envelope("training_held", county, `{"session_id":"`+sessionID+`","campaign":"`+cooling+
		`","topic":"heatstroke-prevention","title":"防暑降温知识讲座","format":"both","participants":120,"duration_minutes":60,"venue":"乌审旗工人文化宫"`+
		spending("cost", cost, fundings)+`}`)
}

func service(county, serviceID, cost string, fundings ...string) string {
	return envelope("service_provided", county, `{"service_id":"`+serviceID+`","campaign":"`+cooling+
		`","kind":"station-opened","beneficiary_group":"outdoor-workers","count":1,"person_times":300`+
		spending("cost", cost, fundings)+`}`)
}

func void(county string, target uuid.UUID) string {
	return envelope("entry_voided", county, `{"campaign":"`+cooling+`","target_event_id":"`+target.String()+`","reason":"录入错误"}`)
}

func correction(county string, target uuid.UUID, replacement string) string {
	return envelope("entry_corrected", county, `{"campaign":"`+cooling+`","target_event_id":"`+target.String()+
		`","reason":"金额录入错误","replacement":`+replacement+`}`)
}

func TestCampaignReceiptsFillPots(t *testing.T) {
	log := newCampaignLog(t)
	log.record(receipt(uxin, "D-1", "5000.00"))
	log.record(receipt(uxin, "D-2", "0.50"))
	log.record(receipt(cityCode, "D-3", "20000.00"))
	log.record(goodsReceipt(uxin, "D-4")) // goods bring no money into a pot
	log.expectBalance(uxin, yuan("5000.50"))
	log.expectBalance(cityCode, yuan("20000.00"))
	log.expectBalance(dongshen, 0)
	if log.campaign.Len() != 4 || log.campaign.Version != 4 {
		t.Errorf("Len %d, Version %d; want 4 and 4", log.campaign.Len(), log.campaign.Version)
	}
	if log.campaign.Ref != (domain.AggregateRef{Kind: "campaign", ID: cooling}) {
		t.Errorf("Ref = %s", log.campaign.Ref)
	}
}

func TestCampaignDoubleReceiveRejected(t *testing.T) {
	cases := []struct{ name, second string }{
		{"same receipt again", receipt(uxin, "D-1", "5000.00")},
		{"other amount", receipt(uxin, "D-1", "4000.00")},
		{"other county", receipt(dongshen, "D-1", "5000.00")},
		{"as goods", goodsReceipt(uxin, "D-1")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := newCampaignLog(t)
			first := log.record(receipt(uxin, "D-1", "5000.00"))
			log.reject(tc.second, "data.donation_id", "donation D-1 was already received by event "+first.ID.String())
			log.expectBalance(uxin, yuan("5000.00"))
			log.expectBalance(dongshen, 0)
		})
	}
}

func TestCampaignPledgeThenReceiveAllowedPledgeTwiceRejected(t *testing.T) {
	log := newCampaignLog(t)
	pledged := log.record(pledge(uxin, "D-1", "5000.00"))
	log.expectBalance(uxin, 0) // a promise is not money
	log.reject(pledge(uxin, "D-1", "5000.00"), "data.donation_id", "donation D-1 was already pledged by event "+pledged.ID.String())
	log.record(receipt(uxin, "D-1", "5000.00"))
	log.expectBalance(uxin, yuan("5000.00"))
}

func TestCampaignReceiveAfterVoidAllowed(t *testing.T) {
	log := newCampaignLog(t)
	first := log.record(receipt(uxin, "D-1", "5000.00"))
	log.record(void(uxin, first.ID))
	log.expectBalance(uxin, 0)
	second := log.record(receipt(uxin, "D-1", "4500.00"))
	log.expectBalance(uxin, yuan("4500.00"))
	log.reject(receipt(uxin, "D-1", "4500.00"), "data.donation_id", "already received by event "+second.ID.String())
	if log.campaign.Len() != 3 {
		t.Errorf("Len = %d, want 3 (voided entries stay)", log.campaign.Len())
	}
}

func TestCampaignVoidRules(t *testing.T) {
	t.Run("unknown entry", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "5000.00"))
		unknown := uuid.Must(uuid.NewV7())
		log.reject(void(uxin, unknown), "data.target_event_id", "no entry "+unknown.String()+" in campaign "+cooling)
		log.expectBalance(uxin, yuan("5000.00"))
	})
	t.Run("double void", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		voided := log.record(void(uxin, entry.ID))
		log.reject(void(uxin, entry.ID), "data.target_event_id", "entry D-1 (event "+entry.ID.String()+") was already voided by event "+voided.ID.String())
		log.expectBalance(uxin, 0)
	})
	t.Run("void of a void", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		voided := log.record(void(uxin, entry.ID))
		log.reject(void(uxin, voided.ID), "data.target_event_id", "event "+voided.ID.String()+" is a void of entry D-1 (event "+entry.ID.String()+
			"), not an entry: void or correct the entry itself")
		log.expectBalance(uxin, 0)
	})
	t.Run("void of a correction", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		corrected := log.record(correction(uxin, entry.ID, receiptData("D-1", "4000.00")))
		log.reject(void(uxin, corrected.ID), "data.target_event_id", "event "+corrected.ID.String()+" is a correction of entry D-1")
		log.expectBalance(uxin, yuan("4000.00"))
	})
	t.Run("void of a delivery gives the money back", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "5000.00"))
		spent := log.record(delivery(uxin, "DL-1", "3000.00", fund("D-1", "3000.00")))
		log.expectBalance(uxin, yuan("2000.00"))
		log.record(void(uxin, spent.ID))
		log.expectBalance(uxin, yuan("5000.00"))
		// The donation's money is free again: it can fund the whole amount.
		log.record(delivery(uxin, "DL-2", "5000.00", fund("D-1", "5000.00")))
		log.expectBalance(uxin, 0)
	})
	t.Run("void of an allocation moves the money back", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(cityCode, "D-1", "10000.00"))
		moved := log.record(allocation("A-1", cityCode, uxin, "6000.00"))
		log.record(void(uxin, moved.ID))
		log.expectBalance(cityCode, yuan("10000.00"))
		log.expectBalance(uxin, 0)
	})
}

func TestCampaignVoidOfSpentReceiptRejected(t *testing.T) {
	t.Run("spent in the county", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "1000.00"))
		log.record(delivery(uxin, "DL-1", "600.00"))
		rule := log.reject(void(uxin, entry.ID), "", "county 150626 would hold -600.00 yuan")
		log.expectBalance(uxin, yuan("400.00"))
		// The figures go as data too, for a front end that words the
		// rule itself.
		want := map[string]string{"campaign": cooling, "county": uxin, "balance": "400.00", "after": "-600.00", "shortfall": "600.00"}
		if rule.Code != domain.CodeOverspent || !maps.Equal(rule.Details, want) {
			t.Errorf("the overspend's code and details are %q %v, want %q %v", rule.Code, rule.Details, domain.CodeOverspent, want)
		}
	})
	t.Run("spent through funded_by while the pot holds other money", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "1000.00"))
		log.record(receipt(uxin, "D-2", "5000.00"))
		log.record(delivery(uxin, "DL-1", "600.00", fund("D-1", "600.00")))
		rule := log.reject(void(uxin, entry.ID), "", "donation D-1 would pay for 600.00 yuan of entries but brought in 0.00 yuan")
		log.expectBalance(uxin, yuan("5400.00"))
		want := map[string]string{"campaign": cooling, "donation": "D-1", "spent": "600.00", "received": "0.00", "shortfall": "600.00"}
		if rule.Code != domain.CodeOverspent || !maps.Equal(rule.Details, want) {
			t.Errorf("the overspend's code and details are %q %v, want %q %v", rule.Code, rule.Details, domain.CodeOverspent, want)
		}
	})
	t.Run("allocated away from the city", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(cityCode, "D-1", "1000.00"))
		log.record(allocation("A-1", cityCode, uxin, "1000.00"))
		log.reject(void(uxin, entry.ID), "", "the city level (150600) would hold -1000.00 yuan")
		log.expectBalance(cityCode, 0)
		log.expectBalance(uxin, yuan("1000.00"))
	})
}

func TestCampaignOverspendRejectedExactBalanceAllowed(t *testing.T) {
	cases := []struct {
		name  string
		spend func(id, amount string) string
	}{
		{"delivery", func(id, amount string) string { return delivery(uxin, id, amount) }},
		{"training", func(id, amount string) string { return training(uxin, id, amount) }},
		{"service", func(id, amount string) string { return service(uxin, id, amount) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := newCampaignLog(t)
			log.record(receipt(uxin, "D-1", "1000.00"))
			log.record(receipt(dongshen, "D-2", "9000.00")) // another county's money is not Uxin's
			log.reject(tc.spend("X-1", "1000.01"), "", "county 150626 would hold -0.01 yuan")
			log.expectBalance(uxin, yuan("1000.00"))
			log.record(tc.spend("X-1", "1000.00"))
			log.expectBalance(uxin, 0)
			log.reject(tc.spend("X-2", "0.01"), "", "county 150626 would hold -0.01 yuan")
			log.expectBalance(dongshen, yuan("9000.00"))
		})
	}
}

func TestCampaignSpendingNeedsMoneyInThatPot(t *testing.T) {
	log := newCampaignLog(t)
	log.record(receipt(cityCode, "D-1", "10000.00"))
	// Money at the city level is not the county's until it is allocated.
	log.reject(delivery(uxin, "DL-1", "1.00"), "", "county 150626 would hold -1.00 yuan")
	log.record(allocation("A-1", cityCode, uxin, "100.00"))
	log.record(delivery(uxin, "DL-1", "100.00", fund("D-1", "100.00")))
	log.expectBalance(uxin, 0)
	log.expectBalance(cityCode, yuan("9900.00"))
}

func TestCampaignAllocationBeyondBalanceRejected(t *testing.T) {
	t.Run("from the city level", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(cityCode, "D-1", "10000.00"))
		log.record(receipt(uxin, "D-2", "500.00"))
		log.reject(allocation("A-1", cityCode, uxin, "10000.01"), "", "the city level (150600) would hold -0.01 yuan")
		log.expectBalance(cityCode, yuan("10000.00"))
		log.expectBalance(uxin, yuan("500.00"))
		log.record(allocation("A-1", cityCode, uxin, "10000.00"))
		log.expectBalance(cityCode, 0)
		log.expectBalance(uxin, yuan("10500.00"))
		log.reject(allocation("A-2", cityCode, dongshen, "0.01"), "", "the city level (150600) would hold -0.01 yuan")
	})
	t.Run("from a county", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "800.00"))
		log.reject(allocation("A-1", uxin, dongshen, "800.01"), "", "county 150626 would hold -0.01 yuan")
		log.record(allocation("A-1", uxin, dongshen, "800.00"))
		log.expectBalance(uxin, 0)
		log.expectBalance(dongshen, yuan("800.00"))
	})
	t.Run("from an empty campaign", func(t *testing.T) {
		log := newCampaignLog(t)
		log.reject(allocation("A-1", cityCode, uxin, "1.00"), "", "the city level (150600) would hold -1.00 yuan")
	})
}

func TestCampaignFundedByRules(t *testing.T) {
	t.Run("unknown donation", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "1000.00"))
		log.reject(delivery(uxin, "DL-1", "100.00", fund("D-9", "100.00")),
			"data.funded_by[0].donation_id", "donation D-9 has no money received in campaign "+cooling)
	})
	t.Run("unknown donation in second place", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "1000.00"))
		log.reject(training(uxin, "S-1", "100.00", fund("D-1", "50.00"), fund("D-9", "50.00")),
			"data.funded_by[1].donation_id", "donation D-9 has no money received")
	})
	t.Run("donation only pledged", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "1000.00"))
		log.record(pledge(uxin, "D-P", "1000.00"))
		log.reject(delivery(uxin, "DL-1", "100.00", fund("D-P", "100.00")),
			"data.funded_by[0].donation_id", "donation D-P has no money received")
	})
	t.Run("donation of goods", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "1000.00"))
		log.record(goodsReceipt(uxin, "D-G"))
		log.reject(service(uxin, "SV-1", "100.00", fund("D-G", "100.00")),
			"data.funded_by[0].donation_id", "donation D-G has no money received")
	})
	t.Run("voided donation", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "1000.00"))
		log.record(receipt(uxin, "D-2", "1000.00"))
		log.record(void(uxin, entry.ID))
		log.reject(delivery(uxin, "DL-1", "100.00", fund("D-1", "100.00")),
			"data.funded_by[0].donation_id", "donation D-1 has no money received")
	})
	t.Run("more than the donation brought in one entry", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "1000.00"))
		log.record(receipt(uxin, "D-2", "1000.00"))
		log.reject(delivery(uxin, "DL-1", "1500.00", fund("D-1", "1500.00")),
			"", "donation D-1 would pay for 1500.00 yuan of entries but brought in 1000.00 yuan")
		log.expectBalance(uxin, yuan("2000.00"))
		log.record(delivery(uxin, "DL-1", "1500.00", fund("D-1", "1000.00"), fund("D-2", "500.00")))
		log.expectBalance(uxin, yuan("500.00"))
	})
	t.Run("more than the donation brought across entries", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "1000.00"))
		log.record(receipt(uxin, "D-2", "1000.00"))
		log.record(delivery(uxin, "DL-1", "600.00", fund("D-1", "600.00")))
		log.reject(training(uxin, "S-1", "500.00", fund("D-1", "500.00")),
			"", "donation D-1 would pay for 1100.00 yuan of entries but brought in 1000.00 yuan")
		log.record(training(uxin, "S-1", "500.00", fund("D-1", "400.00"), fund("D-2", "100.00")))
		log.expectBalance(uxin, yuan("900.00"))
	})
	t.Run("donation received in the city funds a county after allocation", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(cityCode, "D-1", "1000.00"))
		log.record(allocation("A-1", cityCode, uxin, "1000.00"))
		log.record(service(uxin, "SV-1", "1000.00", fund("D-1", "1000.00")))
		log.expectBalance(uxin, 0)
	})
}

func TestCampaignCorrections(t *testing.T) {
	t.Run("amount change applies", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		corrected := log.record(correction(uxin, entry.ID, receiptData("D-1", "4000.00")))
		log.expectBalance(uxin, yuan("4000.00"))
		replacement, ok := corrected.Data.(*domain.EntryCorrected).ReplacementPayload().(domain.DonationReceived)
		if !ok || replacement.Amount != yuan("4000.00") {
			t.Errorf("replacement payload = %#v", corrected.Data.(*domain.EntryCorrected).ReplacementPayload())
		}
		// A second correction replaces the first one's payload, not the original's.
		log.record(correction(uxin, entry.ID, receiptData("D-1", "4200.00")))
		log.expectBalance(uxin, yuan("4200.00"))
		// Voiding the original takes out what the last correction put in.
		log.record(void(uxin, entry.ID))
		log.expectBalance(uxin, 0)
	})
	t.Run("county change moves the money", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		log.record(correction(dongshen, entry.ID, receiptData("D-1", "5000.00")))
		log.expectBalance(uxin, 0)
		log.expectBalance(dongshen, yuan("5000.00"))
		// The entry now lives in the new county: voiding it empties that pot.
		log.record(void(dongshen, entry.ID))
		log.expectBalance(uxin, 0)
		log.expectBalance(dongshen, 0)
	})
	t.Run("county change of a spending entry to a county without money", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "1000.00"))
		entry := log.record(delivery(uxin, "DL-1", "600.00"))
		log.reject(correction(dongshen, entry.ID, deliveryData("DL-1", "600.00")), "", "county 150602 would hold -600.00 yuan")
		log.expectBalance(uxin, yuan("400.00"))
		log.record(receipt(dongshen, "D-2", "600.00"))
		log.record(correction(dongshen, entry.ID, deliveryData("DL-1", "600.00")))
		log.expectBalance(uxin, yuan("1000.00"))
		log.expectBalance(dongshen, 0)
	})
	t.Run("receipt lowered below what was spent", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		log.record(delivery(uxin, "DL-1", "4500.00"))
		log.reject(correction(uxin, entry.ID, receiptData("D-1", "4000.00")), "", "county 150626 would hold -500.00 yuan")
		log.expectBalance(uxin, yuan("500.00"))
		log.record(correction(uxin, entry.ID, receiptData("D-1", "4500.00")))
		log.expectBalance(uxin, 0)
	})
	t.Run("receipt lowered below what it funds", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		log.record(receipt(uxin, "D-2", "5000.00"))
		log.record(delivery(uxin, "DL-1", "3000.00", fund("D-1", "3000.00")))
		log.reject(correction(uxin, entry.ID, receiptData("D-1", "2999.99")), "",
			"donation D-1 would pay for 3000.00 yuan of entries but brought in 2999.99 yuan")
		log.expectBalance(uxin, yuan("7000.00"))
	})
	t.Run("delivery raised above the balance", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "1000.00"))
		entry := log.record(delivery(uxin, "DL-1", "600.00"))
		log.reject(correction(uxin, entry.ID, deliveryData("DL-1", "1000.01")), "", "county 150626 would hold -0.01 yuan")
		log.expectBalance(uxin, yuan("400.00"))
		log.record(correction(uxin, entry.ID, deliveryData("DL-1", "1000.00")))
		log.expectBalance(uxin, 0)
	})
	t.Run("replacement funded by an unknown donation", func(t *testing.T) {
		log := newCampaignLog(t)
		log.record(receipt(uxin, "D-1", "1000.00"))
		entry := log.record(delivery(uxin, "DL-1", "600.00"))
		log.reject(correction(uxin, entry.ID, deliveryData("DL-1", "600.00", fund("D-9", "600.00"))),
			"data.funded_by[0].donation_id", "donation D-9 has no money received")
	})
	t.Run("entity id change rejected", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		log.reject(correction(uxin, entry.ID, receiptData("D-2", "5000.00")), "data.replacement", `must keep the id "D-1"`)
		delivered := log.record(delivery(uxin, "DL-1", "10.00"))
		log.reject(correction(uxin, delivered.ID, deliveryData("DL-2", "10.00")), "data.replacement", `must keep the id "DL-1"`)
		log.expectBalance(uxin, yuan("4990.00"))
	})
	t.Run("correction of an unknown entry", func(t *testing.T) {
		log := newCampaignLog(t)
		unknown := uuid.Must(uuid.NewV7())
		log.reject(correction(uxin, unknown, receiptData("D-1", "1.00")), "data.target_event_id", "no entry "+unknown.String())
	})
	t.Run("correction of a voided entry", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		voided := log.record(void(uxin, entry.ID))
		log.reject(correction(uxin, entry.ID, receiptData("D-1", "1.00")), "data.target_event_id", "entry D-1 (event "+entry.ID.String()+") was already voided by event "+voided.ID.String())
	})
	t.Run("correction of a correction", func(t *testing.T) {
		log := newCampaignLog(t)
		entry := log.record(receipt(uxin, "D-1", "5000.00"))
		corrected := log.record(correction(uxin, entry.ID, receiptData("D-1", "4000.00")))
		log.reject(correction(uxin, corrected.ID, receiptData("D-1", "3000.00")), "data.target_event_id", "is a correction of entry D-1")
	})
}

// A correction stores its replacement as the ledger decoded and encoded
// it again, not as the client sent it: a key in another case, which
// decoding reads as the field it folds to, leaves no trace in the log.
func TestCampaignCorrectionStoresTheDecodedReplacement(t *testing.T) {
	log := newCampaignLog(t)
	entry := log.record(receipt(uxin, "D-1", "5000.00"))
	sent := `{ "DONATION_ID":"D-1", "campaign":"` + cooling + `", "Donor_Kind":"enterprise",` +
		` "donor_organisation":"鄂尔多斯市某能源有限公司", "form":"money", "amount":"4000.00" }`
	corrected := log.record(correction(uxin, entry.ID, sent))
	stored := string(corrected.Data.(*domain.EntryCorrected).Replacement)
	want := `{"donation_id":"D-1","campaign":"` + cooling + `","donor_kind":"enterprise","donor_organisation":"鄂尔多斯市某能源有限公司","form":"money","amount":"4000.00"}`
	if stored != want {
		t.Fatalf("stored replacement\n%s\nwant\n%s", stored, want)
	}
	encoded, err := corrected.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(encoded), "DONATION_ID") || strings.Contains(string(encoded), "Donor_Kind") {
		t.Fatalf("the stored event keeps the client's keys: %s", encoded)
	}
	// A retry with the client's bytes is the same request: one of its two
	// content hashes is the one the ledger recorded for the correction.
	retry := log.prepare(correction(uxin, entry.ID, sent))
	canonical, ok := domain.CanonicalRetry(log.campaign, retry)
	if !ok {
		t.Fatal("CanonicalRetry did not recognise a correction of a known entry")
	}
	recorded, _ := corrected.ContentHash()
	if again, _ := canonical.ContentHash(); again != recorded {
		t.Fatalf("the retry's canonical content hash %s differs from the correction's %s", again, recorded)
	}
}

// TestCampaignCorrectionReplacementValidated: the replacement is decoded
// against the target's type only in Decide, which reports its problems as
// validation errors under data.replacement.
func TestCampaignCorrectionReplacementValidated(t *testing.T) {
	cases := []struct {
		name, replacement, field, phrase string
	}{
		{"unknown field", `{"donation_id":"D-1","campaign":"` + cooling + `","colour":"red"}`, "data.replacement.colour", "unknown field"},
		{"zero amount", receiptData("D-1", "0.00"), "data.replacement.amount", "must be > 0"},
		{"float amount", strings.Replace(receiptData("D-1", "1.00"), `"1.00"`, `1.5`, 1), "data.replacement.amount", "JSON numbers are refused"},
		{"other campaign", strings.Replace(receiptData("D-1", "1.00"), cooling, "general", 1), "data.replacement.campaign", `must stay "` + cooling + `"`},
		{"payload of a delivery", deliveryData("D-1", ""), "data.replacement.delivery_id", "unknown field"},
		{"not an object", `"D-1"`, "data.replacement", "must be an object, not string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := newCampaignLog(t)
			entry := log.record(receipt(uxin, "D-1", "5000.00"))
			err := log.decide(correction(uxin, entry.ID, tc.replacement))
			if errors.Is(err, domain.ErrRejected) {
				t.Fatalf("Decide = %v, want a validation error, not a rejection", err)
			}
			expectViolation(t, "decide", err, "decide", tc.field, tc.phrase, 1)
			log.expectBalance(uxin, yuan("5000.00"))
		})
	}
}

func TestCampaignDuplicateEntityRejected(t *testing.T) {
	cases := []struct {
		name, first, second, field, phrase string
	}{
		{"delivery", delivery(uxin, "DL-1", ""), delivery(uxin, "DL-1", ""), "data.delivery_id", "DL-1 was already recorded by event"},
		{"delivery in another county", delivery(uxin, "DL-1", ""), delivery(dongshen, "DL-1", ""), "data.delivery_id", "DL-1 was already recorded by event"},
		{"session", training(uxin, "S-1", ""), training(uxin, "S-1", ""), "data.session_id", "S-1 was already recorded by event"},
		{"service", service(uxin, "SV-1", ""), service(uxin, "SV-1", ""), "data.service_id", "SV-1 was already recorded by event"},
		{"allocation", allocation("A-1", cityCode, uxin, "10.00"), allocation("A-1", cityCode, uxin, "10.00"), "data.allocation_id", "A-1 was already recorded by event"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := newCampaignLog(t)
			log.record(receipt(cityCode, "D-1", "1000.00"))
			first := log.record(tc.first)
			rule := log.reject(tc.second, tc.field, tc.phrase)
			if !strings.Contains(rule.Rule, first.ID.String()) {
				t.Errorf("rule %q does not name the first entry %s", rule.Rule, first.ID)
			}
			// Once the first is voided the id is free again.
			log.record(void(first.County, first.ID))
			log.record(tc.second)
		})
	}
}

func TestCampaignDecideChangesNothing(t *testing.T) {
	log := newCampaignLog(t)
	log.record(receipt(uxin, "D-1", "1000.00"))
	before := snapshotOf(log.campaign)
	// An accepted Decide without Apply leaves the state as it was.
	for _, raw := range []string{
		receipt(uxin, "D-2", "500.00"),
		delivery(uxin, "DL-1", "1000.00", fund("D-1", "1000.00")),
		allocation("A-1", uxin, dongshen, "1000.00"),
	} {
		if err := log.decide(raw); err != nil {
			t.Fatalf("Decide refused %s: %v", raw, err)
		}
	}
	// A refused one as well.
	log.reject(delivery(uxin, "DL-1", "1000.01"), "", "would hold -0.01 yuan")
	if after := snapshotOf(log.campaign); !reflect.DeepEqual(before, after) {
		t.Errorf("state changed: before %+v, after %+v", before, after)
	}
	log.expectBalance(uxin, yuan("1000.00"))
	// Nothing was half-recorded: all three can still be recorded, in full.
	log.record(receipt(uxin, "D-2", "500.00"))
	log.record(delivery(uxin, "DL-1", "1500.00", fund("D-1", "1000.00"), fund("D-2", "500.00")))
	log.expectBalance(uxin, 0)
}

func TestCampaignIdempotencyKeysAndConfirm(t *testing.T) {
	log := newCampaignLog(t)
	raw := string(edit(t, receipt(uxin, "D-1", "5000.00"), func(event map[string]any) { event["idempotency_key"] = "bank-CN20220615-0001" }))
	event := log.record(raw)
	record, ok := log.campaign.Key("bank-CN20220615-0001")
	if !ok {
		t.Fatalf("key not remembered")
	}
	hash, _ := event.ContentHash()
	if record.EventID != event.ID || record.ContentHash != hash || record.Position != 1 {
		t.Errorf("key record = %+v, want event %s, hash %s, position 1", record, event.ID, hash)
	}
	if _, ok := log.campaign.Key("never-sent"); ok {
		t.Errorf("unknown key found")
	}
	// Tentative events are applied at position 0, then confirmed.
	tentative := log.prepare(string(edit(t, receipt(uxin, "D-2", "10.00"), func(event map[string]any) { event["idempotency_key"] = "k-2" })))
	if err := log.campaign.Decide(&tentative, log.validator); err != nil {
		t.Fatal(err)
	}
	log.campaign.Apply(tentative, 0)
	if log.campaign.Version != 1 {
		t.Errorf("Version = %d after a tentative Apply, want it to stay 1", log.campaign.Version)
	}
	log.campaign.Confirm(7, map[uuid.UUID]uint64{tentative.ID: 7, uuid.Must(uuid.NewV7()): 8})
	if record, _ := log.campaign.Key("k-2"); record.Position != 7 || record.EventID != tentative.ID {
		t.Errorf("confirmed record = %+v", record)
	}
	if _, ok := log.campaign.Key("not-applied"); ok {
		t.Errorf("Confirm invented a key")
	}
	if log.campaign.Version != 7 {
		t.Errorf("Version = %d, want 7", log.campaign.Version)
	}
}

// TestCampaignReplayFromStoredForm folds the stored form of a history into a
// fresh aggregate, as a reader does after a restart: corrections are decoded
// by Apply itself.
func TestCampaignReplayFromStoredForm(t *testing.T) {
	log := newCampaignLog(t)
	d1 := log.record(receipt(cityCode, "D-1", "10000.00"))
	log.record(receipt(uxin, "D-2", "3000.00"))
	log.record(allocation("A-1", cityCode, uxin, "4000.00"))
	spent := log.record(delivery(uxin, "DL-1", "2500.00", fund("D-2", "2500.00")))
	log.record(correction(uxin, spent.ID, deliveryData("DL-1", "2600.00", fund("D-2", "2600.00"))))
	log.record(training(uxin, "S-1", "100.00"))
	log.record(correction(cityCode, d1.ID, receiptData("D-1", "9000.00")))
	session := log.events[5]
	log.record(void(uxin, session.ID))
	log.expectBalance(cityCode, yuan("5000.00"))
	log.expectBalance(uxin, yuan("4400.00"))

	replayed := domain.NewCampaign(cooling, cityCode)
	for i, event := range log.events {
		stored, err := event.Marshal()
		if err != nil {
			t.Fatalf("marshal %d: %v", i, err)
		}
		decoded, err := domain.DecodeEvent(stored)
		if err != nil {
			t.Fatalf("decode %d: %v", i, err)
		}
		replayed.Apply(decoded, uint64(i+1))
	}
	if want, got := snapshotOf(log.campaign), snapshotOf(replayed); !reflect.DeepEqual(want, got) {
		t.Errorf("replayed state %+v, want %+v", got, want)
	}
	// The replayed state enforces the same rules.
	replayLog := &campaignLog{t: t, campaign: replayed, validator: newValidator(), position: uint64(len(log.events))}
	replayLog.reject(receipt(uxin, "D-2", "1.00"), "data.donation_id", "already received")
	replayLog.reject(delivery(uxin, "DL-2", "500.00", fund("D-2", "500.00")), "", "donation D-2 would pay for 3100.00 yuan")
	replayLog.reject(void(uxin, session.ID), "data.target_event_id", "already voided")
}

func TestResolveCorrection(t *testing.T) {
	stored := correction(uxin, uuid.MustParse(targetID), receiptData("D-1", "4000.00"))
	event, err := domain.DecodeEvent([]byte(stored))
	if err != nil {
		t.Fatal(err)
	}
	corrected := event.Data.(*domain.EntryCorrected)
	if corrected.ReplacementPayload() != nil {
		t.Fatalf("replacement decoded before its target's type is known")
	}
	payload, err := domain.ResolveCorrection(corrected, domain.TypeDonationReceived)
	if err != nil {
		t.Fatal(err)
	}
	if received, ok := payload.(domain.DonationReceived); !ok || received.Amount != yuan("4000.00") || received.DonationID != "D-1" {
		t.Errorf("payload = %#v", payload)
	}
	if corrected.ReplacementPayload() == nil {
		t.Errorf("ResolveCorrection did not keep the payload")
	}

	fresh, _ := domain.DecodeEvent([]byte(stored))
	_, err = domain.ResolveCorrection(fresh.Data.(*domain.EntryCorrected), domain.TypeTrainingHeld)
	if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "data.replacement.donation_id: unknown field") {
		t.Errorf("resolve against the wrong type = %v, want ErrInvalid naming data.replacement.donation_id", err)
	}
	_, err = domain.ResolveCorrection(fresh.Data.(*domain.EntryCorrected), domain.EventType("donation_lost"))
	if !errors.Is(err, domain.ErrRejected) || !strings.Contains(err.Error(), "cannot be corrected") {
		t.Errorf("resolve against an unknown type = %v, want ErrRejected", err)
	}
}
