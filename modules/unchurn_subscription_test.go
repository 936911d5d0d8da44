package modules

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

func TestUnchurnSubscriptionRestoresThePastChurn(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	created := s.createSub(subParams("comeback", map[string]any{"subscriptionAlias": "comeback-sub"}))
	s.mustRun("churnSubscription", map[string]any{"subscriptionIdOrAlias": "comeback-sub", "effectiveDate": "2024-06-01", "churnType": "delinquent"})
	require.Len(t, s.historyOf("comeback"), 2)

	out, n := s.mustRun("unchurnSubscription", map[string]any{"subscriptionIdOrAlias": created.SubscriptionID})
	assert.Equal(t, 1, n)
	b := changeOf(t, out)
	assert.Equal(t, subscriptionChange{SubscriptionIDOrAlias: created.SubscriptionID, subscriptionBundle: created}, b, "the record in force again")
	assert.Equal(t, []subscriptionBundle{created}, s.historyOf("comeback"), "as if it never churned")
}

func TestUnchurnSubscriptionAnsweredWithoutRecord(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{"", "{}"} {
		t.Run("answer "+answer, func(t *testing.T) {
			t.Parallel()
			s := newTerseSandbox(t, http.MethodPut, "/v2/unchurn/", answer)
			s.createSub(subParams("terse-user", map[string]any{"subscriptionAlias": "terse-sub"}))
			s.mustRun("churnSubscription", map[string]any{"subscriptionIdOrAlias": "terse-sub", "effectiveDate": "2024-06-01"})
			out, _ := s.mustRun("unchurnSubscription", map[string]any{"subscriptionIdOrAlias": "terse-sub"})
			require.Len(t, out.Bundles, 1)
			assert.Equal(t, subscriptionEcho{SubscriptionIDOrAlias: "terse-sub"}, out.Bundles[0])
			assert.Len(t, s.historyOf("terse-user"), 1, "ProfitWell did un-churn it")
		})
	}
}

func TestUnchurnSubscriptionErrors(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   map[string]string
	}{
		{"nothing", map[string]any{}, map[string]string{"subscriptionIdOrAlias": "is required"}},
		{"empty id and an unknown parameter", map[string]any{"subscriptionIdOrAlias": "", "effectiveDate": "now"},
			map[string]string{"subscriptionIdOrAlias": "is required", "effectiveDate": "is not a parameter of this module"}},
		{"not text", map[string]any{"subscriptionIdOrAlias": map[string]any{"id": "x"}},
			map[string]string{"subscriptionIdOrAlias": "must be text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			_, n, err := s.run("unchurnSubscription", tc.params)
			assert.Equal(t, tc.want, fieldProblems(t, err))
			assert.Zero(t, n, "nothing reached ProfitWell")
		})
	}

	_, n, err := s.run("unchurnSubscription", map[string]any{"subscriptionIdOrAlias": "no-such-sub"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
	assert.Equal(t, 1, n)

	_, n, err = s.run("unchurnSubscription", map[string]any{"subscriptionIdOrAlias": "   "})
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err), "spaces only name no subscription")
	assert.Zero(t, n)

	s.createSub(subParams("steady", map[string]any{"subscriptionAlias": "steady-sub"}))
	_, _, err = s.run("unchurnSubscription", map[string]any{"subscriptionIdOrAlias": "steady-sub"})
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err), "a subscription that never churned")
	assert.ErrorContains(t, err, "was not churned")
}
