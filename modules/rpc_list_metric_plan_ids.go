package modules

import (
	"context"
	"time"

	"github.com/profitwell-connector/connector/manifest"
)

// rpcListMetricPlanIds offers the plans ProfitWell has metrics for (plans
// with active customers, in ProfitWell's order: by MRR, largest first) to
// the metrics modules' plan pickers; label and value are the plan id.
// Answers are cached per token for 15 minutes: the metrics endpoints share a
// quota of 3000 calls a day.
var rpcListMetricPlanIds = &RPC{
	Def:      manifest.RPCSpec{Name: "listMetricPlanIds", Label: "Plans with metrics"},
	CacheTTL: 15 * time.Minute,
	Run: func(ctx context.Context, env Env, _ RPCRequest) (RPCResult, error) {
		ids, err := env.PW.MetricPlanIDs(ctx)
		if err != nil {
			return RPCResult{}, err
		}
		opts := make([]manifest.Option, 0, len(ids))
		for _, id := range ids {
			if id != "" {
				opts = append(opts, manifest.Option{Label: id, Value: id})
			}
		}
		return RPCResult{Options: opts}, nil
	},
}
