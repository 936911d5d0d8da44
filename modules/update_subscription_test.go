package modules

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

func TestUpdateSubscriptionConvertsATrial(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	trial := s.createSub(subParams("trial-user", map[string]any{"subscriptionAlias": "trial-sub", "status": "trialing", "value": 0}))
	assert.Equal(t, "trialing", trial.Status)

	for _, tc := range []struct {
		name       string
		params     map[string]any
		wantStatus string
		wantDate   int64
	}{
		{"without status a trial stays a trial", map[string]any{
			"subscriptionIdOrAlias": "trial-sub", "planId": "growth", "planInterval": "month", "value": 0,
			"effectiveDate": "2024-01-20T12:00:00Z",
		}, "trialing", 1705752000},
		{"status active converts it", map[string]any{
			"subscriptionIdOrAlias": trial.SubscriptionID, "planId": "growth", "planInterval": "Month", "value": 4900,
			"effectiveDate": "1706745600", "status": "ACTIVE",
		}, "active", 1706745600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			out, n := s.mustRun("updateSubscription", tc.params)
			assert.Equal(t, 1, n)
			b := changeOf(t, out)
			assert.Equal(t, tc.params["subscriptionIdOrAlias"], b.SubscriptionIDOrAlias)
			assert.Equal(t, trial.SubscriptionID, b.SubscriptionID)
			assert.Equal(t, tc.wantStatus, b.Status)
			assert.Equal(t, tc.wantDate, b.EffectiveDate)
		})
	}
	hist := s.historyOf("trial-user")
	require.Len(t, hist, 3, "each update adds an entry")
	assert.Equal(t, []string{"trialing", "trialing", "active"}, []string{hist[0].Status, hist[1].Status, hist[2].Status})
	assert.Equal(t, []int64{0, 0, 4900}, []int64{hist[0].Value, hist[1].Value, hist[2].Value})
	assert.Equal(t, int64(1706745600), hist[2].EffectiveDate, "sent as Unix seconds")
	assert.Equal(t, "usd", hist[2].PlanCurrency, "an update keeps the currency")
}

func TestUpdateSubscriptionErrors(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	valid := map[string]any{
		"subscriptionIdOrAlias": "sub_002", "planId": "pro", "planInterval": "month", "value": 9900, "effectiveDate": "now",
	}
	with := func(overrides map[string]any) map[string]any {
		p := map[string]any{}
		for k, v := range valid {
			p[k] = v
		}
		for k, v := range overrides {
			p[k] = v
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   map[string]string
	}{
		{"nothing", map[string]any{}, map[string]string{
			"subscriptionIdOrAlias": "is required", "planId": "is required", "planInterval": "is required",
			"value": "is required", "effectiveDate": "is required",
		}},
		{"every field wrong at once", map[string]any{
			"subscriptionIdOrAlias": "a\tb", "planId": "pro", "planInterval": "week", "value": 10.5,
			"effectiveDate": "2024-13-01", "status": "trialing", "email": "x@example.com",
		}, map[string]string{
			"subscriptionIdOrAlias": "must not contain control characters",
			"planInterval":          "must be one of: month, year",
			"value":                 "must be a whole number of cents",
			"effectiveDate":         "must be an ISO 8601 date or date-time, or Unix seconds",
			"status":                "must be one of: active",
			"email":                 "is not a parameter of this module",
		}},
		{"negative value", with(map[string]any{"value": "-1"}), map[string]string{"value": "must not be negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			_, n, err := s.run("updateSubscription", tc.params)
			assert.Equal(t, tc.want, fieldProblems(t, err))
			assert.Zero(t, n, "nothing reached ProfitWell")
		})
	}

	_, n, err := s.run("updateSubscription", with(map[string]any{"subscriptionIdOrAlias": "no-such-sub"}))
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
	assert.Equal(t, 1, n)

	_, n, err = s.run("updateSubscription", with(map[string]any{"subscriptionIdOrAlias": ".."}))
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err), "an id that would change the path is refused")
	assert.Zero(t, n)

	// ProfitWell refuses an update dated before the subscription started.
	_, _, err = s.run("updateSubscription", with(map[string]any{"effectiveDate": "1970-01-02"}))
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err))

	// And one dated after a churn: un-churn first.
	s.createSub(subParams("churned-user", map[string]any{"subscriptionAlias": "churned-sub"}))
	s.mustRun("churnSubscription", map[string]any{"subscriptionIdOrAlias": "churned-sub", "effectiveDate": "2024-06-01"})
	_, _, err = s.run("updateSubscription", with(map[string]any{"subscriptionIdOrAlias": "churned-sub", "effectiveDate": time.Now().Unix()}))
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err))
	assert.True(t, strings.Contains(err.Error(), "unchurn"), err.Error())
}
