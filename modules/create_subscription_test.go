package modules

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

func TestCreateSubscriptionSendsDatesAsUnixSeconds(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for i, tc := range []struct {
		name string
		date any
		want int64
	}{
		{"ISO date", "2024-01-15", 1705276800},
		{"ISO date-time with offset", "2024-01-15T10:00:00+02:00", 1705305600},
		{"ISO date-time in UTC with fraction", "2024-01-15T08:00:00.250Z", 1705305600},
		{"ISO date-time without offset means UTC", "2024-01-15T08:00:00", 1705305600},
		{"Unix seconds as text", "1705276800", 1705276800},
		{"Unix seconds as a JSON number", json.Number("1705276800"), 1705276800},
		{"Unix seconds as a float", float64(1705276800), 1705276800},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			alias := fmt.Sprintf("date-user-%d", i)
			b := s.createSub(subParams(alias, map[string]any{"effectiveDate": tc.date}))
			assert.Equal(t, tc.want, b.EffectiveDate)
			hist := s.historyOf(alias)
			require.Len(t, hist, 1)
			assert.Equal(t, tc.want, hist[0].EffectiveDate, "ProfitWell recorded Unix seconds")
			assert.Equal(t, unixToISO(tc.want), hist[0].EffectiveDateISO)
		})
	}
}

func TestCreateSubscriptionSendsNormalisedChoices(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for i, tc := range []struct {
		name                             string
		overrides                        map[string]any
		currency, interval, status, plan string
	}{
		{"defaults", map[string]any{}, "usd", "month", "active", "pro"},
		{"upper-case USD", map[string]any{"planCurrency": "USD"}, "usd", "month", "active", "pro"},
		{"mixed case everywhere", map[string]any{"planCurrency": "Eur", "planInterval": "YEAR", "status": "Trialing"}, "eur", "year", "trialing", "pro"},
		{"a plan ProfitWell does not list", map[string]any{"planId": "legacy-gold", "planCurrency": "jpy"}, "jpy", "month", "active", "legacy-gold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			alias := fmt.Sprintf("choice-user-%d", i)
			s.createSub(subParams(alias, tc.overrides))
			hist := s.historyOf(alias)
			require.Len(t, hist, 1)
			h := hist[0]
			assert.Equal(t, []string{tc.currency, tc.interval, tc.status, tc.plan}, []string{h.PlanCurrency, h.PlanInterval, h.Status, h.PlanID})
			assert.Equal(t, int64(9900), h.Value)
		})
	}
}

func TestCreateSubscriptionForExistingUsers(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.mustRun("createPlan", map[string]any{"planId": "team-yearly", "name": "Team (yearly)"})
	first := s.createSub(subParams("family", map[string]any{"planId": "team-yearly", "planInterval": "year", "value": 120000}))
	assert.Equal(t, "team-yearly", first.PlanID)

	byID := s.createSub(subParams("ignored", map[string]any{"userAlias": nil, "userId": first.UserID, "effectiveDate": "2024-02-01"}))
	assert.Equal(t, first.UserID, byID.UserID, "User ID adds to the existing user")
	byAlias := s.createSub(subParams("family", map[string]any{"effectiveDate": "2024-03-01", "email": "Family Account"}))
	assert.Equal(t, first.UserID, byAlias.UserID, "an existing User Alias adds to that user")
	assert.Equal(t, "Family Account", byAlias.Email, "email is any display text")
	anonymous := s.createSub(subParams("x", map[string]any{"userAlias": nil}))
	assert.Nil(t, anonymous.UserAlias)
	assert.NotEqual(t, first.UserID, anonymous.UserID, "neither id nor alias: a new user")

	hist := s.historyOf("family")
	require.Len(t, hist, 3)
	assert.NotEqual(t, hist[0].SubscriptionID, hist[1].SubscriptionID, "three subscriptions")
	assert.Equal(t, 3, s.emu.HistoryLen(profitwelltest.DefaultToken, first.UserID))
}

func TestCreateSubscriptionTwiceIsADuplicate(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.createSub(subParams("dup-user", map[string]any{"subscriptionAlias": "dup-sub"}))
	_, n, err := s.run("createSubscription", subParams("other-user", map[string]any{"subscriptionAlias": "dup-sub"}))
	assert.Equal(t, profitwell.KindDuplicate, pwKind(t, err))
	assert.Equal(t, 1, n, "a refused create is not retried")
	assert.Equal(t, 1, s.emu.SubscriptionsWithAlias(profitwelltest.DefaultToken, "dup-sub"), "created exactly once")
	assert.Equal(t, -1, s.emu.HistoryLen(profitwelltest.DefaultToken, "other-user"), "no user was created")
}

func TestCreateSubscriptionRefusesBadInput(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	alias37 := strings.Repeat("a", 37)
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   map[string]string
	}{
		{"nothing", map[string]any{}, map[string]string{
			"email": "is required", "planId": "is required", "planInterval": "is required",
			"value": "is required", "effectiveDate": "is required",
		}},
		{"every field wrong at once", map[string]any{
			"userId": "pwu\x00x", "userAlias": alias37, "subscriptionAlias": alias37, "email": "",
			"planId": "", "planInterval": "week", "planCurrency": "xyz", "status": "churned_voluntary",
			"value": -1, "effectiveDate": "next tuesday", "colour": "red",
		}, map[string]string{
			"userId":            "must not contain control characters",
			"userAlias":         "must be at most 36 characters",
			"subscriptionAlias": "must be at most 36 characters",
			"email":             "is required",
			"planId":            "is required",
			"planInterval":      "must be one of: month, year",
			"planCurrency":      "is not one of the 160 allowed values",
			"status":            "must be one of: active, trialing",
			"value":             "must not be negative",
			"effectiveDate":     "must be an ISO 8601 date or date-time, or Unix seconds",
			"colour":            "is not a parameter of this module",
		}},
		{"fraction of a cent", subParams("u", map[string]any{"value": 10.5}), map[string]string{"value": "must be a whole number of cents"}},
		{"fraction of a cent as text", subParams("u", map[string]any{"value": "10.5"}), map[string]string{"value": "must be a whole number of cents"}},
		{"value not a number", subParams("u", map[string]any{"value": "50 USD"}), map[string]string{"value": "must be a whole number of cents"}},
		{"negative Unix seconds", subParams("u", map[string]any{"effectiveDate": -5}), map[string]string{"effectiveDate": "must be an ISO 8601 date or date-time, or Unix seconds"}},
		{"day-first date", subParams("u", map[string]any{"effectiveDate": "15/01/2024"}), map[string]string{"effectiveDate": "must be an ISO 8601 date or date-time, or Unix seconds"}},
		{"36 characters are fine, 37 are not", subParams(strings.Repeat("b", 36), map[string]any{"subscriptionAlias": alias37}),
			map[string]string{"subscriptionAlias": "must be at most 36 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			_, n, err := s.run("createSubscription", tc.params)
			assert.Equal(t, tc.want, fieldProblems(t, err))
			assert.Zero(t, n, "nothing reached ProfitWell")
		})
	}
}

func TestCreateSubscriptionForUnknownUserID(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	_, n, err := s.run("createSubscription", subParams("x", map[string]any{"userAlias": nil, "userId": "pwu_doesnotexist"}))
	// The emulator answers 400 (the body is wrong), not 404.
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err))
	assert.ErrorContains(t, err, "does not exist")
	assert.Equal(t, 1, n)
}
