package modules

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A trigger started "from now on" draws its boundary at the instant of its
// first run, at the precision ProfitWell reports updated_on (microseconds):
// a change made just before the first run is never emitted, a change made
// just after it always is, even inside the same second.
func TestWatchCustomersFromNowBoundaryInsideOneSecond(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	ctx := context.Background()
	session := s.client.Session(s.token)
	const rounds = 40
	sameSecond := 0
	for i := range rounds {
		before, after := "user_002", "user_003"
		if i%2 == 1 {
			before, after = after, before
		}
		_, err := session.UpdateUser(ctx, before, fmt.Sprintf("before-%d@example.com", i))
		require.NoError(t, err)
		changed, err := session.GetCustomer(ctx, before)
		require.NoError(t, err)
		beforeAt, err := changed.UpdatedTime()
		require.NoError(t, err)
		out, state := poll(t, s, map[string]any{}, nil)
		assert.Empty(t, customersOf(t, out), "round %d: a change made before the first run is not emitted", i)

		_, err = session.UpdateUser(ctx, after, fmt.Sprintf("after-%d@example.com", i))
		require.NoError(t, err)
		_, err = session.UpdateUser(ctx, before, fmt.Sprintf("again-%d@example.com", i))
		require.NoError(t, err)
		out, state = poll(t, s, map[string]any{}, state)
		got := customersOf(t, out)
		require.Len(t, got, 2, "round %d: both changes made after the first run are emitted", i)
		assert.Equal(t, fmt.Sprintf("after-%d@example.com", i), *got[0].Email)
		assert.Equal(t, fmt.Sprintf("again-%d@example.com", i), *got[1].Email)
		out, _ = poll(t, s, map[string]any{}, state)
		assert.Empty(t, out.Bundles, "round %d: nothing twice", i)

		afterAt, err := got[0].UpdatedTime()
		require.NoError(t, err)
		if beforeAt.Unix() == afterAt.Unix() {
			sameSecond++
		}
	}
	t.Logf("%d of %d rounds had the changes before and after the first run in the same second", sameSecond, rounds)
	assert.Greater(t, sameSecond, rounds/2, "most rounds must put both sides of the boundary in one second")
}
