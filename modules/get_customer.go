package modules

import (
	"context"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type getCustomerParams struct {
	CustomerID string `param:"customerId"`
}

// getCustomer retrieves one customer by ProfitWell customer id.
var getCustomer = &Action[getCustomerParams]{
	Def: manifest.ModuleSpec{
		Name:        "getCustomer",
		Label:       "Get a Customer",
		Description: "Gets a customer.",
		Group:       "Customers",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDRead,
		Annotations: manifest.Annotations{ReadOnly: true, Idempotent: true},
		Expect: []manifest.Field{
			customerIDField("Select or map the Customer ID whose details you want to retrieve."),
		},
		Interface: customerInterface,
		Example: manifest.Example{
			Parameters: map[string]any{"customerId": "cus_vRmPOReoNbnv8R"},
			Output:     sandboxCustomer(),
		},
	},
	Bundle: BundleOf[profitwell.Customer](),
	Run: func(ctx context.Context, env Env, p getCustomerParams) (any, error) {
		return env.PW.GetCustomer(ctx, p.CustomerID)
	},
}
