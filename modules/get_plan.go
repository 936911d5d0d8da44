package modules

import (
	"context"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type getPlanParams struct {
	PlanID string `param:"planId"`
}

// getPlan retrieves one plan by id.
var getPlan = &Action[getPlanParams]{
	Def: manifest.ModuleSpec{
		Name:        "getPlan",
		Label:       "Get a Plan",
		Description: "Gets a plan.",
		Group:       "Plans",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDRead,
		Annotations: manifest.Annotations{ReadOnly: true, Idempotent: true},
		Expect: []manifest.Field{
			planIDField("Select or map the Plan ID whose details you want to retrieve."),
		},
		Interface: planInterface,
		Example: manifest.Example{
			Parameters: map[string]any{"planId": "pro"},
			Output:     map[string]any{"id": "pro", "name": "Pro"},
		},
	},
	Bundle: BundleOf[profitwell.Plan](),
	Run: func(ctx context.Context, env Env, p getPlanParams) (any, error) {
		return env.PW.GetPlan(ctx, p.PlanID)
	},
}
