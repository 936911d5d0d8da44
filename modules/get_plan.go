package modules

import (
	"context"

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
		Samples:   planSample,
	},
	Run: func(ctx context.Context, env Env, p getPlanParams) (any, error) {
		return env.PW.GetPlan(ctx, p.PlanID)
	},
}
