package profitwelltest

import (
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type point struct {
	Date  string   `json:"date"`
	Value *float64 `json:"value"`
}

type monthly struct {
	Data map[string][]point `json:"data"`
}

func getMetrics(t testing.TB, e *Emulator, target string) monthly {
	t.Helper()
	w := call(t, e, http.MethodGet, target, DefaultToken, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	return decode[monthly](t, w)
}

func TestMonthlyMetricsShape(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Customers: 300})
	m := getMetrics(t, e, "/v2/metrics/monthly/")
	assert.Len(t, m.Data, len(monthlyMetrics)-len(planOnlyMetrics))
	wantDates := []string{"2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12",
		"2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"}
	for name, pts := range m.Data {
		require.Len(t, pts, 12, name)
		for i, p := range pts {
			assert.Equal(t, wantDates[i], p.Date, name)
		}
	}
	for _, name := range []string{"recurring_revenue", "active_customers", "new_customers", "new_recurring_revenue",
		"churned_customers", "churned_recurring_revenue", "existing_customers"} {
		for _, p := range m.Data[name] {
			assert.NotNil(t, p.Value, "%s %s", name, p.Date)
		}
	}
	for _, p := range m.Data["trial_conversion_time"] {
		assert.Nil(t, p.Value, "not modelled: null")
	}
	assert.NotContains(t, m.Data, "plan_change_rate")

	// Consistency with the customers API: current MRR and active count.
	var all []cust
	for page := 1; ; page++ {
		rows := listPage(t, e, fmt.Sprintf("page=%d", page))
		all = append(all, rows...)
		if len(rows) < 250 {
			break
		}
	}
	var mrr, paying int64
	for _, c := range all {
		mrr += c.MRRCents
		if c.MRRCents > 0 {
			paying++
		}
	}
	last := func(name string) float64 { return *m.Data[name][11].Value }
	assert.InDelta(t, float64(mrr)/100, last("recurring_revenue"), 0.001)
	assert.Equal(t, float64(paying), last("active_customers"))
	// MRR identity for each month: existing + new + react + up - down - churn = end.
	for i := range 12 {
		v := func(n string) float64 { return *m.Data[n][i].Value }
		assert.InDelta(t, v("recurring_revenue"),
			v("existing_recurring_revenue")+v("new_recurring_revenue")+v("reactivated_recurring_revenue")+
				v("upgraded_recurring_revenue")-v("downgraded_recurring_revenue")-v("churned_recurring_revenue"), 0.001, wantDates[i])
		if i > 0 {
			assert.InDelta(t, *m.Data["recurring_revenue"][i-1].Value, v("existing_recurring_revenue"), 0.001)
		}
	}

	// Per-plan series add up to the total.
	var sum float64
	for _, p := range fixturePlans {
		pm := getMetrics(t, e, "/v2/metrics/monthly/?metrics=recurring_revenue&plan_id="+p.id)
		sum += *pm.Data["recurring_revenue"][11].Value
	}
	assert.InDelta(t, last("recurring_revenue"), sum, 0.001)
	// plan-only metrics appear with plan_id.
	pm := getMetrics(t, e, "/v2/metrics/monthly/?plan_id=pro")
	assert.Contains(t, pm.Data, "plan_changed_recurring_revenue")
	assert.NotNil(t, pm.Data["plan_changed_recurring_revenue"][11].Value)
	// Unknown plan: zeros.
	zm := getMetrics(t, e, "/v2/metrics/monthly/?plan_id=nope&metrics=recurring_revenue")
	assert.Zero(t, *zm.Data["recurring_revenue"][11].Value)
}

func TestMetricsParams(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	m := getMetrics(t, e, "/v2/metrics/monthly/?metrics=active_customers,%20churned_recurring_revenue,active_customers,")
	assert.Len(t, m.Data, 2)
	assert.Contains(t, m.Data, "churned_recurring_revenue")
	// Explicitly requested plan-only metric without plan_id: nulls.
	m = getMetrics(t, e, "/v2/metrics/monthly/?metrics=plan_change_rate")
	for _, p := range m.Data["plan_change_rate"] {
		assert.Nil(t, p.Value)
	}

	tests := []struct{ target, want string }{
		{"/v2/metrics/monthly/?metrics=mrr", `{"metrics":["\"mrr\" is not a valid choice."]}`},
		{"/v2/metrics/monthly/?metrics=mrr,active_customers,arr", `{"metrics":["\"mrr\" is not a valid choice.","\"arr\" is not a valid choice."]}`},
		{"/v2/metrics/daily/?month=2025-06&metrics=existing_customers", `{"metrics":["\"existing_customers\" is not a valid choice."]}`},
		{"/v2/metrics/daily/", `{"month":["This field is required."]}`},
		{"/v2/metrics/daily/?month=June", `{"month":["Month has wrong format. Use YYYY-MM."]}`},
		{"/v2/metrics/daily/?month=2025-04", `{"month":["Only the current or the previous month can be requested."]}`},
		{"/v2/metrics/daily/?month=2025-07", `{"month":["Only the current or the previous month can be requested."]}`},
		{"/v2/metrics/plans/?limit=x", `{"limit":["A valid integer is required."]}`},
	}
	for _, tc := range tests {
		w := call(t, e, http.MethodGet, tc.target, DefaultToken, nil)
		assert.Equal(t, http.StatusBadRequest, w.Code, tc.target)
		assert.JSONEq(t, tc.want, w.Body.String(), tc.target)
	}

	d := getMetrics(t, e, "/v2/metrics/daily/?month=2025-05")
	assert.Len(t, d.Data, len(dailyMetrics))
	require.Len(t, d.Data["recurring_revenue"], 31)
	assert.Equal(t, "2025-05-01", d.Data["recurring_revenue"][0].Date)
	assert.Equal(t, "2025-05-31", d.Data["recurring_revenue"][30].Date)
	d = getMetrics(t, e, "/v2/metrics/daily/?month=2025-06&metrics=recurring_revenue")
	require.Len(t, d.Data["recurring_revenue"], 15, "current month: up to today")
	assert.Equal(t, "2025-06-15", d.Data["recurring_revenue"][14].Date)
	monthlyRR := getMetrics(t, e, "/v2/metrics/monthly/?metrics=recurring_revenue").Data["recurring_revenue"][11].Value
	assert.Equal(t, *monthlyRR, *d.Data["recurring_revenue"][14].Value, "today's daily value is the current MRR")
}

// TestMetricsScenario checks exact values on an empty company.
func TestMetricsScenario(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Customers: -1, Users: -1})
	ts := func(s string) int64 {
		v, err := time.Parse(time.DateTime, s)
		require.NoError(t, err)
		return v.Unix()
	}
	do := func(method, target string, body any) {
		t.Helper()
		w := call(t, e, method, target, DefaultToken, body)
		require.Less(t, w.Code, 300, "%s %s: %s", method, target, w.Body.String())
	}
	upd := func(alias, plan string, value int64, at string, status string) {
		b := map[string]any{"plan_id": plan, "plan_interval": "month", "value": value, "effective_date": ts(at)}
		if status != "" {
			b["status"] = status
		}
		do(http.MethodPut, "/v2/subscriptions/"+alias+"/", b)
	}
	// C: new in Dec, churns in Jan, comes back in March with a new subscription, scheduled to churn in July.
	mustCreate(t, e, map[string]any{"user_alias": "C", "subscription_alias": "c1", "plan_id": "growth", "value": 500, "effective_date": ts("2024-12-01 00:00:00")})
	do(http.MethodDelete, fmt.Sprintf("/v2/subscriptions/c1/?effective_date=%d", ts("2025-01-15 00:00:00")), nil)
	mustCreate(t, e, map[string]any{"user_alias": "C", "subscription_alias": "c2", "plan_id": "growth", "value": 700, "effective_date": ts("2025-03-01 00:00:00")})
	do(http.MethodDelete, fmt.Sprintf("/v2/subscriptions/c2/?effective_date=%d", ts("2025-07-01 00:00:00")), nil)
	// A: trial in March, converts, upgrades in April, downgrades and churns in May.
	mustCreate(t, e, map[string]any{"user_alias": "A", "subscription_alias": "a1", "status": "trialing", "value": 0, "effective_date": ts("2025-03-05 00:00:00")})
	upd("a1", "pro", 1000, "2025-03-20 00:00:00", "active")
	upd("a1", "pro", 3000, "2025-04-10 00:00:00", "")
	upd("a1", "pro", 2000, "2025-05-02 00:00:00", "")
	do(http.MethodDelete, fmt.Sprintf("/v2/subscriptions/a1/?effective_date=%d", ts("2025-05-20 00:00:00")), nil)
	// B: yearly from April, delinquent churn on June 1st.
	mustCreate(t, e, map[string]any{"user_alias": "B", "subscription_alias": "b1", "plan_id": "annual-pro", "plan_interval": "year", "value": 12000, "effective_date": ts("2025-04-01 00:00:00")})
	do(http.MethodDelete, fmt.Sprintf("/v2/subscriptions/b1/?effective_date=%d&churn_type=delinquent", ts("2025-06-01 12:00:00")), nil)

	m := getMetrics(t, e, "/v2/metrics/monthly/")
	val := func(name, month string) any {
		for _, p := range m.Data[name] {
			if p.Date == month {
				if p.Value == nil {
					return nil
				}
				return *p.Value
			}
		}
		t.Fatalf("no %s for %s", name, month)
		return nil
	}
	want := map[string]map[string]any{
		"2024-12": {"new_customers": 1.0, "new_recurring_revenue": 5.0, "recurring_revenue": 5.0, "active_customers": 1.0, "existing_customers": 0.0, "growth_rate": nil},
		"2025-01": {"churned_customers": 1.0, "churned_customers_cancellations": 1.0, "churned_recurring_revenue": 5.0,
			"recurring_revenue": 0.0, "existing_customers": 1.0, "customers_churn_rate": 1.0, "revenue_churn_rate": 1.0, "customers_retention_rate": 0.0},
		"2025-02": {"recurring_revenue": 0.0, "active_customers": 0.0, "churned_customers": 0.0, "average_revenue_per_user": nil},
		"2025-03": {"new_trialing_customers": 1.0, "new_customers": 1.0, "converted_customers": 1.0, "converted_recurring_revenue": 10.0,
			"new_recurring_revenue": 10.0, "reactivated_customers": 1.0, "reactivated_recurring_revenue": 7.0,
			"recurring_revenue": 17.0, "active_customers": 2.0, "active_trialing_customers": 0.0, "customer_conversion_rate": 1.0,
			"average_revenue_per_user": 8.5},
		"2025-04": {"new_customers": 1.0, "new_recurring_revenue": 10.0, "upgraded_customers": 1.0, "upgraded_recurring_revenue": 20.0,
			"recurring_revenue": 47.0, "active_customers": 3.0, "existing_customers": 2.0, "existing_recurring_revenue": 17.0,
			"growth_rate": 1.7647, "upgrade_rate": 1.1765, "saas_quick_ratio": nil},
		"2025-05": {"downgraded_customers": 1.0, "downgraded_recurring_revenue": 10.0, "churned_customers": 1.0,
			"churned_recurring_revenue": 20.0, "churned_recurring_revenue_cancellations": 20.0, "recurring_revenue": 17.0,
			"active_customers": 2.0, "customers_churn_rate": 0.3333, "revenue_churn_rate": 0.4255, "downgrade_rate": 0.2128,
			"revenue_retention_rate": 0.3617},
		"2025-06": {"churned_customers": 1.0, "churned_customers_delinquent": 1.0, "churned_recurring_revenue_delinquent": 10.0,
			"churned_customers_cancellations": 0.0, "recurring_revenue": 7.0, "active_customers": 1.0,
			"customers_churn_delinquent_rate": 0.5, "lifetime_value": 14.0, "saas_quick_ratio": 0.0},
	}
	months := make([]string, 0, len(want))
	for mo := range want {
		months = append(months, mo)
	}
	sort.Strings(months)
	for _, mo := range months {
		for name, v := range want[mo] {
			assert.Equal(t, v, val(name, mo), "%s %s", name, mo)
		}
	}

	d := getMetrics(t, e, "/v2/metrics/daily/?month=2025-06")
	require.Len(t, d.Data["recurring_revenue"], 15)
	day := func(name string, i int) float64 { return *d.Data[name][i].Value }
	assert.Equal(t, 1.0, day("churned_customers", 0))
	assert.Equal(t, 10.0, day("churned_recurring_revenue", 0))
	assert.Equal(t, 7.0, day("recurring_revenue", 0))
	assert.Equal(t, -10.0, day("cumulative_net_new_mrr", 14))
	assert.Equal(t, 7.0, day("future_churn_mrr", 14), "C is scheduled to churn in July")
	assert.Equal(t, 0.0, day("churned_customers", 1))
	dm := getMetrics(t, e, "/v2/metrics/daily/?month=2025-05")
	require.Len(t, dm.Data["recurring_revenue"], 31)
	assert.Equal(t, 47.0, *dm.Data["recurring_revenue"][0].Value)
	assert.Equal(t, 37.0, *dm.Data["recurring_revenue"][1].Value, "downgrade on the 2nd")
	assert.Equal(t, 1.0, *dm.Data["downgraded_customers"][1].Value)
	assert.Equal(t, 47.0, *dm.Data["future_churn_mrr"][0].Value, "on May 1st A (30), B (10) and C (7) all have a later churn")

	// Plan filter: only the growth subscription(s).
	g := getMetrics(t, e, "/v2/metrics/monthly/?plan_id=growth&metrics=recurring_revenue,plan_changed_recurring_revenue")
	assert.Equal(t, 7.0, *g.Data["recurring_revenue"][11].Value)
	assert.Equal(t, 0.0, *g.Data["plan_changed_recurring_revenue"][11].Value)

	// Active plans by MRR.
	w := call(t, e, http.MethodGet, "/v2/metrics/plans/", DefaultToken, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"plan_ids":["growth"]}`, w.Body.String())
}

func TestMetricPlans(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{Customers: -1, Users: -1})
	mustCreate(t, e, map[string]any{"plan_id": "small", "value": 100})
	mustCreate(t, e, map[string]any{"plan_id": "big", "value": 900})
	mustCreate(t, e, map[string]any{"plan_id": "mid", "value": 500})
	mustCreate(t, e, map[string]any{"plan_id": "mid2", "value": 500})
	mustCreate(t, e, map[string]any{"plan_id": "trial", "status": "trialing", "value": 5000})
	w := call(t, e, http.MethodGet, "/v2/metrics/plans/", DefaultToken, nil)
	assert.JSONEq(t, `{"plan_ids":["big","mid","mid2","small"]}`, w.Body.String())
	w = call(t, e, http.MethodGet, "/v2/metrics/plans/?limit=2", DefaultToken, nil)
	assert.JSONEq(t, `{"plan_ids":["big","mid"]}`, w.Body.String())

	e2, _ := newEmu(t, Options{})
	w = call(t, e2, http.MethodGet, "/v2/metrics/plans/", DefaultToken, nil)
	var got struct {
		PlanIDs []string `json:"plan_ids"`
	}
	require.NoError(t, jsonUnmarshal(w.Body.String(), &got))
	assert.ElementsMatch(t, []string{"starter", "growth", "pro", "enterprise", "annual-pro"}, got.PlanIDs)
}
