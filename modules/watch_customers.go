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
//
// "From now on" (no since) is drawn on ProfitWell's own clock: the first run
// asks for the newest change ProfitWell lists and starts right after it, so
// a change made before the first run is never emitted and one made after it
// always is, whatever the precision of updated_on or the skew between the
// connector's clock and ProfitWell's.
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
		Start: func(ctx context.Context, env Env, p watchCustomersParams) (customersPos, error) {
			if p.Since != nil {
				return sinceCustomersPos(*p.Since), nil
			}
			return nowCustomersPos(ctx, env.PW)
		},
		Page: func(ctx context.Context, env Env, _ watchCustomersParams, req PageRequest[customersPos]) (Page[customersPos], error) {
			return customersListPage(ctx, env.PW, customersQuery{window: window}, req)
		},
	}
}

// sinceCustomersPos starts at a date given at any precision: the window
// starts at its second and rows updated before it, to the microsecond, are
// skipped.
func sinceCustomersPos(since time.Time) customersPos {
	return customersPos{From: since.Unix(), Min: ceilMicro(since)}
}

// ceilMicro is t in Unix microseconds, rounded up.
func ceilMicro(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).Before(t) {
		us++
	}
	return us
}

// nowPeek is how many of the newest rows the start of a "from now on"
// trigger reads to find every row at the newest instant.
const nowPeek = 50

// nowCustomersPos is the position right after the newest change ProfitWell
// lists now: from its instant on, skipping the rows already at it. An
// account without customers starts at the beginning.
func nowCustomersPos(ctx context.Context, s *profitwell.Session) (customersPos, error) {
	rows, err := s.ListCustomerRows(ctx, profitwell.CustomerQuery{Direction: "desc", Page: 1, PerPage: nowPeek})
	if err != nil {
		return customersPos{}, err
	}
	pos := customersPos{}
	if len(rows) > 0 {
		newest := customerMicro(&rows[0])
		sec := newest / 1_000_000
		pos.From, pos.Min, pos.Sec = sec, newest, &sec
		for i := range rows {
			if customerMicro(&rows[i]) == newest {
				pos.Count++
				pos.Seen = append(pos.Seen, customerHash(&rows[i])...)
			}
		}
	}
	return pos, nil
}
