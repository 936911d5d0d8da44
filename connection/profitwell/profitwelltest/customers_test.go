package profitwelltest

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listPage(t testing.TB, e *Emulator, query string) []cust {
	t.Helper()
	w := call(t, e, http.MethodGet, "/v2/customers/?"+query, DefaultToken, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.True(t, strings.HasPrefix(w.Body.String(), "["), "bare JSON array")
	return decode[[]cust](t, w)
}

func sortedKey(c cust) string { return c.UpdatedOn + "|" + c.CustomerID }

// parseUpdated parses updated_on as a client would.
func parseUpdated(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err, s)
	return ts
}

func assertOrdered(t *testing.T, rows []cust, desc bool) {
	t.Helper()
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		ta, tb := parseUpdated(t, a.UpdatedOn), parseUpdated(t, b.UpdatedOn)
		less := ta.Before(tb) || (ta.Equal(tb) && a.CustomerID < b.CustomerID)
		if desc {
			less = tb.Before(ta) || (ta.Equal(tb) && b.CustomerID < a.CustomerID)
		}
		require.True(t, less, "row %d out of order: %s then %s", i, sortedKey(a), sortedKey(b))
	}
}

func TestCustomersPaging(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Customers: 970}) // + 30 derived = 1000
	require.Equal(t, 1000, e.CustomerCount(DefaultToken))

	seen := map[string]bool{}
	var all []cust
	for page := 1; ; page++ {
		rows := listPage(t, e, fmt.Sprintf("page=%d", page))
		if page <= 4 {
			require.Len(t, rows, 250, "page %d", page)
		} else {
			require.Empty(t, rows, "past the end: empty array")
			break
		}
		for _, r := range rows {
			require.False(t, seen[r.CustomerID], "repeated %s", r.CustomerID)
			seen[r.CustomerID] = true
		}
		all = append(all, rows...)
	}
	require.Len(t, seen, 1000)
	assertOrdered(t, all, false)

	// Defaults are explicit-equivalent.
	assert.Equal(t,
		call(t, e, http.MethodGet, "/v2/customers/", DefaultToken, nil).Body.String(),
		call(t, e, http.MethodGet, "/v2/customers/?page=1&per_page=250&direction=asc&date_field=updated_on", DefaultToken, nil).Body.String())

	// desc is the exact reverse.
	var desc []cust
	for page := 1; page <= 4; page++ {
		desc = append(desc, listPage(t, e, fmt.Sprintf("page=%d&direction=desc", page))...)
	}
	require.Len(t, desc, 1000)
	assertOrdered(t, desc, true)
	for i := range all {
		require.Equal(t, all[i].CustomerID, desc[len(desc)-1-i].CustomerID)
	}

	// Small pages with an odd size cover everything too.
	var small []cust
	for page := 1; ; page++ {
		rows := listPage(t, e, fmt.Sprintf("page=%d&per_page=7", page))
		small = append(small, rows...)
		if len(rows) < 7 {
			break
		}
	}
	assert.Equal(t, all, small)
}

func TestCustomersShape(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Customers: 1000})
	rows := listPage(t, e, "per_page=250")
	w := call(t, e, http.MethodGet, "/v2/customers/?per_page=1", DefaultToken, nil)
	raw := decode[[]map[string]any](t, w)
	require.Len(t, raw, 1)
	keys := make([]string, 0, len(raw[0]))
	for k := range raw[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Equal(t, []string{"activated_on", "churned_on", "created_on", "customer_id", "email", "first_name",
		"last_name", "mrr_cents", "plans", "status", "total_spend_cents", "updated_on"}, keys)

	statuses := map[string]int{}
	var micro, whole, nullNames, nullEmails int
	all := rows
	for p := 2; p <= 5; p++ {
		all = append(all, listPage(t, e, fmt.Sprintf("page=%d", p))...)
	}
	require.Len(t, all, 1030)
	for _, c := range all {
		statuses[c.Status]++
		assert.NotNil(t, c.Plans, "plans is an array, never null")
		assert.True(t, strings.HasSuffix(c.UpdatedOn, "Z"))
		if strings.Contains(c.UpdatedOn, ".") {
			micro++
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, c.UpdatedOn)
		} else {
			whole++
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, c.UpdatedOn)
		}
		if c.FirstName == nil {
			nullNames++
		}
		if c.Email == nil {
			nullEmails++
		}
		if strings.HasPrefix(c.CustomerID, "cus_") {
			assert.Regexp(t, `^cus_[A-Za-z0-9]{14}$`, c.CustomerID)
		}
		ts := parseUpdated(t, c.UpdatedOn)
		assert.True(t, ts.Before(testRef), "seeded/seed-user updated_on before Reference")
		assert.True(t, ts.After(testRef.AddDate(-2, -1, 0)), "within about two years: %s", c.UpdatedOn)
		switch c.Status {
		case "active", "cancelled":
			assert.Positive(t, c.MRRCents)
			assert.NotNil(t, c.ActivatedOn)
			assert.Nil(t, c.ChurnedOn)
		case "churned_voluntary", "churned_delinquent", "churned_trial":
			assert.Zero(t, c.MRRCents)
			assert.NotNil(t, c.ChurnedOn)
		case "no_history":
			assert.Empty(t, c.Plans)
		}
	}
	for _, s := range []string{"active", "trialing", "cancelled", "churned_trial", "churned_voluntary", "churned_delinquent", "no_history"} {
		assert.Positive(t, statuses[s], s)
	}
	assert.Positive(t, micro)
	assert.Positive(t, whole)
	assert.Positive(t, nullNames)
	assert.Positive(t, nullEmails)

	// Several rows share an exact updated_on (ties are ordered by customer_id).
	counts := map[string]int{}
	for _, c := range all {
		counts[c.UpdatedOn]++
	}
	ties := 0
	for _, n := range counts {
		if n > 1 {
			ties++
		}
	}
	assert.GreaterOrEqual(t, ties, 10)
}

func TestCustomersFilters(t *testing.T) {
	t.Parallel()
	e, clk := newEmu(t, Options{Customers: 300})
	all := listPage(t, e, "per_page=250")
	all = append(all, listPage(t, e, "per_page=250&page=2")...)
	require.Len(t, all, 330)

	t.Run("email exact and case-insensitive", func(t *testing.T) {
		var target cust
		for _, c := range all {
			if c.Email != nil && strings.ContainsAny(*c.Email, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				target = c
				break
			}
		}
		require.NotEmpty(t, target.CustomerID, "fixture has a mixed-case email")
		for _, q := range []string{*target.Email, strings.ToLower(*target.Email), strings.ToUpper(*target.Email)} {
			rows := listPage(t, e, "email="+url.QueryEscape(q))
			require.NotEmpty(t, rows)
			for _, r := range rows {
				assert.True(t, strings.EqualFold(*r.Email, *target.Email))
			}
		}
		assert.Empty(t, listPage(t, e, "email="+url.QueryEscape((*target.Email)[1:])), "no partial match")
	})

	t.Run("date window inclusive start, exclusive end, many formats", func(t *testing.T) {
		mid := all[100]
		ts := parseUpdated(t, mid.UpdatedOn)
		rows := listPage(t, e, "start_date="+url.QueryEscape(mid.UpdatedOn))
		require.NotEmpty(t, rows)
		assert.Equal(t, mid.UpdatedOn, rows[0].UpdatedOn, "start is inclusive")
		for _, r := range rows {
			assert.False(t, parseUpdated(t, r.UpdatedOn).Before(ts))
		}
		rows = listPage(t, e, "end_date="+url.QueryEscape(mid.UpdatedOn))
		for _, r := range rows {
			assert.True(t, parseUpdated(t, r.UpdatedOn).Before(ts), "end is exclusive")
		}
		sec := ts.Truncate(time.Second)
		day := ts.Truncate(24 * time.Hour)
		formats := []struct{ start, end string }{
			{fmt.Sprint(sec.Unix()), fmt.Sprint(sec.Add(48 * time.Hour).Unix())},
			{sec.Format(time.RFC3339), sec.Add(48 * time.Hour).Format(time.RFC3339)},
			{sec.Format("2006-01-02 15:04:05"), sec.Add(48 * time.Hour).Format("2006-01-02 15:04:05")},
			{sec.In(time.FixedZone("X", 2*3600)).Format(time.RFC3339), sec.Add(48 * time.Hour).Format(time.RFC3339Nano)},
		}
		want := listPage(t, e, fmt.Sprintf("start_date=%d&end_date=%d", sec.Unix(), sec.Add(48*time.Hour).Unix()))
		for _, f := range formats {
			got := listPage(t, e, "start_date="+url.QueryEscape(f.start)+"&end_date="+url.QueryEscape(f.end))
			assert.Equal(t, want, got, "%s .. %s", f.start, f.end)
		}
		got := listPage(t, e, "start_date="+day.Format("2006-01-02")+"&end_date="+day.AddDate(0, 0, 1).Format("2006-01-02"))
		for _, r := range got {
			assert.Equal(t, day.Format("2006-01-02"), r.UpdatedOn[:10])
		}
		assert.Empty(t, listPage(t, e, "start_date=2030-01-01"))
		assert.Empty(t, listPage(t, e, "start_date=2025-01-02&end_date=2025-01-01"))
	})

	t.Run("writes move a derived customer to the end", func(t *testing.T) {
		clk.Advance(time.Minute)
		w := call(t, e, http.MethodPut, "/v2/users/user_004/", DefaultToken, map[string]any{"email": "moved@example.com"})
		require.Equal(t, http.StatusOK, w.Code)
		last := listPage(t, e, "direction=desc&per_page=1")
		require.Len(t, last, 1)
		assert.Equal(t, "user_004", last[0].CustomerID)
		assert.Equal(t, formatTime(clk.Now()), last[0].UpdatedOn)
		assert.Equal(t, "moved@example.com", *last[0].Email)
		// A watcher polling with start_date = its last updated_on sees it.
		rows := listPage(t, e, "start_date="+url.QueryEscape(all[len(all)-1].UpdatedOn))
		ids := []string{}
		for _, r := range rows {
			ids = append(ids, r.CustomerID)
		}
		assert.Contains(t, ids, "user_004")
	})
}

func TestCustomersParamErrors(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{MaxRows: 1000})
	tests := []struct{ query, want string }{
		{"per_page=251", `{"per_page":["Ensure this value is less than or equal to 250."]}`},
		{"per_page=0", `{"per_page":["Ensure this value is greater than or equal to 1."]}`},
		{"page=0", `{"page":["Ensure this value is greater than or equal to 1."]}`},
		{"page=two", `{"page":["A valid integer is required."]}`},
		{"direction=up", `{"direction":["\"up\" is not a valid choice."]}`},
		{"date_field=created_on", `{"date_field":["\"created_on\" is not a valid choice."]}`},
		{"start_date=yesterday", `{"start_date":["` + msgDatetimeFormat + `"]}`},
		{"end_date=2025-13-01", `{"end_date":["` + msgDatetimeFormat + `"]}`},
		{"page=x&per_page=y", `{"page":["A valid integer is required."],"per_page":["A valid integer is required."]}`},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			w := call(t, e, http.MethodGet, "/v2/customers/?"+tc.query, DefaultToken, nil)
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.JSONEq(t, tc.want, w.Body.String())
		})
	}
	// Unknown parameters are ignored.
	assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/customers/?status=active&created_after=1", DefaultToken, nil).Code)
	// The window: page*per_page may reach MaxRows, not exceed it.
	assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/customers/?page=4&per_page=250", DefaultToken, nil).Code)
	w := call(t, e, http.MethodGet, "/v2/customers/?page=5&per_page=250", DefaultToken, nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, detailOf(t, w), "start_date")
}

func TestCustomersMaxRowsRollForward(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Customers: 500, MaxRows: 100})
	total := e.CustomerCount(DefaultToken)
	require.Equal(t, 530, total)

	seen := map[string]bool{}
	start := ""
	var order []cust
	for rounds := 0; rounds < 50; rounds++ {
		progressed := false
		var lastUpdated string
		for page := 1; ; page++ {
			q := fmt.Sprintf("page=%d&per_page=30", page)
			if start != "" {
				q += "&start_date=" + url.QueryEscape(start)
			}
			w := call(t, e, http.MethodGet, "/v2/customers/?"+q, DefaultToken, nil)
			if w.Code == http.StatusBadRequest {
				require.Equal(t, 4, page, "30*4 > 100: the window ends after page 3")
				break
			}
			require.Equal(t, http.StatusOK, w.Code)
			rows := decode[[]cust](t, w)
			for _, r := range rows {
				if !seen[r.CustomerID] {
					seen[r.CustomerID] = true
					order = append(order, r)
					progressed = true
				}
				lastUpdated = r.UpdatedOn
			}
			if len(rows) < 30 {
				break
			}
		}
		if !progressed {
			break
		}
		start = lastUpdated // inclusive: the boundary rows come again and are deduplicated
	}
	assert.Len(t, seen, total, "rolling start_date forward reaches every row")
	assertOrdered(t, order, false)
}

func TestGetCustomer(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	rows := listPage(t, e, "per_page=250")
	for _, c := range rows[:5] {
		got := decode[cust](t, call(t, e, http.MethodGet, "/v2/customers/"+url.PathEscape(c.CustomerID)+"/", DefaultToken, nil))
		assert.Equal(t, c, got)
	}
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodGet, "/v2/customers/cus_nope/", DefaultToken, nil).Code)

	// Derived customers: alias when set, else the pwu_ id (not the alias-less id of an aliased user).
	anon := mustCreate(t, e, map[string]any{"value": 1200, "plan_interval": "year"})
	c := decode[cust](t, call(t, e, http.MethodGet, "/v2/customers/"+anon.UserID+"/", DefaultToken, nil))
	assert.Equal(t, anon.UserID, c.CustomerID)
	assert.Equal(t, int64(100), c.MRRCents, "yearly value normalised to monthly")
	aliased := mustCreate(t, e, map[string]any{"user_alias": "known"})
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodGet, "/v2/customers/"+aliased.UserID+"/", DefaultToken, nil).Code)
	c = decode[cust](t, call(t, e, http.MethodGet, "/v2/customers/known/", DefaultToken, nil))
	assert.Equal(t, "known", c.CustomerID)
	assert.Equal(t, "active", c.Status)
	assert.Equal(t, []string{"pro"}, c.Plans)
	assert.Equal(t, formatTime(testNow), c.UpdatedOn)
	require.NotNil(t, c.CreatedOn)
	assert.Equal(t, formatTime(testRef.Add(-48*time.Hour)), *c.CreatedOn)
	assert.Equal(t, int64(9900), c.TotalSpendCents, "one monthly period started")
}

func TestDerivedCustomerStatuses(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Customers: -1, Users: -1})
	past := testRef.Add(-40 * 24 * time.Hour).Unix()
	get := func(id string) cust {
		return decode[cust](t, call(t, e, http.MethodGet, "/v2/customers/"+id+"/", DefaultToken, nil))
	}

	mustCreate(t, e, map[string]any{"user_alias": "trial", "status": "trialing", "value": 0, "effective_date": past})
	c := get("trial")
	assert.Equal(t, "trialing", c.Status)
	assert.Nil(t, c.ActivatedOn)
	assert.Zero(t, c.TotalSpendCents)

	mustCreate(t, e, map[string]any{"user_alias": "trial-churn", "subscription_alias": "tc", "status": "trialing", "effective_date": past})
	require.Equal(t, http.StatusOK, call(t, e, http.MethodDelete, fmt.Sprintf("/v2/subscriptions/tc/?effective_date=%d", past+86400), DefaultToken, nil).Code)
	assert.Equal(t, "churned_trial", get("trial-churn").Status)

	mustCreate(t, e, map[string]any{"user_alias": "future", "effective_date": testNow.Add(time.Hour).Unix()})
	c = get("future")
	assert.Equal(t, "no_history", c.Status)
	assert.Nil(t, c.CreatedOn)
	assert.Equal(t, []string{}, c.Plans)

	mustCreate(t, e, map[string]any{"user_alias": "two", "subscription_alias": "two-a", "effective_date": past, "value": 1000})
	mustCreate(t, e, map[string]any{"user_alias": "two", "plan_id": "annual-pro", "plan_interval": "year", "value": 12000, "effective_date": past})
	c = get("two")
	assert.Equal(t, int64(2000), c.MRRCents)
	assert.Equal(t, []string{"pro", "annual-pro"}, c.Plans)
	assert.Equal(t, int64(2*1000+12000), c.TotalSpendCents, "two monthly periods and one yearly")
	require.Equal(t, http.StatusOK, call(t, e, http.MethodDelete, fmt.Sprintf("/v2/subscriptions/two-a/?effective_date=%d&churn_type=delinquent", past+86400), DefaultToken, nil).Code)
	c = get("two")
	assert.Equal(t, "active", c.Status)
	assert.Equal(t, int64(1000), c.MRRCents)
	assert.Equal(t, []string{"annual-pro"}, c.Plans)
}

func TestExcludeCustomer(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	rows := listPage(t, e, "per_page=3")
	victim := rows[1].CustomerID
	before := e.CustomerCount(DefaultToken)
	rr := func() float64 {
		m := decode[monthly](t, call(t, e, http.MethodGet, "/v2/metrics/monthly/?metrics=recurring_revenue", DefaultToken, nil))
		pts := m.Data["recurring_revenue"]
		return *pts[len(pts)-1].Value
	}
	rrBefore := rr()

	w := call(t, e, http.MethodPost, "/v2/metrics/exclude_customer/"+victim+"/", DefaultToken, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{}`, w.Body.String())
	assert.Equal(t, before-1, e.CustomerCount(DefaultToken))
	assert.NotContains(t, call(t, e, http.MethodGet, "/v2/customers/?per_page=3", DefaultToken, nil).Body.String(), victim)
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodGet, "/v2/customers/"+victim+"/", DefaultToken, nil).Code)
	// Idempotent.
	assert.Equal(t, http.StatusOK, call(t, e, http.MethodPost, "/v2/metrics/exclude_customer/"+victim+"/", DefaultToken, nil).Code)
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodPost, "/v2/metrics/exclude_customer/nobody/", DefaultToken, nil).Code)
	assert.Equal(t, http.StatusMethodNotAllowed, call(t, e, http.MethodGet, "/v2/metrics/exclude_customer/"+victim+"/", DefaultToken, nil).Code)

	// Excluding a derived, active customer removes its MRR from metrics.
	s := mustCreate(t, e, map[string]any{"user_alias": "excl", "value": 12345})
	assert.InDelta(t, rrBefore+123.45-mrrOf(rows[1]), rr(), 0.001)
	require.Equal(t, http.StatusOK, call(t, e, http.MethodPost, "/v2/metrics/exclude_customer/excl/", DefaultToken, nil).Code)
	assert.InDelta(t, rrBefore-mrrOf(rows[1]), rr(), 0.001)
	// The user API still works for an excluded customer.
	assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/users/"+s.UserID+"/", DefaultToken, nil).Code)
}

func mrrOf(c cust) float64 { return float64(c.MRRCents) / 100 }

func TestTouchCustomersMovesThemToTheEnd(t *testing.T) {
	t.Parallel()
	e := New(Options{Seed: 3, Customers: 300})
	before := listPage(t, e, "per_page=250")
	ids := []string{before[0].CustomerID, before[5].CustomerID, "spiderman 1a"}
	start := time.Now()
	require.NoError(t, e.TouchCustomers(DefaultToken, ids))
	after := listPage(t, e, "per_page=3&direction=desc")
	require.Len(t, after, 3)
	var got []string
	for _, c := range after {
		assert.False(t, parseUpdated(t, c.UpdatedOn).Before(start.Truncate(time.Microsecond)), "updated_on is now")
		got = append(got, c.CustomerID)
	}
	assert.ElementsMatch(t, ids, got)
	assert.Equal(t, before[1].CustomerID, listPage(t, e, "per_page=1")[0].CustomerID)
	assert.Error(t, e.TouchCustomers(DefaultToken, []string{"cus_nobody"}))
	assert.Error(t, e.TouchCustomers("no-such-token", ids))
}
