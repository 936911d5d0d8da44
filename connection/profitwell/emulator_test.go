package profitwell_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the client against the in-memory emulator: the same
// shapes, statuses and faults the rest of the service is tested with.

func emulatorSession(t *testing.T) (*profitwell.Session, *profitwelltest.Server) {
	t.Helper()
	srv := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 7})
	c, err := profitwell.New(profitwell.Config{
		BaseURL: srv.URL, Rate: 1000, Burst: 1000,
		BackoffBase: 2 * time.Millisecond, BackoffMax: 10 * time.Millisecond,
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c.Session(profitwell.NewToken(profitwelltest.DefaultToken)), srv
}

func kindOf(err error) profitwell.Kind {
	var pe *profitwell.Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return ""
}

func TestEmulatorLifecycle(t *testing.T) {
	t.Parallel()
	s, srv := emulatorSession(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	require.NoError(t, s.APIStatus(ctx))
	company, err := s.CompanySettings(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, company.Name)

	// A wrong token is Unauthorized.
	c2, err := profitwell.New(profitwell.Config{BaseURL: srv.URL})
	require.NoError(t, err)
	defer c2.Close()
	assert.Equal(t, profitwell.KindUnauthorized, kindOf(c2.Session(profitwell.NewToken("wrong-token-123")).APIStatus(ctx)))

	// Plans.
	p, err := s.CreatePlan(ctx, profitwell.Plan{ID: "client-test plan", Name: "Client test"})
	require.NoError(t, err)
	assert.Equal(t, "client-test plan", p.ID)
	_, err = s.CreatePlan(ctx, profitwell.Plan{ID: "client-test plan", Name: "again"})
	assert.Equal(t, profitwell.KindDuplicate, kindOf(err), "%v", err)
	p, err = s.UpdatePlan(ctx, "client-test plan", "Renamed")
	require.NoError(t, err)
	assert.Equal(t, "Renamed", p.Name)
	p, err = s.GetPlan(ctx, "client-test plan")
	require.NoError(t, err)
	assert.Equal(t, "Renamed", p.Name)
	plans, err := s.ListPlans(ctx)
	require.NoError(t, err)
	assert.Contains(t, plans, profitwell.Plan{ID: "client-test plan", Name: "Renamed"})
	_, err = s.GetPlan(ctx, "no-such-plan")
	assert.Equal(t, profitwell.KindNotFound, kindOf(err))

	// Subscriptions, with an alias that needs escaping.
	const userAlias = "luiz's alias/1"
	const subAlias = "luiz's sub/1"
	eff := time.Now().Add(-48 * time.Hour).Unix()
	sub, err := s.CreateSubscription(ctx, profitwell.CreateSubscription{
		UserAlias: userAlias, SubscriptionAlias: subAlias, Email: "luiz@example.com",
		PlanID: "client-test plan", PlanInterval: "month", Value: 5000, EffectiveDate: eff,
	})
	require.NoError(t, err)
	assert.Equal(t, int64(5000), sub.Value)
	require.NotNil(t, sub.SubscriptionAlias)
	assert.Equal(t, subAlias, *sub.SubscriptionAlias)
	_, err = s.CreateSubscription(ctx, profitwell.CreateSubscription{
		UserAlias: userAlias, SubscriptionAlias: subAlias, Email: "luiz@example.com",
		PlanID: "client-test plan", PlanInterval: "month", Value: 5000, EffectiveDate: eff,
	})
	assert.Equal(t, profitwell.KindDuplicate, kindOf(err), "%v", err)
	_, err = s.CreateSubscription(ctx, profitwell.CreateSubscription{Email: "x", PlanID: "p", PlanInterval: "week", Value: 1, EffectiveDate: eff})
	var pe *profitwell.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, profitwell.KindInvalid, pe.Kind)
	assert.NotEmpty(t, pe.Fields, "field errors parsed")

	up, err := s.UpdateSubscription(ctx, subAlias, profitwell.UpdateSubscription{
		PlanID: "client-test plan", PlanInterval: "year", Value: 50000, EffectiveDate: eff + 3600,
	})
	require.NoError(t, err)
	assert.Equal(t, "year", up.PlanInterval)

	churned, err := s.ChurnSubscription(ctx, subAlias, time.Now().Add(24*time.Hour).Unix(), "voluntary")
	require.NoError(t, err)
	if churned != nil {
		assert.Equal(t, sub.SubscriptionID, churned.SubscriptionID)
	}
	_, err = s.ChurnSubscription(ctx, subAlias, time.Now().Add(24*time.Hour).Unix(), "")
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, profitwell.KindInvalid, pe.Kind)
	assert.Contains(t, pe.Message, "already scheduled to churn")
	_, err = s.UnchurnSubscription(ctx, subAlias)
	require.NoError(t, err)
	_, err = s.UnchurnSubscription(ctx, subAlias)
	assert.Equal(t, profitwell.KindInvalid, kindOf(err), "%v", err)

	history, err := s.UserHistory(ctx, userAlias)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(history), 2)
	_, err = s.UpdateUser(ctx, userAlias, "new@example.com")
	require.NoError(t, err)

	cust, err := s.GetCustomer(ctx, userAlias)
	if err == nil {
		assert.Equal(t, userAlias, cust.CustomerID)
	} else {
		assert.Equal(t, profitwell.KindNotFound, kindOf(err), "customer ids of API users are uncertain: %v", err)
	}

	require.NoError(t, s.DeleteUser(ctx, userAlias))
	_, err = s.UserHistory(ctx, userAlias)
	assert.Equal(t, profitwell.KindNotFound, kindOf(err))

	// Customers and metrics on the seeded data.
	page, err := s.ListCustomers(ctx, profitwell.CustomerQuery{PerPage: 250, Direction: "desc"})
	require.NoError(t, err)
	require.Len(t, page, 250)
	_, err = page[0].UpdatedTime()
	require.NoError(t, err)
	one, err := s.GetCustomer(ctx, page[0].CustomerID)
	require.NoError(t, err)
	assert.Equal(t, page[0].CustomerID, one.CustomerID)
	since, err := page[0].UpdatedTime()
	require.NoError(t, err)
	later, err := s.ListCustomers(ctx, profitwell.CustomerQuery{StartDate: since, PerPage: 10})
	require.NoError(t, err)
	assert.NotEmpty(t, later)

	monthly, err := s.MonthlyMetrics(ctx, profitwell.MetricsQuery{Metrics: []string{"recurring_revenue", "active_customers"}})
	require.NoError(t, err)
	assert.NotEmpty(t, monthly["recurring_revenue"])
	daily, err := s.DailyMetrics(ctx, time.Now().UTC().Format("2006-01"), profitwell.MetricsQuery{Metrics: []string{"active_customers"}})
	require.NoError(t, err)
	assert.NotEmpty(t, daily["active_customers"])
	ids, err := s.MetricPlanIDs(ctx)
	require.NoError(t, err)
	assert.NotNil(t, ids)
	require.NoError(t, s.ExcludeCustomer(ctx, page[1].CustomerID))

	// Raw calls: the client adds the trailing slash the emulator requires.
	res, err := s.Do(ctx, profitwell.RawRequest{Path: "/v2/plans"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status)
	res, err = s.Do(ctx, profitwell.RawRequest{Path: "/v2/no-such-thing/"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, res.Status)
}

func TestEmulatorFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name     string
		fault    profitwelltest.Fault
		call     func(*profitwell.Session) error
		kind     profitwell.Kind // "" = success
		unknown  bool
		requests int
	}{
		{"GET 500 retried", profitwelltest.Fault{Kind: profitwelltest.FaultServerError, PathPrefix: "/v2/plans/"},
			func(s *profitwell.Session) error { _, err := s.ListPlans(ctx); return err }, "", false, 2},
		{"GET reset retried", profitwelltest.Fault{Kind: profitwelltest.FaultReset, PathPrefix: "/v2/customers/"},
			func(s *profitwell.Session) error {
				_, err := s.ListCustomers(ctx, profitwell.CustomerQuery{PerPage: 5})
				return err
			}, "", false, 2},
		{"GET truncated retried", profitwelltest.Fault{Kind: profitwelltest.FaultTruncated, PathPrefix: "/v2/metrics/"},
			func(s *profitwell.Session) error {
				_, err := s.MonthlyMetrics(ctx, profitwell.MetricsQuery{})
				return err
			}, "", false, 2},
		{"GET 429 no Retry-After retried", profitwelltest.Fault{Kind: profitwelltest.FaultRateLimitNoRetry},
			func(s *profitwell.Session) error { return s.APIStatus(ctx) }, "", false, 2},
		{"POST 429 Retry-After 1 waited", profitwelltest.Fault{Kind: profitwelltest.FaultRateLimit, RetryAfter: 1},
			func(s *profitwell.Session) error {
				_, err := s.CreatePlan(ctx, profitwell.Plan{ID: "x1", Name: "X"})
				return err
			}, "", false, 2},
		{"POST 500 not retried", profitwelltest.Fault{Kind: profitwelltest.FaultServerError, Method: "POST"},
			func(s *profitwell.Session) error {
				_, err := s.CreatePlan(ctx, profitwell.Plan{ID: "x2", Name: "X"})
				return err
			},
			profitwell.KindUnavailable, true, 1},
		{"POST truncated not retried", profitwelltest.Fault{Kind: profitwelltest.FaultTruncated, Method: "POST"},
			func(s *profitwell.Session) error {
				_, err := s.CreatePlan(ctx, profitwell.Plan{ID: "x3", Name: "X"})
				return err
			},
			profitwell.KindUnavailable, true, 1},
		{"PUT reset not retried", profitwelltest.Fault{Kind: profitwelltest.FaultReset, Method: "PUT"},
			func(s *profitwell.Session) error { _, err := s.UpdatePlan(ctx, "x4", "X"); return err },
			profitwell.KindUnavailable, true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, srv := emulatorSession(t)
			srv.Emulator.InjectFault(tc.fault)
			err := tc.call(s)
			if tc.kind == "" {
				require.NoError(t, err)
			} else {
				var pe *profitwell.Error
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tc.kind, pe.Kind)
				assert.Equal(t, tc.unknown, pe.OutcomeUnknown)
			}
			assert.Equal(t, tc.requests, s.Requests())
		})
	}
}
