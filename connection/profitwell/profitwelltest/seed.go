package profitwelltest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

const day = int64(24 * 60 * 60)

// seedPlan is a fixture plan with its list price.
type seedPlan struct {
	id, name, interval string
	value              int64 // cents per interval
}

// fixturePlans are the first five seeded plans of every company; their ids
// are fixed so other packages' tests can rely on them.
var fixturePlans = []seedPlan{
	{"starter", "Starter", intervalMonth, 1900},
	{"growth", "Growth", intervalMonth, 4900},
	{"pro", "Pro", intervalMonth, 9900},
	{"enterprise", "Enterprise", intervalMonth, 49900},
	{"annual-pro", "Pro (annual)", intervalYear, 99000},
}

var firstNames = []string{
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "Lucas",
	"Mia", "Mateo", "Amelia", "Levi", "Harper", "Ethan", "Evelyn", "James", "Luna", "Henry",
	"Camila", "Aiden", "Gianna", "Sebastian", "Aria", "Jack", "Chloé", "Luiz", "Zoë", "Søren",
	"Priya", "Wei", "Fatima", "Kenji", "Ana", "Mohammed", "Ingrid", "Diego", "Aisha", "Tomás",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"O'Brien", "Müller", "Silva", "Nguyen", "Kowalski", "Tanaka", "Okafor", "Novak", "Haddad", "Larsen",
}

var emailDomains = []string{
	"example.com", "example.org", "acme.io", "initech.com", "globex.net", "umbrella.co",
	"hooli.com", "piedpiper.com", "stark.dev", "wayne.biz",
}

// asciiFold makes a name usable in an email address.
func asciiFold(s string) string { return strings.ToLower(foldReplacer.Replace(s)) }

var foldReplacer = strings.NewReplacer("é", "e", "ë", "e", "ø", "o", "ü", "u", "á", "a", "'", "", " ", "")

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// seedCompany fills a new company with deterministic data laid out relative
// to ref. Order of PRNG draws matters: do not reorder without accepting that
// the fixtures change.
func seedCompany(c *company, o *Options, ref time.Time) {
	refSec := ref.Unix()
	for i := range o.Plans {
		var p plan
		if i < len(fixturePlans) {
			p = plan{ID: fixturePlans[i].id, Name: fixturePlans[i].name}
		} else {
			p = plan{ID: fmt.Sprintf("plan-%d", i+1), Name: fmt.Sprintf("Plan %d", i+1)}
		}
		c.plans[p.ID] = &p
		c.planOrder = append(c.planOrder, &p)
	}
	seedUsers(c, o.Users, refSec)
	seedCustomers(c, o.Customers, refSec)
}

// userScenario describes what history a seeded user gets.
const (
	scActive = iota
	scUpgrades
	scChurnedVoluntary
	scChurnedDelinquent
	scScheduledChurn
	scTrialing
	scYearly
	scTrialConvertedDowngrade
	scTwoSubscriptions
	scChurnedThenReturned
	numScenarios
)

func seedUserAlias(i int) (userAlias, subAlias string) {
	switch {
	case i == 0:
		return "luiz's alias", "luiz's subscription"
	case i == 1:
		return "spiderman 1a", "spiderman_sub_1a"
	case i%6 == 5:
		return "", "" // anonymous: only ProfitWell ids
	default:
		return fmt.Sprintf("user_%03d", i), fmt.Sprintf("sub_%03d", i)
	}
}

func seedUsers(c *company, n int, ref int64) {
	for i := range n {
		r := c.rng
		alias, subAlias := seedUserAlias(i)
		fn, ln := pick(r, firstNames), pick(r, lastNames)
		email := fmt.Sprintf("%s.%s@%s", asciiFold(fn), asciiFold(ln), pick(r, emailDomains))
		u := c.addUser(c.newUserID(), alias, email)
		start := ref - r.between(90*day, 700*day)
		past := func(t int64) int64 { return min(t, ref-day) }
		mk := func(p seedPlan, status string, t int64) *event {
			return &event{planID: p.id, interval: p.interval, status: status, value: p.value, effective: t}
		}
		newSub := func(alias string, first *event) *subscription {
			return c.addSubscription(u, c.newSubscriptionID(), alias, "usd", first)
		}
		add := func(s *subscription, ev *event) {
			ev.seq = c.nextSeq()
			s.insert(ev)
		}
		churn := func(s *subscription, status string, t int64) {
			prev := s.events[len(s.events)-1]
			add(s, &event{planID: prev.planID, interval: prev.interval, status: status, value: prev.value, effective: t})
		}
		starter, growth, pro, ent, annual := fixturePlans[0], fixturePlans[1], fixturePlans[2], fixturePlans[3], fixturePlans[4]
		suffix := func(k int) string {
			if subAlias == "" {
				return ""
			}
			if k == 1 {
				return subAlias
			}
			return fmt.Sprintf("%s_%d", subAlias, k)
		}
		switch i % numScenarios {
		case scActive:
			newSub(suffix(1), mk(pick(r, []seedPlan{starter, growth, ent}), statusActive, start))
		case scUpgrades:
			s := newSub(suffix(1), mk(starter, statusActive, start))
			t := past(start + r.between(30*day, 60*day))
			add(s, mk(growth, statusActive, t))
			add(s, mk(pro, statusActive, past(t+r.between(20*day, 60*day))))
		case scChurnedVoluntary:
			s := newSub(suffix(1), mk(growth, statusActive, start))
			churn(s, statusChurnedVoluntary, past(start+r.between(30*day, 80*day)))
		case scChurnedDelinquent:
			s := newSub(suffix(1), mk(pro, statusActive, start))
			churn(s, statusChurnedDelinquent, past(start+r.between(30*day, 80*day)))
		case scScheduledChurn:
			s := newSub(suffix(1), mk(growth, statusActive, start))
			churn(s, statusChurnedVoluntary, ref+r.between(10*day, 40*day))
		case scTrialing:
			newSub(suffix(1), mk(starter, statusTrialing, ref-r.between(2*day, 13*day)))
		case scYearly:
			newSub(suffix(1), mk(annual, statusActive, start))
		case scTrialConvertedDowngrade:
			s := newSub(suffix(1), mk(pro, statusTrialing, start))
			add(s, mk(pro, statusActive, start+14*day))
			add(s, mk(growth, statusActive, past(start+r.between(40*day, 80*day))))
		case scTwoSubscriptions:
			newSub(suffix(1), mk(pro, statusActive, start))
			newSub(suffix(2), mk(annual, statusActive, past(start+r.between(10*day, 60*day))))
		case scChurnedThenReturned:
			s := newSub(suffix(1), mk(starter, statusActive, start))
			t := past(start + r.between(20*day, 40*day))
			churn(s, statusChurnedVoluntary, t)
			newSub(suffix(2), mk(growth, statusActive, past(t+r.between(10*day, 40*day))))
		}
		// updated_on: the last write, shortly after the latest past event
		// (scheduled churns were written before the reference instant).
		var last int64
		for _, s := range u.subs {
			for _, ev := range s.events {
				if ev.effective < ref {
					last = max(last, ev.effective)
				}
			}
		}
		upd := min(last+r.between(60, 6*3600), ref-3600)
		if i%numScenarios == scScheduledChurn {
			upd = ref - r.between(3600, 3*day)
		}
		micros := int64(0)
		if i%2 == 0 {
			micros = r.between(1, 1_000_000)
		}
		u.updated = time.Unix(upd, micros*1000).UTC()
	}
}

// customerStatusWeights drives the seeded customers' status mix.
var customerStatusWeights = []struct {
	status string
	weight int
}{
	{custActive, 55}, {custTrialing, 8}, {custCancelled, 5}, {custChurnedTrial, 5},
	{custChurnedVoluntary, 15}, {custChurnedDelinquent, 7}, {custNoHistory, 5},
}

func pickStatus(r *prng) string {
	n := r.intn(100)
	for _, w := range customerStatusWeights {
		if n < w.weight {
			return w.status
		}
		n -= w.weight
	}
	return custActive
}

func seedCustomers(c *company, n int, ref int64) {
	r := c.rng
	used := map[string]bool{}
	var prev *seededCustomer
	var prevEmail *string
	for i := range n {
		id := "cus_" + r.alnum(14)
		for used[id] {
			id = "cus_" + r.alnum(14)
		}
		used[id] = true
		first, last := pick(r, firstNames), pick(r, lastNames)
		cj := customerJSON{CustomerID: id, FirstName: &first, LastName: &last}
		switch {
		case i%10 == 3: // no name known
			cj.FirstName, cj.LastName = nil, nil
		}
		email := fmt.Sprintf("%s.%s%d@%s", asciiFold(first), asciiFold(last), r.intn(100), pick(r, emailDomains))
		switch {
		case i%50 == 17: // mixed case, for case-insensitive email search
			email = fmt.Sprintf("%s.%s@Example.COM", capitalize(asciiFold(first)), capitalize(asciiFold(last)))
		case i%97 == 40 && prevEmail != nil: // two customers, one email
			email = *prevEmail
		}
		cj.Email = &email
		if i%83 == 11 {
			cj.Email = nil
		}
		status := pickStatus(r)
		p := fixturePlans[r.intn(len(fixturePlans))]
		seats := int64(1 + r.intn(3))
		planMRR := monthlyValue(p.value, p.interval) * seats

		// A few customers share the previous customer's exact updated_on to
		// exercise tie-breaking by customer_id; their history ends before it.
		base := ref
		tie := i%20 == 7 && prev != nil
		if tie {
			base = prev.updated/1_000_000 - 60
		}
		created := base - r.between(2*day, 730*day)
		var activated, churned, scheduled int64
		var mc mSub
		switch status {
		case custTrialing:
			created = base - r.between(day, 14*day)
		case custChurnedTrial:
			churned = min(created+r.between(7*day, 31*day), base-3600)
		case custActive, custCancelled, custChurnedVoluntary, custChurnedDelinquent:
			activated = min(created+r.between(0, 15*day), base-3600)
			if status == custChurnedVoluntary || status == custChurnedDelinquent {
				churned = r.between(activated+day, max(base-3600, activated+day+1))
				churned = min(churned, base-3600)
			}
			if status == custCancelled {
				scheduled = ref + r.between(3*day, 60*day)
			}
		}
		// Metrics timeline: trial until activation, active with planMRR, churn.
		if status == custTrialing || status == custChurnedTrial || (activated != 0 && activated > created) {
			mc.events = append(mc.events, mEvent{t: created, st: stTrial, plan: p.id})
		}
		if activated != 0 {
			mc.events = append(mc.events, mEvent{t: activated, st: stActive, mrr: planMRR, plan: p.id})
		}
		switch status {
		case custChurnedVoluntary, custChurnedTrial:
			mc.events = append(mc.events, mEvent{t: churned, st: stChurnVol, plan: p.id})
		case custChurnedDelinquent:
			mc.events = append(mc.events, mEvent{t: churned, st: stChurnDel, plan: p.id})
		case custCancelled:
			mc.events = append(mc.events, mEvent{t: scheduled, st: stChurnVol, plan: p.id})
		}
		if status == custNoHistory {
			mc.events = nil
		}

		cj.Status = status
		cj.Plans = []string{p.id}
		if status == custNoHistory {
			cj.Plans = []string{}
		}
		cj.CreatedOn = optTime(created, true)
		cj.ActivatedOn = optTime(activated, activated != 0)
		cj.ChurnedOn = optTime(churned, churned != 0)
		if status == custActive || status == custCancelled {
			cj.MRRCents = planMRR
		}
		if activated != 0 {
			end := ref
			if churned != 0 {
				end = churned
			}
			months := (end-activated)/(30*day) + 1
			cj.TotalSpendCents = months * planMRR
		}

		// updated_on: after the last known change, spread over ~2 years.
		lastChange := max(created, activated, churned)
		upd := time.Unix(lastChange+r.between(0, max(1, min(30*day, base-60-lastChange))), 0).UTC()
		if r.chance(40) {
			upd = upd.Add(time.Duration(r.between(1, 1_000_000)) * time.Microsecond)
		}
		if tie {
			upd = time.UnixMicro(prev.updated).UTC()
		}
		cj.UpdatedOn = formatTime(upd)

		sc := &seededCustomer{
			id:      id,
			updated: upd.UnixMicro(),
			json:    mustMarshal(cj),
			metrics: mCustomer{subs: []mSub{mc}},
		}
		if cj.Email != nil {
			sc.email = strings.ToLower(*cj.Email)
			prevEmail = cj.Email
		}
		c.seeded = append(c.seeded, sc)
		c.seededByID[id] = sc
		prev = sc
	}
	slices.SortFunc(c.seeded, func(a, b *seededCustomer) int {
		return compareEntries(custEntry{key: a.updated, id: a.id}, custEntry{key: b.updated, id: b.id})
	})
}
