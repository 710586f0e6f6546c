package projections

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"

	"github.com/ordos-union/ledger/domain"
)

// sumTree is a Fenwick tree of non-negative amounts, one per slot of a
// pot's line of money or of claims (an "entry" below): it changes one amount and sums the amounts before an entry in
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
// entries whose range of the running sum (from the sum before it, start,
// to that plus its own amount) shares some of [from, to), and with the
// part [low, high) it shares, until visit returns false. It costs the
// logarithm of the entries for each one visited.
func (t *sumTree) overlapping(from, to domain.Money, entries int, visit func(entry int, start, low, high domain.Money) bool) {
	for entry := t.firstPast(from); entry < entries; entry = t.firstPast(t.sumBefore(entry + 1)) {
		start := t.sumBefore(entry)
		if start >= to {
			return
		}
		low, high := max(start, from), min(start+t.at(entry), to)
		if high > low && !visit(entry, start, low, high) {
			return
		}
	}
}

// potLinks keeps a campaign's money in its pots, as docs/EVENTS.md
// defines them, so that linking one donation or spending entry costs time
// in the logarithm of the campaign's entries and in the number of the
// entry's links, instead of a pass over every entry of the campaign.
//
// The rule it links by: what each spending names in funded_by is paid
// first, from the last active money donation with the id named, and set
// aside from that donation before its money enters a pot. Then each pot
// is a line of money and a line of claims, both in log order: a money
// donation puts what it has left after the named payments into its
// county's pot; an allocation claims its amount from from_county's pot
// and puts the same amount into to_county's; a spending claims what its
// fundings left unpaid from its county's pot. Laid end to end, each piece
// of money and each claim of a pot covers a range of its running sum, and
// a claim is met by the money whose range overlaps its own: first in,
// first out. Money an allocation claimed is, in to_county's pot, the
// money the allocation put there, range for range; so a spending whose
// claim overlaps an allocation's money was paid by the donations whose
// money overlaps the allocation's claim in its source pot, and so on
// back. What of a claim lies past all of a pot's money is unfunded; what
// of the money lies past all of its claims is unspent.
//
// Each entry has a slot in the pot lines it takes part in: a donation in
// its county's money; a spending in its county's claims; an allocation in
// from_county's claims and to_county's money. Sum trees give the sums
// before any slot.
type potLinks struct {
	pots     []*potLine
	byCounty map[string]int32
	// slots holds, for each entry, its slots.
	slots []entrySlots
	// named sums, for each donation id, what active spendings name it for
	// in funded_by; namedBy lists the entries that named it at some time
	// (a stale one is harmless: every use looks at the entry as it is).
	named   map[string]domain.Money
	namedBy map[string][]int
}

// potLine is one county's pot: its money and its claims in log order.
type potLine struct {
	county        string
	money, claims sumTree
	// givers and takers are the entries of the slots of money and claims.
	givers, takers []int32
}

// entrySlots are an entry's slots: its money in pot moneyPot, its claim
// in pot claimPot (-1: none).
type entrySlots struct {
	money, claim       int32
	moneyPot, claimPot int32
}

// newPotLinks returns empty pots.
func newPotLinks() potLinks {
	return potLinks{byCounty: map[string]int32{}, named: map[string]domain.Money{}, namedBy: map[string][]int{}}
}

// pot is the number of county's pot, made when it has none yet.
func (l *potLinks) pot(county string) int32 {
	if number, ok := l.byCounty[county]; ok {
		return number
	}
	number := int32(len(l.pots))
	l.pots = append(l.pots, &potLine{county: county})
	l.byCounty[county] = number
	return number
}

// place gives entry i, the campaign's newest, its slots, with nothing in
// them yet.
func (l *potLinks) place(entries flowEntries, i int) {
	entry := &entries[i]
	slots := entrySlots{money: -1, claim: -1, moneyPot: -1, claimPot: -1}
	addMoney := func(county string) {
		line := l.pots[l.pot(county)]
		slots.moneyPot, slots.money = l.byCounty[county], int32(len(line.givers))
		line.givers = append(line.givers, int32(i))
		line.money.grow()
	}
	addClaim := func(county string) {
		line := l.pots[l.pot(county)]
		slots.claimPot, slots.claim = l.byCounty[county], int32(len(line.takers))
		line.takers = append(line.takers, int32(i))
		line.claims.grow()
	}
	switch entry.kindCode {
	case kindDonation:
		addMoney(entry.county)
	case kindAllocation:
		addClaim(entry.county)
		addMoney(entry.toCounty())
	default:
		addClaim(entry.county)
	}
	l.slots = append(l.slots, slots)
}

// placed says whether entry i's slots are still in the pots of its
// counties: a correction that moves an entry to another county does not
// leave it so.
func (l *potLinks) placed(entries flowEntries, i int) bool {
	entry, slots := &entries[i], l.slots[i]
	switch entry.kindCode {
	case kindDonation:
		return l.pots[slots.moneyPot].county == entry.county
	case kindAllocation:
		return l.pots[slots.claimPot].county == entry.county && l.pots[slots.moneyPot].county == entry.toCounty()
	default:
		return l.pots[slots.claimPot].county == entry.county
	}
}

// setMoney sets the money entry i puts into its pot.
func (l *potLinks) setMoney(i int, money domain.Money) {
	if slots := l.slots[i]; slots.moneyPot >= 0 {
		l.pots[slots.moneyPot].money.set(int(slots.money), max(money, 0))
	}
}

// setClaim sets what entry i claims from its pot.
func (l *potLinks) setClaim(i int, claim domain.Money) {
	if slots := l.slots[i]; slots.claimPot >= 0 {
		l.pots[slots.claimPot].claims.set(int(slots.claim), max(claim, 0))
	}
}

// buildPots links a campaign's entries from nothing. resolve is the
// entry a funding naming an id pays: the last active money donation with
// that id (-1: none).
func (entries flowEntries) buildPots() (potLinks, func(string) int) {
	links := newPotLinks()
	last := map[string]int{}
	for i := range entries {
		links.place(entries, i)
		if entries[i].activeDonation() {
			last[entries[i].entity] = i
		}
	}
	resolve := func(id string) int {
		if i, ok := last[id]; ok {
			return i
		}
		return -1
	}
	for i := range entries {
		entry := &entries[i]
		if !entry.activeSpending() {
			continue
		}
		need := entry.amount
		for _, funding := range entry.fundings() {
			// Every funding is counted, even one naming no donation yet:
			// the index keeps these pots up to date, and a donation with
			// that id may come.
			links.named[funding.DonationID] += funding.Amount
			if named := links.namedBy[funding.DonationID]; len(named) == 0 || named[len(named)-1] != i {
				links.namedBy[funding.DonationID] = append(named, i)
			}
			if _, ok := last[funding.DonationID]; ok {
				need -= funding.Amount
			}
		}
		links.setClaim(i, need)
	}
	for i := range entries {
		entry := &entries[i]
		switch {
		case entry.activeDonation():
			money := entry.amount
			if last[entry.entity] == i {
				money -= links.named[entry.entity]
			}
			links.setMoney(i, money)
		case entry.activeAllocation():
			links.setMoney(i, entry.amount)
			links.setClaim(i, entry.amount)
		}
	}
	return links, resolve
}

// query links the whole campaign from nothing, ready to trace entries.
func (entries flowEntries) query() *potQuery {
	links, resolve := entries.buildPots()
	return &potQuery{entries: entries, links: &links, resolve: resolve}
}

// potQuery traces entries through a campaign's pots.
type potQuery struct {
	entries flowEntries
	links   *potLinks
	// resolve is the entry a funding naming an id pays (-1: none).
	resolve func(string) int
	// steps counts the links followed for one entry, up to flowStepsMax.
	steps int
}

// trace is the flow of donation entry giver and of spending entry
// spender (-1: none).
func (q *potQuery) trace(giver, spender int) (*DonationFlow, *SpendingFlow, error) {
	var donation *DonationFlow
	var spend *SpendingFlow
	var err error
	if giver >= 0 {
		if donation, err = q.donation(giver); err != nil {
			return nil, nil, err
		}
	}
	if spender >= 0 {
		if spend, err = q.spending(spender); err != nil {
			return nil, nil, err
		}
	}
	return donation, spend, nil
}

// step counts one link followed through hops allocations.
func (q *potQuery) step(hops int) error {
	if q.steps++; q.steps > flowStepsMax {
		return fmt.Errorf("%w: more than %d links", ErrFlowTooLarge, flowStepsMax)
	}
	if hops > flowHopsMax {
		return fmt.Errorf("%w: through more than %d allocations", ErrFlowTooLarge, flowHopsMax)
	}
	return nil
}

// hop is allocation entry i as a Hop.
func (q *potQuery) hop(i int) Hop {
	entry := &q.entries[i]
	return Hop{AllocationID: entry.entity, FromCounty: entry.county, ToCounty: entry.toCounty()}
}

// funded is the link of donation giver paying spending spender, the money
// coming through the allocation entries via, the first one first.
func (q *potQuery) funded(giver, spender int, amount domain.Money, rule string, via []int) Funded {
	donation, spend := &q.entries[giver], &q.entries[spender]
	funded := Funded{DonationID: donation.entity, EntityID: spend.entity, Type: string(spend.kind()), County: spend.county,
		Amount: amount, Rule: rule, DonationCounty: donation.county}
	for _, allocation := range via {
		funded.Via = append(funded.Via, q.hop(allocation))
	}
	return funded
}

// donation follows donation entry giver forward: the spendings that named
// it, then its money through the pots.
func (q *potQuery) donation(giver int) (*DonationFlow, error) {
	entries, links := q.entries, q.links
	q.steps = 0
	flow := entries.donationFlow(giver)
	id := entries[giver].entity
	if q.resolve(id) == giver {
		spenders := slices.Clone(links.namedBy[id])
		slices.Sort(spenders)
		for _, spender := range slices.Compact(spenders) {
			if !entries[spender].activeSpending() {
				continue
			}
			for _, funding := range entries[spender].fundings() {
				if funding.DonationID == id {
					flow.Paid = append(flow.Paid, q.funded(giver, spender, funding.Amount, RuleExplicit, nil))
					flow.Remaining -= funding.Amount
				}
			}
		}
	}
	slots := links.slots[giver]
	line := links.pots[slots.moneyPot]
	from := line.money.sumBefore(int(slots.money))
	if err := q.forward(flow, giver, slots.moneyPot, from, from+line.money.at(int(slots.money)), nil); err != nil {
		return nil, err
	}
	// What is left lies in each pot once, the pots in the order of their
	// county codes.
	slices.SortStableFunc(flow.Unspent, func(a, b PotShare) int { return cmp.Compare(a.County, b.County) })
	merged := flow.Unspent[:0]
	for _, share := range flow.Unspent {
		if n := len(merged); n > 0 && merged[n-1].County == share.County {
			merged[n-1].Amount += share.Amount
		} else {
			merged = append(merged, share)
		}
	}
	flow.Unspent = merged
	return flow, nil
}

// forward follows the range [from, to) of pot's money, which is donation
// giver's, through the claims it met: a spending's is a payment; an
// allocation's moves the money on to the same range of the allocation's
// money in to_county's pot, followed in turn. via are the allocations
// the money came through so far. What no claim met is unspent.
func (q *potQuery) forward(flow *DonationFlow, giver int, pot int32, from, to domain.Money, via []int) error {
	line := q.links.pots[pot]
	var err error
	line.claims.overlapping(from, to, len(line.takers), func(slot int, start, low, high domain.Money) bool {
		if err = q.step(len(via)); err != nil {
			return false
		}
		taker := int(line.takers[slot])
		if q.entries[taker].kindCode != kindAllocation {
			flow.Paid = append(flow.Paid, q.funded(giver, taker, high-low, RuleFIFO, via))
			flow.Remaining -= high - low
			return true
		}
		flow.Allocated = append(flow.Allocated, Allocated{Hop: q.hop(taker), Amount: high - low})
		slots := q.links.slots[taker]
		next := q.links.pots[slots.moneyPot]
		base := next.money.sumBefore(int(slots.money)) + low - start
		err = q.forward(flow, giver, slots.moneyPot, base, base+high-low, append(slices.Clip(via), taker))
		return err == nil
	})
	if err != nil {
		return err
	}
	if left := to - max(from, line.claims.total()); left > 0 {
		flow.Unspent = append(flow.Unspent, PotShare{County: line.county, Amount: left})
	}
	return nil
}

// spending follows spending entry spender back: the donations it names,
// then its claim through the pots.
func (q *potQuery) spending(spender int) (*SpendingFlow, error) {
	entries, links := q.entries, q.links
	q.steps = 0
	flow := entries.spendingFlow(spender)
	for _, funding := range entries[spender].fundings() {
		if giver := q.resolve(funding.DonationID); giver >= 0 {
			flow.FundedBy = append(flow.FundedBy, q.funded(giver, spender, funding.Amount, RuleExplicit, nil))
		}
	}
	slots := links.slots[spender]
	line := links.pots[slots.claimPot]
	from := line.claims.sumBefore(int(slots.claim))
	var unfunded domain.Money
	if err := q.back(flow, spender, slots.claimPot, from, from+line.claims.at(int(slots.claim)), nil, &unfunded); err != nil {
		return nil, err
	}
	if unfunded > 0 {
		flow.FundedBy = append(flow.FundedBy, Funded{EntityID: flow.EntityID, Type: flow.Type, County: flow.County, Amount: unfunded, Rule: RuleUnfunded})
	}
	return flow, nil
}

// back follows the range [from, to) of pot's claims, which is spending
// spender's, to the money that met it: a donation's is a payment; an
// allocation's is the same range of the allocation's claim in
// from_county's pot, followed in turn. back are the allocations passed so
// far, the last one first. What no money met is added to unfunded.
func (q *potQuery) back(flow *SpendingFlow, spender int, pot int32, from, to domain.Money, back []int, unfunded *domain.Money) error {
	line := q.links.pots[pot]
	var err error
	line.money.overlapping(from, to, len(line.givers), func(slot int, start, low, high domain.Money) bool {
		if err = q.step(len(back)); err != nil {
			return false
		}
		giver := int(line.givers[slot])
		if q.entries[giver].kindCode != kindAllocation {
			via := slices.Clone(back)
			slices.Reverse(via)
			flow.FundedBy = append(flow.FundedBy, q.funded(giver, spender, high-low, RuleFIFO, via))
			return true
		}
		slots := q.links.slots[giver]
		source := q.links.pots[slots.claimPot]
		base := source.claims.sumBefore(int(slots.claim)) + low - start
		err = q.back(flow, spender, slots.claimPot, base, base+high-low, append(slices.Clip(back), giver), unfunded)
		return err == nil
	})
	if err != nil {
		return err
	}
	if short := to - max(from, line.money.total()); short > 0 {
		*unfunded += short
	}
	return nil
}

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
	for _, i := range campaign.renamed[id] {
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

// setMoney sets the money entry i puts into its pot: for a donation what
// it has left after the named payments, for an allocation its amount.
// Called with x.mu held.
func (x *Index) setMoney(campaign *campaignEntries, i int) {
	entry := &campaign.entries[i]
	var money domain.Money
	switch entry.kindCode {
	case kindAllocation:
		if entry.activeAllocation() {
			money = entry.amount
		}
		campaign.links.setClaim(i, money)
	case kindDonation:
		if entry.activeDonation() {
			money = entry.amount
			if x.donationFor(campaign, entry.entity) == i {
				money -= campaign.links.named[entry.entity]
			}
		}
	default:
		return
	}
	campaign.links.setMoney(i, money)
}

// setNeed sets what spending entry i claims from its pot: what its
// fundings leave unpaid. Called with x.mu held.
func (x *Index) setNeed(campaign *campaignEntries, i int) {
	entry := &campaign.entries[i]
	if entry.kindCode == kindDonation || entry.kindCode == kindAllocation {
		return
	}
	var need domain.Money
	if entry.activeSpending() {
		need = entry.amount
		for _, funding := range entry.fundings() {
			if x.donationFor(campaign, funding.DonationID) >= 0 {
				need -= funding.Amount
			}
		}
	}
	campaign.links.setClaim(i, need)
}

// linkChanged brings the pots up to date after entry i changed from
// before (the zero entry for one just added, already placed). What an
// entry's money or claim depends on: the entry itself; for a donation,
// which entry its id resolves to and what spendings name it for; for a
// spending, whether the ids it names resolve. So the entries whose money
// or claim may change are i, the donations with the ids i had or has or
// named or names, and the spendings that name an id i had or has as a
// donation. A correction that moved the entry to another county's pot
// links the campaign anew. Called with x.mu held.
func (x *Index) linkChanged(campaign *campaignEntries, i int, before flowEntry) {
	after := &campaign.entries[i]
	if before.position != 0 && after.entity != before.entity && after.entity != "" {
		campaign.renamed[after.entity] = append(campaign.renamed[after.entity], i)
	}
	if !campaign.links.placed(campaign.entries, i) {
		campaign.links, _ = campaign.entries.buildPots()
		return
	}
	links := &campaign.links
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

// traceOne traces id from the pots the index keeps: the flow of id's last
// money donation and of its last spending entry in the campaign, as
// linking the campaign from nothing gives them. Called with x.mu held.
func (x *Index) traceOne(campaign *campaignEntries, id string) (*DonationFlow, *SpendingFlow, error) {
	query := &potQuery{entries: campaign.entries, links: &campaign.links, resolve: func(id string) int { return x.donationFor(campaign, id) }}
	return query.trace(x.donationFor(campaign, id), x.spendingFor(campaign, id))
}
