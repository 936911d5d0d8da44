package modules

import (
	"context"
	"encoding/json"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

// ProfitWell's customers API pages by page number (at most 250 rows a page)
// over rows ordered by updated_on, and only the first 100 000 rows of a
// query are reachable; past them it advises moving start_date forward.
const (
	customersMaxPage = 250
	customersWindow  = 100_000
	// maxSeen bounds the rows remembered at the anchor second.
	maxSeen = 1000
)

// customersPos is a position in a customers listing. It holds two ways to
// continue: page numbering inside the current date window, valid while the
// runner keeps asking for the same page size within one execution, and a
// keyset anchor (the second of the last emitted updated_on and the rows
// already emitted in that second), used to move the window forward: across
// executions (data may have changed), when the page size changes, and before
// ProfitWell's 100 000-row window is exhausted.
type customersPos struct {
	From    int64    `json:"f,omitempty"` // window start, Unix seconds, inclusive (0: open)
	To      int64    `json:"t,omitempty"` // window end, Unix seconds, exclusive (0: open)
	Page    int      `json:"p,omitempty"` // next page in the window; 0: move the window
	PerPage int      `json:"n,omitempty"` // page size the numbering uses
	Sec     *int64   `json:"s,omitempty"` // second of the last emitted updated_on
	Seen    []string `json:"k,omitempty"` // rows emitted in that second (customer_id@updated_on)
}

// customersQuery is what a listing is filtered and ordered by.
type customersQuery struct {
	Email  string
	Desc   bool
	window int // ProfitWell's reachable rows; tests lower it
}

func customerKey(c *profitwell.CustomerRow) string {
	return c.CustomerID + "@" + c.UpdatedOn
}

func customerSecond(c *profitwell.CustomerRow) int64 {
	t, err := c.UpdatedTime()
	if err != nil {
		return 0
	}
	return t.Unix()
}

func decodeCustomersPos(at json.RawMessage) (customersPos, error) {
	var pos customersPos
	if at == nil {
		return pos, nil
	}
	if err := json.Unmarshal(at, &pos); err != nil || pos.Page < 0 || pos.PerPage < 0 || pos.PerPage > customersMaxPage {
		return pos, manifest.Invalid("cursor", "is malformed")
	}
	return pos, nil
}

// customersPage is one upstream page of customers and what is needed to
// write the position after any prefix of it.
type customersPage struct {
	rows          []profitwell.CustomerRow // skipped rows removed
	done          bool                     // ProfitWell has no more rows
	base          customersPos             // the window used and the anchor before these rows
	page, perPage int
}

// after returns the position right after the first n rows.
func (cp *customersPage) after(n int) customersPos {
	next := customersPos{From: cp.base.From, To: cp.base.To, Sec: cp.base.Sec, Seen: append([]string(nil), cp.base.Seen...)}
	if n == len(cp.rows) {
		// Page numbering stays valid only when the whole page was used.
		next.Page, next.PerPage = cp.page+1, cp.perPage
	}
	if n == 0 {
		return next
	}
	// Only the last run of rows updated in the same second is remembered:
	// find where it starts, without reading the rows before it.
	sec := customerSecond(&cp.rows[n-1])
	run := n - 1
	for run > 0 && customerSecond(&cp.rows[run-1]) == sec {
		run--
	}
	if run > 0 || next.Sec == nil || *next.Sec != sec {
		next.Sec, next.Seen = &sec, next.Seen[:0]
	}
	for i := run; i < n && len(next.Seen) < maxSeen; i++ {
		next.Seen = append(next.Seen, customerKey(&cp.rows[i]))
	}
	return next
}

// fetchCustomers fetches the customers after the position req.At, at most
// req.Size of them unless more come (the caller cuts and uses after).
func fetchCustomers(ctx context.Context, s *profitwell.Session, q customersQuery, req PageRequest) (*customersPage, error) {
	pos, err := decodeCustomersPos(req.At)
	if err != nil {
		return nil, err
	}
	window := q.window
	if window <= 0 {
		window = customersWindow
	}
	cp := &customersPage{base: customersPos{From: pos.From, To: pos.To, Sec: pos.Sec, Seen: pos.Seen}, page: 1, perPage: req.Size}
	var skip map[string]bool
	switch {
	case !req.Resumed && pos.Page > 1 && pos.PerPage == req.Size && pos.Page*pos.PerPage <= window:
		// The next page of the same numbering.
		cp.page, cp.perPage = pos.Page, pos.PerPage
	case pos.Sec != nil:
		// Move the window to the anchor second and skip what was emitted
		// there.
		if q.Desc {
			if cp.base.To == 0 || *pos.Sec+1 < cp.base.To {
				cp.base.To = *pos.Sec + 1
			}
		} else if *pos.Sec > cp.base.From {
			cp.base.From = *pos.Sec
		}
		skip = make(map[string]bool, len(pos.Seen))
		for _, k := range pos.Seen {
			skip[k] = true
		}
		cp.perPage = min(customersMaxPage, req.Size+len(skip))
	}
	query := profitwell.CustomerQuery{Email: q.Email, Page: cp.page, PerPage: cp.perPage, Direction: "asc"}
	if q.Desc {
		query.Direction = "desc"
	}
	if cp.base.From > 0 {
		query.StartDate = time.Unix(cp.base.From, 0)
	}
	if cp.base.To > 0 {
		query.EndDate = time.Unix(cp.base.To, 0)
	}
	rows, err := s.ListCustomerRows(ctx, query)
	if err != nil {
		return nil, err
	}
	cp.done = len(rows) < cp.perPage
	cp.rows = rows
	if len(skip) > 0 {
		cp.rows = rows[:0:0]
		for i := range rows {
			if !skip[customerKey(&rows[i])] {
				cp.rows = append(cp.rows, rows[i])
			}
		}
	}
	return cp, nil
}

// customersListPage fetches and cuts one page for the runner.
func customersListPage(ctx context.Context, s *profitwell.Session, q customersQuery, req PageRequest) (Page, error) {
	cp, err := fetchCustomers(ctx, s, q, req)
	if err != nil {
		return Page{}, err
	}
	n := min(len(cp.rows), req.Size)
	at, err := json.Marshal(cp.after(n))
	if err != nil {
		return Page{}, err
	}
	items := make([]any, n)
	for i := range cp.rows[:n] {
		items[i] = &cp.rows[i] // passed through as its JSON, without a copy
	}
	return Page{Items: items, Next: at, Done: cp.done && n == len(cp.rows)}, nil
}
