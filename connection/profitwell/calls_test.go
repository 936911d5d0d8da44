package profitwell

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	bad := map[string]Config{
		"empty base":     {},
		"scheme":         {BaseURL: "ftp://api.profitwell.com"},
		"no host":        {BaseURL: "https://"},
		"relative":       {BaseURL: "/v2"},
		"userinfo":       {BaseURL: "https://user:pw@api.profitwell.com"},
		"query":          {BaseURL: "https://api.profitwell.com/?a=1"},
		"force query":    {BaseURL: "https://api.profitwell.com/?"},
		"fragment":       {BaseURL: "https://api.profitwell.com/#x"},
		"includes v2":    {BaseURL: "https://api.profitwell.com/v2/"},
		"negative rate":  {BaseURL: "https://api.profitwell.com", Rate: -1},
		"negative burst": {BaseURL: "https://api.profitwell.com", Burst: -1},
		"negative tries": {BaseURL: "https://api.profitwell.com", MaxAttempts: -1},
		"negative back":  {BaseURL: "https://api.profitwell.com", BackoffBase: -1},
		"negative body":  {BaseURL: "https://api.profitwell.com", MaxBodyBytes: -1},
	}
	for name, cfg := range bad {
		_, err := New(cfg)
		assert.Error(t, err, name)
	}

	c, err := New(Config{BaseURL: "https://api.profitwell.com/"})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, "https://api.profitwell.com", c.baseURL.String())
	assert.Equal(t, DefaultMaxAttempts, c.maxAttempts)
	assert.Equal(t, DefaultBackoffBase, c.backoffBase)
	assert.Equal(t, DefaultBackoffMax, c.backoffMax)
	assert.Equal(t, int64(DefaultMaxBodyBytes), c.maxBody)
	assert.Equal(t, []string{DefaultUserAgent}, c.userAgent)
	lp, ok := c.pacer.(*localPacer)
	require.True(t, ok)
	assert.Equal(t, 25, lp.burst)
	assert.InDelta(t, 5.0, float64(lp.limit), 1e-9)
	tr, ok := c.hc.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Equal(t, 64, tr.MaxIdleConnsPerHost)
	assert.Equal(t, 128, tr.MaxConnsPerHost)
	assert.Equal(t, 5*time.Second, tr.TLSHandshakeTimeout)
	assert.Equal(t, 10*time.Second, tr.ResponseHeaderTimeout)
	assert.Equal(t, int64(64<<10), tr.MaxResponseHeaderBytes)
	assert.NotNil(t, tr.TLSClientConfig)
	assert.Equal(t, http.ErrUseLastResponse, c.hc.CheckRedirect(nil, nil))
	assert.Equal(t, "profitwell.Session{token:[REDACTED]}", c.Session(NewToken(testToken)).String())

	// A prefix is kept; a caller's client is copied, never modified.
	own := &http.Client{}
	c2, err := New(Config{BaseURL: "http://127.0.0.1:9/emu/", HTTPClient: own})
	require.NoError(t, err)
	defer c2.Close()
	assert.Equal(t, "http://127.0.0.1:9/emu", c2.baseURL.String())
	assert.Nil(t, own.CheckRedirect)
	assert.NotNil(t, c2.hc.CheckRedirect)
}

func TestRequestShape(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			respond(w, http.StatusCreated, subscriptionJSON)
			return
		}
		respond(w, http.StatusOK, `{}`)
	})
	c := newTestClient(t, Config{BaseURL: up.URL, UserAgent: "ua-test/1"})
	s := c.Session(NewToken(testToken))
	ctx := context.Background()

	require.NoError(t, s.APIStatus(ctx))
	got := up.last(t)
	assert.Equal(t, []string{testToken}, got.Header.Values("Authorization"), "bare token, no Bearer")
	assert.Equal(t, "application/json", got.Header.Get("Accept"))
	assert.Equal(t, "ua-test/1", got.Header.Get("User-Agent"))
	assert.Empty(t, got.Header.Get("Content-Type"), "no body, no content type")
	assert.Empty(t, got.Body)

	_, err := s.CreateSubscription(ctx, CreateSubscription{
		UserAlias: "u1", SubscriptionAlias: "s1", Email: "a@b.c", PlanID: "pro",
		PlanInterval: "month", Value: 5000, EffectiveDate: 1514764800,
	})
	require.NoError(t, err)
	got = up.last(t)
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, testToken, got.Header.Get("Authorization"))
	assert.JSONEq(t, `{"user_alias":"u1","subscription_alias":"s1","email":"a@b.c","plan_id":"pro",
		"plan_interval":"month","value":5000,"effective_date":1514764800}`, string(got.Body),
		"optional fields omitted when empty")
	assert.Equal(t, 2, s.Requests())
}

func TestPathsQueriesAndBodies(t *testing.T) {
	t.Parallel()
	const weird = "luiz's alias/x"
	const weirdEsc = "luiz%27s%20alias%2Fx"
	start := time.Unix(1700000000, 0)
	end := time.Unix(1700086400, 0)
	cases := []struct {
		name     string
		call     func(context.Context, *Session) error
		method   string
		uri      string
		body     string // JSON, "" = none
		response string
	}{
		{"api status", func(ctx context.Context, s *Session) error { return s.APIStatus(ctx) },
			"GET", "/v2/api-status/", "", `{}`},
		{"company", func(ctx context.Context, s *Session) error { _, err := s.CompanySettings(ctx); return err },
			"GET", "/v2/company/settings/", "", `{"id":"1","name":"n","timezone":"UTC","currency":"usd"}`},
		{"create subscription", func(ctx context.Context, s *Session) error {
			_, err := s.CreateSubscription(ctx, CreateSubscription{UserID: "pwu_1", Email: "e", PlanID: "p", PlanInterval: "year",
				PlanCurrency: "eur", Status: "trialing", Value: 1, EffectiveDate: 2})
			return err
		}, "POST", "/v2/subscriptions/", `{"user_id":"pwu_1","email":"e","plan_id":"p","plan_interval":"year",
			"plan_currency":"eur","status":"trialing","value":1,"effective_date":2}`, subscriptionJSON},
		{"update subscription", func(ctx context.Context, s *Session) error {
			_, err := s.UpdateSubscription(ctx, weird, UpdateSubscription{PlanID: "p2", PlanInterval: "month", Value: 9, EffectiveDate: 3})
			return err
		}, "PUT", "/v2/subscriptions/" + weirdEsc + "/", `{"plan_id":"p2","plan_interval":"month","value":9,"effective_date":3}`, subscriptionJSON},
		{"churn with type", func(ctx context.Context, s *Session) error {
			_, err := s.ChurnSubscription(ctx, "pws_FecTCEyo17rV", 1522432854, "delinquent")
			return err
		}, "DELETE", "/v2/subscriptions/pws_FecTCEyo17rV/?effective_date=1522432854&churn_type=delinquent", "", subscriptionJSON},
		{"churn without type", func(ctx context.Context, s *Session) error {
			_, err := s.ChurnSubscription(ctx, weird, 1522432854, "")
			return err
		}, "DELETE", "/v2/subscriptions/" + weirdEsc + "/?effective_date=1522432854", "", ""},
		{"unchurn", func(ctx context.Context, s *Session) error { _, err := s.UnchurnSubscription(ctx, weird); return err },
			"PUT", "/v2/unchurn/" + weirdEsc + "/", "", ""},
		{"user history", func(ctx context.Context, s *Session) error { _, err := s.UserHistory(ctx, weird); return err },
			"GET", "/v2/users/" + weirdEsc + "/", "", `[]`},
		{"update user", func(ctx context.Context, s *Session) error {
			_, err := s.UpdateUser(ctx, "pwu_1", "new@x.y")
			return err
		},
			"PUT", "/v2/users/pwu_1/", `{"email":"new@x.y"}`, `{}`},
		{"delete user", func(ctx context.Context, s *Session) error { return s.DeleteUser(ctx, weird) },
			"DELETE", "/v2/users/" + weirdEsc + "/", "", ""},
		{"list plans", func(ctx context.Context, s *Session) error { _, err := s.ListPlans(ctx); return err },
			"GET", "/v2/plans/", "", `[]`},
		{"get plan", func(ctx context.Context, s *Session) error { _, err := s.GetPlan(ctx, "free plan"); return err },
			"GET", "/v2/plans/free%20plan/", "", `{"id":"free plan","name":"Free"}`},
		{"create plan", func(ctx context.Context, s *Session) error {
			_, err := s.CreatePlan(ctx, Plan{ID: "p", Name: "P"})
			return err
		},
			"POST", "/v2/plans/", `{"id":"p","name":"P"}`, ""},
		{"update plan", func(ctx context.Context, s *Session) error { _, err := s.UpdatePlan(ctx, "a/b", "New"); return err },
			"PUT", "/v2/plans/a%2Fb/", `{"name":"New"}`, ""},
		{"list customers, no filter", func(ctx context.Context, s *Session) error {
			_, err := s.ListCustomers(ctx, CustomerQuery{})
			return err
		}, "GET", "/v2/customers/", "", `[]`},
		{"list customers, all filters", func(ctx context.Context, s *Session) error {
			_, err := s.ListCustomers(ctx, CustomerQuery{Email: "a+b@c.d", StartDate: start, EndDate: end, Direction: "desc", Page: 2, PerPage: 250})
			return err
		}, "GET", "/v2/customers/?date_field=updated_on&direction=desc&email=a%2Bb%40c.d&end_date=1700086400&page=2&per_page=250&start_date=1700000000", "", `[]`},
		{"get customer", func(ctx context.Context, s *Session) error { _, err := s.GetCustomer(ctx, "cus_1"); return err },
			"GET", "/v2/customers/cus_1/", "", `{"customer_id":"cus_1"}`},
		{"monthly metrics", func(ctx context.Context, s *Session) error {
			_, err := s.MonthlyMetrics(ctx, MetricsQuery{PlanID: "field plan", Metrics: []string{"active_customers", "churned_recurring_revenue"}})
			return err
		}, "GET", "/v2/metrics/monthly/?plan_id=field+plan&metrics=active_customers,churned_recurring_revenue", "", `{"data":{}}`},
		{"monthly metrics, all", func(ctx context.Context, s *Session) error {
			_, err := s.MonthlyMetrics(ctx, MetricsQuery{})
			return err
		},
			"GET", "/v2/metrics/monthly/", "", `{"data":{}}`},
		{"daily metrics", func(ctx context.Context, s *Session) error {
			_, err := s.DailyMetrics(ctx, "2025-02", MetricsQuery{Metrics: []string{"recurring_revenue"}})
			return err
		}, "GET", "/v2/metrics/daily/?month=2025-02&metrics=recurring_revenue", "", `{"data":{}}`},
		{"metric plan ids", func(ctx context.Context, s *Session) error { _, err := s.MetricPlanIDs(ctx); return err },
			"GET", "/v2/metrics/plans/", "", `{"plan_ids":[]}`},
		{"exclude customer", func(ctx context.Context, s *Session) error { return s.ExcludeCustomer(ctx, "cus 1") },
			"POST", "/v2/metrics/exclude_customer/cus%201/", "", `{}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				status := http.StatusOK
				if tc.response == "" {
					status = http.StatusNoContent
				}
				respond(w, status, tc.response)
			})
			c := newTestClient(t, testConfig(up.URL))
			s := c.Session(NewToken(testToken))
			require.NoError(t, tc.call(context.Background(), s))
			got := up.last(t)
			assert.Equal(t, tc.method, got.Method)
			assert.Equal(t, tc.uri, got.RequestURI)
			path, _, _ := strings.Cut(got.RequestURI, "?")
			assert.True(t, strings.HasSuffix(path, "/"), "trailing slash before the query")
			if tc.body == "" {
				assert.Empty(t, got.Body)
			} else {
				assert.JSONEq(t, tc.body, string(got.Body))
			}
			assert.Equal(t, 1, s.Requests())
		})
	}
}

func TestEmptyIDsRefusedLocally(t *testing.T) {
	t.Parallel()
	c := newTestClient(t, testConfig("http://127.0.0.1:9"))
	s := c.Session(NewToken(testToken))
	ctx := context.Background()
	for _, id := range []string{"", ".", ".."} {
		_, err := s.UserHistory(ctx, id)
		assertKind(t, err, KindInvalid)
		assertKind(t, s.DeleteUser(ctx, id), KindInvalid)
		_, err = s.ChurnSubscription(ctx, id, 1, "")
		assertKind(t, err, KindInvalid)
		_, err = s.GetPlan(ctx, id)
		assertKind(t, err, KindInvalid)
	}
	assert.Equal(t, 0, s.Requests())

	// A session without a token never calls upstream.
	err := c.Session(Token{}).APIStatus(ctx)
	assertKind(t, err, KindUnauthorized)
}

func assertKind(t *testing.T, err error, want Kind) *Error {
	t.Helper()
	require.Error(t, err)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, want, pe.Kind, "error: %v", err)
	return pe
}

// serve answers every request with status and body.
func serve(t *testing.T, status int, body string) *Session {
	t.Helper()
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { respond(w, status, body) })
	return newTestClient(t, testConfig(up.URL)).Session(NewToken(testToken))
}

func TestSubscriptionDecodingVariants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := map[string]struct {
		body          string
		value         int64
		effective     int64
		userAlias     *string
		subAlias      *string
		metaPresent   bool
		wantDecodeErr bool
	}{
		"integer":         {body: subscriptionJSON, value: 5000, effective: 1514764800, userAlias: ptr("spiderman_1a"), subAlias: ptr("spiderman_sub_1a"), metaPresent: true},
		"float value":     {body: `{"subscription_id":"pws_1","value":5000.0,"effective_date":1514764800.0}`, value: 5000, effective: 1514764800},
		"string value":    {body: `{"subscription_id":"pws_1","value":"5000","effective_date":"1514764800"}`, value: 5000, effective: 1514764800},
		"null aliases":    {body: `{"subscription_id":"pws_1","user_alias":null,"subscription_alias":null,"value":1,"effective_date":2,"meta":null}`, value: 1, effective: 2},
		"missing aliases": {body: `{"subscription_id":"pws_1","value":1,"effective_date":2,"unknown":{"x":[1]}}`, value: 1, effective: 2},
		"null numbers":    {body: `{"subscription_id":"pws_1","value":null,"effective_date":null}`},
		"bad number":      {body: `{"subscription_id":"pws_1","value":"abc"}`, wantDecodeErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := serve(t, http.StatusCreated, tc.body)
			sub, err := s.CreateSubscription(ctx, CreateSubscription{Email: "e", PlanID: "p", PlanInterval: "month"})
			if tc.wantDecodeErr {
				e := assertKind(t, err, KindUnavailable)
				assert.True(t, e.OutcomeUnknown, "a write whose answer is unreadable")
				assert.Equal(t, 1, s.Requests(), "writes are not retried")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.value, sub.Value)
			assert.Equal(t, tc.effective, sub.EffectiveDate)
			assert.Equal(t, tc.userAlias, sub.UserAlias)
			assert.Equal(t, tc.subAlias, sub.SubscriptionAlias)
			assert.Equal(t, tc.metaPresent, sub.Meta != nil)
		})
	}

	t.Run("full record", func(t *testing.T) {
		t.Parallel()
		s := serve(t, http.StatusOK, subscriptionJSON)
		sub, err := s.UpdateSubscription(ctx, "pws_FecTCEyo17rV", UpdateSubscription{})
		require.NoError(t, err)
		assert.Equal(t, Subscription{
			UserID: "pwu_Oea7HXV3bnTP", SubscriptionID: "pws_FecTCEyo17rV", UserAlias: ptr("spiderman_1a"),
			SubscriptionAlias: ptr("spiderman_sub_1a"), Email: "spiderman@profitwell.com", PlanID: "web_plan",
			PlanInterval: "month", PlanCurrency: "usd", Status: "active", Value: 5000, EffectiveDate: 1514764800,
			Meta: map[string]any{},
		}, sub)
	})
	t.Run("empty body on create is an unknown outcome", func(t *testing.T) {
		t.Parallel()
		s := serve(t, http.StatusCreated, "")
		_, err := s.CreateSubscription(ctx, CreateSubscription{})
		e := assertKind(t, err, KindUnavailable)
		assert.True(t, e.OutcomeUnknown)
	})
}

func ptr[T any](v T) *T { return &v }

func TestOptionalBodies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	churned := strings.Replace(subscriptionJSON, `"active"`, `"churned_voluntary"`, 1)
	cases := []struct {
		name    string
		status  int
		body    string
		call    func(*Session) (any, error)
		wantNil bool
		check   func(t *testing.T, v any)
	}{
		{"churn 200 record", 200, churned, func(s *Session) (any, error) { return s.ChurnSubscription(ctx, "x", 1, "") }, false,
			func(t *testing.T, v any) { assert.Equal(t, "churned_voluntary", v.(*Subscription).Status) }},
		{"churn 204", 204, "", func(s *Session) (any, error) { return s.ChurnSubscription(ctx, "x", 1, "") }, true, nil},
		{"churn 200 empty", 200, "", func(s *Session) (any, error) { return s.ChurnSubscription(ctx, "x", 1, "") }, true, nil},
		{"churn 200 {}", 200, "{}", func(s *Session) (any, error) { return s.ChurnSubscription(ctx, "x", 1, "") }, true, nil},
		{"unchurn 200 record", 200, subscriptionJSON, func(s *Session) (any, error) { return s.UnchurnSubscription(ctx, "x") }, false,
			func(t *testing.T, v any) { assert.Equal(t, "pws_FecTCEyo17rV", v.(*Subscription).SubscriptionID) }},
		{"unchurn 204", 204, "", func(s *Session) (any, error) { return s.UnchurnSubscription(ctx, "x") }, true, nil},
		{"unchurn 200 detail", 200, `{"detail":"ok"}`, func(s *Session) (any, error) { return s.UnchurnSubscription(ctx, "x") }, true, nil},
		{"unchurn 202 text", 202, `"ok"`, func(s *Session) (any, error) { return s.UnchurnSubscription(ctx, "x") }, true, nil},
		{"update user history", 200, "[" + subscriptionJSON + "," + churned + "]", func(s *Session) (any, error) { return s.UpdateUser(ctx, "x", "e") }, false,
			func(t *testing.T, v any) { assert.Len(t, v.([]Subscription), 2) }},
		{"update user single record", 200, subscriptionJSON, func(s *Session) (any, error) { return s.UpdateUser(ctx, "x", "e") }, false,
			func(t *testing.T, v any) { assert.Len(t, v.([]Subscription), 1) }},
		{"update user {}", 200, "{}", func(s *Session) (any, error) { return s.UpdateUser(ctx, "x", "e") }, true, nil},
		{"update user empty", 204, "", func(s *Session) (any, error) { return s.UpdateUser(ctx, "x", "e") }, true, nil},
		{"delete user 204", 204, "", func(s *Session) (any, error) { return nil, s.DeleteUser(ctx, "x") }, true, nil},
		{"delete user 200 detail", 200, `{"detail":"This user's data has been deleted."}`, func(s *Session) (any, error) { return nil, s.DeleteUser(ctx, "x") }, true, nil},
		{"exclude 200 {}", 200, `{}`, func(s *Session) (any, error) { return nil, s.ExcludeCustomer(ctx, "x") }, true, nil},
		{"exclude 204", 204, ``, func(s *Session) (any, error) { return nil, s.ExcludeCustomer(ctx, "x") }, true, nil},
		{"api status empty", 200, "", func(s *Session) (any, error) { return nil, s.APIStatus(ctx) }, true, nil},
		{"api status text", 200, "OK", func(s *Session) (any, error) { return nil, s.APIStatus(ctx) }, true, nil},
		{"create plan 201 body", 201, `{"id":"p","name":"Server name"}`, func(s *Session) (any, error) { return s.CreatePlan(ctx, Plan{ID: "p", Name: "P"}) }, false,
			func(t *testing.T, v any) { assert.Equal(t, Plan{ID: "p", Name: "Server name"}, v) }},
		{"create plan 201 empty", 201, "", func(s *Session) (any, error) { return s.CreatePlan(ctx, Plan{ID: "p", Name: "P"}) }, false,
			func(t *testing.T, v any) { assert.Equal(t, Plan{ID: "p", Name: "P"}, v) }},
		{"update plan 200", 200, `{"id":"p","name":"New"}`, func(s *Session) (any, error) { return s.UpdatePlan(ctx, "p", "New") }, false,
			func(t *testing.T, v any) { assert.Equal(t, Plan{ID: "p", Name: "New"}, v) }},
		{"update plan 204", 204, ``, func(s *Session) (any, error) { return s.UpdatePlan(ctx, "p", "New") }, false,
			func(t *testing.T, v any) { assert.Equal(t, Plan{ID: "p", Name: "New"}, v) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := tc.call(serve(t, tc.status, tc.body))
			require.NoError(t, err)
			if tc.wantNil {
				assert.Nil(t, v) // typed nils included
				return
			}
			tc.check(t, v)
		})
	}
}

func TestListDecoding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("plans", func(t *testing.T) {
		t.Parallel()
		plans, err := serve(t, 200, `[{"id":"free-plan","name":"Free subscription plan"},{"id":"pro","name":"Pro","extra":1}]`).ListPlans(ctx)
		require.NoError(t, err)
		assert.Equal(t, []Plan{{"free-plan", "Free subscription plan"}, {"pro", "Pro"}}, plans)
		for _, body := range []string{"null", "[]"} {
			plans, err = serve(t, 200, body).ListPlans(ctx)
			require.NoError(t, err)
			assert.NotNil(t, plans)
			assert.Empty(t, plans)
		}
		_, err = serve(t, 200, `{"plans":[]}`).ListPlans(ctx)
		assertKind(t, err, KindUnavailable)
	})
	t.Run("plan", func(t *testing.T) {
		t.Parallel()
		p, err := serve(t, 200, `{"id":"free-plan","name":"Free"}`).GetPlan(ctx, "free-plan")
		require.NoError(t, err)
		assert.Equal(t, Plan{ID: "free-plan", Name: "Free"}, p)
	})
	t.Run("user history", func(t *testing.T) {
		t.Parallel()
		h, err := serve(t, 200, "["+subscriptionJSON+`,{"subscription_id":"pws_2","value":"100","effective_date":5.0}]`).UserHistory(ctx, "u")
		require.NoError(t, err)
		require.Len(t, h, 2)
		assert.Equal(t, int64(100), h[1].Value)
		assert.Equal(t, int64(5), h[1].EffectiveDate)
		h, err = serve(t, 200, "null").UserHistory(ctx, "u")
		require.NoError(t, err)
		assert.NotNil(t, h)
	})
	t.Run("customers", func(t *testing.T) {
		t.Parallel()
		const page = `[{"customer_id":"cus_O5QLEE0Nnjknmv","email":"amogh@eesel.app","first_name":null,"last_name":null,
			"mrr_cents":0,"plans":["eesel ChatGPT"],"status":"churned_voluntary","created_on":"2023-06-15T12:41:32Z",
			"activated_on":"2023-06-22T12:41:32Z","churned_on":"2023-07-22T12:41:32Z",
			"updated_on":"2023-08-28T10:55:19.919563Z","total_spend_cents":1000,"engagement":"q1"},
			{"customer_id":"c2","email":null,"mrr_cents":1200,"plans":[],"status":"active","updated_on":null,"total_spend_cents":5}]`
		cs, err := serve(t, 200, page).ListCustomers(ctx, CustomerQuery{})
		require.NoError(t, err)
		require.Len(t, cs, 2)
		c0 := cs[0]
		assert.Equal(t, "cus_O5QLEE0Nnjknmv", c0.CustomerID)
		assert.Equal(t, ptr("amogh@eesel.app"), c0.Email)
		assert.Nil(t, c0.FirstName)
		assert.Equal(t, []string{"eesel ChatGPT"}, c0.Plans)
		assert.Equal(t, ptr("2023-08-28T10:55:19.919563Z"), c0.UpdatedOn, "kept as given")
		assert.Equal(t, int64(1000), c0.TotalSpendCents)
		ut, err := c0.UpdatedTime()
		require.NoError(t, err)
		assert.Equal(t, time.Date(2023, 8, 28, 10, 55, 19, 919563000, time.UTC), ut)
		_, err = cs[1].UpdatedTime()
		assert.Error(t, err)
		assert.Equal(t, int64(1200), cs[1].MRRCents)

		// Tolerant path: numbers as floats or strings.
		cs, err = serve(t, 200, `[{"customer_id":"c","mrr_cents":1200.0,"total_spend_cents":"300","updated_on":"2023-08-28T10:55:19Z"}]`).
			ListCustomers(ctx, CustomerQuery{})
		require.NoError(t, err)
		require.Len(t, cs, 1)
		assert.Equal(t, int64(1200), cs[0].MRRCents)
		assert.Equal(t, int64(300), cs[0].TotalSpendCents)
		assert.Equal(t, ptr("2023-08-28T10:55:19Z"), cs[0].UpdatedOn)

		cs, err = serve(t, 200, `[]`).ListCustomers(ctx, CustomerQuery{})
		require.NoError(t, err)
		assert.NotNil(t, cs)
		assert.Empty(t, cs)

		c, err := serve(t, 200, `{"customer_id":"c","mrr_cents":"7"}`).GetCustomer(ctx, "c")
		require.NoError(t, err)
		assert.Equal(t, int64(7), c.MRRCents)
		_, err = serve(t, 200, ``).GetCustomer(ctx, "c")
		assertKind(t, err, KindUnavailable)
	})
	t.Run("metrics", func(t *testing.T) {
		t.Parallel()
		want := Metrics{
			"recurring_revenue": {{Date: "2025-01", Value: ptr(125000.0)}, {Date: "2025-02", Value: nil}},
			"active_customers":  {{Date: "2025-01", Value: ptr(842.0)}, {Date: "2025-02", Value: ptr(867.0)}},
		}
		const inner = `{"recurring_revenue":[{"date":"2025-01","value":125000.0},{"date":"2025-02","value":null}],
			"active_customers":[{"date":"2025-01","value":842},{"date":"2025-02","value":867}]}`
		m, err := serve(t, 200, `{"data":`+inner+`}`).MonthlyMetrics(ctx, MetricsQuery{})
		require.NoError(t, err)
		assert.Equal(t, want, m)
		m, err = serve(t, 200, inner).DailyMetrics(ctx, "2025-02", MetricsQuery{})
		require.NoError(t, err)
		assert.Equal(t, want, m, "a bare map without data is tolerated")
		m, err = serve(t, 200, `{"data":null}`).MonthlyMetrics(ctx, MetricsQuery{})
		require.NoError(t, err)
		assert.Empty(t, m)
		_, err = serve(t, 200, `[1,2]`).MonthlyMetrics(ctx, MetricsQuery{})
		assertKind(t, err, KindUnavailable)
	})
	t.Run("metric plan ids", func(t *testing.T) {
		t.Parallel()
		ids, err := serve(t, 200, `{"plan_ids":["plan_a","plan_b"]}`).MetricPlanIDs(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"plan_a", "plan_b"}, ids)
		ids, err = serve(t, 200, `{}`).MetricPlanIDs(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{}, ids)
	})
	t.Run("company", func(t *testing.T) {
		t.Parallel()
		co, err := serve(t, 200, `{"id":12345,"name":"Acme","timezone":"America/New_York","currency":"usd","plan":"x"}`).CompanySettings(ctx)
		require.NoError(t, err)
		assert.Equal(t, Company{ID: "12345", Name: "Acme", Timezone: "America/New_York", Currency: "usd"}, co)
		co, err = serve(t, 200, `{"id":"abc","name":"Acme"}`).CompanySettings(ctx)
		require.NoError(t, err)
		assert.Equal(t, "abc", co.ID)
	})
}

func TestCustomerJSONTags(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Customer{CustomerID: "c"})
	require.NoError(t, err)
	for _, k := range []string{"customer_id", "email", "first_name", "last_name", "mrr_cents", "plans", "status",
		"created_on", "activated_on", "churned_on", "updated_on", "total_spend_cents"} {
		assert.Contains(t, string(b), `"`+k+`"`)
	}
}

// deadlineRecorder answers every request with an empty plan list (a nil
// Body, which RoundTrippers may return) and records the request context's
// deadline.
type deadlineRecorder struct {
	deadline time.Time
	has      bool
}

func (d *deadlineRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	d.deadline, d.has = r.Context().Deadline()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: r}, nil
}

// TestTransportUse: a plain client is used through its transport, and a
// call without a deadline still gets the backstop one; a client with its
// own timeout goes through http.Client.Do, which applies that timeout.
func TestTransportUse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		timeout time.Duration
		want    time.Duration
	}{
		{"plain client", 0, clientTimeout},
		{"client with a timeout", 7 * time.Second, 7 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &deadlineRecorder{}
			cl, err := New(Config{BaseURL: "http://upstream.invalid", HTTPClient: &http.Client{Transport: rec, Timeout: c.timeout}})
			require.NoError(t, err)
			assert.Equal(t, c.timeout == 0, cl.rt != nil)
			start := time.Now()
			_, err = cl.Session(NewToken(testToken)).ListPlans(context.Background())
			require.Error(t, err, "an empty body is not a plan list")
			require.True(t, rec.has, "the request carried a deadline")
			assert.WithinDuration(t, start.Add(c.want), rec.deadline, 2*time.Second)

			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_, _ = cl.Session(NewToken(testToken)).ListPlans(ctx)
			assert.WithinDuration(t, time.Now().Add(3*time.Second), rec.deadline, 2*time.Second, "the caller's deadline wins")
		})
	}
}

// TestNewRequestURL: a typed call's request is built without parsing, to
// the URL, request line and Host that parsing base+path?query gives.
func TestNewRequestURL(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"http://127.0.0.1:9", "https://api.profitwell.com", "http://h:1/emu", "http://h/pre%20fix/", "http://h:/x"} {
		c, err := New(Config{BaseURL: base})
		require.NoError(t, err)
		for _, path := range []string{"/v2/plans/", "/v2/plans/" + url.PathEscape("a/b c%?#é+;") + "/", "/v2/users/plain-id_1.2~/"} {
			for _, q := range []string{"", "a=1&b=x+y", "email=a%40b.co&start_date=1700000000"} {
				rq := &request{method: http.MethodGet, path: path, rawQuery: q}
				got, err := c.newRequest(context.Background(), rq, nil)
				require.NoError(t, err)
				raw := strings.TrimRight(base, "/") + path
				if q != "" {
					raw += "?" + q
				}
				want, err := http.NewRequest(http.MethodGet, raw, nil)
				require.NoError(t, err)
				assert.Equal(t, want.URL.String(), got.URL.String(), raw)
				assert.Equal(t, want.URL.RequestURI(), got.URL.RequestURI(), raw)
				assert.Equal(t, want.Host, got.Host, raw)
				assert.Equal(t, want.URL.Path, got.URL.Path, raw)
			}
		}
		c.Close()
	}
}

// TestConnectionsAreReused: answers read to their end (success, an error
// with a body, chunked or not) and an error body longer than what the
// client reads all leave the connection ready for the next request, so a
// run of calls opens one connection.
func TestConnectionsAreReused(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	var mu sync.Mutex
	// One client address per connection.
	remotes := map[string]bool{}
	// Past the cap: the client reads the start and drains the rest.
	longError := `{"detail":"` + strings.Repeat("x", errBodyCap+2<<10) + `"}`
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remotes[r.RemoteAddr] = true
		mu.Unlock()
		switch calls.Add(1) % 4 {
		case 1:
			respond(w, http.StatusOK, `{"id":"p1","name":"Plan 1"}`)
		case 2:
			respond(w, http.StatusNotFound, `{"detail":"Not found."}`)
		case 3:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"p1",`)
			http.NewResponseController(w).Flush() // chunked from here
			_, _ = io.WriteString(w, `"name":"Plan 1"}`)
		default:
			respond(w, http.StatusNotFound, longError)
		}
	})
	c := newTestClient(t, testConfig(u.URL))
	s := c.Session(NewToken(testToken))
	for i := range 8 {
		_, err := s.GetPlan(context.Background(), "p1")
		if i%2 == 0 {
			require.NoError(t, err, "call %d", i)
		} else {
			require.Error(t, err, "call %d", i)
		}
	}
	assert.EqualValues(t, 8, u.count())
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, remotes, 1, "one connection for every call")
}
