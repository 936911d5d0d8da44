package profitwelltest

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Subscription statuses as they appear in history records.
const (
	statusActive            = "active"
	statusTrialing          = "trialing"
	statusChurnedVoluntary  = "churned_voluntary"
	statusChurnedDelinquent = "churned_delinquent"

	intervalMonth = "month"
	intervalYear  = "year"

	maxAliasLen = 36
	maxTextLen  = 255
)

func isChurnStatus(s string) bool {
	return s == statusChurnedVoluntary || s == statusChurnedDelinquent
}

// company is one token's account: its own plans, users, subscriptions,
// seeded customers, exclusions and rate limiters.
type company struct {
	digest   [32]byte // sha256 of the token; the raw token is never stored
	id       string
	name     string
	timezone string
	currency string

	mu  sync.RWMutex
	rng *prng
	seq uint64 // insertion order of events, for stable history ordering

	plans     map[string]*plan
	planOrder []*plan

	users        map[string]*user // by user_id
	usersByAlias map[string]*user
	userList     []*user // creation order (deterministic iteration)
	subs         map[string]*subscription
	subsByAlias  map[string]*subscription

	seeded     []*seededCustomer // sorted by (updated_on, customer_id)
	seededByID map[string]*seededCustomer

	index *customerIndex // nil when a write made it stale

	limGlobal  *rate.Limiter
	limPlans   *rate.Limiter
	limMetrics *rate.Limiter
	limExclude *rate.Limiter
}

type plan struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type user struct {
	id       string
	alias    string // "" = none
	email    string
	subs     []*subscription // creation order
	updated  time.Time       // last write touching the user (customers' updated_on)
	excluded bool            // excluded from customers list and metrics
}

// customerID is the id of the customer derived from this user.
func (u *user) customerID() string {
	if u.alias != "" {
		return u.alias
	}
	return u.id
}

type subscription struct {
	id       string
	alias    string
	user     *user
	currency string
	events   []*event // sorted by (effective, seq)
}

// event is one history entry (creation, upgrade/downgrade or churn).
type event struct {
	planID    string
	interval  string
	status    string
	value     int64
	effective int64 // Unix seconds
	seq       uint64
}

func (s *subscription) insert(ev *event) {
	i, _ := slices.BinarySearchFunc(s.events, ev, func(a, b *event) int {
		if c := cmp.Compare(a.effective, b.effective); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	s.events = slices.Insert(s.events, i, ev)
}

// churnEvent returns the subscription's churn event (there is at most one,
// and it is always the latest) or nil.
func (s *subscription) churnEvent() *event {
	if n := len(s.events); n > 0 && isChurnStatus(s.events[n-1].status) {
		return s.events[n-1]
	}
	return nil
}

// at returns the event in force at Unix time t, or nil before the start.
func (s *subscription) at(t int64) *event {
	i, _ := slices.BinarySearchFunc(s.events, t, func(e *event, t int64) int {
		if e.effective <= t {
			return -1
		}
		return 1
	})
	if i == 0 {
		return nil
	}
	return s.events[i-1]
}

func (c *company) nextSeq() uint64 {
	c.seq++
	return c.seq
}

func (c *company) newUserID() string {
	for {
		id := "pwu_" + c.rng.alnum(12)
		if _, dup := c.users[id]; !dup {
			return id
		}
	}
}

func (c *company) newSubscriptionID() string {
	for {
		id := "pws_" + c.rng.alnum(12)
		if _, dup := c.subs[id]; !dup {
			return id
		}
	}
}

func (c *company) addUser(id, alias, email string) *user {
	u := &user{id: id, alias: alias, email: email}
	c.users[id] = u
	if alias != "" {
		c.usersByAlias[alias] = u
	}
	c.userList = append(c.userList, u)
	return u
}

func (c *company) addSubscription(u *user, id, alias, currency string, first *event) *subscription {
	s := &subscription{id: id, alias: alias, user: u, currency: currency}
	first.seq = c.nextSeq()
	s.events = []*event{first}
	u.subs = append(u.subs, s)
	c.subs[id] = s
	if alias != "" {
		c.subsByAlias[alias] = s
	}
	return s
}

func (c *company) deleteUser(u *user) {
	for _, s := range u.subs {
		delete(c.subs, s.id)
		if s.alias != "" {
			delete(c.subsByAlias, s.alias)
		}
	}
	delete(c.users, u.id)
	if u.alias != "" {
		delete(c.usersByAlias, u.alias)
	}
	c.userList = slices.DeleteFunc(c.userList, func(x *user) bool { return x == u })
	c.index = nil
}

// lookupSubscription resolves a path parameter: id first, then alias.
func (c *company) lookupSubscription(key string) *subscription {
	if s, ok := c.subs[key]; ok {
		return s
	}
	return c.subsByAlias[key]
}

// lookupUser resolves a path parameter: id first, then alias.
func (c *company) lookupUser(key string) *user {
	if u, ok := c.users[key]; ok {
		return u
	}
	return c.usersByAlias[key]
}

// touch records a write: the derived customer's updated_on moves to now and
// the customers index is rebuilt on the next read.
func (c *company) touch(u *user, now time.Time) {
	u.updated = now.UTC().Truncate(time.Microsecond)
	c.index = nil
}

// subscriptionRecord is the §3.1 wire shape.
type subscriptionRecord struct {
	UserID            string   `json:"user_id"`
	SubscriptionID    string   `json:"subscription_id"`
	UserAlias         *string  `json:"user_alias"`
	SubscriptionAlias *string  `json:"subscription_alias"`
	Email             string   `json:"email"`
	PlanID            string   `json:"plan_id"`
	PlanInterval      string   `json:"plan_interval"`
	PlanCurrency      string   `json:"plan_currency"`
	Status            string   `json:"status"`
	Value             int64    `json:"value"`
	EffectiveDate     int64    `json:"effective_date"`
	Meta              struct{} `json:"meta"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func record(s *subscription, ev *event) subscriptionRecord {
	return subscriptionRecord{
		UserID:            s.user.id,
		SubscriptionID:    s.id,
		UserAlias:         optString(s.user.alias),
		SubscriptionAlias: optString(s.alias),
		Email:             s.user.email,
		PlanID:            ev.planID,
		PlanInterval:      ev.interval,
		PlanCurrency:      s.currency,
		Status:            ev.status,
		Value:             ev.value,
		EffectiveDate:     ev.effective,
	}
}

// history returns every event of the user's subscriptions, chronological by
// effective date, then insertion order.
func history(u *user) []subscriptionRecord {
	type pair struct {
		s  *subscription
		ev *event
	}
	var all []pair
	for _, s := range u.subs {
		for _, ev := range s.events {
			all = append(all, pair{s, ev})
		}
	}
	slices.SortFunc(all, func(a, b pair) int {
		if c := cmp.Compare(a.ev.effective, b.ev.effective); c != 0 {
			return c
		}
		return cmp.Compare(a.ev.seq, b.ev.seq)
	})
	out := make([]subscriptionRecord, len(all))
	for i, p := range all {
		out[i] = record(p.s, p.ev)
	}
	return out
}

// monthlyValue normalises a per-interval value to a monthly amount in cents.
func monthlyValue(value int64, interval string) int64 {
	if interval == intervalYear {
		return (value + 6) / 12
	}
	return value
}

// planCurrencies is the 160-code list used by the public clients.
var planCurrencies = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd btc btn bwp bzd cad cdf chf clf clp cny cop crc cup cve czk djf dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd gnf gtq gyd hkd hnl hrk htg huf idr ils inr iqd irr isk jep jmd jod jpy kes kgs khr kmf kpw krw kwd kyd kzt lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mro mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sdg sek sgd shp sll sos srd std svc syp szl thb tjs tmt tnd top try ttd twd tzs uah ugx usd uyu uzs vef vnd vuv wst xaf xag xau xcd xdr xof xpf yer zar zmw zwl`) {
		m[c] = true
	}
	return m
}()
