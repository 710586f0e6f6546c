// Package demo builds the demonstration data set from the 2022 report on the
// Ordos City Federation of Trade Unions: the summer-cooling campaign across
// the nine counties, six lectures with 1610 participants, the April service
// month (3370 visits, 60 checkups, 28 stations, 9000 person-times), more than
// 5,000,000 yuan of donations, and a few voids and corrections.
//
// Every entry has a fixed idempotency key and a fixed time, so loading the
// demo twice writes it once.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/ledger"
)

// Figures the demo encodes from the source article, for tests and the
// summary the demo prints.
const (
	LectureSessions      = 6
	LectureParticipants  = 1610
	AprilVisits          = 3370
	AprilCheckups        = 60
	AprilStations        = 28
	AprilPersonTimes     = 9000
	DonationsMoneyFenMin = 5_000_000_00
)

// Counties are the nine county-level unions, in catalog order.
var Counties = []string{"150602", "150603", "150621", "150622", "150623", "150624", "150625", "150626", "150627"}

const city = "150600"

func day(month time.Month, date, hour int) time.Time {
	return time.Date(2022, month, date, hour, 0, 0, 0, domain.Beijing)
}

type builder struct {
	events []domain.Event
}

func (b *builder) add(eventType domain.EventType, county string, at time.Time, actor string, data domain.Payload, personal *domain.Personal) {
	b.events = append(b.events, domain.Event{
		Type: eventType, County: county, OccurredAt: at, Actor: actor,
		IdempotencyKey: "demo-" + string(eventType) + "-" + domain.EntityID(data),
		Data:           data, Personal: personal,
	})
}

func (b *builder) money(campaign, id, county string, at time.Time, kind, org string, yuan int64, personal *domain.Personal) {
	b.add(domain.TypeDonationReceived, county, at, "finance-city", domain.DonationReceived{
		DonationID: id, Campaign: campaign, DonorKind: kind, DonorOrg: org, Form: domain.FormMoney,
		Amount: domain.Money(yuan * 100), BankReference: "BANK-" + id,
	}, personal)
}

func (b *builder) allocate(campaign, id, to string, at time.Time, yuan int64, purpose string) {
	b.add(domain.TypeFundsAllocated, to, at, "finance-city", domain.FundsAllocated{
		AllocationID: id, Campaign: campaign, FromCounty: city, ToCounty: to, Amount: domain.Money(yuan * 100), Purpose: purpose,
	}, nil)
}

func item(code, unit string, quantity, yuan int64) domain.GoodsItem {
	return domain.GoodsItem{Item: code, Unit: unit, Quantity: quantity, Value: domain.Money(yuan * 100)}
}

// Events returns the first pass of the demo: every entry that is not a void
// or a correction, in the order a clerk would record them.
func Events() []domain.Event {
	var b builder
	const summer = "2022-summer-cooling"
	// Summer cooling, launched in June 2022 jointly with the Otog Front union.
	b.money(summer, "D-SUM-01", city, day(6, 6, 10), "enterprise", "内蒙古某能源集团有限公司", 500_000, nil)
	b.money(summer, "D-SUM-02", city, day(6, 7, 10), "enterprise", "鄂尔多斯市某煤业有限责任公司", 300_000, nil)
	b.money(summer, "D-SUM-03", city, day(6, 8, 10), "union-allocation", "内蒙古自治区总工会", 400_000, nil)
	b.money(summer, "D-SUM-06", city, day(6, 8, 15), "enterprise", "鄂尔多斯某建设集团有限公司", 400_000, nil)
	b.money(summer, "D-SUM-04", "150602", day(6, 9, 15), "individual", "", 20_000,
		&domain.Personal{Donor: &domain.Person{SubjectID: "donor-0001", Name: "王某某", Phone: "13900000001"}})
	b.add(domain.TypeDonationReceived, "150623", day(6, 10, 9), "clerk-150623", domain.DonationReceived{
		DonationID: "D-SUM-05", Campaign: summer, DonorKind: "enterprise", DonorOrg: "鄂尔多斯某饮品有限公司", Form: domain.FormGoods,
		Items: []domain.GoodsItem{item("drinking-water", "箱", 2000, 60_000), item("herbal-tea", "箱", 1000, 48_000)},
	}, nil)
	groups := []string{"sanitation-workers", "construction-workers", "traffic-police", "outdoor-workers", "new-form-workers",
		"migrant-workers", "taxi-drivers", "medical-staff", "epidemic-volunteers"}
	sites := []string{"sanitation-depot", "construction-site", "police-post", "service-station", "service-station",
		"construction-site", "service-station", "community", "community"}
	for i, county := range Counties {
		b.allocate(summer, "A-SUM-"+county, county, day(6, 12, 9), 110_000, "夏送清凉物资采购")
		packs := int64(200 + 20*i)
		b.add(domain.TypeSuppliesDelivered, county, day(6, 20+i%5, 10), "clerk-"+county, domain.SuppliesDelivered{
			DeliveryID: "V-SUM-" + county + "-1", Campaign: summer,
			Site:             domain.Site{Kind: sites[i], Name: "夏送清凉慰问点" + county},
			BeneficiaryGroup: groups[i], Headcount: packs,
			Items: []domain.GoodsItem{item("cooling-gift-pack", "份", packs, packs*150)},
			Spent: domain.Money(packs * 150 * 100),
		}, nil)
		b.add(domain.TypeSuppliesDelivered, county, day(7, 5+i%5, 10), "clerk-"+county, domain.SuppliesDelivered{
			DeliveryID: "V-SUM-" + county + "-2", Campaign: summer,
			Site:             domain.Site{Kind: "service-station", Name: "户外劳动者服务站点" + county},
			BeneficiaryGroup: "outdoor-workers", Headcount: 150,
			Items: []domain.GoodsItem{item("drinking-water", "箱", 100, 3_000), item("sunscreen", "支", 150, 4_500),
				item("heatstroke-medicine", "盒", 150, 6_000)},
			Spent: 13_500_00,
		}, nil)
	}
	// Donated water and tea handed out in Otog Front at the joint launch: no
	// money spent.
	b.add(domain.TypeSuppliesDelivered, "150623", day(6, 15, 10), "clerk-150623", domain.SuppliesDelivered{
		DeliveryID: "V-SUM-LAUNCH", Campaign: summer,
		Site:             domain.Site{Kind: "construction-site", Name: "鄂托克前旗夏送清凉启动仪式"},
		BeneficiaryGroup: "outdoor-workers", Headcount: 500,
		Items: []domain.GoodsItem{item("drinking-water", "箱", 2000, 60_000), item("herbal-tea", "箱", 1000, 48_000)},
		Note:  "2022年6月与鄂托克前旗总工会联合启动",
	}, nil)
	// An entry typed twice; the second copy is voided below.
	b.add(domain.TypeSuppliesDelivered, "150624", day(6, 21, 10), "clerk-150624", domain.SuppliesDelivered{
		DeliveryID: "V-SUM-150624-1-DUP", Campaign: summer,
		Site:             domain.Site{Kind: "police-post", Name: "夏送清凉慰问点150624"},
		BeneficiaryGroup: "outdoor-workers", Headcount: 300,
		Items: []domain.GoodsItem{item("cooling-gift-pack", "份", 300, 45_000)},
		Spent: 45_000_00,
	}, nil)

	// Health and law lectures: four days, six lectures, online and offline,
	// at mining and coal companies.
	const lectures = "2022-health-law-lectures"
	b.money(lectures, "D-LEC-01", city, day(7, 1, 10), "enterprise", "鄂尔多斯某矿业集团有限公司", 200_000, nil)
	lectureCounties := []string{"150622", "150627", "150621", "150624"}
	for _, county := range lectureCounties {
		b.allocate(lectures, "A-LEC-"+county, county, day(7, 5, 9), 40_000, "公益宣讲场地与讲师费用")
	}
	type lecture struct {
		county, topic, title, format string
		day, participants            int
	}
	for i, l := range []lecture{
		{"150622", "trade-union-law", "学习《工会法》 维护职工权益", domain.FormatBoth, 12, 320},
		{"150622", "civil-code", "《民法典》与职工生活", domain.FormatOffline, 12, 280},
		{"150627", "stress-relief", "职工心理减压讲座", domain.FormatOnline, 13, 260},
		// Recorded with a typing error (30); corrected to 300 below.
		{"150627", "heatstroke-prevention", "夏季防暑与健康护航", domain.FormatBoth, 14, 30},
		{"150621", "safety", "煤矿安全生产与法治", domain.FormatOffline, 14, 240},
		{"150624", "labour-law", "劳动合同与工伤保险", domain.FormatOnline, 15, 210},
	} {
		b.add(domain.TypeTrainingHeld, l.county, day(7, l.day, 9+i%3), "clerk-"+l.county, domain.TrainingHeld{
			SessionID: fmt.Sprintf("S-LEC-%d", i+1), Campaign: lectures, Topic: l.topic, Title: l.title, Format: l.format,
			Participants: int64(l.participants), DurationMinutes: 120, Venue: "煤矿企业职工活动中心",
			BeneficiaryGroup: "enterprise-workers", Cost: 15_000_00,
		}, nil)
	}

	// April 2022 service month for new-form workers ("六送").
	const april = "2022-new-workers-month"
	b.money(april, "D-NW-01", city, day(3, 28, 10), "union-allocation", "鄂尔多斯市总工会工会经费", 800_000, nil)
	visits := []int64{400, 380, 420, 360, 350, 370, 390, 330, 370}
	stations := []int64{3, 4, 4, 3, 3, 3, 3, 3, 2}
	stationPersonTimes := []int64{700, 650, 600, 620, 610, 600, 630, 580, 580}
	for i, county := range Counties {
		allocation := int64(50_000)
		if county == "150602" {
			allocation = 60_000
		}
		b.allocate(april, "A-NW-"+county, county, day(4, 1, 9), allocation, "新业态劳动者服务月")
		b.add(domain.TypeServiceProvided, county, day(4, 10+i, 10), "clerk-"+county, domain.ServiceProvided{
			ServiceID: "SV-NW-VISIT-" + county, Campaign: april, Kind: domain.ServiceVisit,
			BeneficiaryGroup: "new-form-workers", Count: visits[i], PersonTimes: visits[i],
			Note: "走访慰问外卖骑手、网约车司机",
		}, nil)
		b.add(domain.TypeServiceProvided, county, day(4, 12+i, 10), "clerk-"+county, domain.ServiceProvided{
			ServiceID: "SV-NW-STATION-" + county, Campaign: april, Kind: domain.ServiceStationOpened,
			BeneficiaryGroup: "outdoor-workers", Count: stations[i], PersonTimes: stationPersonTimes[i],
			Site: &domain.Site{Kind: "service-station", Name: "户外劳动者服务站点"}, Cost: domain.Money(stations[i] * 8_000_00),
		}, nil)
	}
	b.add(domain.TypeServiceProvided, "150602", day(4, 20, 9), "clerk-150602", domain.ServiceProvided{
		ServiceID: "SV-NW-CHECKUP", Campaign: april, Kind: domain.ServiceHealthCheckup,
		BeneficiaryGroup: "new-form-workers", Count: AprilCheckups, PersonTimes: AprilCheckups, Cost: 30_000_00,
		FundedBy: []domain.Funding{{DonationID: "D-NW-01", Amount: 30_000_00}},
	}, &domain.Personal{Workers: []domain.Person{{SubjectID: "worker-0001", Name: "李某"}, {SubjectID: "worker-0002", Name: "赵某某"}}})

	// Autumn school aid and winter warmth.
	const autumn = "2022-autumn-school-aid"
	b.money(autumn, "D-AUT-01", city, day(8, 10, 10), "enterprise", "鄂尔多斯某化工有限公司", 400_000, nil)
	b.money(autumn, "D-AUT-02", city, day(8, 12, 10), "organisation", "鄂尔多斯市慈善总会", 450_000, nil)
	// Recorded as 300,000; the bank statement shows 350,000: corrected below.
	b.money(autumn, "D-AUT-03", city, day(8, 15, 10), "enterprise", "内蒙古某电力有限公司", 300_000, nil)
	for i, county := range Counties {
		b.allocate(autumn, "A-AUT-"+county, county, day(8, 20, 9), 60_000, "金秋助学")
		b.add(domain.TypeServiceProvided, county, day(8, 25+i%5, 10), "clerk-"+county, domain.ServiceProvided{
			ServiceID: "SV-AUT-" + county, Campaign: autumn, Kind: domain.ServiceGeneralAssistance,
			BeneficiaryGroup: "enterprise-workers", Count: 25, PersonTimes: 25, Cost: 50_000_00,
			Note: "困难职工子女助学金，每人2000元",
		}, nil)
	}
	const winter = "2022-winter-warmth"
	b.money(winter, "D-WIN-01", city, day(11, 20, 10), "enterprise", "鄂尔多斯某煤炭集团有限公司", 800_000, nil)
	b.money(winter, "D-WIN-02", city, day(11, 22, 10), "union-allocation", "内蒙古自治区总工会", 500_000, nil)
	b.add(domain.TypeDonationReceived, "150603", day(11, 25, 10), "clerk-150603", domain.DonationReceived{
		DonationID: "D-WIN-03", Campaign: winter, DonorKind: "enterprise", DonorOrg: "鄂尔多斯某服饰有限公司", Form: domain.FormGoods,
		Items: []domain.GoodsItem{item("winter-clothing", "件", 500, 100_000)},
	}, nil)
	b.add(domain.TypeSuppliesDelivered, "150603", day(12, 10, 10), "clerk-150603", domain.SuppliesDelivered{
		DeliveryID: "V-WIN-GOODS-150603", Campaign: winter,
		Site:             domain.Site{Kind: "sanitation-depot", Name: "康巴什区环卫站"},
		BeneficiaryGroup: "sanitation-workers", Headcount: 500,
		Items: []domain.GoodsItem{item("winter-clothing", "件", 500, 100_000)},
	}, nil)
	for _, county := range Counties {
		b.allocate(winter, "A-WIN-"+county, county, day(12, 1, 9), 80_000, "冬送温暖")
		b.add(domain.TypeSuppliesDelivered, county, day(12, 15, 10), "clerk-"+county, domain.SuppliesDelivered{
			DeliveryID: "V-WIN-" + county, Campaign: winter,
			Site:             domain.Site{Kind: "community", Name: "冬送温暖慰问点"},
			BeneficiaryGroup: "migrant-workers", Headcount: 120,
			Items: []domain.GoodsItem{item("winter-clothing", "件", 120, 36_000), item("towel", "条", 240, 2_400)},
			Spent: 38_400_00,
		}, nil)
	}
	return b.events
}

// Summary is what loading the demo wrote.
type Summary struct {
	Written    int
	Duplicates int
}

// Load records the demo through the service: the entries first, then the
// voids and corrections that refer to them. Each append holds one
// campaign's events, the unit every store can append atomically (EventStoreDB
// appends to one stream at a time). Loading twice writes nothing new.
func Load(ctx context.Context, service *ledger.Service) (Summary, error) {
	var summary Summary
	ids := map[string]string{}
	record := func(events []domain.Event, what string) error {
		for _, batch := range byAggregate(events) {
			results, err := service.Record(ctx, batch)
			if err != nil {
				return fmt.Errorf("load demo %s: %w", what, err)
			}
			for i, result := range results {
				ids[domain.EntityID(batch[i].Data)] = result.EventID.String()
				summary.count(result)
			}
		}
		return nil
	}
	if err := record(Events(), "entries"); err != nil {
		return summary, err
	}
	corrections, err := Corrections(ids)
	if err != nil {
		return summary, err
	}
	return summary, record(corrections, "corrections")
}

// byAggregate splits events into batches of one aggregate each, at most
// eventstore.BatchEventsMax long, keeping each aggregate's events in order
// and the aggregates in the order they first appear.
func byAggregate(events []domain.Event) [][]domain.Event {
	var order []domain.AggregateRef
	groups := map[domain.AggregateRef][]domain.Event{}
	for _, event := range events {
		// The service sets each event's aggregate from its data; here it
		// is worked out the same way.
		aggregate := domain.AggregateOf(event.Data)
		if _, seen := groups[aggregate]; !seen {
			order = append(order, aggregate)
		}
		groups[aggregate] = append(groups[aggregate], event)
	}
	var batches [][]domain.Event
	for _, aggregate := range order {
		group := groups[aggregate]
		for start := 0; start < len(group); start += eventstore.BatchEventsMax {
			batches = append(batches, group[start:min(start+eventstore.BatchEventsMax, len(group))])
		}
	}
	return batches
}

func (s *Summary) count(result ledger.Result) {
	if result.Duplicate {
		s.Duplicates++
	} else {
		s.Written++
	}
}

// Corrections returns the demo's voids and corrections, given the event id
// of each entity.
func Corrections(ids map[string]string) ([]domain.Event, error) {
	lecture := domain.TrainingHeld{
		SessionID: "S-LEC-4", Campaign: "2022-health-law-lectures", Topic: "heatstroke-prevention",
		Title: "夏季防暑与健康护航", Format: domain.FormatBoth, Participants: 300, DurationMinutes: 120,
		Venue: "煤矿企业职工活动中心", BeneficiaryGroup: "enterprise-workers", Cost: 15_000_00,
	}
	donation := domain.DonationReceived{
		DonationID: "D-AUT-03", Campaign: "2022-autumn-school-aid", DonorKind: "enterprise", DonorOrg: "内蒙古某电力有限公司",
		Form: domain.FormMoney, Amount: 350_000_00, BankReference: "BANK-D-AUT-03",
	}
	lectureJSON, err := json.Marshal(lecture)
	if err != nil {
		return nil, fmt.Errorf("demo corrections: %w", err)
	}
	donationJSON, err := json.Marshal(donation)
	if err != nil {
		return nil, fmt.Errorf("demo corrections: %w", err)
	}
	return []domain.Event{
		{
			Type: domain.TypeEntryVoided, County: "150624", OccurredAt: day(6, 22, 9), Actor: "clerk-150624",
			IdempotencyKey: "demo-void-V-SUM-150624-1-DUP",
			Data: domain.EntryVoided{Campaign: "2022-summer-cooling", TargetEventID: ids["V-SUM-150624-1-DUP"],
				Reason: "重复录入：与 V-SUM-150624-1 为同一次配送"},
		},
		{
			Type: domain.TypeEntryCorrected, County: "150627", OccurredAt: day(7, 16, 9), Actor: "clerk-150627",
			IdempotencyKey: "demo-correct-S-LEC-4",
			Data: &domain.EntryCorrected{Campaign: "2022-health-law-lectures", TargetEventID: ids["S-LEC-4"],
				Reason: "录入错误：参与人数应为300人", Replacement: lectureJSON},
		},
		{
			Type: domain.TypeEntryCorrected, County: city, OccurredAt: day(8, 31, 9), Actor: "finance-city",
			IdempotencyKey: "demo-correct-D-AUT-03",
			Data: &domain.EntryCorrected{Campaign: "2022-autumn-school-aid", TargetEventID: ids["D-AUT-03"],
				Reason: "与银行对账单核对：实收350,000.00元", Replacement: donationJSON},
		},
	}, nil
}
