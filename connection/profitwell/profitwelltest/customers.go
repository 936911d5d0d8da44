package profitwelltest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Customer statuses of the customers API (§3.2).
const (
	custActive            = "active"
	custTrialing          = "trialing"
	custCancelled         = "cancelled"
	custChurnedTrial      = "churned_trial"
	custChurnedVoluntary  = "churned_voluntary"
	custChurnedDelinquent = "churned_delinquent"
	custNoHistory         = "no_history"

	defaultPerPage = 250
	maxPerPage     = 250
)

// customerJSON is the §6.1 wire shape.
type customerJSON struct {
	CustomerID      string   `json:"customer_id"`
	Email           *string  `json:"email"`
	FirstName       *string  `json:"first_name"`
	LastName        *string  `json:"last_name"`
	MRRCents        int64    `json:"mrr_cents"`
	Plans           []string `json:"plans"`
	Status          string   `json:"status"`
	CreatedOn       *string  `json:"created_on"`
	ActivatedOn     *string  `json:"activated_on"`
	ChurnedOn       *string  `json:"churned_on"`
	UpdatedOn       string   `json:"updated_on"`
	TotalSpendCents int64    `json:"total_spend_cents"`
}

// formatTime renders a timestamp like Django REST framework (Python
// isoformat): UTC with "Z", microseconds only when non-zero.
func formatTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

func optTime(unix int64, ok bool) *string {
	if !ok {
		return nil
	}
	s := formatTime(time.Unix(unix, 0))
	return &s
}

// seededCustomer is a customer that exists only in the customers view
// (a "billing integration" customer). It is a static snapshot as of the
// Reference instant; its JSON is encoded once.
type seededCustomer struct {
	id       string
	email    string // lower-case, "" when null
	updated  int64  // Unix microseconds
	json     []byte
	excluded bool
	metrics  mCustomer // timeline used by the metrics endpoints
}

// custEntry is one row of the customers index.
type custEntry struct {
	key   int64 // updated_on in Unix microseconds
	id    string
	email string // lower-case
	json  []byte
}

func compareEntries(a, b custEntry) int {
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// customerIndex is an immutable snapshot of the customers view, sorted by
// (updated_on, customer_id). It is valid while builtAt <= now < validUntil
// (derived statuses change when a scheduled event or a billing date passes)
// and until the next write.
type customerIndex struct {
	entries    []custEntry
	builtAt    int64 // Unix seconds
	validUntil int64 // Unix seconds
}

// deriveCustomer computes the customers-API view of an API-created user at
// Unix time now. It also returns the next instant at which the view changes
// by itself (a future event or a billing date), or math.MaxInt64.
func deriveCustomer(u *user, now int64) (customerJSON, int64) {
	next := int64(math.MaxInt64)
	var (
		mrr, spend                                  int64
		anyActive, anyTrial, anyScheduled, anyStart bool
		created, activated                          int64
		haveCreated, haveActivated                  bool
		lastChurn                                   *event
		lastChurnFromTrial                          bool
		livePlans, allPlans                         []string
	)
	for _, s := range u.subs {
		for i, ev := range s.events {
			if ev.effective > now {
				next = min(next, ev.effective)
				continue
			}
			if !haveCreated || ev.effective < created {
				created, haveCreated = ev.effective, true
			}
			if ev.status == statusActive && (!haveActivated || ev.effective < activated) {
				activated, haveActivated = ev.effective, true
			}
			if ev.status != statusActive {
				continue
			}
			// Billing: one charge per started period of each active segment.
			segEnd := int64(math.MaxInt64)
			if i+1 < len(s.events) {
				segEnd = s.events[i+1].effective
			}
			start := time.Unix(ev.effective, 0).UTC()
			for k := 0; ; k++ {
				var p int64
				if ev.interval == intervalYear {
					p = start.AddDate(k, 0, 0).Unix()
				} else {
					p = start.AddDate(0, k, 0).Unix()
				}
				if p >= segEnd {
					break
				}
				if p > now {
					next = min(next, p)
					break
				}
				spend += ev.value
			}
		}
		cur := s.at(now)
		if cur == nil {
			continue
		}
		anyStart = true
		allPlans = appendUnique(allPlans, cur.planID)
		switch cur.status {
		case statusActive, statusTrialing:
			livePlans = appendUnique(livePlans, cur.planID)
			scheduled := s.churnEvent() != nil
			if cur.status == statusActive {
				mrr += monthlyValue(cur.value, cur.interval)
			}
			switch {
			case scheduled:
				anyScheduled = true
			case cur.status == statusActive:
				anyActive = true
			default:
				anyTrial = true
			}
		default: // churned
			if lastChurn == nil || cur.effective > lastChurn.effective ||
				(cur.effective == lastChurn.effective && cur.seq > lastChurn.seq) {
				lastChurn = cur
				lastChurnFromTrial = len(s.events) >= 2 && s.events[len(s.events)-2].status == statusTrialing
			}
		}
	}
	cj := customerJSON{
		CustomerID:      u.customerID(),
		Email:           optString(u.email),
		MRRCents:        mrr,
		TotalSpendCents: spend,
		CreatedOn:       optTime(created, haveCreated),
		ActivatedOn:     optTime(activated, haveActivated),
		UpdatedOn:       formatTime(u.updated),
	}
	switch {
	case anyActive:
		cj.Status = custActive
	case anyTrial:
		cj.Status = custTrialing
	case anyScheduled:
		cj.Status = custCancelled
	case lastChurn != nil:
		cj.Status = lastChurn.status
		if lastChurnFromTrial {
			cj.Status = custChurnedTrial
		}
		cj.ChurnedOn = optTime(lastChurn.effective, true)
	case !anyStart:
		cj.Status = custNoHistory
	}
	cj.Plans = livePlans
	if len(cj.Plans) == 0 {
		cj.Plans = allPlans
	}
	if cj.Plans == nil {
		cj.Plans = []string{}
	}
	return cj, next
}

func appendUnique(xs []string, s string) []string {
	if slices.Contains(xs, s) {
		return xs
	}
	return append(xs, s)
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("profitwelltest: marshal: %v", err))
	}
	return b
}

// buildIndex builds the customers view at Unix time now. Caller holds c.mu
// (read or write).
func (c *company) buildIndex(now int64) *customerIndex {
	idx := &customerIndex{builtAt: now, validUntil: math.MaxInt64}
	derived := make([]custEntry, 0, len(c.userList))
	for _, u := range c.userList {
		if u.excluded {
			continue
		}
		cj, next := deriveCustomer(u, now)
		idx.validUntil = min(idx.validUntil, next)
		email := ""
		if cj.Email != nil {
			email = strings.ToLower(*cj.Email)
		}
		derived = append(derived, custEntry{key: u.updated.UnixMicro(), id: cj.CustomerID, email: email, json: mustMarshal(cj)})
	}
	slices.SortFunc(derived, compareEntries)
	idx.entries = make([]custEntry, 0, len(c.seeded)+len(derived))
	i := 0
	for _, sc := range c.seeded {
		if sc.excluded {
			continue
		}
		se := custEntry{key: sc.updated, id: sc.id, email: sc.email, json: sc.json}
		for i < len(derived) && compareEntries(derived[i], se) < 0 {
			idx.entries = append(idx.entries, derived[i])
			i++
		}
		idx.entries = append(idx.entries, se)
	}
	idx.entries = append(idx.entries, derived[i:]...)
	return idx
}

// customersAt returns a valid index for now, rebuilding it if a write or
// the passage of time made the cached one stale.
func (c *company) customersAt(now time.Time) *customerIndex {
	sec := now.Unix()
	c.mu.RLock()
	idx := c.index
	c.mu.RUnlock()
	if idx != nil && idx.builtAt <= sec && sec < idx.validUntil {
		return idx
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.index == nil || !(c.index.builtAt <= sec && sec < c.index.validUntil) {
		c.index = c.buildIndex(sec)
	}
	return c.index
}

// ceilMicro converts t to Unix microseconds, rounding up, so that
// "key >= t" and "key < t" can be decided on integer keys.
func ceilMicro(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).Before(t) {
		us++
	}
	return us
}

// listCustomers serves GET /v2/customers/.
func (e *Emulator) listCustomers(c *company, r *http.Request, now time.Time) response {
	q := r.URL.Query()
	var errs fieldErrors
	if v := q.Get("date_field"); v != "" && v != "updated_on" {
		errs.add("date_field", invalidChoice(v))
	}
	startKey, endKey := int64(math.MinInt64), int64(math.MaxInt64)
	if v := q.Get("start_date"); v != "" {
		if t, ok := parseFlexibleTime(v); ok {
			startKey = ceilMicro(t)
		} else {
			errs.add("start_date", msgDatetimeFormat)
		}
	}
	if v := q.Get("end_date"); v != "" {
		if t, ok := parseFlexibleTime(v); ok {
			endKey = ceilMicro(t)
		} else {
			errs.add("end_date", msgDatetimeFormat)
		}
	}
	page, perPage := int64(1), int64(defaultPerPage)
	if v := q.Get("page"); v != "" {
		if n, ok := queryInt(&errs, "page", v, intSpec{min: 1, max: math.MaxInt32}); ok {
			page = n
		}
	}
	if v := q.Get("per_page"); v != "" {
		if n, ok := queryInt(&errs, "per_page", v, intSpec{min: 1, max: maxPerPage}); ok {
			perPage = n
		}
	}
	desc := false
	if v := q.Get("direction"); v != "" {
		switch strings.ToLower(v) {
		case "asc":
		case "desc":
			desc = true
		default:
			errs.add("direction", invalidChoice(v))
		}
	}
	if !errs.empty() {
		return errs.response()
	}
	if page*perPage > int64(e.maxRows) {
		return detail(http.StatusBadRequest, fmt.Sprintf(
			"Invalid page: only the first %d results can be paged through (page * per_page must not exceed %d). Move start_date forward to the last updated_on you received and start again at page 1.",
			e.maxRows, e.maxRows))
	}
	email := strings.ToLower(strings.TrimSpace(q.Get("email")))

	entries := c.customersAt(now).entries
	lo := sort.Search(len(entries), func(i int) bool { return entries[i].key >= startKey })
	hi := sort.Search(len(entries), func(i int) bool { return entries[i].key >= endKey })
	if hi < lo {
		hi = lo
	}
	window := entries[lo:hi]
	if email != "" {
		var matched []custEntry
		for _, en := range window {
			if en.email == email {
				matched = append(matched, en)
			}
		}
		window = matched
	}
	// Rows of the page: window[from:to], walked backwards for desc.
	off, n := (page-1)*perPage, int64(len(window))
	from, to := min(off, n), min(off+perPage, n)
	if desc {
		from, to = n-to, n-from
	}
	rows := window[from:to]
	size := 2
	for _, en := range rows {
		size += len(en.json) + 1
	}
	var buf bytes.Buffer
	buf.Grow(size)
	buf.WriteByte('[')
	for i := range rows {
		en := rows[i]
		if desc {
			en = rows[len(rows)-1-i]
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(en.json)
	}
	buf.WriteByte(']')
	return rawJSON(http.StatusOK, buf.Bytes())
}

// findCustomer resolves a customer id to a seeded customer or a user.
// Caller holds c.mu.
func (c *company) findCustomer(id string) (*seededCustomer, *user) {
	if sc, ok := c.seededByID[id]; ok {
		return sc, nil
	}
	if u, ok := c.usersByAlias[id]; ok {
		return nil, u
	}
	if u, ok := c.users[id]; ok && u.alias == "" {
		return nil, u
	}
	return nil, nil
}

// getCustomer serves GET /v2/customers/{customer_id}/.
func (e *Emulator) getCustomer(c *company, id string, now time.Time) response {
	c.mu.RLock()
	defer c.mu.RUnlock()
	sc, u := c.findCustomer(id)
	switch {
	case sc != nil && !sc.excluded:
		return rawJSON(http.StatusOK, sc.json)
	case u != nil && !u.excluded:
		cj, _ := deriveCustomer(u, now.Unix())
		return jsonResponse(http.StatusOK, cj)
	default:
		return notFound()
	}
}

// excludeCustomer serves POST /v2/metrics/exclude_customer/{customer_id}/.
// Excluding is idempotent.
func (e *Emulator) excludeCustomer(c *company, id string) response {
	c.mu.Lock()
	defer c.mu.Unlock()
	sc, u := c.findCustomer(id)
	switch {
	case sc != nil:
		sc.excluded = true
	case u != nil:
		u.excluded = true
	default:
		return notFound()
	}
	c.index = nil
	return rawJSON(http.StatusOK, []byte("{}"))
}

// TouchCustomers records a change to each customer in ids (seeded customers,
// or users by id or alias), as ProfitWell's billing sync would: its
// updated_on becomes now, read once per customer, so a batch spreads over
// microseconds like real writes. An unknown id is an error and nothing is
// changed.
func (e *Emulator) TouchCustomers(token string, ids []string) error {
	c := e.company(token)
	if c == nil {
		return fmt.Errorf("profitwelltest: unknown token")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if sc, u := c.findCustomer(id); sc == nil && u == nil {
			return fmt.Errorf("profitwelltest: no customer %q", id)
		}
	}
	for _, id := range ids {
		now := e.now().UTC().Truncate(time.Microsecond)
		sc, u := c.findCustomer(id)
		if u != nil {
			c.touch(u, now)
			continue
		}
		var cj customerJSON
		if err := json.Unmarshal(sc.json, &cj); err != nil {
			return fmt.Errorf("profitwelltest: customer %q: %w", id, err)
		}
		cj.UpdatedOn = formatTime(now)
		sc.json, sc.updated = mustMarshal(cj), now.UnixMicro()
	}
	slices.SortFunc(c.seeded, func(a, b *seededCustomer) int {
		return compareEntries(custEntry{key: a.updated, id: a.id}, custEntry{key: b.updated, id: b.id})
	})
	c.index = nil
	return nil
}
