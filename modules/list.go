package modules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/profitwell-connector/connector/manifest"
)

// PageRequest asks a paged list for its next items.
type PageRequest struct {
	// At is the position returned as Next by the previous page (of this
	// execution or, through a cursor or a trigger's state, of an earlier
	// one); nil for the start.
	At json.RawMessage
	// Resumed is true when At comes from an earlier execution, so upstream
	// data may have changed since it was written.
	Resumed bool
	// Size is how many items the runner still wants, never more than the
	// module's MaxPageSize. A page holds at most Size items.
	Size int
}

// Page is one page of a list.
type Page struct {
	// Items are at most Size items, in the module's documented order.
	Items []any
	// Next is the position right after the last item.
	Next json.RawMessage
	// Done is true when the list is exhausted (the module saw a short or
	// empty upstream page).
	Done bool
}

// List is a search module: it returns up to limit bundles per execution.
// Exactly one of Page and All is set. The runner owns the loop: page sizes
// from the limit, stopping rules, cursors, the deadline.
type List[P any] struct {
	// Def is the module's declaration; its last field is the limit.
	Def manifest.ModuleSpec
	// Bundle is the Go type of the bundles, checked against Def.Interface.
	Bundle BundleType
	// MaxPageSize is the most items one upstream page can hold (Page only).
	MaxPageSize int
	// Page fetches one upstream page.
	Page func(ctx context.Context, env Env, p P, req PageRequest) (Page, error)
	// All fetches an upstream list that comes in one piece; the runner cuts
	// it to the limit and continues it by offset.
	All func(ctx context.Context, env Env, p P) ([]any, error)
}

// Spec returns the declaration.
func (l *List[P]) Spec() manifest.ModuleSpec { return l.Def }

func (l *List[P]) bundleType() BundleType { return l.Bundle }

func (l *List[P]) paramsType() reflect.Type { return paramsTypeOf[P]() }

func (l *List[P]) check() []error {
	var errs []error
	if (l.Page == nil) == (l.All == nil) {
		errs = append(errs, fmt.Errorf("module %q: a list sets exactly one of Page and All", l.Def.Name))
	}
	if l.Page != nil && l.MaxPageSize <= 0 {
		errs = append(errs, fmt.Errorf("module %q: a paged list needs MaxPageSize", l.Def.Name))
	}
	if l.Def.Kind != manifest.KindSearch {
		errs = append(errs, fmt.Errorf("module %q: a List must be of kind search", l.Def.Name))
	}
	return errs
}

// offsetPosition is the position inside a list that comes in one piece.
type offsetPosition struct {
	Offset int `json:"o"`
}

func (l *List[P]) run(ctx context.Context, env Env, in input) (Output, error) {
	p, err := bindParams[P](in.values)
	if err != nil {
		return Output{}, err
	}
	if l.All != nil {
		return l.runAll(ctx, env, p, in.limit, in.at)
	}
	return l.runPaged(ctx, env, p, in.limit, in.at)
}

func (l *List[P]) runAll(ctx context.Context, env Env, p P, limit int, at json.RawMessage) (Output, error) {
	var pos offsetPosition
	if at != nil {
		if err := json.Unmarshal(at, &pos); err != nil || pos.Offset < 0 {
			return Output{}, errors.Join(ErrBadCursor, manifest.Invalid("cursor", "is malformed"))
		}
	}
	items, err := l.All(ctx, env, p)
	if err != nil {
		return Output{}, err
	}
	start := min(pos.Offset, len(items))
	end := min(start+limit, len(items))
	out := Output{Bundles: items[start:end:end]}
	if end < len(items) {
		out.HasMore = true
		out.next, _ = json.Marshal(offsetPosition{Offset: end})
	}
	return out, nil
}

// maxExtraPages bounds the pages one execution may fetch beyond what the
// limit needs, so a module that keeps answering with empty pages cannot loop.
const maxExtraPages = 8

func (l *List[P]) runPaged(ctx context.Context, env Env, p P, limit int, at json.RawMessage) (Output, error) {
	fetch := func(req PageRequest) (Page, error) { return l.Page(ctx, env, p, req) }
	bundles, next, done, err := collect(ctx, l.Def.Name, limit, l.MaxPageSize, at, fetch)
	if err != nil {
		return Output{}, err
	}
	out := Output{Bundles: bundles}
	if !done && next != nil {
		out.HasMore = true
		out.next = next
	}
	return out, nil
}

// collect is the paging loop shared by lists and triggers: it asks for
// min(maxPage, remaining) items at a time and stops at the limit, at the end
// of the data, or when the deadline is near (returning what it has, with the
// position after it).
func collect(ctx context.Context, module string, limit, maxPage int, at json.RawMessage,
	fetch func(PageRequest) (Page, error)) (items []any, next json.RawMessage, done bool, err error) {
	items = make([]any, 0, min(limit, 4*maxPage))
	budget := (limit+maxPage-1)/maxPage + maxExtraPages
	resumed := at != nil
	var slowest time.Duration
	for pages := 0; len(items) < limit; pages++ {
		if pages >= budget {
			return nil, nil, false, fmt.Errorf("%s: %d pages without reaching the end or the limit", module, pages)
		}
		// Stop early, with a position, rather than start a page that
		// would run past the deadline.
		if len(items) > 0 && deadlineNear(ctx, slowest) {
			break
		}
		size := min(maxPage, limit-len(items))
		started := time.Now()
		page, err := fetch(PageRequest{At: at, Resumed: resumed, Size: size})
		if err != nil {
			return nil, nil, false, err
		}
		slowest = max(slowest, time.Since(started))
		if len(page.Items) > size {
			return nil, nil, false, fmt.Errorf("%s: page of %d items for a request of %d", module, len(page.Items), size)
		}
		items = append(items, page.Items...)
		if page.Next != nil {
			at = page.Next
		}
		resumed = false
		if page.Done {
			return items, at, true, nil
		}
	}
	return items, at, false, nil
}

// deadlineNear reports whether less than twice the slowest page so far is
// left before ctx's deadline.
func deadlineNear(ctx context.Context, slowest time.Duration) bool {
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < 2*slowest
}
