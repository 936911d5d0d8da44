package modules

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type getMonthlyMetricsParams struct {
	PlanID  string   `param:"planId"`
	Metrics []string `param:"metrics"`
	Limit   int      `param:"limit"`
}

// monthlyMetricNames are the monthly metric names of profitwell-api.md §7.1
// (the union of the public clients' lists), alphabetically.
var monthlyMetricNames = []string{
	"active_customers", "active_trialing_customers", "average_revenue_per_user",
	"churned_customers", "churned_customers_cancellations", "churned_customers_delinquent",
	"churned_recurring_revenue", "churned_recurring_revenue_cancellations",
	"churned_recurring_revenue_delinquent", "churned_trialing_customers",
	"converted_customers", "converted_recurring_revenue", "customer_conversion_rate",
	"customers_churn_cancellations_rate", "customers_churn_delinquent_rate",
	"customers_churn_rate", "customers_retention_rate", "downgrade_rate",
	"downgraded_customers", "downgraded_recurring_revenue", "existing_customers",
	"existing_recurring_revenue", "existing_trialing_customers", "growth_rate",
	"lifetime_value", "new_customers", "new_recurring_revenue", "new_trialing_customers",
	"plan_change_rate", "plan_changed_recurring_revenue", "reactivated_customers",
	"reactivated_recurring_revenue", "recurring_revenue", "revenue_churn_cancellations_rate",
	"revenue_churn_delinquent_rate", "revenue_churn_rate", "revenue_retention_rate",
	"saas_quick_ratio", "trial_conversion_time", "upgrade_rate", "upgraded_customers",
	"upgraded_recurring_revenue",
}

// metricsUnitsHelp says how metric values are passed on; both metrics
// modules' pickers end with it.
const metricsUnitsHelp = "Values are passed through unchanged, as numbers: revenue in the company's currency in major units " +
	"(dollars, not cents), counts, and rates as ProfitWell reports them; null where ProfitWell has no value."

// getMonthlyMetrics returns one bundle per month, newest month first (so
// limit 1 is the current, still running, month), with the chosen metrics
// (all when none are chosen). ProfitWell answers every month in one call; the
// runner cuts the list to the limit and continues it by offset. A cursor kept
// across the start of a new month continues one month late (the list gained
// a month at its head), so one month may come twice.
var getMonthlyMetrics = &List[getMonthlyMetricsParams]{
	Def: manifest.ModuleSpec{
		Name:        "getMonthlyMetrics",
		Label:       "Get Monthly Metrics",
		Description: "Gets the company's monthly metrics, one bundle per month, newest first.",
		Group:       "Metrics",
		Kind:        manifest.KindSearch,
		CRUD:        manifest.CRUDRead,
		Annotations: manifest.Annotations{ReadOnly: true, Idempotent: true},
		Expect: []manifest.Field{
			metricPlanIDField(),
			metricsField("Select the metrics to return; leave empty for all. Plan Change Rate and Plan Changed "+
				"Recurring Revenue need a plan. "+metricsUnitsHelp, monthlyMetricNames),
			manifest.LimitField("months"),
		},
		Interface: metricsInterface("Month (YYYY-MM)", monthlyMetricNames),
		Example: manifest.Example{
			Parameters: map[string]any{"limit": 1},
			Output: map[string]any{
				"active_customers":                        609,
				"active_trialing_customers":               89,
				"average_revenue_per_user":                297.8,
				"churned_customers":                       14,
				"churned_customers_cancellations":         9,
				"churned_customers_delinquent":            5,
				"churned_recurring_revenue":               4865.5,
				"churned_recurring_revenue_cancellations": 2775,
				"churned_recurring_revenue_delinquent":    2090.5,
				"churned_trialing_customers":              5,
				"converted_customers":                     16,
				"converted_recurring_revenue":             4373,
				"customer_conversion_rate":                0.1455,
				"customers_churn_cancellations_rate":      0.0148,
				"customers_churn_delinquent_rate":         0.0082,
				"customers_churn_rate":                    0.0231,
				"customers_retention_rate":                0.9769,
				"date":                                    "2026-01",
				"downgrade_rate":                          0,
				"downgraded_customers":                    0,
				"downgraded_recurring_revenue":            0,
				"existing_customers":                      607,
				"existing_recurring_revenue":              181855,
				"existing_trialing_customers":             10,
				"growth_rate":                             -0.0027,
				"lifetime_value":                          12891.94,
				"new_customers":                           16,
				"new_recurring_revenue":                   4373,
				"new_trialing_customers":                  100,
				"plan_change_rate":                        nil,
				"plan_changed_recurring_revenue":          nil,
				"reactivated_customers":                   0,
				"reactivated_recurring_revenue":           0,
				"recurring_revenue":                       181362.5,
				"revenue_churn_cancellations_rate":        0.0153,
				"revenue_churn_delinquent_rate":           0.0115,
				"revenue_churn_rate":                      0.0268,
				"revenue_retention_rate":                  0.9732,
				"saas_quick_ratio":                        0.8988,
				"trial_conversion_time":                   nil,
				"upgrade_rate":                            0,
				"upgraded_customers":                      0,
				"upgraded_recurring_revenue":              0,
			},
		},
	},
	Bundle: BundleOf[monthlyMetricsBundle](),
	All: func(ctx context.Context, env Env, p getMonthlyMetricsParams) ([]any, error) {
		m, err := env.PW.MonthlyMetrics(ctx, profitwell.MetricsQuery{PlanID: p.PlanID, Metrics: p.Metrics})
		if err != nil {
			return nil, err
		}
		return metricsBundles[monthlyMetricsBundle](m, monthlyMetricNames), nil
	},
}

// metricPlanIDField is the optional plan filter of the metrics modules; its
// options are the plans ProfitWell has metrics for.
func metricPlanIDField() manifest.Field {
	return manifest.Field{
		Name: "planId", Label: "Plan ID", Type: manifest.TypeSelect, OptionsRPC: "listMetricPlanIds",
		Help: "Select or map a plan to get the metrics of that plan only; leave empty for the whole company.",
	}
}

// metricsField is a multiple select of metric names, labelled in Title Case.
func metricsField(help string, names []string) manifest.Field {
	return manifest.Field{
		Name: "metrics", Label: "Metrics", Type: manifest.TypeSelect, Multiple: true,
		Options: optionsOf(names, metricLabel), Help: help,
	}
}

// metricLabel turns "average_revenue_per_user" into "Average Revenue Per
// User" (with MRR and SaaS spelled as such).
func metricLabel(name string) string {
	words := strings.Split(name, "_")
	for i, w := range words {
		switch w {
		case "mrr":
			words[i] = "MRR"
		case "saas":
			words[i] = "SaaS"
		default:
			if w != "" {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
	}
	return strings.Join(words, " ")
}

// metricsInterface declares date and every metric name (a number).
func metricsInterface(dateLabel string, names []string) []manifest.Field {
	out := []manifest.Field{{Name: "date", Label: dateLabel, Type: manifest.TypeText}}
	for _, n := range names {
		out = append(out, manifest.Field{Name: n, Label: metricLabel(n), Type: manifest.TypeNumber})
	}
	return out
}

// monthlyMetricsBundle is one month of getMonthlyMetrics: date and every
// monthly metric.
type monthlyMetricsBundle map[string]any

// OutputNames lists the keys of every monthly bundle.
func (monthlyMetricsBundle) OutputNames() []string { return metricsKeys(monthlyMetricNames) }

// dailyMetricsBundle is one day of getDailyMetrics: date and every daily
// metric.
type dailyMetricsBundle map[string]any

// OutputNames lists the keys of every daily bundle.
func (dailyMetricsBundle) OutputNames() []string { return metricsKeys(dailyMetricNames) }

func metricsKeys(names []string) []string { return append([]string{"date"}, names...) }

// metricsBundles turns ProfitWell's per-metric series into one bundle per
// date, newest first: {"date": d, <metric>: number or nil, ...} with every
// name of names, so that every bundle carries every declared output: null
// where ProfitWell sent no point (a date missing from a series, a metric not
// chosen, or one it does not compute without a plan). Metrics not among
// names (ProfitWell's documented ones) are not passed on.
func metricsBundles[B ~map[string]any](m profitwell.Metrics, names []string) []any {
	byDate := map[string]B{}
	for _, n := range names {
		for _, pt := range m[n] {
			if pt.Date == "" {
				continue
			}
			b, ok := byDate[pt.Date]
			if !ok {
				b = make(B, len(names)+1)
				b["date"] = pt.Date
				for _, n := range names {
					b[n] = nil
				}
				byDate[pt.Date] = b
			}
			if pt.Value != nil {
				b[n] = *pt.Value
			}
		}
	}
	// "YYYY-MM" and "YYYY-MM-DD" sort as text; newest first.
	dates := slices.Sorted(maps.Keys(byDate))
	out := make([]any, len(dates))
	for i, d := range dates {
		out[len(dates)-1-i] = byDate[d]
	}
	return out
}
