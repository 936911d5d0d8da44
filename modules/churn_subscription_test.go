package modules

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

func TestChurnSubscriptionSendsDateAndType(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	created := s.createSub(subParams("late-payer", map[string]any{"subscriptionAlias": "late sub's alias"}))
	out, n := s.mustRun("churnSubscription", map[string]any{
		"subscriptionIdOrAlias": "late sub's alias", "effectiveDate": "2024-06-01T00:00:00+00:00", "churnType": "Delinquent",
	})
	assert.Equal(t, 1, n)
	b := changeOf(t, out)
	assert.Equal(t, "late sub's alias", b.SubscriptionIDOrAlias)
	assert.Equal(t, created.SubscriptionID, b.SubscriptionID)
	assert.Equal(t, "churned_delinquent", b.Status)
	assert.Equal(t, int64(1717200000), b.EffectiveDate)
	assert.Equal(t, "2024-06-01T00:00:00Z", b.EffectiveDateISO)

	var churn []string
	for _, r := range s.emu.Requests() {
		if r.Method == http.MethodDelete {
			churn = append(churn, r.Path+"?"+r.RawQuery)
		}
	}
	assert.Equal(t, []string{"/v2/subscriptions/late sub's alias/?effective_date=1717200000&churn_type=delinquent"}, churn,
		"Unix seconds and a lower-case churn type in the query")

	hist := s.historyOf("late-payer")
	require.Len(t, hist, 2)
	assert.Equal(t, "churned_delinquent", hist[1].Status)
	assert.Equal(t, int64(1717200000), hist[1].EffectiveDate)
}

// TestChurnAndUnchurnByAwkwardAliases: aliases are escaped into the path,
// and surrounding spaces (which ProfitWell trims when it stores an alias)
// are trimmed from the id or alias.
func TestChurnAndUnchurnByAwkwardAliases(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for i, tc := range []struct{ alias, key string }{
		{"a/b", "a/b"},
		{"50% off", "50% off"},
		{"what?#x", "what?#x"},
		{"ünï cødé", "ünï cødé"},
		{"+plus+", "+plus+"},
		{"..dots", "..dots"},
		{"padded", "  padded  "},
	} {
		t.Run(tc.alias, func(t *testing.T) {
			s := s.inSubtest(t)
			created := s.createSub(subParams(fmt.Sprintf("awkward-%d", i), map[string]any{"subscriptionAlias": tc.alias}))
			out, n := s.mustRun("churnSubscription", map[string]any{"subscriptionIdOrAlias": tc.key, "effectiveDate": "2024-06-01"})
			assert.Equal(t, 1, n)
			b := changeOf(t, out)
			assert.Equal(t, created.SubscriptionID, b.SubscriptionID)
			assert.Equal(t, tc.alias, b.SubscriptionIDOrAlias)
			out, _ = s.mustRun("unchurnSubscription", map[string]any{"subscriptionIdOrAlias": tc.key})
			assert.Equal(t, created.SubscriptionID, changeOf(t, out).SubscriptionID)
		})
	}
}

func TestChurnSubscriptionAnsweredWithoutRecord(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{"", "{}"} {
		t.Run("answer "+answer, func(t *testing.T) {
			t.Parallel()
			s := newTerseSandbox(t, http.MethodDelete, "/v2/subscriptions/", answer)
			s.createSub(subParams("terse-user", map[string]any{"subscriptionAlias": "terse-sub"}))
			out, _ := s.mustRun("churnSubscription", map[string]any{
				"subscriptionIdOrAlias": "terse-sub", "effectiveDate": 1717200000, "churnType": "delinquent",
			})
			require.Len(t, out.Bundles, 1)
			at := int64(1717200000)
			assert.Equal(t, subscriptionEcho{
				SubscriptionIDOrAlias: "terse-sub", Status: strPtr("churned_delinquent"),
				EffectiveDate: &at, EffectiveDateISO: strPtr("2024-06-01T00:00:00Z"),
			}, out.Bundles[0])
			hist := s.historyOf("terse-user")
			assert.Equal(t, "churned_delinquent", hist[len(hist)-1].Status, "ProfitWell did churn it")
		})
	}
}

func TestChurnSubscriptionErrors(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   map[string]string
	}{
		{"nothing", map[string]any{}, map[string]string{"subscriptionIdOrAlias": "is required", "effectiveDate": "is required"}},
		{"every field wrong at once", map[string]any{
			"subscriptionIdOrAlias": "sub_002", "effectiveDate": "tomorrow", "churnType": "angry", "reason": "price",
		}, map[string]string{
			"effectiveDate": "must be an ISO 8601 date or date-time, or Unix seconds",
			"churnType":     "must be one of: voluntary, delinquent",
			"reason":        "is not a parameter of this module",
		}},
		{"date beyond year 9999", map[string]any{"subscriptionIdOrAlias": "sub_002", "effectiveDate": 253402300800},
			map[string]string{"effectiveDate": "must be an ISO 8601 date or date-time, or Unix seconds"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			_, n, err := s.run("churnSubscription", tc.params)
			assert.Equal(t, tc.want, fieldProblems(t, err))
			assert.Zero(t, n, "nothing reached ProfitWell")
		})
	}

	_, n, err := s.run("churnSubscription", map[string]any{"subscriptionIdOrAlias": "no-such-sub", "effectiveDate": "now"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
	assert.Equal(t, 1, n)

	_, n, err = s.run("churnSubscription", map[string]any{"subscriptionIdOrAlias": ".", "effectiveDate": "now"})
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err))
	assert.Zero(t, n)

	s.createSub(subParams("twice", map[string]any{"subscriptionAlias": "twice-sub"}))
	s.mustRun("churnSubscription", map[string]any{"subscriptionIdOrAlias": "twice-sub", "effectiveDate": "2024-06-01"})
	_, _, err = s.run("churnSubscription", map[string]any{"subscriptionIdOrAlias": "twice-sub", "effectiveDate": "2024-07-01"})
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err), "a churned subscription cannot churn again")
	assert.True(t, strings.Contains(err.Error(), "already scheduled to churn"), err.Error())
}
