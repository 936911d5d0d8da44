package modules

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

func TestListMetricPlanIdsRPC(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	ids, err := s.client.Session(s.token).MetricPlanIDs(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, ids)
	s.emu.ResetRequests()

	first := s.rpc("listMetricPlanIds", nil)
	require.Len(t, first.Options, len(ids))
	for i, o := range first.Options {
		assert.Equal(t, ids[i], o.Value, "ProfitWell's order (by MRR)")
		assert.Equal(t, o.Value, o.Label, "the label is the plan id")
	}
	reqs := s.emu.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/v2/metrics/plans/", reqs[0].Path)

	again := s.rpc("listMetricPlanIds", nil)
	assert.Equal(t, first, again)
	assert.Len(t, s.emu.Requests(), 1, "the second call is served from the cache")

	// Another token is another cache entry (and here an error, not a cached answer).
	_, err = s.reg.CallRPC(context.Background(),
		Env{PW: s.client.Session(profitwell.NewToken("other-token")), Now: time.Now},
		RPCCall{Name: "listMetricPlanIds", TokenHash: profitwell.NewToken("other-token").Hash()})
	assert.Equal(t, profitwell.KindUnauthorized, pwKind(t, err))
	assert.Len(t, s.emu.Requests(), 2)
}

func TestListMetricPlanIdsCacheExpires(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	now := time.Now()
	reg, err := Default(Options{Now: func() time.Time { return now }})
	require.NoError(t, err)
	s.reg = reg
	s.rpc("listMetricPlanIds", nil)
	now = now.Add(14 * time.Minute)
	s.rpc("listMetricPlanIds", nil)
	assert.Len(t, s.emu.Requests(), 1, "fresh for 15 minutes")
	now = now.Add(2 * time.Minute)
	s.rpc("listMetricPlanIds", nil)
	assert.Len(t, s.emu.Requests(), 2, "asked again after 15 minutes")
}
