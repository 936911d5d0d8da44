package modules

import (
	"context"
	"time"

	"github.com/profitwell-connector/connector/manifest"
)

type churnSubscriptionParams struct {
	SubscriptionIDOrAlias string    `param:"subscriptionIdOrAlias"`
	EffectiveDate         time.Time `param:"effectiveDate"`
	ChurnType             string    `param:"churnType"`
}

// churnSubscription churns a subscription now, in the past or at a future
// date (then it is scheduled to churn). Churning a subscription that is
// churned or scheduled to churn already is a DataError. The output is the
// churn record; when ProfitWell answers without one (204 or {}), it is the
// subscription id or alias with the churn status and date that were sent.
var churnSubscription = &Action[churnSubscriptionParams]{
	Def: manifest.ModuleSpec{
		Name:        "churnSubscription",
		Label:       "Churn a Subscription",
		Description: "Removes a subscription.",
		Group:       "Subscriptions",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDUpdate,
		Annotations: manifest.Annotations{Destructive: true},
		Expect: []manifest.Field{
			subscriptionIDOrAliasField("Select or map the Subscription ID you want to churn."),
			effectiveDateField("Enter when the subscription churns, as an ISO 8601 date or Unix seconds; ProfitWell schedules a churn dated in the future."),
			{
				Name: "churnType", Label: "Churn Type", Type: manifest.TypeSelect, Default: "voluntary",
				Options: []manifest.Option{{Label: "Voluntary", Value: "voluntary"}, {Label: "Delinquent", Value: "delinquent"}},
				Help:    "Select Voluntary for a cancellation or Delinquent for a failed payment; ProfitWell reports the two separately.",
			},
		},
		Interface: subscriptionChangeInterface,
		Example: manifest.Example{
			Parameters: map[string]any{
				"subscriptionIdOrAlias": "spiderman_sub_1a",
				"effectiveDate":         "2026-01-31",
				"churnType":             "voluntary",
			},
			Output: named(spiderman.record("aiden.martin@wayne.biz", "pro", "churned_voluntary", 9900, 1769817600)),
		},
	},
	Bundle: BundleOf[subscriptionChange]().Or(BundleOf[subscriptionEcho]()),
	Run: func(ctx context.Context, env Env, p churnSubscriptionParams) (any, error) {
		key, at := trimIDOrAlias(p.SubscriptionIDOrAlias), p.EffectiveDate.Unix()
		rec, err := env.PW.ChurnSubscription(ctx, key, at, p.ChurnType)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			status, iso := "churned_"+p.ChurnType, unixToISO(at)
			return subscriptionEcho{SubscriptionIDOrAlias: key, Status: &status, EffectiveDate: &at, EffectiveDateISO: &iso}, nil
		}
		return subscriptionChangeOf(key, *rec), nil
	},
}
