package modules

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

func planOf(t *testing.T, out Output) profitwell.Plan {
	t.Helper()
	require.Len(t, out.Bundles, 1)
	p, ok := out.Bundles[0].(profitwell.Plan)
	require.True(t, ok, "bundle is %T", out.Bundles[0])
	return p
}

func TestPlanLifeCycle(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	created, n := s.mustRun("createPlan", map[string]any{"planId": "team-monthly", "name": "Team"})
	assert.Equal(t, profitwell.Plan{ID: "team-monthly", Name: "Team"}, planOf(t, created))
	assert.Equal(t, 1, n)

	renamed, _ := s.mustRun("updatePlan", map[string]any{"planId": "team-monthly", "name": "Team (monthly)"})
	assert.Equal(t, "Team (monthly)", planOf(t, renamed).Name)

	got, _ := s.mustRun("getPlan", map[string]any{"planId": "team-monthly"})
	assert.Equal(t, profitwell.Plan{ID: "team-monthly", Name: "Team (monthly)"}, planOf(t, got))
}

func TestCreatePlanTwiceIsADuplicate(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.mustRun("createPlan", map[string]any{"planId": "dup-plan", "name": "One"})
	_, _, err := s.run("createPlan", map[string]any{"planId": "dup-plan", "name": "Two"})
	assert.Equal(t, profitwell.KindDuplicate, pwKind(t, err))
}

func TestPlanModulesRefuseBadInput(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	_, n, err := s.run("createPlan", map[string]any{"name": 5, "extra": true})
	assert.Equal(t, map[string]string{"planId": "is required", "extra": "is not a parameter of this module"}, fieldProblems(t, err))
	assert.Zero(t, n, "nothing reached ProfitWell")
	_, _, err = s.run("getPlan", map[string]any{"planId": "no-such-plan"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
	_, _, err = s.run("updatePlan", map[string]any{"planId": "no-such-plan", "name": "x"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
}

func TestListPlansCutsToLimitAndContinues(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	all, n := s.mustRun("listPlans", map[string]any{"limit": 100})
	assert.Equal(t, 1, n, "plans come in one request")
	require.GreaterOrEqual(t, len(all.Bundles), 5)
	assert.False(t, all.HasMore)
	for i := 1; i < len(all.Bundles); i++ {
		assert.Less(t, all.Bundles[i-1].(*profitwell.Plan).ID, all.Bundles[i].(*profitwell.Plan).ID, "ordered by id")
	}

	var got []any
	out, _ := s.mustRun("listPlans", map[string]any{"limit": 2})
	got = append(got, out.Bundles...)
	assert.Len(t, out.Bundles, 2)
	assert.True(t, out.HasMore)
	for out.HasMore {
		out, _ = s.mustRun("listPlans", map[string]any{"limit": 2}, out.NextCursor)
		got = append(got, out.Bundles...)
	}
	assert.Equal(t, all.Bundles, got, "cursors continue with nothing skipped or repeated")

	def, _ := s.mustRun("listPlans", map[string]any{})
	assert.Len(t, def.Bundles, min(10, len(all.Bundles)), "limit defaults to 10")
}

func TestListPlansRPCIsCachedAndRefreshedByWrites(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	first := s.rpc("listPlans", nil)
	require.NotEmpty(t, first.Options)
	before := len(s.emu.Requests())
	again := s.rpc("listPlans", nil)
	assert.Equal(t, first, again)
	assert.Equal(t, before, len(s.emu.Requests()), "the second call is served from the cache")

	s.mustRun("createPlan", map[string]any{"planId": "zz-new", "name": "Brand new"})
	after := s.rpc("listPlans", nil)
	assert.Len(t, after.Options, len(first.Options)+1, "creating a plan refreshes the options")
	found := false
	for _, o := range after.Options {
		if o.Value == "zz-new" {
			found = o.Label == "Brand new"
		}
	}
	assert.True(t, found)
}
