package modules

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

// TestSubscriptionLifeCycle walks one user through every subscription and
// user module against the emulator: create, list, update, a scheduled
// churn, churn again, un-churn, un-churn again, new email, delete.
func TestSubscriptionLifeCycle(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	const jan15 = int64(1705276800) // 2024-01-15T00:00:00Z
	const mar1 = int64(1709251200)  // 2024-03-01T00:00:00Z

	created := s.createSub(subParams("lc-user", map[string]any{
		"subscriptionAlias": "lc-sub", "planCurrency": "USD", "effectiveDate": "2024-01-15",
	}))
	assert.Regexp(t, `^pwu_[A-Za-z0-9]{12}$`, created.UserID)
	assert.Regexp(t, `^pws_[A-Za-z0-9]{12}$`, created.SubscriptionID)
	assert.Equal(t, subscriptionBundle{
		subscriptionRecord: subscriptionRecord{
			UserID: created.UserID, SubscriptionID: created.SubscriptionID,
			UserAlias: strPtr("lc-user"), SubscriptionAlias: strPtr("lc-sub"), Email: "lc-user@example.com",
			PlanID: "pro", PlanInterval: "month", PlanCurrency: "usd", Status: "active", Value: 9900,
			EffectiveDate: jan15,
		},
		EffectiveDateISO: "2024-01-15T00:00:00Z", Meta: map[string]any{},
	}, created)
	assert.Equal(t, []subscriptionBundle{created}, s.historyOf("lc-user"), "the history holds the creation")
	assert.Equal(t, []subscriptionBundle{created}, s.historyOf(created.UserID), "by user id too")

	updated, n := s.mustRun("updateSubscription", map[string]any{
		"subscriptionIdOrAlias": "lc-sub", "planId": "enterprise", "planInterval": "year",
		"value": "499000", "effectiveDate": mar1,
	})
	assert.Equal(t, 1, n)
	up := changeOf(t, updated)
	assert.Equal(t, "lc-sub", up.SubscriptionIDOrAlias)
	assert.Equal(t, created.SubscriptionID, up.SubscriptionID)
	assert.Equal(t, []any{"enterprise", "year", int64(499000), mar1, "active"},
		[]any{up.PlanID, up.PlanInterval, up.Value, up.EffectiveDate, up.Status})
	hist := s.historyOf("lc-user")
	require.Len(t, hist, 2, "the update adds a history entry")
	assert.Equal(t, up.subscriptionBundle, hist[1])

	future := time.Now().UTC().Add(30 * 24 * time.Hour).Truncate(time.Second)
	churned, _ := s.mustRun("churnSubscription", map[string]any{
		"subscriptionIdOrAlias": created.SubscriptionID, "effectiveDate": future.Format(time.RFC3339),
	})
	ch := changeOf(t, churned)
	assert.Equal(t, "churned_voluntary", ch.Status, "churnType defaults to voluntary")
	assert.Equal(t, future.Unix(), ch.EffectiveDate)
	assert.Equal(t, future.Format(time.RFC3339), ch.EffectiveDateISO)
	assert.Equal(t, created.SubscriptionID, ch.SubscriptionIDOrAlias)
	hist = s.historyOf("lc-user")
	require.Len(t, hist, 3)
	assert.Equal(t, "churned_voluntary", hist[2].Status, "the scheduled churn is the latest entry")

	_, _, err := s.run("churnSubscription", map[string]any{
		"subscriptionIdOrAlias": "lc-sub", "effectiveDate": "now", "churnType": "delinquent",
	})
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err), "a second churn is refused")
	assert.ErrorContains(t, err, "already scheduled to churn")

	unchurned, _ := s.mustRun("unchurnSubscription", map[string]any{"subscriptionIdOrAlias": "lc-sub"})
	un := changeOf(t, unchurned)
	assert.Equal(t, "lc-sub", un.SubscriptionIDOrAlias)
	assert.Equal(t, "active", un.Status)
	assert.Equal(t, "enterprise", un.PlanID)
	assert.Len(t, s.historyOf("lc-user"), 2, "the churn is gone")

	_, _, err = s.run("unchurnSubscription", map[string]any{"subscriptionIdOrAlias": "lc-sub"})
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err))
	assert.ErrorContains(t, err, "was not churned")

	renamed, _ := s.mustRun("updateUser", map[string]any{"userIdOrAlias": "lc-user", "email": "new@example.com"})
	require.Len(t, renamed.Bundles, 1)
	ub, ok := renamed.Bundles[0].(userBundle)
	require.True(t, ok, "bundle is %T", renamed.Bundles[0])
	assert.Equal(t, "lc-user", ub.UserIDOrAlias)
	assert.Equal(t, &created.UserID, ub.UserID)
	assert.Equal(t, strPtr("lc-user"), ub.UserAlias)
	assert.Equal(t, "new@example.com", ub.Email)
	hist = s.historyOf("lc-user")
	assert.Equal(t, hist, ub.Subscriptions, "the answer carries the history")
	for _, h := range hist {
		assert.Equal(t, "new@example.com", h.Email, "the history shows the new email")
	}

	deleted, _ := s.mustRun("deleteUser", map[string]any{"userIdOrAlias": created.UserID})
	require.Len(t, deleted.Bundles, 1)
	assert.Equal(t, userDeletedBundle{UserIDOrAlias: created.UserID, Deleted: true}, deleted.Bundles[0])

	_, _, err = s.run("listSubscriptions", map[string]any{"userIdOrAlias": "lc-user"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err), "the user is gone")
	_, _, err = s.run("unchurnSubscription", map[string]any{"subscriptionIdOrAlias": "lc-sub"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err), "with their subscriptions")

	again := s.createSub(subParams("lc-user", map[string]any{"subscriptionAlias": "lc-sub"}))
	assert.NotEqual(t, created.UserID, again.UserID, "the aliases are free again")
}
