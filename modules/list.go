package modules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/profitwell-connector/connector/manifest"
)

// PageRequest asks a paged list or a trigger for its next items.
type PageRequest[Pos any] struct {
	// At is the previous page's Next (possibly an earlier execution's), or
	// the start position.
	At Pos
	// Resumed is true when At comes from an earlier execution, so upstream
	// data may have changed since.
	Resumed bool
	// Size is how many items the runner still wants (at most MaxPageSize);
	// a page holds at most Size items.
	Size int
}

// Page is one page of a paged list or a trigger.
type Page[Pos any] struct {
	// Items are at most Size items, in the module's documented order.
	Items []any
	// Next is the position right after the last item.
	Next Pos
	// Done is true when the list is exhausted (a short or empty upstream
	// page).
	Done bool
}

// Paged is a module over a paged upstream list: a search list, which returns
// up to limit bundles per execution and continues by cursor, or a Trigger.
// The runner owns the loop (page sizes from the limit, stopping rules, the
// deadline) and the position: a value of the module's type Pos, written into
// the cursor or the trigger's state only when the execution ends.
type Paged[P, Pos any] struct {
	// Def is the module's declaration; its last field is the limit.
	// Triggers take static parameters only.
	Def manifest.ModuleSpec
	// Bundle is the Go type of the bundles, checked against Def.Interface.
	Bundle BundleType
	// MaxPageSize is the most items one upstream page can hold.
	MaxPageSize int
	// Check, when set, checks the parameters together (rules across
	// fields) before anything runs; its problems join the fields' own.
	Check func(p P) error
	// Start returns the position without a cursor or state (for a trigger,
	// for example "from now on", or from a date parameter). A trigger needs
	// it; a search list without it starts at Pos's zero value.
	Start func(ctx context.Context, env Env, p P) (Pos, error)
	// Page fetches one upstream page; it must always return the position
	// after its last item as Next.
	Page func(ctx context.Context, env Env, p P, req PageRequest[Pos]) (Page[Pos], error)
	// Resume, when set on a trigger, returns the position right after the
	// last item an engine emitted, for engines that store that item's date
	// and id rather than the trigger's state (Make): the state is then
	// {"module": name, "after": {...}} (triggerState), checked strictly but
	// not signed, since the engine composes it.
	Resume func(ctx context.Context, env Env, p P, after EngineAfter) (Pos, error)
}

// Spec returns the declaration.
func (l *Paged[P, Pos]) Spec() manifest.ModuleSpec { return l.Def }

func (l *Paged[P, Pos]) decl() decl {
	d := declOf(l.Bundle, l.Check)
	d.resumes = l.Resume != nil
	if l.Def.Kind == manifest.KindTrigger {
		d.need(l.Start != nil && l.Page != nil && l.MaxPageSize > 0, "a trigger needs Start, Page and MaxPageSize")
		return d
	}
	d.need(l.Page != nil && l.MaxPageSize > 0, "a paged list needs Page and MaxPageSize")
	d.need(l.Def.Kind == manifest.KindSearch, "a paged list must be of kind search or trigger")
	return d
}

func (l *Paged[P, Pos]) run(ctx context.Context, env Env, in input) (Output, error) {
	p, err := bindParams[P](in.values)
	if err != nil {
		return Output{}, err
	}
	trigger, field := l.Def.Kind == manifest.KindTrigger, "cursor"
	if trigger {
		field = "state"
	}
	var at Pos
	switch {
	case in.after != nil:
		at, err = l.Resume(ctx, env, p, *in.after)
	case in.at != nil:
		at, err = decodePosition[Pos](in.at, field)
	case l.Start != nil:
		at, err = l.Start(ctx, env, p)
	}
	if err != nil {
		return Output{}, err
	}
	fetch := func(req PageRequest[Pos]) (Page[Pos], error) { return l.Page(ctx, env, p, req) }
	bundles, next, done, err := collect(ctx, l.Def.Name, in.limit, l.MaxPageSize, at, trigger || in.at != nil, fetch, nil)
	if err != nil {
		return Output{}, err
	}
	// A trigger's new state always holds the position; a list's cursor
	// only while more remain.
	out := Output{Bundles: bundles, HasMore: !done}
	if trigger || !done {
		out.next, err = json.Marshal(next)
	}
	return out, err
}

// List is a search module over an upstream list that comes in one piece:
// the runner cuts it to the limit and continues it by offset.
type List[P any] struct {
	// Def is the module's declaration; its last field is the limit.
	Def manifest.ModuleSpec
	// Bundle is the Go type of the bundles, checked against Def.Interface.
	Bundle BundleType
	// All fetches the whole list.
	All func(ctx context.Context, env Env, p P) ([]any, error)
}

// Spec returns the declaration.
func (l *List[P]) Spec() manifest.ModuleSpec { return l.Def }

func (l *List[P]) decl() decl {
	d := declOf[P](l.Bundle, nil)
	d.need(l.All != nil, "a list needs All")
	d.need(l.Def.Kind == manifest.KindSearch, "a List must be of kind search")
	return d
}

// Offset is a position counted in items from the start of a list.
type Offset struct {
	N int `json:"o"`
}

func (o *Offset) valid() bool { return o.N >= 0 }

func (l *List[P]) run(ctx context.Context, env Env, in input) (Output, error) {
	p, err := bindParams[P](in.values)
	if err != nil {
		return Output{}, err
	}
	pos, err := decodePosition[Offset](in.at, "cursor")
	if err != nil {
		return Output{}, err
	}
	items, err := l.All(ctx, env, p)
	if err != nil {
		return Output{}, err
	}
	start := min(pos.N, len(items))
	end := min(start+in.limit, len(items))
	out := Output{Bundles: items[start:end:end]}
	if end < len(items) {
		out.HasMore = true
		out.next, _ = json.Marshal(Offset{N: end})
	}
	return out, nil
}

// PageNumbers makes the Page function of a list over an endpoint paged by
// page number and page size (at most maxPage): fetch returns page number
// page (from 1) of perPage items. The position is an Offset, so the runner
// may ask for any size at any point: the page size is chosen so that one
// page holds the items asked for, or as many of them as fit.
func PageNumbers[P any](maxPage int, fetch func(ctx context.Context, env Env, p P, page, perPage int) ([]any, error)) func(context.Context, Env, P, PageRequest[Offset]) (Page[Offset], error) {
	return func(ctx context.Context, env Env, p P, req PageRequest[Offset]) (Page[Offset], error) {
		off := req.At.N
		per := maxPage
		for s := req.Size; s < maxPage; s++ {
			if off/s == (off+req.Size-1)/s {
				per = s
				break
			}
		}
		page := off/per + 1
		items, err := fetch(ctx, env, p, page, per)
		if err != nil {
			return Page[Offset]{}, err
		}
		short := len(items) < per
		skip := min(off-(page-1)*per, len(items))
		items = items[skip:]
		n := min(len(items), req.Size)
		return Page[Offset]{Items: items[:n:n], Next: Offset{N: off + n}, Done: short && n == len(items)}, nil
	}
}

// maxExtraPages bounds the pages one execution may fetch beyond what the
// limit needs, so a module that keeps answering with empty pages cannot loop.
const maxExtraPages = 8

// collect is the paging loop of lists, triggers and RPCs: it asks for
// min(maxPage, remaining) items at a time and stops at the limit, at the end
// of the data, when stop (if set) says so, or when the deadline is near
// (returning what it has and the position after it). Without stop, a list
// that keeps answering without reaching its end or its limit is an error.
func collect[Pos any](ctx context.Context, module string, limit, maxPage int, at Pos, resumed bool,
	fetch func(PageRequest[Pos]) (Page[Pos], error), stop func(pages, found int) bool) (items []any, next Pos, done bool, err error) {
	items = make([]any, 0, min(limit, 4*maxPage))
	budget := (limit+maxPage-1)/maxPage + maxExtraPages
	var slowest time.Duration
	for pages := 0; len(items) < limit; pages++ {
		if stop != nil && stop(pages, len(items)) {
			break
		}
		if stop == nil && pages >= budget {
			return nil, at, false, fmt.Errorf("%s: %d pages without reaching the end or the limit", module, pages)
		}
		// Stop early, with a position, rather than start a page that
		// would run past the deadline: less than twice the slowest page
		// so far is left.
		if d, ok := ctx.Deadline(); ok && len(items) > 0 && time.Until(d) < 2*slowest {
			break
		}
		size := min(maxPage, limit-len(items))
		started := time.Now()
		page, err := fetch(PageRequest[Pos]{At: at, Resumed: resumed, Size: size})
		if err != nil {
			return nil, at, false, err
		}
		slowest = max(slowest, time.Since(started))
		if len(page.Items) > size {
			return nil, at, false, fmt.Errorf("%s: page of %d items for a request of %d", module, len(page.Items), size)
		}
		items = append(items, page.Items...)
		at, resumed = page.Next, false
		if page.Done {
			return items, at, true, nil
		}
	}
	return items, at, false, nil
}

// decodePosition reads a position the registry has authenticated from the
// request member field ("cursor" or "state"), Pos's zero value for none; as
// this module's runner wrote it, an error means the position's type changed
// between versions.
func decodePosition[Pos any](raw json.RawMessage, field string) (Pos, error) {
	if raw == nil {
		var start Pos // not pos, which escapes below
		return start, nil
	}
	var pos Pos
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&pos)
	if v, ok := any(&pos).(interface{ valid() bool }); err != nil || ok && !v.valid() {
		if field == "cursor" {
			return pos, badCursor("is malformed")
		}
		return pos, manifest.Invalid(field, "is malformed")
	}
	return pos, nil
}
