package modules

import (
	"context"
	"encoding/json"
	"time"

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

func newWatchCustomers(window int) *Trigger[watchCustomersParams] {
	return &Trigger[watchCustomersParams]{
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
			Samples:   customerSample,
		},
		MaxPageSize: customersMaxPage,
		Start: func(_ context.Context, env Env, p watchCustomersParams) (json.RawMessage, error) {
			from := env.Now()
			if p.Since != nil {
				from = *p.Since
			}
			return initialCustomersPos(&from, nil), nil
		},
		Page: func(ctx context.Context, env Env, _ watchCustomersParams, req PageRequest) (Page, error) {
			return customersListPage(ctx, env.PW, customersQuery{window: window}, req)
		},
	}
}
