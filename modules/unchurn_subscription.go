package modules

import (
	"context"

	"github.com/profitwell-connector/connector/manifest"
)

type unchurnSubscriptionParams struct {
	SubscriptionIDOrAlias string `param:"subscriptionIdOrAlias"`
}

// unchurnSubscription removes a subscription's churn, past or scheduled, as
// if it had never churned. A subscription that is not churned is a
// DataError. The output is the record then in force, when ProfitWell sends
// one; otherwise (204 or {}) only the subscription id or alias.
var unchurnSubscription = &Action[unchurnSubscriptionParams]{
	Def: manifest.ModuleSpec{
		Name:        "unchurnSubscription",
		Label:       "Un-churn a Subscription",
		Description: "Un-churns a subscription.",
		Group:       "Subscriptions",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDUpdate,
		Expect: []manifest.Field{
			subscriptionIDOrAliasField("Select or map the Subscription ID you want to un-churn."),
		},
		Interface: subscriptionChangeInterface,
		Example: manifest.Example{
			Parameters: map[string]any{"subscriptionIdOrAlias": "sub_002"},
			Output: map[string]any{
				"subscription_id_or_alias": "sub_002",
				"user_id":                  "pwu_PEDrlA2ugz5Z",
				"subscription_id":          "pws_cKXfUcROd7Qq",
				"user_alias":               "user_002",
				"subscription_alias":       "sub_002",
				"email":                    "mateo.sanchez@piedpiper.com",
				"plan_id":                  "growth",
				"plan_interval":            "month",
				"plan_currency":            "usd",
				"status":                   "active",
				"value":                    4900,
				"effective_date":           1727262001,
				"effective_date_iso":       "2024-09-25T11:00:01Z",
				"meta":                     map[string]any{},
			},
		},
	},
	Bundle: BundleOf[subscriptionChange]().Or(BundleOf[subscriptionEcho]()),
	Run: func(ctx context.Context, env Env, p unchurnSubscriptionParams) (any, error) {
		key := trimIDOrAlias(p.SubscriptionIDOrAlias)
		rec, err := env.PW.UnchurnSubscription(ctx, key)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return subscriptionEcho{SubscriptionIDOrAlias: key}, nil
		}
		return subscriptionChangeOf(key, *rec), nil
	},
}
