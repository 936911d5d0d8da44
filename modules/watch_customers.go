package modules

import (
	"context"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type watchCustomersParams struct {
	Since *time.Time `param:"since"`
	Limit int        `param:"limit"`
}

// watchCustomers emits customers that were created or updated since the last
// run, oldest update first. The state remembers the last update emitted and
// which customers were emitted in its second, so a change is emitted once:
// a customer updated again later is emitted again, as a new change.
var watchCustomers = newWatchCustomers(customersWindow)

func newWatchCustomers(window int) *Trigger[watchCustomersParams, customersPos] {
	return &Trigger[watchCustomersParams, customersPos]{
		Def: manifest.ModuleSpec{
			Name:        "watchCustomers",
			Label:       "Watch Customers",
			Description: "Triggers when a customer is created or updated.",
			Group:       "Customers",
			Kind:        manifest.KindTrigger,
			Annotations: manifest.Annotations{ReadOnly: true, Idempotent: true},
			Parameters: []manifest.Field{
				{Name: "since", Label: "Start From", Type: manifest.TypeDate,
					Help: "On the first run, emit customers updated since this date; empty means from now on."},
				manifest.LimitField("customers"),
			},
			Interface: customerInterface,
			Example: manifest.Example{
				Parameters: map[string]any{"since": "2026-01-01", "limit": 10},
				Output: map[string]any{
					"customer_id":       "cus_kVmwRwC7kZSWqR",
					"email":             "fatima.kowalski89@example.com",
					"first_name":        "Fatima",
					"last_name":         "Kowalski",
					"mrr_cents":         0,
					"plans":             []any{"growth"},
					"status":            "churned_voluntary",
					"created_on":        "2025-12-09T11:39:51Z",
					"activated_on":      "2025-12-11T18:21:46Z",
					"churned_on":        "2025-12-23T11:50:04Z",
					"updated_on":        "2026-01-01T00:57:27Z",
					"total_spend_cents": 4900,
				},
			},
		},
		Bundle:      PassThroughOf[profitwell.CustomerRow, profitwell.Customer](),
		MaxPageSize: customersMaxPage,
		Start: func(_ context.Context, env Env, p watchCustomersParams) (customersPos, error) {
			from := env.Now()
			if p.Since != nil {
				from = *p.Since
			}
			return initialCustomersPos(&from, nil), nil
		},
		Page: func(ctx context.Context, env Env, _ watchCustomersParams, req PageRequest[customersPos]) (Page[customersPos], error) {
			return customersListPage(ctx, env.PW, customersQuery{window: window}, req)
		},
	}
}
