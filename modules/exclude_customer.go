package modules

import (
	"context"

	"github.com/profitwell-connector/connector/manifest"
)

type excludeCustomerParams struct {
	CustomerID string `param:"customerId"`
}

// excludedCustomer is the bundle of excludeCustomer.
type excludedCustomer struct {
	CustomerID string `json:"customer_id"`
	Excluded   bool   `json:"excluded"`
}

// excludeCustomer removes a customer's data from every ProfitWell metric.
// ProfitWell allows 10 exclusions a minute.
var excludeCustomer = &Action[excludeCustomerParams]{
	Def: manifest.ModuleSpec{
		Name:        "excludeCustomer",
		Label:       "Exclude a Customer from Metrics",
		Description: "Excludes a customer from all metrics (like the Exclude button in ProfitWell); at most 10 a minute.",
		Group:       "Customers",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDUpdate,
		Annotations: manifest.Annotations{Destructive: true, Idempotent: true},
		Expect: []manifest.Field{
			customerIDField("Select or map the Customer ID to exclude from metrics."),
		},
		Interface: []manifest.Field{
			{Name: "customer_id", Label: "Customer ID", Type: manifest.TypeText},
			{Name: "excluded", Label: "Excluded", Type: manifest.TypeBoolean},
		},
		Example: manifest.Example{
			Parameters: map[string]any{"customerId": "cus_vRmPOReoNbnv8R"},
			Output:     map[string]any{"customer_id": "cus_vRmPOReoNbnv8R", "excluded": true},
		},
	},
	Bundle: BundleOf[excludedCustomer](),
	Run: func(ctx context.Context, env Env, p excludeCustomerParams) (any, error) {
		if err := env.PW.ExcludeCustomer(ctx, p.CustomerID); err != nil {
			return nil, err
		}
		return excludedCustomer{CustomerID: p.CustomerID, Excluded: true}, nil
	},
}
