package modules

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

// metricBundles returns the bundles as metric rows.
func metricBundles(t *testing.T, out Output) []map[string]any {
	t.Helper()
	rows := make([]map[string]any, len(out.Bundles))
	for i, b := range out.Bundles {
		switch row := b.(type) {
		case monthlyMetricsBundle:
			rows[i] = row
		case dailyMetricsBundle:
			rows[i] = row
		default:
			t.Fatalf("bundle %d is %T", i, b)
		}
	}
	return rows
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lastQuery is the query of the emulator's latest request.
func lastQuery(t *testing.T, s *sandbox) url.Values {
	t.Helper()
	reqs := s.emu.Requests()
	require.NotEmpty(t, reqs)
	q, err := url.ParseQuery(reqs[len(reqs)-1].RawQuery)
	require.NoError(t, err)
	return q
}

// assertMetricRows checks the shape every metrics bundle shares: a date of
// the given layout, newest first, and numbers or nulls for the metrics.
func assertMetricRows(t *testing.T, rows []map[string]any, layout string) {
	t.Helper()
	for i, row := range rows {
		date, ok := row["date"].(string)
		require.True(t, ok, "row %d has a text date", i)
		_, err := time.Parse(layout, date)
		require.NoError(t, err, "row %d date %q", i, date)
		if i > 0 {
			assert.Less(t, date, rows[i-1]["date"], "newest first")
		}
		for k, v := range row {
			if k == "date" || v == nil {
				continue
			}
			_, isNum := v.(float64)
			assert.True(t, isNum, "%s on %s is %T, want a number or nil", k, date, v)
		}
	}
}

func TestGetMonthlyMetricsAllMetricsNewestFirst(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	out, n := s.mustRun("getMonthlyMetrics", map[string]any{"limit": 100})
	assert.Equal(t, 1, n, "every month comes in one request")
	assert.False(t, out.HasMore)
	rows := metricBundles(t, out)
	require.Len(t, rows, 12, "the emulator serves 12 months")
	assertMetricRows(t, rows, "2006-01")
	assert.Equal(t, time.Now().UTC().Format("2006-01"), rows[0]["date"], "limit 1 would be the current month")

	assert.Empty(t, lastQuery(t, s).Get("metrics"), "no metrics chosen: ProfitWell's default (all)")
	for _, row := range rows {
		assert.Equal(t, sortedKeys(monthlyMetricsBundle{}.namesMap()), keysOf(row), "every month has every declared metric")
		assert.Nil(t, row["plan_change_rate"], "plan-only metrics are null without a plan")
		assert.Nil(t, row["plan_changed_recurring_revenue"], "plan-only metrics are null without a plan")
	}
	rr, ok := rows[0]["recurring_revenue"].(float64)
	require.True(t, ok)
	assert.Positive(t, rr, "revenue passes through in major units")
}

func TestGetMonthlyMetricsFilter(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	tests := []struct {
		name     string
		metrics  any
		wantKeys []string
	}{
		{"two metrics", []any{"recurring_revenue", "active_customers"}, []string{"active_customers", "recurring_revenue"}},
		{"one metric as text", "new_customers", []string{"new_customers"}},
		{"case-insensitive", []any{"Churned_Customers"}, []string{"churned_customers"}},
		{"duplicates once", []any{"growth_rate", "growth_rate"}, []string{"growth_rate"}},
		{"plan-only metric without plan is null", []any{"plan_change_rate"}, nil},
	}
	for _, tc := range tests {
		out, n := s.mustRun("getMonthlyMetrics", map[string]any{"metrics": tc.metrics, "limit": 12})
		assert.Equal(t, 1, n, tc.name)
		rows := metricBundles(t, out)
		require.Len(t, rows, 12, tc.name)
		assertMetricRows(t, rows, "2006-01")
		valued := 0
		for _, row := range rows {
			assert.Equal(t, sortedKeys(monthlyMetricsBundle{}.namesMap()), keysOf(row), "%s: every declared metric, chosen or not", tc.name)
			for k, v := range row {
				if k != "date" && !slices.Contains(tc.wantKeys, k) {
					assert.Nil(t, v, "%s: %s was not chosen", tc.name, k)
				} else if v != nil {
					valued++
				}
			}
		}
		assert.Positive(t, valued, "%s: the chosen metrics have values", tc.name)
		sent := strings.Split(lastQuery(t, s).Get("metrics"), ",")
		want := tc.wantKeys
		if want == nil {
			want = []string{"plan_change_rate"}
		}
		assert.ElementsMatch(t, want, slices.Compact(slices.Sorted(slices.Values(sent))), tc.name)
	}
}

func TestGetMonthlyMetricsEveryDeclaredNameIsAccepted(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	names := make([]any, len(monthlyMetricNames))
	for i, n := range monthlyMetricNames {
		names[i] = n
	}
	out, _ := s.mustRun("getMonthlyMetrics", map[string]any{"metrics": names, "planId": "pro", "limit": 1})
	rows := metricBundles(t, out)
	require.Len(t, rows, 1)
	assert.Len(t, rows[0], len(monthlyMetricNames)+1)
	assert.Len(t, monthlyMetricNames, 42, "the union of §7.1")
}

func TestGetMonthlyMetricsLimitAndCursor(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	params := map[string]any{"metrics": []any{"recurring_revenue"}, "limit": 5}
	all, _ := s.mustRun("getMonthlyMetrics", map[string]any{"metrics": []any{"recurring_revenue"}, "limit": 100})

	first, n := s.mustRun("getMonthlyMetrics", params)
	assert.Equal(t, 1, n)
	require.Len(t, first.Bundles, 5)
	assert.True(t, first.HasMore)
	require.NotEmpty(t, first.NextCursor)
	got := slices.Clone(first.Bundles)
	out := first
	for out.HasMore {
		out, _ = s.mustRun("getMonthlyMetrics", params, out.NextCursor)
		got = append(got, out.Bundles...)
	}
	assert.Equal(t, all.Bundles, got, "nothing skipped or repeated")

	def, _ := s.mustRun("getMonthlyMetrics", map[string]any{})
	assert.Len(t, def.Bundles, 10, "limit defaults to 10")

	// A cursor belongs to its parameters.
	_, _, err := s.run("getMonthlyMetrics", map[string]any{"metrics": []any{"active_customers"}, "limit": 5}, first.NextCursor)
	assert.Contains(t, fieldProblems(t, err), "cursor")
}

func TestGetMonthlyMetricsPlanFilter(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	company, _ := s.mustRun("getMonthlyMetrics", map[string]any{"metrics": []any{"recurring_revenue"}, "limit": 1})
	plan, n := s.mustRun("getMonthlyMetrics", map[string]any{"planId": "pro", "metrics": []any{"recurring_revenue"}, "limit": 1})
	assert.Equal(t, 1, n)
	assert.Equal(t, "pro", lastQuery(t, s).Get("plan_id"))
	total := metricBundles(t, company)[0]["recurring_revenue"].(float64)
	part := metricBundles(t, plan)[0]["recurring_revenue"].(float64)
	assert.Less(t, part, total, "one plan is part of the company's revenue")

	// Without chosen metrics, a plan brings the plan-only metrics too.
	withPlan, _ := s.mustRun("getMonthlyMetrics", map[string]any{"planId": "pro", "limit": 1})
	assert.NotNil(t, metricBundles(t, withPlan)[0]["plan_change_rate"])
}

func TestGetMonthlyMetricsRefusesBadInput(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	tests := []struct {
		name   string
		params map[string]any
		want   map[string]string
	}{
		{"unknown metric", map[string]any{"metrics": []any{"mrr"}}, map[string]string{"metrics": "is not one of the 42 allowed values"}},
		{"limit zero", map[string]any{"limit": 0}, map[string]string{"limit": "must be at least 1"}},
		{"unknown parameter", map[string]any{"month": "2025-01"}, map[string]string{"month": "is not a parameter of this module"}},
	}
	for _, tc := range tests {
		_, n, err := s.run("getMonthlyMetrics", tc.params)
		assert.Equal(t, tc.want, fieldProblems(t, err), tc.name)
		assert.Zero(t, n, tc.name)
	}
	assert.Empty(t, s.emu.Requests(), "nothing reached ProfitWell")
}

func TestGetMonthlyMetricsUnauthorized(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.token = profitwell.NewToken("not-the-sandbox-token")
	_, _, err := s.run("getMonthlyMetrics", map[string]any{})
	assert.Equal(t, profitwell.KindUnauthorized, pwKind(t, err))
}

func TestMetricsBundles(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	m := profitwell.Metrics{
		"recurring_revenue": {{Date: "2025-01", Value: f(100)}, {Date: "2025-02", Value: f(125.5)}, {Date: "2025-03", Value: nil}},
		"active_customers":  {{Date: "2025-01", Value: f(3)}, {Date: "2025-03", Value: f(5)}},
		"ignored":           {{Date: "2025-04", Value: f(1)}},
	}
	names := []string{"active_customers", "lifetime_value", "recurring_revenue"}
	want := []any{
		testBundle{"date": "2025-03", "recurring_revenue": nil, "active_customers": 5.0, "lifetime_value": nil},
		testBundle{"date": "2025-02", "recurring_revenue": 125.5, "active_customers": nil, "lifetime_value": nil},
		testBundle{"date": "2025-01", "recurring_revenue": 100.0, "active_customers": 3.0, "lifetime_value": nil},
	}
	assert.Equal(t, want, metricsBundles[testBundle](m, names),
		"every name in every bundle; missing points and series are null; other metrics are not passed on")
	assert.Equal(t, []any{}, metricsBundles[testBundle](profitwell.Metrics{}, names), "empty answer")
}

type testBundle map[string]any

func TestMetricLabel(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"active_customers":         "Active Customers",
		"average_revenue_per_user": "Average Revenue Per User",
		"future_churn_mrr":         "Future Churn MRR",
		"saas_quick_ratio":         "SaaS Quick Ratio",
		"cumulative_net_new_mrr":   "Cumulative Net New MRR",
	} {
		assert.Equal(t, want, metricLabel(name))
	}
}
