package modules

import (
	"context"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type createSubscriptionParams struct {
	UserID            string    `param:"userId"`
	UserAlias         string    `param:"userAlias"`
	SubscriptionAlias string    `param:"subscriptionAlias"`
	Email             string    `param:"email"`
	PlanID            string    `param:"planId"`
	PlanInterval      string    `param:"planInterval"`
	PlanCurrency      string    `param:"planCurrency"`
	Status            string    `param:"status"`
	Value             int64     `param:"value"`
	EffectiveDate     time.Time `param:"effectiveDate"`
}

// createSubscription adds a subscription for a new user, or for an existing
// one named by User ID or User Alias. A Subscription Alias that exists
// already is a DuplicateDataError. The output is the record ProfitWell
// created.
var createSubscription = &Action[createSubscriptionParams]{
	Def: manifest.ModuleSpec{
		Name:        "createSubscription",
		Label:       "Create a Subscription",
		Description: "Creates a subscription.",
		Group:       "Subscriptions",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDCreate,
		Expect: []manifest.Field{
			{
				Name: "userId", Label: "User ID", Type: manifest.TypeText,
				Help: "Enter a ProfitWell User ID only to add this subscription to an existing user; leave it empty to create a new user.",
			},
			{
				Name: "userAlias", Label: "User Alias", Type: manifest.TypeText, Max: manifest.Ptr(36),
				Help: "Enter your own ID for the user; ProfitWell adds the subscription to the user with this alias, or creates that user.",
			},
			{
				Name: "subscriptionAlias", Label: "Subscription Alias", Type: manifest.TypeText, Max: manifest.Ptr(36),
				Help: "Enter your own ID for this subscription, unique across your company; ProfitWell refuses an alias that is already used.",
			},
			{
				Name: "email", Label: "Email", Type: manifest.TypeText, Required: true,
				Help: "Enter the user's email address or any display text; ProfitWell shows it on the Customers tab.",
			},
			planIDField("Select or map the plan of this subscription; ProfitWell groups its metrics by plan ID."),
			planIntervalField("Select how often the subscription is billed; ProfitWell supports monthly and yearly plans only."),
			{
				Name: "planCurrency", Label: "Plan Currency", Type: manifest.TypeSelect, Default: "usd",
				Options: planCurrencyOptions,
				Help:    "Select the currency of the value; ProfitWell uses USD when none is given.",
			},
			{
				Name: "status", Label: "Status", Type: manifest.TypeSelect, Default: "active",
				Options: []manifest.Option{{Label: "Active", Value: "active"}, {Label: "Trialing", Value: "trialing"}},
				Help:    "Select Trialing for a free trial, which ProfitWell does not count as revenue until it converts.",
			},
			centsValueField("Enter the amount billed per plan interval, in cents (for example, 5000 for 50.00)."),
			effectiveDateField("Enter when the subscription starts, as an ISO 8601 date or Unix seconds."),
		},
		Interface: subscriptionInterface,
		Example: manifest.Example{
			Parameters: map[string]any{
				"userAlias":         "acme-42",
				"subscriptionAlias": "acme-42-team",
				"email":             "billing@acme.example",
				"planId":            "pro",
				"planInterval":      "month",
				"value":             9900,
				"effectiveDate":     "2026-01-01",
			},
			Output: sandboxSubscription{"pwu_dMSOyC7CAna4", "pws_X5bbQlq3zjhn", "acme-42", "acme-42-team"}.
				record("billing@acme.example", "pro", "active", 9900, 1767225600),
		},
	},
	Bundle: BundleOf[subscriptionBundle](),
	Run: func(ctx context.Context, env Env, p createSubscriptionParams) (any, error) {
		rec, err := env.PW.CreateSubscription(ctx, profitwell.CreateSubscription{
			UserID:            p.UserID,
			UserAlias:         p.UserAlias,
			SubscriptionAlias: p.SubscriptionAlias,
			Email:             p.Email,
			PlanID:            p.PlanID,
			PlanInterval:      p.PlanInterval,
			PlanCurrency:      p.PlanCurrency,
			Status:            p.Status,
			Value:             p.Value,
			EffectiveDate:     p.EffectiveDate.Unix(),
		})
		if err != nil {
			return nil, err
		}
		return subscriptionBundleOf(rec), nil
	},
}
