package modules

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

// rpcListPlans offers plans by name for plan pickers. ProfitWell allows 1000
// plan calls a day, so answers are cached per token for 15 minutes and
// dropped when a plan module changes a plan.
var rpcListPlans = &RPC{
	Def:      manifest.RPCSpec{Name: "listPlans", Label: "Plans"},
	CacheTTL: 15 * time.Minute,
	Run: func(ctx context.Context, env Env, _ RPCRequest) (RPCResult, error) {
		plans, err := env.PW.ListPlans(ctx)
		if err != nil {
			return RPCResult{}, err
		}
		slices.SortStableFunc(plans, func(a, b profitwell.Plan) int { return strings.Compare(a.Name, b.Name) })
		opts := make([]manifest.Option, len(plans))
		for i, p := range plans {
			opts[i] = manifest.Option{Label: cmp.Or(p.Name, p.ID), Value: p.ID}
		}
		return RPCResult{Options: opts}, nil
	},
}
