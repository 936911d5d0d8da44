package modules

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

func TestDeleteUserRemovesTheWholeHistory(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	hist := s.historyOf("luiz's alias")
	require.NotEmpty(t, hist)
	subs := s.emu.SubscriptionCount(profitwelltest.DefaultToken)

	out, n := s.mustRun("deleteUser", map[string]any{"userIdOrAlias": "luiz's alias"})
	assert.Equal(t, 1, n)
	require.Len(t, out.Bundles, 1)
	assert.Equal(t, userDeletedBundle{UserIDOrAlias: "luiz's alias", Deleted: true}, out.Bundles[0])

	assert.Equal(t, -1, s.emu.HistoryLen(profitwelltest.DefaultToken, hist[0].UserID))
	assert.Less(t, s.emu.SubscriptionCount(profitwelltest.DefaultToken), subs)
	for _, key := range []string{"luiz's alias", hist[0].UserID} {
		_, _, err := s.run("listSubscriptions", map[string]any{"userIdOrAlias": key})
		assert.Equal(t, profitwell.KindNotFound, pwKind(t, err), key)
	}
	_, _, err := s.run("churnSubscription", map[string]any{"subscriptionIdOrAlias": hist[0].SubscriptionID, "effectiveDate": "now"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err), "the subscriptions went with the user")

	_, n, err = s.run("deleteUser", map[string]any{"userIdOrAlias": "luiz's alias"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err), "deleting twice")
	assert.Equal(t, 1, n)
}

func TestDeleteUserErrors(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   map[string]string
	}{
		{"nothing", map[string]any{}, map[string]string{"userIdOrAlias": "is required"}},
		{"null id and an unknown parameter", map[string]any{"userIdOrAlias": nil, "confirm": true},
			map[string]string{"userIdOrAlias": "is required", "confirm": "is not a parameter of this module"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			_, n, err := s.run("deleteUser", tc.params)
			assert.Equal(t, tc.want, fieldProblems(t, err))
			assert.Zero(t, n, "nothing reached ProfitWell")
		})
	}

	_, n, err := s.run("deleteUser", map[string]any{"userIdOrAlias": "nobody-here"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
	assert.Equal(t, 1, n)

	_, n, err = s.run("deleteUser", map[string]any{"userIdOrAlias": ".."})
	assert.Equal(t, profitwell.KindInvalid, pwKind(t, err), `".." would address /v2/ itself`)
	assert.Zero(t, n)
}
