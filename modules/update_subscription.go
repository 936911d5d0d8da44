package modules

import (
	"context"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type updateSubscriptionParams struct {
	SubscriptionIDOrAlias string    `param:"subscriptionIdOrAlias"`
	PlanID                string    `param:"planId"`
	PlanInterval          string    `param:"planInterval"`
	Value                 int64     `param:"value"`
	EffectiveDate         time.Time `param:"effectiveDate"`
	Status                string    `param:"status"`
}

// updateSubscription records an upgrade or downgrade: ProfitWell adds an
// entry to the subscription's history. The output is the new record, with
// the subscription id or alias that was asked for.
var updateSubscription = &Action[updateSubscriptionParams]{
	Def: manifest.ModuleSpec{
		Name:        "updateSubscription",
		Label:       "Update a Subscription",
		Description: "Updates a subscription.",
		Group:       "Subscriptions",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDUpdate,
		Expect: []manifest.Field{
			subscriptionIDOrAliasField("Select or map the Subscription ID or alias you want to update."),
			planIDField("Select or map the plan the subscription moves to; ProfitWell groups its metrics by plan ID."),
			planIntervalField("Select how often the subscription is billed from now on; ProfitWell supports monthly and yearly plans only."),
			centsValueField("Enter the new amount billed per plan interval, in cents (for example, 5000 for 50.00)."),
			effectiveDateField("Enter when the change takes effect, as an ISO 8601 date or Unix seconds."),
			{
				Name: "status", Label: "Status", Type: manifest.TypeSelect,
				Options: []manifest.Option{{Label: "Active", Value: "active"}},
				Help:    "Select Active when a trial converts to a paid subscription; leave it empty to keep the current status.",
			},
		},
		Interface: subscriptionChangeInterface,
		Example: manifest.Example{
			Parameters: map[string]any{
				"subscriptionIdOrAlias": "spiderman_sub_1a",
				"planId":                "enterprise",
				"planInterval":          "month",
				"value":                 49900,
				"effectiveDate":         "2026-01-15",
			},
			Output: named(spiderman.record("aiden.martin@wayne.biz", "enterprise", "active", 49900, 1768435200)),
		},
	},
	Bundle: BundleOf[subscriptionChange](),
	Run: func(ctx context.Context, env Env, p updateSubscriptionParams) (any, error) {
		key := trimIDOrAlias(p.SubscriptionIDOrAlias)
		rec, err := env.PW.UpdateSubscription(ctx, key, profitwell.UpdateSubscription{
			PlanID:        p.PlanID,
			PlanInterval:  p.PlanInterval,
			Value:         p.Value,
			EffectiveDate: p.EffectiveDate.Unix(),
			Status:        p.Status,
		})
		if err != nil {
			return nil, err
		}
		return subscriptionChangeOf(key, rec), nil
	},
}
