package modules

import (
	"context"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type createPlanParams struct {
	PlanID string `param:"planId"`
	Name   string `param:"name"`
}

// createPlan adds a plan; an id that exists already is a DuplicateDataError.
var createPlan = &Action[createPlanParams]{
	Def: manifest.ModuleSpec{
		Name:        "createPlan",
		Label:       "Create a Plan",
		Description: "Creates a new plan.",
		Group:       "Plans",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDCreate,
		Expect: []manifest.Field{
			{
				Name: "planId", Label: "Plan ID", Type: manifest.TypeText, Required: true,
				Help: "Enter a Plan ID without conflicting with other manually added plan or a plan that comes from the connected data provider. For example, pro-monthly.",
			},
			{Name: "name", Label: "Name", Type: manifest.TypeText, Required: true, Help: "Enter a name for the plan."},
		},
		Interface: planInterface,
		Example: manifest.Example{
			Parameters: map[string]any{"planId": "team-monthly", "name": "Team"},
			Output:     map[string]any{"id": "team-monthly", "name": "Team"},
		},
	},
	Bundle: BundleOf[profitwell.Plan](),
	Run: func(ctx context.Context, env Env, p createPlanParams) (any, error) {
		return env.PW.CreatePlan(ctx, profitwell.Plan{ID: p.PlanID, Name: p.Name})
	},
	Invalidates: []string{"listPlans"},
}
