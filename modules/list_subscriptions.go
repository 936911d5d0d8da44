package modules

import (
	"cmp"
	"context"
	"slices"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type listSubscriptionsParams struct {
	UserIDOrAlias string `param:"userIdOrAlias"`
	Limit         int    `param:"limit"`
}

// listSubscriptions lists a user's subscription history, one bundle per
// history entry (creation, each upgrade or downgrade, churn), across all of
// the user's subscriptions. ProfitWell returns the whole history at once
// (GET /v2/users/{id}/); the runner cuts it to the limit and continues by
// offset. Order: chronological by effective date, oldest first (scheduled
// churns last); entries with the same date keep ProfitWell's order.
var listSubscriptions = &List[listSubscriptionsParams]{
	Def: manifest.ModuleSpec{
		Name:        "listSubscriptions",
		Label:       "List Subscriptions",
		Description: "Lists all subscriptions.",
		Group:       "Subscriptions",
		Kind:        manifest.KindSearch,
		CRUD:        manifest.CRUDRead,
		Annotations: manifest.Annotations{ReadOnly: true, Idempotent: true},
		Expect: []manifest.Field{
			userIDOrAliasField("Select or map the User ID whose subscriptions you want to list."),
			manifest.LimitField("subscriptions"),
		},
		Interface: subscriptionInterface,
		Example: manifest.Example{
			Parameters: map[string]any{"userIdOrAlias": "spiderman 1a", "limit": 10},
			Output:     spiderman.record("aiden.martin@wayne.biz", "starter", "active", 1900, 1755402580),
		},
	},
	Bundle: BundleOf[subscriptionBundle](),
	All: func(ctx context.Context, env Env, p listSubscriptionsParams) ([]any, error) {
		history, err := env.PW.UserHistory(ctx, trimIDOrAlias(p.UserIDOrAlias))
		if err != nil {
			return nil, err
		}
		// ProfitWell sends the history chronologically; a stable sort keeps
		// that promise (and cursor offsets) even if it ever does not.
		slices.SortStableFunc(history, func(a, b profitwell.Subscription) int { return cmp.Compare(a.EffectiveDate, b.EffectiveDate) })
		return pointers(subscriptionBundlesOf(history)), nil
	},
}
