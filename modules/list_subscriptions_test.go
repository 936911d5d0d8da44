package modules

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

// sixEntryUser creates a user with two subscriptions and six history
// entries (two creations, three updates, a scheduled churn) and returns the
// user alias.
func (s *sandbox) sixEntryUser() string {
	s.t.Helper()
	first := s.createSub(subParams("six", map[string]any{"subscriptionAlias": "six-a", "effectiveDate": "2024-01-15"}))
	s.createSub(subParams("six", map[string]any{
		"userAlias": nil, "userId": first.UserID, "subscriptionAlias": "six-b", "effectiveDate": "2024-02-01",
	}))
	for _, u := range []struct{ sub, date string }{{"six-a", "2024-03-01"}, {"six-a", "2024-04-01"}, {"six-b", "2024-05-01"}} {
		s.mustRun("updateSubscription", map[string]any{
			"subscriptionIdOrAlias": u.sub, "planId": "growth", "planInterval": "month", "value": 4900, "effectiveDate": u.date,
		})
	}
	s.mustRun("churnSubscription", map[string]any{
		"subscriptionIdOrAlias": "six-b", "effectiveDate": time.Now().Add(90 * 24 * time.Hour).Unix(),
	})
	return "six"
}

func TestListSubscriptionsCutsToLimitAndContinues(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	user := s.sixEntryUser()

	all, n := s.mustRun("listSubscriptions", map[string]any{"userIdOrAlias": user, "limit": 100})
	assert.Equal(t, 1, n, "the history comes in one request")
	assert.False(t, all.HasMore)
	assert.Empty(t, all.NextCursor)
	full := subsOf(t, all)
	require.Len(t, full, 6)
	for i := 1; i < len(full); i++ {
		assert.LessOrEqual(t, full[i-1].EffectiveDate, full[i].EffectiveDate, "chronological by effective date")
	}
	assert.Equal(t, "churned_voluntary", full[5].Status, "the scheduled churn comes last")
	assert.Equal(t, "six-a", *full[0].SubscriptionAlias)
	assert.Equal(t, "six-b", *full[1].SubscriptionAlias)

	def, _ := s.mustRun("listSubscriptions", map[string]any{"userIdOrAlias": user})
	assert.Equal(t, all.Bundles, def.Bundles, "limit defaults to 10")

	// Continue with changing limits: nothing skipped or repeated.
	var got []subscriptionBundle
	out, n := s.mustRun("listSubscriptions", map[string]any{"userIdOrAlias": user, "limit": 2})
	assert.Equal(t, 1, n)
	assert.True(t, out.HasMore)
	got = append(got, subsOf(t, out)...)
	for _, limit := range []int{3, 2} {
		require.NotEmpty(t, out.NextCursor)
		out, n = s.mustRun("listSubscriptions", map[string]any{"userIdOrAlias": user, "limit": limit}, out.NextCursor)
		assert.Equal(t, 1, n)
		got = append(got, subsOf(t, out)...)
	}
	assert.False(t, out.HasMore)
	assert.Empty(t, out.NextCursor)
	assert.Equal(t, full, got)

	exact, _ := s.mustRun("listSubscriptions", map[string]any{"userIdOrAlias": user, "limit": 6})
	assert.Len(t, exact.Bundles, 6)
	assert.False(t, exact.HasMore, "a limit equal to the history size leaves nothing")
}

func TestListSubscriptionsOfSeededUsers(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, alias := range []string{"luiz's alias", "spiderman 1a", "user_002"} {
		t.Run(alias, func(t *testing.T) {
			s := s.inSubtest(t)
			hist := s.historyOf(alias)
			require.NotEmpty(t, hist)
			byID := s.historyOf(hist[0].UserID)
			assert.Equal(t, hist, byID, "the same history by alias and by id")
			for _, h := range hist {
				assert.Equal(t, alias, *h.UserAlias)
				assert.Equal(t, time.Unix(h.EffectiveDate, 0).UTC().Format(time.RFC3339), h.EffectiveDateISO)
				assert.NotNil(t, h.Meta)
			}
		})
	}
}

func TestListSubscriptionsByAwkwardUserAliases(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, tc := range []struct{ alias, key string }{
		{"x/y", "x/y"}, {"100%", "100%"}, {"who?", "who?"}, {"it's me", "it's me"}, {"padded", " padded "},
	} {
		t.Run(tc.alias, func(t *testing.T) {
			s := s.inSubtest(t)
			created := s.createSub(subParams(tc.alias, nil))
			assert.Equal(t, []subscriptionBundle{created}, s.historyOf(tc.key))
		})
	}
}

func TestListSubscriptionsRefusesBadInput(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   map[string]string
	}{
		{"missing user", map[string]any{}, map[string]string{"userIdOrAlias": "is required"}},
		{"limit zero and unknown parameter", map[string]any{"userIdOrAlias": "user_002", "limit": 0, "status": "active"},
			map[string]string{"limit": "must be at least 1", "status": "is not a parameter of this module"}},
		{"limit not a number", map[string]any{"userIdOrAlias": "user_002", "limit": "ten"},
			map[string]string{"limit": "must be a whole number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			_, n, err := s.run("listSubscriptions", tc.params)
			assert.Equal(t, tc.want, fieldProblems(t, err))
			assert.Zero(t, n, "nothing reached ProfitWell")
		})
	}

	_, n, err := s.run("listSubscriptions", map[string]any{"userIdOrAlias": "nobody-here"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
	assert.Equal(t, 1, n)

	first, _ := s.mustRun("listSubscriptions", map[string]any{"userIdOrAlias": "user_003", "limit": 1})
	require.True(t, first.HasMore)
	_, n, err = s.run("listSubscriptions", map[string]any{"userIdOrAlias": "user_004", "limit": 1}, first.NextCursor)
	assert.Equal(t, map[string]string{"cursor": "belongs to another module, connection or set of parameters"}, fieldProblems(t, err))
	assert.Zero(t, n, "a cursor of another user's list is refused before any call")
}
