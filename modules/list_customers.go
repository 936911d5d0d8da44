package modules

import (
	"context"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type listCustomersParams struct {
	Email       string     `param:"email"`
	UpdatedFrom *time.Time `param:"updatedFrom"`
	UpdatedTo   *time.Time `param:"updatedTo"`
	Direction   string     `param:"direction"`
	Limit       int        `param:"limit"`
}

// listCustomers lists customers ordered by when they were last updated
// (updated_on, oldest first unless Direction is desc), in ProfitWell pages of
// up to 250: 1000 customers take 4 requests. Past ProfitWell's 100 000-row
// window the listing moves its start date forward and goes on.
var listCustomers = newListCustomers(customersWindow)

func newListCustomers(window int) *Paged[listCustomersParams, customersPos] {
	return &Paged[listCustomersParams, customersPos]{
		Def: manifest.ModuleSpec{
			Name:        "listCustomers",
			Label:       "List Customers",
			Description: "Lists all customers, ordered by when they were last updated.",
			Group:       "Customers",
			Kind:        manifest.KindSearch,
			CRUD:        manifest.CRUDRead,
			Annotations: manifest.Annotations{ReadOnly: true, Idempotent: true},
			Expect: []manifest.Field{
				{Name: "email", Label: "Email", Type: manifest.TypeEmail, Help: "Only the customer with this email address."},
				{Name: "updatedFrom", Label: "Updated From", Type: manifest.TypeDate, Advanced: true, Help: "Only customers updated at or after this date (ISO 8601 or Unix seconds)."},
				{Name: "updatedTo", Label: "Updated To", Type: manifest.TypeDate, Advanced: true, Help: "Only customers updated before this date (ISO 8601 or Unix seconds)."},
				{Name: "direction", Label: "Order", Type: manifest.TypeSelect, Default: "asc", Help: "Order by last update: oldest or newest first.",
					Options: []manifest.Option{{Label: "Oldest updated first", Value: "asc"}, {Label: "Newest updated first", Value: "desc"}}},
				manifest.LimitField("customers"),
			},
			Interface: customerInterface,
			Example: manifest.Example{
				Parameters: map[string]any{"direction": "desc", "limit": 10},
				Output:     sandboxCustomer(),
			},
		},
		Bundle:      PassThroughOf[profitwell.CustomerRow, profitwell.Customer](),
		MaxPageSize: customersMaxPage,
		Check: func(p listCustomersParams) error {
			if p.UpdatedFrom != nil && p.UpdatedTo != nil && !p.UpdatedFrom.Before(*p.UpdatedTo) {
				return manifest.Invalid("updatedTo", "must be after Updated From")
			}
			return nil
		},
		Start: func(_ context.Context, _ Env, p listCustomersParams) (customersPos, error) {
			return initialCustomersPos(p.UpdatedFrom, p.UpdatedTo), nil
		},
		Page: func(ctx context.Context, env Env, p listCustomersParams, req PageRequest[customersPos]) (Page[customersPos], error) {
			return customersListPage(ctx, env.PW, customersQuery{Email: p.Email, Direction: p.Direction, window: window}, req)
		},
	}
}

// initialCustomersPos is the start of a listing bounded by optional dates:
// From rounds down and To up to whole seconds, since ProfitWell takes Unix
// seconds.
func initialCustomersPos(from, to *time.Time) customersPos {
	pos := customersPos{}
	if from != nil {
		pos.From = from.Unix()
	}
	if to != nil {
		pos.To = to.Unix()
		if to.Nanosecond() > 0 {
			pos.To++
		}
	}
	return pos
}
