package modules

import (
	"context"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type getDailyMetricsParams struct {
	Month   string   `param:"month"`
	PlanID  string   `param:"planId"`
	Metrics []string `param:"metrics"`
	Limit   int      `param:"limit"`
}

// dailyMetricNames are the daily metric names of profitwell-api.md §7.2,
// alphabetically.
var dailyMetricNames = []string{
	"active_customers", "churned_customers", "churned_recurring_revenue",
	"cumulative_net_new_mrr", "cumulative_new_trialing_customers", "downgraded_customers",
	"downgraded_recurring_revenue", "future_churn_mrr", "new_customers",
	"new_recurring_revenue", "reactivated_customers", "reactivated_recurring_revenue",
	"recurring_revenue", "upgraded_customers", "upgraded_recurring_revenue",
}

// getDailyMetrics returns one bundle per day of the current or the previous
// month (UTC; ProfitWell serves no other), newest day first, with the chosen
// metrics (all when none are chosen). Any other month is refused before
// ProfitWell is called. Like getMonthlyMetrics it is one upstream call cut to
// the limit; a cursor kept across midnight (UTC) continues one day late, and
// with an empty month one kept into a new month continues in that month.
var getDailyMetrics = &List[getDailyMetricsParams]{
	Def: manifest.ModuleSpec{
		Name:        "getDailyMetrics",
		Label:       "Get Daily Metrics",
		Description: "Gets the company's daily metrics for the current or the previous month, one bundle per day, newest first.",
		Group:       "Metrics",
		Kind:        manifest.KindSearch,
		CRUD:        manifest.CRUDRead,
		Annotations: manifest.Annotations{ReadOnly: true, Idempotent: true},
		Expect: []manifest.Field{
			{
				Name: "month", Label: "Month", Type: manifest.TypeText, Pattern: `^\d{4}-(0[1-9]|1[0-2])$`,
				Help: "YYYY-MM; only the current or the previous month; empty means the current month",
			},
			metricPlanIDField(),
			metricsField("Select the metrics to return; leave empty for all. "+metricsUnitsHelp, dailyMetricNames),
			manifest.LimitField("days"),
		},
		Interface: metricsInterface("Day (YYYY-MM-DD)", dailyMetricNames),
		Example: manifest.Example{
			Parameters: map[string]any{"limit": 1},
			Output: map[string]any{
				"active_customers":                  609,
				"churned_customers":                 0,
				"churned_recurring_revenue":         0,
				"cumulative_net_new_mrr":            -492.5,
				"cumulative_new_trialing_customers": 100,
				"date":                              "2026-01-15",
				"downgraded_customers":              0,
				"downgraded_recurring_revenue":      0,
				"future_churn_mrr":                  14452.5,
				"new_customers":                     0,
				"new_recurring_revenue":             0,
				"reactivated_customers":             0,
				"reactivated_recurring_revenue":     0,
				"recurring_revenue":                 181362.5,
				"upgraded_customers":                0,
				"upgraded_recurring_revenue":        0,
			},
		},
	},
	Bundle: BundleOf[dailyMetricsBundle](),
	All: func(ctx context.Context, env Env, p getDailyMetricsParams) ([]any, error) {
		now := env.Now().UTC()
		current := now.Format("2006-01")
		previous := now.AddDate(0, 0, -now.Day()).Format("2006-01") // the last day of the previous month
		month := p.Month
		switch month {
		case "":
			month = current
		case current, previous:
		default:
			return nil, manifest.Invalid("month", "must be the current ("+current+") or the previous ("+previous+") month; ProfitWell serves no other")
		}
		m, err := env.PW.DailyMetrics(ctx, month, profitwell.MetricsQuery{PlanID: p.PlanID, Metrics: p.Metrics})
		if err != nil {
			return nil, err
		}
		return metricsBundles[dailyMetricsBundle](m, dailyMetricNames), nil
	},
}
