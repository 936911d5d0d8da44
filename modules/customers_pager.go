package modules

import (
	"cmp"
	"context"
	"crypto/sha256"
	"slices"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

// ProfitWell's customers API pages by page number (at most 250 rows a page)
// over rows ordered by updated_on, and only the first 100 000 rows of a
// query are reachable; past them it advises moving start_date forward.
// ProfitWell promises no order among rows updated in the same instant and
// filters by whole seconds only, so a listing cannot resume at a (time, id)
// key: it resumes at the second of the last emitted row and skips what it
// already emitted there.
const (
	customersMaxPage = 250
	customersWindow  = 100_000
	// maxSeen bounds the rows of the anchor second remembered one by one
	// (seenHashLen bytes each); past it the position counts them instead.
	maxSeen     = 400
	seenHashLen = 8
	// maxAfterIDLen bounds the customer id a millisecond-ordered position
	// resumes after, as the registry bounds an engine's.
	maxAfterIDLen = maxEngineIDLen
)

// customersPos is a position in a customers listing. It holds two ways to
// continue: page numbering inside the current date window, valid while the
// runner keeps asking for the same page size within one execution, and a
// keyset anchor (the second of the last emitted updated_on and the rows
// already emitted in that second), used to move the window forward: across
// executions (data may have changed), when the page size changes, and before
// ProfitWell's 100 000-row window is exhausted.
//
// The anchor remembers the rows of its second as truncated hashes of
// customer_id@updated_on, so its size does not depend on ProfitWell's ids: at
// most maxSeen of them. When more rows than that were emitted in one second,
// Seen is dropped and Count alone says how many rows at the start of the
// second to skip (exact while the rows of that second do not change; a row
// that left the second since then shifts the count by one).
type customersPos struct {
	From    int64  `json:"f,omitempty"` // window start, Unix seconds, inclusive (0: open)
	To      int64  `json:"t,omitempty"` // window end, Unix seconds, exclusive (0: open)
	Page    int    `json:"p,omitempty"` // next page in the window; 0: move the window
	PerPage int    `json:"n,omitempty"` // page size the numbering uses
	Sec     *int64 `json:"s,omitempty"` // second of the last emitted updated_on
	Count   int    `json:"c,omitempty"` // rows emitted in that second
	Seen    []byte `json:"k,omitempty"` // their hashes while Count <= maxSeen
	// Min is a floor on updated_on finer than the window's seconds, in
	// Unix microseconds (ProfitWell's precision): rows updated earlier are
	// skipped. 0: none.
	Min int64 `json:"m,omitempty"`
	// ByMilli orders by the millisecond of updated_on, then customer_id,
	// after the row (AfterMs, AfterID) when AfterMs is set (see
	// customersByMilliPage).
	ByMilli bool   `json:"b,omitempty"`
	AfterMs *int64 `json:"am,omitempty"`
	AfterID string `json:"ai,omitempty"`
}

// valid reports whether a decoded position is one the pager can have written.
func (p *customersPos) valid() bool {
	return p.Page >= 0 && p.PerPage >= 0 && p.PerPage <= customersMaxPage && p.Count >= 0 && p.Min >= 0 &&
		len(p.Seen)%seenHashLen == 0 && len(p.Seen) <= maxSeen*seenHashLen &&
		(len(p.Seen) == 0 || len(p.Seen) == p.Count*seenHashLen) && (p.Count == 0 || p.Sec != nil) &&
		len(p.AfterID) <= maxAfterIDLen && (p.AfterMs != nil || p.AfterID == "") && (p.ByMilli || p.AfterMs == nil)
}

// remembers reports whether Seen holds every row counted in Count.
func (p *customersPos) remembers() bool { return len(p.Seen) == p.Count*seenHashLen }

// customersQuery is what a listing is filtered and ordered by.
type customersQuery struct {
	Email     string
	Direction string // of updated_on: "asc" (the default) or "desc"
	window    int    // ProfitWell's reachable rows; tests lower it
}

// customerHash identifies one change of one customer (its id and
// updated_on) in seenHashLen bytes.
func customerHash(c *profitwell.CustomerRow) []byte {
	h := sha256.Sum256([]byte(c.CustomerID + "@" + c.UpdatedOn))
	return h[:seenHashLen]
}

// customerUpdated is a row's updated_on (the Unix epoch when absent or
// unreadable).
func customerUpdated(c *profitwell.CustomerRow) time.Time {
	t, err := c.UpdatedTime()
	if err != nil {
		return time.Unix(0, 0)
	}
	return t
}

// unixBound is a window bound as a date; 0 (or less) is none, the zero time.
func unixBound(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
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
	next := cp.base
	next.Seen = slices.Clone(next.Seen)
	if n == len(cp.rows) {
		// Page numbering stays valid only when the whole page was used.
		next.Page, next.PerPage = cp.page+1, cp.perPage
	}
	if n == 0 {
		return next
	}
	// Only the last run of rows updated in the same second is remembered:
	// find where it starts, without reading the rows before it.
	sec := customerUpdated(&cp.rows[n-1]).Unix()
	run := n - 1
	for run > 0 && customerUpdated(&cp.rows[run-1]).Unix() == sec {
		run--
	}
	if run > 0 || next.Sec == nil || *next.Sec != sec {
		next.Sec, next.Count, next.Seen = &sec, 0, next.Seen[:0]
	}
	remembered := next.remembers()
	next.Count += n - run
	if !remembered || next.Count > maxSeen {
		next.Seen = nil
		return next
	}
	for i := run; i < n; i++ {
		next.Seen = append(next.Seen, customerHash(&cp.rows[i])...)
	}
	return next
}

// fetchCustomers fetches the customers after the position pos, at most size
// of them unless more come (the caller cuts and uses after). resumed tells
// that pos comes from an earlier execution.
func fetchCustomers(ctx context.Context, s *profitwell.Session, q customersQuery, pos customersPos, resumed bool, size int) (*customersPage, error) {
	window := cmp.Or(q.window, customersWindow)
	cp := &customersPage{base: customersPos{From: pos.From, To: pos.To, Sec: pos.Sec, Count: pos.Count, Seen: pos.Seen, Min: pos.Min}, page: 1, perPage: size}
	// Rows of the anchor second already emitted are skipped by hash, or,
	// when there were too many to remember, by their count from the start
	// of the second.
	skip := map[string]bool{}
	for k := range slices.Chunk(pos.Seen, seenHashLen) {
		skip[string(k)] = true
	}
	dropFirst := 0
	// Walking past the remembered rows of the anchor second, a page holds
	// them too.
	walk := min(customersMaxPage, size+pos.Count)
	switch {
	case !resumed && pos.Page > 1 && (pos.PerPage == size || pos.PerPage == walk) && pos.Page*pos.PerPage <= window:
		// The next page of the same numbering.
		cp.page, cp.perPage = pos.Page, pos.PerPage
	case pos.Sec != nil:
		// Move the window to the anchor second.
		if q.Direction != "desc" {
			cp.base.From = max(cp.base.From, *pos.Sec)
		} else if cp.base.To == 0 || *pos.Sec+1 < cp.base.To {
			cp.base.To = *pos.Sec + 1
		}
		cp.perPage = walk
		if !pos.remembers() {
			cp.perPage = customersMaxPage
			cp.page, dropFirst = pos.Count/customersMaxPage+1, pos.Count%customersMaxPage
		}
	}
	rows, err := s.ListCustomerRows(ctx, profitwell.CustomerQuery{Email: q.Email, Page: cp.page, PerPage: cp.perPage,
		Direction: cmp.Or(q.Direction, "asc"), StartDate: unixBound(cp.base.From), EndDate: unixBound(cp.base.To)})
	if err != nil {
		return nil, err
	}
	cp.done = len(rows) < cp.perPage
	cp.rows = rows
	if len(skip) == 0 && dropFirst == 0 && pos.Min == 0 {
		return cp, nil
	}
	cp.rows = rows[:0:0]
	for i := range rows {
		inSec := pos.Sec != nil && customerUpdated(&rows[i]).Unix() == *pos.Sec
		if inSec && (i < dropFirst || skip[string(customerHash(&rows[i]))]) {
			continue
		}
		if pos.Min > 0 && customerUpdated(&rows[i]).UnixMicro() < pos.Min {
			continue
		}
		cp.rows = append(cp.rows, rows[i])
	}
	return cp, nil
}

// customersListPage fetches and cuts one page for the runner.
func customersListPage(ctx context.Context, s *profitwell.Session, q customersQuery, req PageRequest[customersPos]) (Page[customersPos], error) {
	cp, err := fetchCustomers(ctx, s, q, req.At, req.Resumed, req.Size)
	if err != nil {
		return Page[customersPos]{}, err
	}
	n := min(len(cp.rows), req.Size)
	return Page[customersPos]{Items: pointers(cp.rows[:n]), Next: cp.after(n), Done: cp.done && n == len(cp.rows)}, nil
}
