package modules

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
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

// An engine that keeps only the last emitted item's date (to the
// millisecond) and id walks every change once, in (millisecond,
// customer_id) order, whatever the limit, including past ProfitWell's row
// window.
func TestWatchCustomersResumesFromAnEnginesDateAndID(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	all, _ := s.mustRun("listCustomers", map[string]any{"limit": 5000})
	want := customersOf(t, all)
	slices.SortStableFunc(want, func(a, b profitwell.Customer) int {
		ta, _ := a.UpdatedTime()
		tb, _ := b.UpdatedTime()
		if c := cmp.Compare(ta.UnixMilli(), tb.UnixMilli()); c != 0 {
			return c
		}
		return strings.Compare(a.CustomerID, b.CustomerID)
	})
	for _, limit := range []int{7, 300, 1000} {
		var got []profitwell.Customer
		after := map[string]any{}
		for runs := 0; runs < 400 && len(got) < len(want)+1; runs++ {
			state, err := json.Marshal(map[string]any{"module": "watchCustomers", "after": after})
			require.NoError(t, err)
			before := len(s.emu.Requests())
			out, _ := poll(t, s, map[string]any{"limit": limit}, state)
			// One upstream request for every page of 250 rows read, each
			// giving all but the rows of its last millisecond.
			assert.LessOrEqual(t, len(s.emu.Requests())-before, limit/240+1, "limit %d: upstream requests of one run", limit)
			cs := customersOf(t, out)
			if len(cs) == 0 {
				break
			}
			got = append(got, cs...)
			last := cs[len(cs)-1]
			lt, err := last.UpdatedTime()
			require.NoError(t, err)
			// The engine keeps a JavaScript date: milliseconds.
			after = map[string]any{"date": lt.UTC().Format("2006-01-02T15:04:05.000Z07:00"), "id": last.CustomerID}
		}
		assert.Equal(t, ids(want), ids(got), "limit %d: each change once, in order", limit)
	}

	// A date alone starts at that instant, inclusive.
	mid, err := want[100].UpdatedTime()
	require.NoError(t, err)
	state, _ := json.Marshal(map[string]any{"module": "watchCustomers", "after": map[string]any{"date": mid.UTC().Format(time.RFC3339Nano)}})
	out, _ := poll(t, s, map[string]any{"limit": 3}, state)
	got := customersOf(t, out)
	require.NotEmpty(t, got)
	first, _ := got[0].UpdatedTime()
	assert.False(t, first.Before(mid))
	assert.Contains(t, ids(got), ids(want[100:101])[0])
}
