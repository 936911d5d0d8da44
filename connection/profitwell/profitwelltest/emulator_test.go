package profitwelltest

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	tests := []struct {
		name       string
		header     string
		wantStatus int
		wantDetail string
	}{
		{"bare token", DefaultToken, http.StatusOK, ""},
		{"missing", "", http.StatusUnauthorized, msgNoCredentials},
		{"wrong", "nope", http.StatusUnauthorized, msgInvalidToken},
		{"bearer prefix is wrong", "Bearer " + DefaultToken, http.StatusUnauthorized, msgInvalidToken},
		{"token prefix is wrong", "Token " + DefaultToken, http.StatusUnauthorized, msgInvalidToken},
		{"prefix of the token", DefaultToken[:5], http.StatusUnauthorized, msgInvalidToken},
		{"token with suffix", DefaultToken + "x", http.StatusUnauthorized, msgInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := call(t, e, http.MethodGet, "/v2/api-status/", tc.header, nil)
			require.Equal(t, tc.wantStatus, w.Code)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			if tc.wantDetail != "" {
				assert.JSONEq(t, fmt.Sprintf(`{"detail":%q}`, tc.wantDetail), w.Body.String())
			} else {
				assert.JSONEq(t, `{}`, w.Body.String())
			}
		})
	}
}

func TestAuthBeforeMethodAndAfterRouting(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	// Unknown path: 404 even without a token (URL resolution comes first).
	w := call(t, e, http.MethodGet, "/v2/nothing/", "", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	// Known path, wrong method, no token: 401 (DRF authenticates first).
	w = call(t, e, http.MethodPatch, "/v2/plans/", "", nil)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	// Known path, wrong method, token: 405 with Allow.
	w = call(t, e, http.MethodPatch, "/v2/plans/", DefaultToken, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.JSONEq(t, `{"detail":"Method \"PATCH\" not allowed."}`, w.Body.String())
	assert.Equal(t, "GET, HEAD, POST", w.Header().Get("Allow"))
	// HEAD is allowed where GET is.
	w = call(t, e, http.MethodHead, "/v2/plans/", DefaultToken, nil)
	assert.Equal(t, http.StatusOK, w.Code)
}

func TestTrailingSlashRedirect(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	tests := []struct {
		method, target, wantLocation string
	}{
		{http.MethodGet, "/v2/customers", "/v2/customers/"},
		{http.MethodGet, "/v2/customers?page=2&per_page=10", "/v2/customers/?page=2&per_page=10"},
		{http.MethodPost, "/v2/subscriptions", "/v2/subscriptions/"},
		{http.MethodDelete, "/v2/subscriptions/pws_x?effective_date=1", "/v2/subscriptions/pws_x/?effective_date=1"},
		{http.MethodGet, "/v2/users/luiz's%20alias", "/v2/users/luiz's%20alias/"},
		{http.MethodGet, "/v2/api-status", "/v2/api-status/"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			t.Parallel()
			// No token needed: the redirect happens before authentication.
			w := call(t, e, tc.method, tc.target, "", nil)
			require.Equal(t, http.StatusMovedPermanently, w.Code)
			assert.Equal(t, tc.wantLocation, w.Header().Get("Location"))
		})
	}
	// A path that would not exist even with the slash is a 404, not a 301.
	w := call(t, e, http.MethodGet, "/v2/company", DefaultToken, nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
}

func TestUnknownPaths(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	for _, p := range []string{
		"/", "/v2/", "/v1/transactions/", "/v2/company/", "/v2/metrics/mrr/", "/v2/metrics/",
		"/v2/subscriptions/a/b/", "/v2/users/", "/v2/customers/x/y/", "/v2//", "/v2/users//",
		"/v2/customer_traits/customer/x/",
	} {
		w := call(t, e, http.MethodGet, p, DefaultToken, nil)
		assert.Equal(t, http.StatusNotFound, w.Code, p)
		assert.JSONEq(t, `{"detail":"Not found."}`, w.Body.String(), p)
	}
}

func TestCompanySettingsAndStatus(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Tokens: []string{"tok-a", "tok-b"}})
	a := decode[map[string]string](t, call(t, e, http.MethodGet, "/v2/company/settings/", "tok-a", nil))
	b := decode[map[string]string](t, call(t, e, http.MethodGet, "/v2/company/settings/", "tok-b", nil))
	assert.Equal(t, "Sandbox Company", a["name"])
	assert.Equal(t, "America/New_York", a["timezone"])
	assert.Equal(t, "usd", a["currency"])
	assert.NotEmpty(t, a["id"])
	assert.NotEqual(t, a["id"], b["id"], "companies have distinct ids")
	assert.Len(t, a, 4)
}

func TestTokensAreIsolated(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Tokens: []string{"tok-a", "tok-b"}})
	before := e.CustomerCount("tok-b")
	w := call(t, e, http.MethodPost, "/v2/subscriptions/", "tok-a", createBody(map[string]any{"subscription_alias": "only-a"}))
	require.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, 1, e.SubscriptionsWithAlias("tok-a", "only-a"))
	assert.Equal(t, 0, e.SubscriptionsWithAlias("tok-b", "only-a"))
	assert.Equal(t, before, e.CustomerCount("tok-b"))
	assert.Equal(t, before+1, e.CustomerCount("tok-a"))
	// The default token is not accepted when Tokens is set.
	assert.Equal(t, http.StatusUnauthorized, call(t, e, http.MethodGet, "/v2/api-status/", DefaultToken, nil).Code)
	// Companies are seeded differently but deterministically.
	pa := call(t, e, http.MethodGet, "/v2/customers/?per_page=5", "tok-a", nil).Body.String()
	pb := call(t, e, http.MethodGet, "/v2/customers/?per_page=5", "tok-b", nil).Body.String()
	assert.NotEqual(t, pa, pb)

	// AddToken adds a seeded company; adding again keeps its state.
	e.AddToken("tok-c")
	assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/api-status/", "tok-c", nil).Code)
	mustCreateTok(t, e, "tok-c", map[string]any{"subscription_alias": "c1"})
	e.AddToken("tok-c")
	assert.Equal(t, 1, e.SubscriptionsWithAlias("tok-c", "c1"))
	// Helpers answer zero (or -1) for unknown tokens.
	assert.Zero(t, e.CustomerCount("nope"))
	assert.Zero(t, e.SubscriptionCount("nope"))
	assert.Zero(t, e.SubscriptionsWithAlias("nope", "c1"))
	assert.Equal(t, -1, e.HistoryLen("nope", "x"))
}

func mustCreateTok(t *testing.T, e *Emulator, tok string, extra map[string]any) sub {
	t.Helper()
	w := call(t, e, http.MethodPost, "/v2/subscriptions/", tok, createBody(extra))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	return decode[sub](t, w)
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	opts := Options{Seed: 42, Reference: testRef, Customers: 1000}
	a, _ := newEmu(t, opts)
	b, _ := newEmu(t, opts)
	for _, target := range []string{
		"/v2/customers/", "/v2/customers/?page=3", "/v2/customers/?direction=desc&page=2",
		"/v2/users/luiz's%20alias/", "/v2/users/user_004/", "/v2/plans/", "/v2/company/settings/",
		"/v2/metrics/monthly/", "/v2/metrics/daily/?month=2025-05", "/v2/metrics/plans/",
	} {
		wa := call(t, a, http.MethodGet, target, DefaultToken, nil)
		wb := call(t, b, http.MethodGet, target, DefaultToken, nil)
		require.Equal(t, http.StatusOK, wa.Code, target)
		assert.True(t, bytes.Equal(wa.Body.Bytes(), wb.Body.Bytes()), "byte-identical %s", target)
	}
	// Writes in the same order generate the same ids.
	sa := mustCreate(t, a, nil)
	sb := mustCreate(t, b, nil)
	assert.Equal(t, sa, sb)

	// A different seed gives different data.
	c, _ := newEmu(t, Options{Seed: 43, Reference: testRef, Customers: 1000})
	assert.NotEqual(t,
		call(t, a, http.MethodGet, "/v2/customers/", DefaultToken, nil).Body.String(),
		call(t, c, http.MethodGet, "/v2/customers/", DefaultToken, nil).Body.String())
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	e := New(Options{Seed: 7})
	today := time.Now().UTC().Truncate(24 * time.Hour)
	assert.True(t, e.Reference().Equal(today) || e.Reference().Equal(today.Add(-24*time.Hour)), "reference is start of the UTC day")
	assert.Equal(t, 1000+30, e.CustomerCount(DefaultToken))
	assert.Equal(t, 100_000, e.maxRows)
	plans := decode[[]plan](t, call(t, e, http.MethodGet, "/v2/plans/", DefaultToken, nil))
	assert.Len(t, plans, 5)
	assert.False(t, e.rateLimit.Load())

	e2, _ := newEmu(t, Options{Customers: -1, Users: -1, Plans: 7})
	assert.Zero(t, e2.CustomerCount(DefaultToken))
	assert.Zero(t, e2.SubscriptionCount(DefaultToken))
	plans = decode[[]plan](t, call(t, e2, http.MethodGet, "/v2/plans/", DefaultToken, nil))
	require.Len(t, plans, 7)
	assert.Equal(t, plan{ID: "plan-7", Name: "Plan 7"}, plans[6])

	assert.Panics(t, func() { New(Options{Tokens: []string{""}}) })
	assert.Panics(t, func() { New(Options{MaxRows: -1}) })
	assert.Panics(t, func() { e.AddToken("") })
}

func TestSeededFixtures(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Seed: 3})
	// 30 users, all reachable by alias or id via the customers view.
	assert.Equal(t, 40+30, e.CustomerCount(DefaultToken))
	for _, alias := range []string{"luiz's alias", "spiderman 1a", "user_002", "user_028"} {
		assert.Positive(t, e.HistoryLen(DefaultToken, alias), alias)
	}
	assert.Equal(t, 1, e.SubscriptionsWithAlias(DefaultToken, "luiz's subscription"))
	assert.Equal(t, -1, e.HistoryLen(DefaultToken, "user_005"), "every sixth user is anonymous")

	statuses := map[string]bool{}
	intervals := map[string]bool{}
	var scheduled, multi int
	for i := range 30 {
		alias, _ := seedUserAlias(i)
		if alias == "" {
			continue
		}
		hist := decode[[]sub](t, call(t, e, http.MethodGet, "/v2/users/"+pathEscape(alias)+"/", DefaultToken, nil))
		require.NotEmpty(t, hist)
		subs := map[string]bool{}
		for _, h := range hist {
			statuses[h.Status] = true
			intervals[h.PlanInterval] = true
			subs[h.SubscriptionID] = true
			assert.Regexp(t, `^pwu_[A-Za-z0-9]{12}$`, h.UserID)
			assert.Regexp(t, `^pws_[A-Za-z0-9]{12}$`, h.SubscriptionID)
			if strings.HasPrefix(h.Status, "churned_") && h.EffectiveDate > testNow.Unix() {
				scheduled++
			}
		}
		if len(subs) > 1 {
			multi++
		}
	}
	for _, s := range []string{"active", "trialing", "churned_voluntary", "churned_delinquent"} {
		assert.True(t, statuses[s], s)
	}
	assert.True(t, intervals["month"] && intervals["year"])
	assert.Positive(t, scheduled, "some churns are scheduled in the future")
	assert.Positive(t, multi, "some users have several subscriptions")
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e, clk := newEmu(t, Options{RateLimit: true})
	for i := range 25 {
		require.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/api-status/", DefaultToken, nil).Code, i)
	}
	w := call(t, e, http.MethodGet, "/v2/api-status/", DefaultToken, nil)
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.JSONEq(t, `{"detail":"Request was throttled. Expected available in 1 second."}`, w.Body.String())

	// Another token has its own bucket.
	e.AddToken("other")
	assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/api-status/", "other", nil).Code)
	// Unauthenticated requests are refused before throttling.
	assert.Equal(t, http.StatusUnauthorized, call(t, e, http.MethodGet, "/v2/api-status/", "bad", nil).Code)

	// Refills at 5 per second.
	clk.Advance(time.Second)
	for range 5 {
		assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/api-status/", DefaultToken, nil).Code)
	}
	assert.Equal(t, http.StatusTooManyRequests, call(t, e, http.MethodGet, "/v2/api-status/", DefaultToken, nil).Code)

	// Switching it off lets everything through; on again, the bucket is still empty.
	e.SetRateLimit(false)
	for range 30 {
		require.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/api-status/", DefaultToken, nil).Code)
	}
	e.SetRateLimit(true)
	assert.Equal(t, http.StatusTooManyRequests, call(t, e, http.MethodGet, "/v2/api-status/", DefaultToken, nil).Code)

	// A long wait: Retry-After grows with the deficit of a family limit.
	clk.Advance(time.Hour)
	for i := range 10 {
		require.Equal(t, http.StatusNotFound, call(t, e, http.MethodPost, "/v2/metrics/exclude_customer/nobody/", DefaultToken, nil).Code, "exclusion %d", i)
	}
	w = call(t, e, http.MethodPost, "/v2/metrics/exclude_customer/nobody/", DefaultToken, nil)
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "6", w.Header().Get("Retry-After"), "exclusions refill one per 6 s")
	assert.Contains(t, detailOf(t, w), "Expected available in 6 seconds.")
}

func TestRequestsLog(t *testing.T) {
	t.Parallel()
	const secret = "canary-Token-9f2c1d" //nolint:gosec // test token
	e, _ := newEmu(t, Options{Tokens: []string{secret}})
	call(t, e, http.MethodGet, "/v2/customers/?page=2", secret, nil)
	call(t, e, http.MethodPost, "/v2/subscriptions/", secret, createBody(nil))
	call(t, e, http.MethodGet, "/v2/api-status/", "", nil)
	call(t, e, http.MethodGet, "/v2/users/luiz's%20alias/", "Bearer "+secret, nil)

	reqs := e.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, RecordedRequest{
		Method: http.MethodGet, Path: "/v2/customers/", RawQuery: "page=2",
		TokenHash: TokenHash(secret), Status: http.StatusOK, Time: testNow,
	}, reqs[0])
	assert.Equal(t, http.StatusCreated, reqs[1].Status)
	assert.Equal(t, "", reqs[2].TokenHash)
	assert.Equal(t, http.StatusUnauthorized, reqs[2].Status)
	assert.Equal(t, "/v2/users/luiz's alias/", reqs[3].Path)
	assert.NotEqual(t, TokenHash(secret), reqs[3].TokenHash)
	assert.Len(t, TokenHash(secret), 16)

	// Nothing exported (or printed) holds the token.
	dump := fmt.Sprintf("%+v %#v %v %+v", reqs, reqs, e, e)
	assert.NotContains(t, dump, secret)
	for _, c := range e.companies {
		assert.NotContains(t, fmt.Sprintf("%+v", c), secret)
	}
	// Error bodies never echo the token.
	for _, hdr := range []string{secret + "x", "Bearer " + secret} {
		w := call(t, e, http.MethodGet, "/v2/api-status/", hdr, nil)
		assert.NotContains(t, w.Body.String(), secret)
		assert.NotContains(t, fmt.Sprint(w.Header()), secret)
	}

	e.ResetRequests()
	assert.Empty(t, e.Requests())
}

func TestRequestsLogIsBounded(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Customers: -1, Users: -1})
	for range maxRecorded + 10 {
		e.record(httptestRequest())
	}
	assert.LessOrEqual(t, len(e.Requests()), maxRecorded)
	assert.Greater(t, len(e.Requests()), maxRecorded/2)
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				alias := fmt.Sprintf("c-%d-%d", g, i)
				w := call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken,
					createBody(map[string]any{"user_alias": alias, "subscription_alias": alias}))
				assert.Equal(t, http.StatusCreated, w.Code)
				assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/customers/?per_page=50&direction=desc", DefaultToken, nil).Code)
				assert.Equal(t, http.StatusOK, call(t, e, http.MethodDelete, "/v2/subscriptions/"+alias+"/?effective_date="+fmt.Sprint(testNow.Unix()), DefaultToken, nil).Code)
				if i%5 == 0 {
					assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/metrics/monthly/?metrics=recurring_revenue", DefaultToken, nil).Code)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 40+30+160, e.CustomerCount(DefaultToken))
}
