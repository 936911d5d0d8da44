package modules

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

func customersOf(t *testing.T, out Output) []profitwell.Customer {
	t.Helper()
	cs := make([]profitwell.Customer, len(out.Bundles))
	for i, b := range out.Bundles {
		switch c := b.(type) {
		case profitwell.Customer: // getCustomer
			cs[i] = c
		case *profitwell.CustomerRow: // listings pass rows through
			var err error
			cs[i], err = c.Customer()
			require.NoError(t, err)
		default:
			t.Fatalf("bundle %d is %T", i, b)
		}
	}
	return cs
}

func ids(cs []profitwell.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		updated := ""
		if c.UpdatedOn != nil {
			updated = *c.UpdatedOn
		}
		out[i] = c.CustomerID + "@" + updated
	}
	return out
}

// assertOrdered checks customers are ordered by updated_on.
func assertOrdered(t *testing.T, cs []profitwell.Customer, desc bool) {
	t.Helper()
	for i := 1; i < len(cs); i++ {
		a, err := cs[i-1].UpdatedTime()
		require.NoError(t, err)
		b, err := cs[i].UpdatedTime()
		require.NoError(t, err)
		if desc {
			require.False(t, b.After(a), "row %d is newer than row %d", i, i-1)
		} else {
			require.False(t, b.Before(a), "row %d is older than row %d", i, i-1)
		}
	}
}

func TestListCustomersRequestCounts(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, tc := range []struct{ limit, requests int }{{10, 1}, {250, 1}, {251, 2}, {1000, 4}} {
		out, n := s.mustRun("listCustomers", map[string]any{"limit": tc.limit})
		assert.Len(t, out.Bundles, tc.limit)
		assert.Equal(t, tc.requests, n, "limit %d", tc.limit)
		assert.True(t, out.HasMore)
		assertOrdered(t, customersOf(t, out), false)
	}
	all, _ := s.mustRun("listCustomers", map[string]any{"limit": 5000})
	assert.Equal(t, s.emu.CustomerCount(profitwelltest.DefaultToken), len(all.Bundles), "every customer, once")
	assert.False(t, all.HasMore, "the short last page ends the list")
	assert.Empty(t, all.NextCursor)
}

// walk lists everything with the given limits in turn, following cursors.
func walk(t *testing.T, s *sandbox, module string, params map[string]any, limits []int) ([]profitwell.Customer, int) {
	t.Helper()
	var got []profitwell.Customer
	cursor, calls := "", 0
	for i := 0; ; i++ {
		p := map[string]any{"limit": limits[i%len(limits)]}
		for k, v := range params {
			p[k] = v
		}
		out, _ := s.mustRun(module, p, cursor)
		calls++
		got = append(got, customersOf(t, out)...)
		if !out.HasMore {
			return got, calls
		}
		require.NotEmpty(t, out.NextCursor)
		cursor = out.NextCursor
		require.Less(t, calls, 500, "the walk must end")
	}
}

func TestListCustomersCursorsSkipAndRepeatNothing(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, dir := range []string{"asc", "desc"} {
		want, _ := s.mustRun("listCustomers", map[string]any{"limit": 5000, "direction": dir})
		got, _ := walk(t, s, "listCustomers", map[string]any{"direction": dir}, []int{97, 250, 3, 500, 41})
		assert.Equal(t, ids(customersOf(t, want)), ids(got), dir)
		assertOrdered(t, got, dir == "desc")
	}
}

func TestListCustomersFilters(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	all := customersOf(t, func() Output { o, _ := s.mustRun("listCustomers", map[string]any{"limit": 5000}); return o }())
	var target profitwell.Customer
	for _, c := range all {
		if c.Email != nil && *c.Email != "" {
			target = c
			break
		}
	}
	require.NotNil(t, target.Email)
	byEmail, n := s.mustRun("listCustomers", map[string]any{"email": *target.Email})
	assert.Equal(t, 1, n)
	require.NotEmpty(t, byEmail.Bundles)
	for _, c := range customersOf(t, byEmail) {
		assert.Equal(t, *target.Email, *c.Email)
	}

	mid, err := all[len(all)/2].UpdatedTime()
	require.NoError(t, err)
	end, err := all[len(all)*3/4].UpdatedTime()
	require.NoError(t, err)
	from := mid.Truncate(time.Second)
	to := end.Truncate(time.Second)
	window, _ := s.mustRun("listCustomers", map[string]any{"limit": 5000, "updatedFrom": from.Format(time.RFC3339), "updatedTo": to.Unix()})
	require.NotEmpty(t, window.Bundles)
	for _, c := range customersOf(t, window) {
		u, _ := c.UpdatedTime()
		assert.False(t, u.Before(from), "updatedFrom is inclusive")
		assert.True(t, u.Before(to), "updatedTo is exclusive")
	}

	_, n, err = s.run("listCustomers", map[string]any{"updatedFrom": "2025-02-01", "updatedTo": "2025-01-01"})
	assert.Equal(t, map[string]string{"updatedTo": "must be after Updated From"}, fieldProblems(t, err))
	assert.Zero(t, n)
	_, _, err = s.run("listCustomers", map[string]any{"email": "not an email", "direction": "sideways", "limit": 0})
	assert.Equal(t, map[string]string{
		"email":     "must be an email address",
		"direction": "must be one of: asc, desc",
		"limit":     "must be at least 1",
	}, fieldProblems(t, err))
}

// TestListCustomersPastTheRowWindow lists more rows than ProfitWell lets one
// query reach: the listing moves its start date forward instead of asking for
// a page past the window.
func TestListCustomersPastTheRowWindow(t *testing.T) {
	t.Parallel()
	srv := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 3, MaxRows: 500})
	reg, err := NewRegistry(Options{}, []Module{newListCustomers(500)}, nil)
	require.NoError(t, err)
	s := sandboxAt(t, srv.URL, srv.Emulator, reg)

	out, n := s.mustRun("listCustomers", map[string]any{"limit": 5000})
	got := customersOf(t, out)
	assert.Len(t, got, s.emu.CustomerCount(profitwelltest.DefaultToken))
	seen := map[string]bool{}
	for _, k := range ids(got) {
		require.False(t, seen[k], "repeated %s", k)
		seen[k] = true
	}
	assertOrdered(t, got, false)
	assert.LessOrEqual(t, n, 7, "about one request per 250 rows")
	for _, r := range s.emu.Requests() {
		assert.NotEqual(t, 400, r.Status, "no page past the window was asked for: %s?%s", r.Path, r.RawQuery)
	}
}

func TestGetCustomer(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	list, _ := s.mustRun("listCustomers", map[string]any{"limit": 1})
	want := customersOf(t, list)[0]
	out, n := s.mustRun("getCustomer", map[string]any{"customerId": want.CustomerID})
	assert.Equal(t, 1, n)
	assert.Equal(t, want, customersOf(t, out)[0])

	_, _, err := s.run("getCustomer", map[string]any{"customerId": "cus_doesnotexist00"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
	_, _, err = s.run("getCustomer", map[string]any{})
	assert.Equal(t, map[string]string{"customerId": "is required"}, fieldProblems(t, err))
}

func TestExcludeCustomer(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	list, _ := s.mustRun("listCustomers", map[string]any{"limit": 1})
	id := customersOf(t, list)[0].CustomerID
	before := s.emu.CustomerCount(profitwelltest.DefaultToken)
	out, _ := s.mustRun("excludeCustomer", map[string]any{"customerId": id})
	assert.Equal(t, []any{excludedCustomer{CustomerID: id, Excluded: true}}, out.Bundles)
	assert.Equal(t, before-1, s.emu.CustomerCount(profitwelltest.DefaultToken), "excluded customers leave the customers list")
	_, _, err := s.run("excludeCustomer", map[string]any{"customerId": "cus_doesnotexist00"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
}

// poll runs watchCustomers once with a state and returns the new state.
func poll(t *testing.T, s *sandbox, params map[string]any, state json.RawMessage) (Output, json.RawMessage) {
	t.Helper()
	session := s.client.Session(s.token)
	out, err := s.reg.Execute(context.Background(), Env{PW: session, Now: time.Now}, Request{
		Module: "watchCustomers", TokenHash: s.token.Hash(), Parameters: params, State: state,
	})
	require.NoError(t, err)
	require.NotEmpty(t, out.State)
	return out, out.State
}

func TestWatchCustomersFromNowEmitsEachChangeOnce(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	out, state := poll(t, s, map[string]any{}, nil)
	assert.Empty(t, out.Bundles, "a first run without a date starts from now")

	// A change after the first run is emitted once.
	_, err := s.client.Session(s.token).UpdateUser(context.Background(), "luiz's alias", "luiz@example.com")
	require.NoError(t, err)
	out, state = poll(t, s, map[string]any{}, state)
	require.Len(t, out.Bundles, 1)
	assert.Equal(t, "luiz's alias", customersOf(t, out)[0].CustomerID)
	out, state = poll(t, s, map[string]any{}, state)
	assert.Empty(t, out.Bundles, "not emitted twice")

	// The same customer changed again is a new change.
	_, err = s.client.Session(s.token).UpdateUser(context.Background(), "luiz's alias", "luiz@example.org")
	require.NoError(t, err)
	out, _ = poll(t, s, map[string]any{}, state)
	require.Len(t, out.Bundles, 1)
	assert.Equal(t, "luiz@example.org", *customersOf(t, out)[0].Email)
}

func TestWatchCustomersFromADateWalksEverythingOldestFirst(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	want, _ := s.mustRun("listCustomers", map[string]any{"limit": 5000})
	var got []profitwell.Customer
	var state json.RawMessage
	params := map[string]any{"since": "2000-01-01", "limit": 300}
	for runs := 0; runs < 20; runs++ {
		out, next := poll(t, s, params, state)
		got = append(got, customersOf(t, out)...)
		state = next
		if len(out.Bundles) == 0 {
			break
		}
	}
	assert.Equal(t, ids(customersOf(t, want)), ids(got), "oldest first, nothing repeated or skipped")

	// A rolled-back cycle replays: the same state gives the same bundles.
	s2 := newSandbox(t)
	first, st := poll(t, s2, map[string]any{"since": "2000-01-01", "limit": 5}, nil)
	again, st2 := poll(t, s2, map[string]any{"since": "2000-01-01", "limit": 5}, nil)
	assert.Equal(t, first.Bundles, again.Bundles)
	assert.JSONEq(t, string(st), string(st2))
}

func TestWatchCustomersRefusesAForeignState(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, state := range []string{`{"module":"listCustomers","position":{}}`, `{"x":1}`, `"text"`,
		`{"module":"watchCustomers","after":{"id":"cus_1"}}`, `{"module":"watchCustomers","after":{"date":"yesterday"}}`,
		`{"module":"watchCustomers","after":{},"position":{}}`, `{"module":"watchCustomers","after":{"date":"2026-01-01T00:00:00Z","x":1}}`} {
		_, err := s.reg.Execute(context.Background(), Env{PW: s.client.Session(s.token), Now: time.Now}, Request{
			Module: "watchCustomers", TokenHash: s.token.Hash(), State: json.RawMessage(state),
		})
		assert.Contains(t, fieldProblems(t, err), "state", state)
	}
}

func TestSearchCustomersRPC(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	first := s.rpc("searchCustomers", nil)
	assert.Len(t, first.Options, searchOptions, "no query: the most recently updated customers")
	require.NotEmpty(t, first.NextCursor)

	call := func(query, cursor string) (RPCResult, error) {
		return s.reg.CallRPC(context.Background(), Env{PW: s.client.Session(s.token), Now: time.Now},
			RPCCall{Name: "searchCustomers", TokenHash: s.token.Hash(), Query: query, Cursor: cursor})
	}
	second, err := call("", first.NextCursor)
	require.NoError(t, err)
	seen := map[any]bool{}
	for _, o := range append(first.Options, second.Options...) {
		assert.False(t, seen[o.Value], "option %v offered twice", o.Value)
		seen[o.Value] = true
	}

	all, _ := s.mustRun("listCustomers", map[string]any{"limit": 5000})
	var email string
	for _, c := range customersOf(t, all) {
		if c.Email != nil && *c.Email != "" {
			email = *c.Email
			break
		}
	}
	exact, err := call(email, "")
	require.NoError(t, err)
	require.NotEmpty(t, exact.Options)
	assert.Contains(t, exact.Options[0].Label, email)

	partial, err := call("EXAMPLE", "")
	require.NoError(t, err)
	for _, o := range partial.Options {
		assert.Contains(t, strings.ToLower(o.Label+" "+o.Value.(string)), "example", "case-insensitive match")
	}
	_, err = call("", "!!not-a-cursor")
	assert.Contains(t, fieldProblems(t, err), "cursor")
}
