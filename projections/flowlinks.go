package projections

import (
	"math/bits"
	"slices"

	"github.com/ordos-union/ledger/domain"
)

// sumTree is a Fenwick tree of non-negative amounts, one per fund-flow
// entry: it changes one amount and sums the amounts before an entry in
// time logarithmic in the number of entries, and finds the first entry at
// which the running sum passes a given amount in the same time. It grows
// one entry at a time as a campaign's entries do.
type sumTree struct {
	// nodes[i-1] holds the sum of the amounts of entries
	// i-lowest(i) .. i-1 (entries counted from zero, nodes from one).
	nodes []domain.Money
}

// lowestBit is the lowest set bit of a node number.
func lowestBit(node int) int { return node & -node }

// grow adds an entry with amount zero at the end.
func (t *sumTree) grow() {
	node := len(t.nodes) + 1
	t.nodes = append(t.nodes, t.sumBefore(node-1)-t.sumBefore(node-lowestBit(node)))
}

// sumBefore is the sum of the amounts of the entries before entry.
func (t *sumTree) sumBefore(entry int) domain.Money {
	var sum domain.Money
	for node := entry; node > 0; node -= lowestBit(node) {
		sum += t.nodes[node-1]
	}
	return sum
}

// at is the amount of one entry.
func (t *sumTree) at(entry int) domain.Money {
	return t.sumBefore(entry+1) - t.sumBefore(entry)
}

// set changes the amount of one entry.
func (t *sumTree) set(entry int, amount domain.Money) {
	change := amount - t.at(entry)
	if change == 0 {
		return
	}
	for node := entry + 1; node <= len(t.nodes); node += lowestBit(node) {
		t.nodes[node-1] += change
	}
}

// total is the sum of every entry's amount.
func (t *sumTree) total() domain.Money { return t.sumBefore(len(t.nodes)) }

// firstPast is the first entry whose running sum (its own amount
// included) is more than sum, or the number of entries when none is.
func (t *sumTree) firstPast(sum domain.Money) int {
	entry := 0
	if len(t.nodes) == 0 {
		return 0
	}
	for step := 1 << (bits.Len(uint(len(t.nodes))) - 1); step > 0; step >>= 1 {
		if next := entry + step; next <= len(t.nodes) && t.nodes[next-1] <= sum {
			entry = next
			sum -= t.nodes[next-1]
		}
	}
	return entry
}

// overlapping calls visit, in order, with each of the first entries
// entries whose range of the running sum (from the sum before it to that
// plus its own amount) shares some of [from, to), and with how much it
// shares. A donation's payments are the spendings whose need overlaps its
// money, and a spending's funders the donations whose money overlaps its
// need: the one walk serves both, so the two sides of a link cannot come
// to disagree. It costs the logarithm of the entries for each one visited.
func (t *sumTree) overlapping(from, to domain.Money, entries int, visit func(entry int, overlap domain.Money)) {
	for entry := t.firstPast(from); entry < entries; entry = t.firstPast(t.sumBefore(entry + 1)) {
		start := t.sumBefore(entry)
		if start >= to {
			return
		}
		end := start + t.at(entry)
		if overlap := min(end, to) - max(start, from); overlap > 0 {
			visit(entry, overlap)
		}
	}
}

// flowLinks keeps what linking one donation or spending entry needs, up
// to date as a campaign's entries change, so that a trace costs time in
// the logarithm of the campaign's entries and in the number of the entry's
// links, instead of a pass over every entry of the campaign.
//
// Linking, as link states it, pays first what each spending names in
// funded_by, then pays the rest first-in first-out. After the named
// payments, donation d has money[d] left (never below zero) and spending
// s still needs need[s] (never below zero); entries that are neither have
// zero of both. Laid end to end in log order, each donation then covers
// the range of money from the sum of money before it to that sum plus its
// own money, and each spending the same range of need; the first-in
// first-out payments are exactly the overlaps of a donation's range with
// a spending's, and what of a spending's range lies past all the money is
// unfunded. Two sum trees give the sums before any entry.
type flowLinks struct {
	money, need sumTree
	// named sums, for each donation id, what active spendings name it for
	// in funded_by; namedBy lists the entries that named it at some time
	// (a stale one is harmless: every use looks at the entry as it is).
	named   map[string]domain.Money
	namedBy map[string][]int
	// renamed lists, for an entity id, the entries that a correction gave
	// that id: the entity index finds an entry by the id its recorded
	// event carries, and these by the id a correction gave it.
	renamed map[string][]int
}

// activeDonation says whether an entry is a money donation that counts.
func (e *flowEntry) activeDonation() bool { return !e.voided && e.donation }

// activeSpending says whether an entry is a spending that counts.
func (e *flowEntry) activeSpending() bool { return !e.voided && !e.donation && e.amount > 0 }

// entriesWith lists, in log order, the entries of the campaign whose
// entity id is id as corrected. Called with x.mu held.
func (x *Index) entriesWith(campaign *campaignEntries, id string) []int {
	var found []int
	consider := func(i int) {
		if i >= 0 && campaign.entries[i].entity == id {
			found = append(found, i)
		}
	}
	if first, ok := x.entities[id]; ok {
		consider(campaign.at(first))
		for _, position := range x.more[id] {
			consider(campaign.at(position))
		}
	}
	for _, i := range campaign.links.renamed[id] {
		consider(i)
	}
	slices.Sort(found)
	return slices.Compact(found)
}

// donationFor is the entry a funding that names id pays: the campaign's
// last active money donation with that id, as link resolves it (-1: none).
// Called with x.mu held.
func (x *Index) donationFor(campaign *campaignEntries, id string) int {
	return x.lastWith(campaign, id, (*flowEntry).activeDonation)
}

// spendingFor is the campaign's last active spending entry with id (-1:
// none). Called with x.mu held.
func (x *Index) spendingFor(campaign *campaignEntries, id string) int {
	return x.lastWith(campaign, id, (*flowEntry).activeSpending)
}

// lastWith is the campaign's last entry with id that active accepts (-1:
// none). Called with x.mu held.
func (x *Index) lastWith(campaign *campaignEntries, id string, active func(*flowEntry) bool) int {
	found := -1
	for _, i := range x.entriesWith(campaign, id) {
		if active(&campaign.entries[i]) {
			found = i
		}
	}
	return found
}

// setMoney sets what donation entry i has left after the named payments.
// Called with x.mu held.
func (x *Index) setMoney(campaign *campaignEntries, i int) {
	entry := &campaign.entries[i]
	var money domain.Money
	if entry.activeDonation() {
		money = entry.amount
		if x.donationFor(campaign, entry.entity) == i {
			money -= campaign.links.named[entry.entity]
		}
	}
	campaign.links.money.set(i, max(money, 0))
}

// setNeed sets what spending entry i still needs after the named
// payments. Called with x.mu held.
func (x *Index) setNeed(campaign *campaignEntries, i int) {
	entry := &campaign.entries[i]
	var need domain.Money
	if entry.activeSpending() {
		need = entry.amount
		for _, funding := range entry.fundings() {
			if x.donationFor(campaign, funding.DonationID) >= 0 {
				need -= funding.Amount
			}
		}
	}
	campaign.links.need.set(i, max(need, 0))
}

// linkChanged brings the links up to date after entry i changed from
// before (the zero entry for one just added). What an entry's money or
// need depends on: the entry itself; for a donation, which entry its id
// resolves to and what spendings name it for; for a spending, whether the
// ids it names resolve. So the entries whose money or need may change are
// i, the donations with the ids i had or has or named or names, and the
// spendings that name an id i had or has as a donation. Called with x.mu
// held.
func (x *Index) linkChanged(campaign *campaignEntries, i int, before flowEntry) {
	links := &campaign.links
	after := &campaign.entries[i]
	if links.named == nil {
		links.named, links.namedBy, links.renamed = map[string]domain.Money{}, map[string][]int{}, map[string][]int{}
	}
	if before.position != 0 && after.entity != before.entity && after.entity != "" {
		links.renamed[after.entity] = append(links.renamed[after.entity], i)
	}
	var ids []string
	if before.activeSpending() {
		for _, funding := range before.fundings() {
			links.named[funding.DonationID] -= funding.Amount
			ids = append(ids, funding.DonationID)
		}
	}
	if after.activeSpending() {
		for _, funding := range after.fundings() {
			links.named[funding.DonationID] += funding.Amount
			if named := links.namedBy[funding.DonationID]; len(named) == 0 || named[len(named)-1] != i {
				links.namedBy[funding.DonationID] = append(named, i)
			}
			ids = append(ids, funding.DonationID)
		}
	}
	var donations []string
	if before.donation {
		donations = append(donations, before.entity)
	}
	if after.donation {
		donations = append(donations, after.entity)
	}
	ids = append(ids, donations...)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		for _, donation := range x.entriesWith(campaign, id) {
			x.setMoney(campaign, donation)
		}
	}
	slices.Sort(donations)
	for _, id := range slices.Compact(donations) {
		for _, spending := range links.namedBy[id] {
			x.setNeed(campaign, spending)
		}
	}
	x.setMoney(campaign, i)
	x.setNeed(campaign, i)
}

// linkOne is linkFor answered from the links: the flow of id's last money
// donation and of its last spending entry in the campaign, with the same
// payments in the same order. Called with x.mu held.
func (x *Index) linkOne(campaign *campaignEntries, id string) (*DonationFlow, *SpendingFlow) {
	entries, links := campaign.entries, &campaign.links
	funded := func(giver, spender int, amount domain.Money, rule string) Funded {
		return Funded{DonationID: entries[giver].entity, EntityID: entries[spender].entity, Type: string(entries[spender].kind()),
			County: entries[spender].county, Amount: amount, Rule: rule}
	}
	var donation *DonationFlow
	if giver := x.donationFor(campaign, id); giver >= 0 {
		entry := entries[giver]
		donation = &DonationFlow{DonationID: entry.entity, County: entry.county, Position: entry.position,
			Received: entry.amount, Remaining: entry.amount, Paid: []Funded{}}
		pay := func(spender int, amount domain.Money, rule string) {
			donation.Paid = append(donation.Paid, funded(giver, spender, amount, rule))
			donation.Remaining -= amount
		}
		spenders := slices.Clone(links.namedBy[id])
		slices.Sort(spenders)
		for _, spender := range slices.Compact(spenders) {
			if !entries[spender].activeSpending() {
				continue
			}
			for _, funding := range entries[spender].fundings() {
				if funding.DonationID == id {
					pay(spender, funding.Amount, RuleExplicit)
				}
			}
		}
		from := links.money.sumBefore(giver)
		to := from + links.money.at(giver)
		links.need.overlapping(from, to, len(entries), func(spender int, overlap domain.Money) {
			pay(spender, overlap, RuleFIFO)
		})
	}
	var spend *SpendingFlow
	if spender := x.spendingFor(campaign, id); spender >= 0 {
		entry := entries[spender]
		spend = &SpendingFlow{EntityID: entry.entity, Type: string(entry.kind()), County: entry.county,
			Position: entry.position, Amount: entry.amount, FundedBy: []Funded{}}
		for _, funding := range entry.fundings() {
			if giver := x.donationFor(campaign, funding.DonationID); giver >= 0 {
				spend.FundedBy = append(spend.FundedBy, funded(giver, spender, funding.Amount, RuleExplicit))
			}
		}
		from := links.need.sumBefore(spender)
		to := from + links.need.at(spender)
		if to > from {
			links.money.overlapping(from, to, len(entries), func(giver int, overlap domain.Money) {
				spend.FundedBy = append(spend.FundedBy, funded(giver, spender, overlap, RuleFIFO))
			})
			if unfunded := to - max(from, links.money.total()); unfunded > 0 {
				spend.FundedBy = append(spend.FundedBy, Funded{EntityID: spend.EntityID, Type: spend.Type, County: spend.County, Amount: unfunded, Rule: RuleUnfunded})
			}
		}
	}
	return donation, spend
}
