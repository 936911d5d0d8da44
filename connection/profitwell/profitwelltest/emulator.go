package profitwelltest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// DefaultToken is the documented sandbox private token, accepted when
// Options.Tokens is empty.
const DefaultToken = "sandbox-private-token"

// Options configure an Emulator. The zero value is usable.
type Options struct {
	// Seed drives the PRNG of the seeded data and of generated ids: same
	// Seed, same token and same Reference give identical data.
	Seed int64
	// Tokens are the accepted private tokens. Each gets its own company with
	// independent state, seeded from Seed and the token (so companies
	// differ, deterministically). Default: []string{DefaultToken}.
	Tokens []string
	// Reference is the instant the seeded data is laid out relative to
	// (about two years of history before it, scheduled churns after it).
	// Zero means the start of the current UTC day according to Now.
	Reference time.Time
	// Now is the clock for writes (updated_on), rate limiting, scheduled
	// events and metrics windows. Nil means time.Now.
	Now func() time.Time
	// Customers is the number of seeded customers (besides those derived
	// from users). 0 means 1000; negative means none.
	Customers int
	// Users is the number of seeded users with subscription histories.
	// 0 means 30; negative means none.
	Users int
	// Plans is the number of seeded plans; values below 5 mean 5.
	Plans int
	// RateLimit enforces ProfitWell's limits (see SetRateLimit).
	RateLimit bool
	// MaxRows is the customers API's reachable-row window: a request with
	// page*per_page > MaxRows is refused. 0 means 100000.
	MaxRows int
}

// Emulator is an in-memory ProfitWell API v2 server. It is an
// http.Handler, safe for concurrent use. Create it with New.
type Emulator struct {
	opts      Options
	now       func() time.Time
	reference time.Time
	maxRows   int
	rateLimit atomic.Bool

	mu        sync.RWMutex
	companies []*company

	faultMu sync.Mutex
	faults  []*faultEntry

	reqMu    sync.Mutex
	requests []*RecordedRequest
}

// maxRecorded bounds the request log so a long-running sandbox does not
// grow without limit; the oldest half is dropped when it is reached.
const maxRecorded = 100_000

// RecordedRequest is one request the emulator received. It never holds the
// token, only TokenHash of the Authorization header.
type RecordedRequest struct {
	Method    string
	Path      string // r.URL.Path (unescaped)
	RawQuery  string
	TokenHash string // TokenHash of the Authorization header; "" when absent
	Status    int    // 0 when no response was sent (reset, abandoned)
	Time      time.Time
}

// TokenHash returns the short, non-reversible fingerprint of a token used in
// RecordedRequest.TokenHash.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte("profitwelltest\x00" + token))
	return hex.EncodeToString(sum[:8])
}

// New returns an emulator seeded per opts. It panics only on programmer
// error (an empty token, a negative MaxRows).
func New(opts Options) *Emulator {
	if opts.MaxRows < 0 {
		panic("profitwelltest: negative Options.MaxRows")
	}
	e := &Emulator{opts: opts, now: opts.Now}
	if e.now == nil {
		e.now = time.Now
	}
	e.maxRows = opts.MaxRows
	if e.maxRows == 0 {
		e.maxRows = 100_000
	}
	switch {
	case opts.Customers == 0:
		e.opts.Customers = 1000
	case opts.Customers < 0:
		e.opts.Customers = 0
	}
	switch {
	case opts.Users == 0:
		e.opts.Users = 30
	case opts.Users < 0:
		e.opts.Users = 0
	}
	e.opts.Plans = max(opts.Plans, len(fixturePlans))
	e.reference = opts.Reference.UTC()
	if opts.Reference.IsZero() {
		n := e.now().UTC()
		e.reference = time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
	}
	e.opts.Tokens = nil
	e.rateLimit.Store(opts.RateLimit)
	tokens := opts.Tokens
	if len(tokens) == 0 {
		tokens = []string{DefaultToken}
	}
	for _, t := range tokens {
		e.AddToken(t)
	}
	return e
}

// AddToken adds a company for token, seeded like the others, unless the
// token is already accepted. It panics on an empty token.
func (e *Emulator) AddToken(token string) {
	if token == "" {
		panic("profitwelltest: empty token")
	}
	digest := sha256.Sum256([]byte(token))
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.companies {
		if c.digest == digest {
			return
		}
	}
	c := &company{
		digest:       digest,
		timezone:     "America/New_York",
		currency:     "usd",
		rng:          newPRNG(e.opts.Seed, token),
		plans:        map[string]*plan{},
		users:        map[string]*user{},
		usersByAlias: map[string]*user{},
		subs:         map[string]*subscription{},
		subsByAlias:  map[string]*subscription{},
		seededByID:   map[string]*seededCustomer{},
		limGlobal:    rate.NewLimiter(rate.Every(time.Second/5), 25),
		limPlans:     rate.NewLimiter(rate.Every(24*time.Hour/1000), 1000),
		limMetrics:   rate.NewLimiter(rate.Every(24*time.Hour/3000), 3000),
		limExclude:   rate.NewLimiter(rate.Every(time.Minute/10), 10),
	}
	c.id = fmt.Sprintf("%d", 100000+c.rng.intn(900000))
	c.name = "Sandbox Company"
	seedCompany(c, &e.opts, e.reference)
	e.companies = append(e.companies, c)
}

// SetRateLimit switches enforcement of ProfitWell's rate limits (per token:
// 25 requests / 5 s overall, plans 1000/day, metrics and company settings
// 3000/day, customer exclusions 10/minute) on or off.
func (e *Emulator) SetRateLimit(on bool) { e.rateLimit.Store(on) }

// Reference returns the instant the seeded data is laid out relative to.
func (e *Emulator) Reference() time.Time { return e.reference }

// company finds the company of a token, comparing SHA-256 digests in
// constant time against every company.
func (e *Emulator) company(token string) *company {
	digest := sha256.Sum256([]byte(token))
	e.mu.RLock()
	defer e.mu.RUnlock()
	var found *company
	for _, c := range e.companies {
		if subtle.ConstantTimeCompare(c.digest[:], digest[:]) == 1 {
			found = c
		}
	}
	return found
}

// Requests returns a copy of the request log, oldest first.
func (e *Emulator) Requests() []RecordedRequest {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	out := make([]RecordedRequest, len(e.requests))
	for i, r := range e.requests {
		out[i] = *r
	}
	return out
}

// ResetRequests empties the request log.
func (e *Emulator) ResetRequests() {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	e.requests = nil
}

func (e *Emulator) record(r *http.Request) *RecordedRequest {
	rr := &RecordedRequest{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Time:     e.now(),
	}
	if v := r.Header.Get("Authorization"); v != "" {
		rr.TokenHash = TokenHash(v)
	}
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	if len(e.requests) >= maxRecorded {
		e.requests = append(e.requests[:0:0], e.requests[maxRecorded/2:]...)
	}
	e.requests = append(e.requests, rr)
	return rr
}

func (e *Emulator) setStatus(rr *RecordedRequest, status int) {
	e.reqMu.Lock()
	rr.Status = status
	e.reqMu.Unlock()
}

// CustomerCount returns the number of customers the customers API lists for
// token now (seeded plus derived from users, minus excluded), or 0 for an
// unknown token.
func (e *Emulator) CustomerCount(token string) int {
	c := e.company(token)
	if c == nil {
		return 0
	}
	return len(c.customersAt(e.now()).entries)
}

// SubscriptionCount returns the number of subscriptions (any status) of
// token's company, or 0 for an unknown token.
func (e *Emulator) SubscriptionCount(token string) int {
	c := e.company(token)
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.subs)
}

// SubscriptionsWithAlias returns how many subscriptions of token's company
// carry subscription_alias alias (0 or 1, since aliases are unique), for
// "created exactly once" checks. Unknown token: 0.
func (e *Emulator) SubscriptionsWithAlias(token, alias string) int {
	c := e.company(token)
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, s := range c.subs {
		if s.alias == alias {
			n++
		}
	}
	return n
}

// HistoryLen returns the number of history events of the user with the given
// id or alias in token's company, or -1 if there is no such user.
func (e *Emulator) HistoryLen(token, userIDOrAlias string) int {
	c := e.company(token)
	if c == nil {
		return -1
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	u := c.lookupUser(userIDOrAlias)
	if u == nil {
		return -1
	}
	n := 0
	for _, s := range u.subs {
		n += len(s.events)
	}
	return n
}
