package modules

import (
	"context"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type updatePlanParams struct {
	PlanID string `param:"planId"`
	Name   string `param:"name"`
}

// updatePlan renames a plan.
var updatePlan = &Action[updatePlanParams]{
	Def: manifest.ModuleSpec{
		Name:        "updatePlan",
		Label:       "Update a Plan",
		Description: "Updates a plan.",
		Group:       "Plans",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDUpdate,
		Annotations: manifest.Annotations{Idempotent: true},
		Expect: []manifest.Field{
			planIDField("Select or map the Plan ID whose details you want to update."),
			{Name: "name", Label: "Name", Type: manifest.TypeText, Required: true, Help: "Enter a new name for the plan."},
		},
		Interface: planInterface,
		Example: manifest.Example{
			Parameters: map[string]any{"planId": "pro", "name": "Pro (monthly)"},
			Output:     map[string]any{"id": "pro", "name": "Pro (monthly)"},
		},
	},
	Bundle: BundleOf[profitwell.Plan](),
	Run: func(ctx context.Context, env Env, p updatePlanParams) (any, error) {
		return env.PW.UpdatePlan(ctx, p.PlanID, p.Name)
	},
	Invalidates: []string{"listPlans"},
}
