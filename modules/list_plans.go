package modules

import (
	"context"
	"slices"
	"strings"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type listPlansParams struct {
	Limit int `param:"limit"`
}

// listPlans lists the manually added plans, ordered by plan id. ProfitWell
// returns them all at once; the runner cuts the list to the limit.
var listPlans = &List[listPlansParams]{
	Def: manifest.ModuleSpec{
		Name:        "listPlans",
		Label:       "List Plans",
		Description: "Lists all plans.",
		Group:       "Plans",
		Kind:        manifest.KindSearch,
		CRUD:        manifest.CRUDRead,
		Annotations: manifest.Annotations{ReadOnly: true, Idempotent: true},
		Expect:      []manifest.Field{manifest.LimitField("plans")},
		Interface:   planInterface,
		Example: manifest.Example{
			Parameters: map[string]any{"limit": 10},
			Output:     map[string]any{"id": "annual-pro", "name": "Pro (annual)"},
		},
	},
	Bundle: BundleOf[profitwell.Plan](),
	All: func(ctx context.Context, env Env, _ listPlansParams) ([]any, error) {
		plans, err := env.PW.ListPlans(ctx)
		if err != nil {
			return nil, err
		}
		slices.SortStableFunc(plans, func(a, b profitwell.Plan) int { return strings.Compare(a.ID, b.ID) })
		return pointers(plans), nil
	},
}
