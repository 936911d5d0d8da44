package modules

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
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
			if req.At.ByMilli {
				return customersByMilliPage(ctx, env.PW, window, req)
			}
			return customersListPage(ctx, env.PW, customersQuery{window: window}, req)
		},
		Resume: func(_ context.Context, _ Env, p watchCustomersParams, after EngineAfter) (customersPos, error) {
			return resumeCustomers(p, after), nil
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
		newest := customerUpdated(&rows[0]).UnixMicro()
		sec := newest / 1_000_000
		pos.From, pos.Min, pos.Sec = sec, newest, &sec
		for i := range rows {
			if customerUpdated(&rows[i]).UnixMicro() == newest {
				pos.Count++
				pos.Seen = append(pos.Seen, customerHash(&rows[i])...)
			}
		}
	}
	return pos, nil
}

// The order by (millisecond, customer_id) serves engines that keep the last
// emitted item's date only to the millisecond (Make: JavaScript dates) and
// its id: within one millisecond ProfitWell's microsecond order would not
// match the engine's, so a position rebuilt from the engine's date and id
// could skip a row. These positions have ByMilli set and After* holding the
// last emitted row.

// resumeCustomers turns an engine's stored date and id into a position: no
// date starts from since (or the beginning: the engine asked for everything),
// a date alone starts at that instant (rows at or after it), a date and an
// id start right after that row.
func resumeCustomers(p watchCustomersParams, after EngineAfter) customersPos {
	var pos customersPos
	switch {
	case !after.Date.IsZero() && after.ID != "":
		ms := after.Date.UnixMilli()
		pos = customersPos{From: after.Date.Unix(), AfterMs: &ms, AfterID: after.ID}
	case !after.Date.IsZero():
		pos = sinceCustomersPos(after.Date)
	case p.Since != nil:
		pos = sinceCustomersPos(*p.Since)
	}
	pos.ByMilli = true
	return pos
}

// milliKey orders rows by the millisecond of updated_on, then customer_id.
type milliKey struct {
	ms int64
	id string
}

func milliKeyOf(c *profitwell.CustomerRow) milliKey {
	return milliKey{ms: customerUpdated(c).UnixMilli(), id: c.CustomerID}
}

func (k milliKey) compare(o milliKey) int {
	return cmp.Or(cmp.Compare(k.ms, o.ms), strings.Compare(k.id, o.id))
}

// maxMilliPages bounds the upstream pages one page of a millisecond-ordered
// listing reads.
const maxMilliPages = 50

// customersByMilliPage returns up to req.Size rows after the position in
// (millisecond, customer_id) order. It reads ProfitWell oldest first from
// the second of the last emitted row, keeps the rows after it, and returns
// only rows whose millisecond it has seen whole (a millisecond may go on in
// the next upstream page), so the order inside a millisecond is exact.
func customersByMilliPage(ctx context.Context, s *profitwell.Session, window int, req PageRequest[customersPos]) (Page[customersPos], error) {
	pos := req.At
	var after *milliKey
	if pos.AfterMs != nil {
		after = &milliKey{ms: *pos.AfterMs, id: pos.AfterID}
	}
	from := pos.From
	var (
		got      []profitwell.CustomerRow
		seen     = map[string]bool{}
		complete int   // got[:complete] holds whole milliseconds
		lastSec  int64 // second of the last row read
		done     bool
	)
	for page, pages := 1, 0; ; page, pages = page+1, pages+1 {
		if pages == maxMilliPages {
			if complete == 0 {
				return Page[customersPos]{}, fmt.Errorf("watchCustomers: %d pages without a whole millisecond", pages)
			}
			break
		}
		if page*customersMaxPage > window {
			// Past ProfitWell's row window: move start_date to the last
			// row's second; rows read again are dropped by key.
			from, page = lastSec, 1
		}
		q := profitwell.CustomerQuery{Page: page, PerPage: customersMaxPage, Direction: "asc", StartDate: unixBound(from)}
		rows, err := s.ListCustomerRows(ctx, q)
		if err != nil {
			return Page[customersPos]{}, err
		}
		if len(rows) > 0 {
			lastSec = customerUpdated(&rows[len(rows)-1]).Unix()
		}
		for i := range rows {
			r := &rows[i]
			h := string(customerHash(r))
			if (pos.Min > 0 && customerUpdated(r).UnixMicro() < pos.Min) || (after != nil && milliKeyOf(r).compare(*after) <= 0) || seen[h] {
				continue
			}
			seen[h] = true
			got = append(got, *r)
		}
		if len(rows) < customersMaxPage {
			done, complete = true, len(got)
			break
		}
		// The last millisecond of a full page may go on in the next one.
		lastMs := milliKeyOf(&rows[len(rows)-1]).ms
		complete = len(got)
		for complete > 0 && milliKeyOf(&got[complete-1]).ms == lastMs {
			complete--
		}
		if complete > 0 {
			// Enough for this page; the runner asks again for more, from
			// the new position, at the same cost of one request a page.
			break
		}
	}
	whole := got[:complete]
	slices.SortStableFunc(whole, func(a, b profitwell.CustomerRow) int { return milliKeyOf(&a).compare(milliKeyOf(&b)) })
	n := min(len(whole), req.Size)
	next := pos
	if n > 0 {
		last := milliKeyOf(&whole[n-1])
		next.AfterMs, next.AfterID, next.From = &last.ms, last.id, customerUpdated(&whole[n-1]).Unix()
	}
	return Page[customersPos]{Items: pointers(whole[:n]), Next: next, Done: done && n == len(got)}, nil
}
