package modules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetDailyMetricsMonths(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	now := time.Now().UTC()
	current := now.Format("2006-01")
	prevStart := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC)
	previous := prevStart.Format("2006-01")
	daysInPrevious := prevStart.AddDate(0, 1, -1).Day()

	tests := []struct {
		name      string
		month     any // nil: not sent
		wantMonth string
		wantDays  int
		wantFirst string
	}{
		{"empty means the current month", nil, current, now.Day(), now.Format("2006-01-02")},
		{"empty text means the current month", "", current, now.Day(), now.Format("2006-01-02")},
		{"the current month", current, current, now.Day(), now.Format("2006-01-02")},
		{"the previous month", previous, previous, daysInPrevious, prevStart.AddDate(0, 1, -1).Format("2006-01-02")},
	}
	for _, tc := range tests {
		params := map[string]any{"limit": 100}
		if tc.month != nil {
			params["month"] = tc.month
		}
		out, n := s.mustRun("getDailyMetrics", params)
		assert.Equal(t, 1, n, tc.name)
		assert.Equal(t, tc.wantMonth, lastQuery(t, s).Get("month"), tc.name)
		rows := metricBundles(t, out)
		require.Len(t, rows, tc.wantDays, tc.name)
		assertMetricRows(t, rows, "2006-01-02")
		assert.Equal(t, tc.wantFirst, rows[0]["date"], "%s: newest day first", tc.name)
		assert.Equal(t, tc.wantMonth+"-01", rows[len(rows)-1]["date"], tc.name)
		for _, row := range rows {
			for k := range row {
				assert.True(t, k == "date" || slices.Contains(dailyMetricNames, k), "unexpected key %q", k)
			}
		}
		assert.Contains(t, rows[0], "future_churn_mrr", tc.name)
	}
}

func TestGetDailyMetricsRefusesOtherMonthsBeforeCallingProfitWell(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	now := time.Now().UTC()
	twoAgo := time.Date(now.Year(), now.Month()-2, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	tests := []struct {
		name  string
		month any
		want  string
	}{
		{"two months ago", twoAgo, "must be the current"},
		{"next month", next, "must be the current"},
		{"a year ago", now.AddDate(-1, 0, 0).Format("2006-01"), "must be the current"},
		{"month 13", "2025-13", "does not have the expected format"},
		{"month 00", "2025-00", "does not have the expected format"},
		{"a day", now.Format("2006-01-02"), "does not have the expected format"},
		{"slashes", now.Format("2006/01"), "does not have the expected format"},
		{"a number", 202501, "does not have the expected format"},
	}
	for _, tc := range tests {
		_, n, err := s.run("getDailyMetrics", map[string]any{"month": tc.month})
		problems := fieldProblems(t, err)
		require.Len(t, problems, 1, tc.name)
		assert.Contains(t, problems["month"], tc.want, tc.name)
		assert.Zero(t, n, tc.name)
	}
	assert.Empty(t, s.emu.Requests(), "nothing reached ProfitWell")
}

func TestGetDailyMetricsFiltersLimitAndCursor(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	prev := time.Now().UTC()
	prev = time.Date(prev.Year(), prev.Month()-1, 1, 0, 0, 0, 0, time.UTC)
	params := map[string]any{
		"month": prev.Format("2006-01"), "planId": "growth",
		"metrics": []any{"recurring_revenue", "cumulative_net_new_mrr"}, "limit": 7,
	}
	all, _ := s.mustRun("getDailyMetrics", map[string]any{
		"month": params["month"], "planId": "growth", "metrics": params["metrics"], "limit": 100,
	})
	q := lastQuery(t, s)
	assert.Equal(t, "growth", q.Get("plan_id"))
	assert.ElementsMatch(t, []string{"recurring_revenue", "cumulative_net_new_mrr"}, strings.Split(q.Get("metrics"), ","))
	for _, row := range metricBundles(t, all) {
		assert.Equal(t, sortedKeys(dailyMetricsBundle{}.namesMap()), keysOf(row), "every daily metric, chosen or not")
		assert.NotNil(t, row["recurring_revenue"])
		assert.Nil(t, row["new_customers"], "not chosen: null")
	}

	first, n := s.mustRun("getDailyMetrics", params)
	assert.Equal(t, 1, n)
	require.Len(t, first.Bundles, 7)
	assert.True(t, first.HasMore)
	got := slices.Clone(first.Bundles)
	for out := first; out.HasMore; {
		out, _ = s.mustRun("getDailyMetrics", params, out.NextCursor)
		got = append(got, out.Bundles...)
	}
	assert.Equal(t, all.Bundles, got, "nothing skipped or repeated")

	_, _, err := s.run("getDailyMetrics", map[string]any{"metrics": []any{"lifetime_value"}})
	assert.Equal(t, map[string]string{"metrics": "is not one of the 15 allowed values"}, fieldProblems(t, err),
		"monthly-only names are not daily metrics")
}
