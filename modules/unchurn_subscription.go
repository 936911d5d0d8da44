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
			Output: named(sandboxSubscription{"pwu_PEDrlA2ugz5Z", "pws_cKXfUcROd7Qq", "user_002", "sub_002"}.
				record("mateo.sanchez@piedpiper.com", "growth", "active", 4900, 1727262001)),
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
