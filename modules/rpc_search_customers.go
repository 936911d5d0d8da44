package modules

import (
	"cmp"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

const (
	// searchOptions is how many options one searchCustomers call returns.
	searchOptions = 25
	// searchPages bounds the customer pages one call scans for a text that
	// is not a whole email address, once something matched.
	searchPages = 4
	// searchEmptyPages bounds them while nothing matched: Make ends an
	// RPC's pagination at a response without options (developers.make.com,
	// pagination.md), so a call answers none only when 5000 customers in a
	// row do not match, or at the end.
	searchEmptyPages = 20
)

// rpcSearchCustomers offers customers for customer pickers, most recently
// updated first. A whole email address is looked up directly (ProfitWell
// filters by exact email); any other text is matched, case-insensitively,
// against email, names and customer id while scanning at most 1000 customers
// per call (5000 while nothing matched), and nextCursor continues the scan.
var rpcSearchCustomers = &RPC{
	Def:      manifest.RPCSpec{Name: "searchCustomers", Label: "Customers", Search: true, PageSize: searchOptions},
	CacheTTL: time.Minute,
	Run: func(ctx context.Context, env Env, req RPCRequest) (RPCResult, error) {
		query := strings.TrimSpace(req.Query)
		q := customersQuery{Direction: "desc"}
		size := customersMaxPage
		if strings.Contains(query, "@") && !strings.ContainsAny(query, " ,;") {
			q.Email, size = query, searchOptions
		}
		at, err := decodePosition[customersPos](req.At, "cursor")
		if err != nil {
			return RPCResult{}, err
		}
		needle := strings.ToLower(query)
		fetch := func(pr PageRequest[customersPos]) (Page[customersPos], error) {
			cp, err := fetchCustomers(ctx, env.PW, q, pr.At, pr.Resumed, size)
			if err != nil {
				return Page[customersPos]{}, err
			}
			var opts []any
			used := len(cp.rows)
			for i := range cp.rows {
				c, err := cp.rows[i].Customer()
				if err != nil {
					return Page[customersPos]{}, err
				}
				if q.Email != "" || customerMatches(&c, needle) {
					opts = append(opts, manifest.Option{Label: customerLabel(&c), Value: c.CustomerID})
					if len(opts) == pr.Size {
						used = i + 1
						break
					}
				}
			}
			return Page[customersPos]{Items: opts, Next: cp.after(used), Done: cp.done && used == len(cp.rows)}, nil
		}
		items, next, done, err := collect(ctx, "searchCustomers", searchOptions, searchOptions, at, req.At != nil, fetch, func(pages, found int) bool {
			return pages >= searchEmptyPages || pages >= searchPages && found > 0
		})
		if err != nil {
			return RPCResult{}, err
		}
		res := RPCResult{Options: make([]manifest.Option, len(items))}
		for i, o := range items {
			res.Options[i] = o.(manifest.Option)
		}
		if !done {
			res.next, err = json.Marshal(next)
		}
		return res, err
	},
}

func customerMatches(c *profitwell.Customer, needle string) bool {
	if needle == "" {
		return true
	}
	for _, s := range []*string{c.Email, c.FirstName, c.LastName, &c.CustomerID} {
		if s != nil && strings.Contains(strings.ToLower(*s), needle) {
			return true
		}
	}
	return false
}

// customerLabel reads "First Last (email)", or whatever of it is known.
func customerLabel(c *profitwell.Customer) string {
	var name []string
	for _, s := range []*string{c.FirstName, c.LastName} {
		if s != nil && *s != "" {
			name = append(name, *s)
		}
	}
	full, email := strings.Join(name, " "), ""
	if c.Email != nil {
		email = *c.Email
	}
	if full != "" && email != "" {
		return full + " (" + email + ")"
	}
	return cmp.Or(full, email, c.CustomerID)
}
