package modules

import (
	"context"
	"encoding/json"
	"time"

	"github.com/profitwell-connector/connector/manifest"
)

// Trigger is a polling trigger: each run returns what changed since the
// position saved in its state, oldest first, at most limit bundles, and the
// new state. The engine saves the state only when its cycle commits, so a
// rolled-back cycle replays the same changes and nothing is emitted twice
// across committed runs. The paging loop is the lists' own; the position is
// a value of the module's type Pos, written into the state when the run
// ends.
type Trigger[P, Pos any] struct {
	// Def is the module's declaration; triggers take static parameters
	// only, and the limit is the last.
	Def manifest.ModuleSpec
	// Bundle is the Go type of the bundles, checked against Def.Interface.
	Bundle BundleType
	// MaxPageSize is the most items one upstream page can hold.
	MaxPageSize int
	// Check, when set, checks the parameters together (rules across
	// fields) before anything runs; its problems join the fields' own.
	Check func(p P) error
	// Start returns the position of a run without state (for example
	// "from now on", or from a date parameter).
	Start func(ctx context.Context, env Env, p P) (Pos, error)
	// Page fetches the changes after a position; it must always return the
	// position after its last item as Next.
	Page func(ctx context.Context, env Env, p P, req PageRequest[Pos]) (Page[Pos], error)
	// Resume, when set, returns the position right after the last item an
	// engine emitted, for engines that store that item's date and id rather
	// than the trigger's state (Make): the state is then
	// {"module": name, "after": {"date": ..., "id": ...}}, either key absent
	// when the engine has none. The registry checks that form strictly
	// before Resume sees it; it is not signed, since the engine composes it.
	Resume func(ctx context.Context, env Env, p P, after EngineAfter) (Pos, error)
}

// EngineAfter is the last item an engine emitted, as the engine stores it.
type EngineAfter struct {
	// Date is the item's date as the engine kept it (Make keeps
	// milliseconds); zero when the engine has no position.
	Date time.Time
	// ID is the item's id; "" when the engine stored only a date (a start
	// date chosen by the user).
	ID string
}

// Spec returns the declaration.
func (t *Trigger[P, Pos]) Spec() manifest.ModuleSpec { return t.Def }

func (t *Trigger[P, Pos]) decl() decl {
	d := declOf(t.Bundle, t.Check)
	d.resumes = t.Resume != nil
	d.need(t.Start != nil && t.Page != nil && t.MaxPageSize > 0, "a trigger needs Start, Page and MaxPageSize")
	d.need(t.Def.Kind == manifest.KindTrigger, "a Trigger must be of kind trigger")
	return d
}

func (t *Trigger[P, Pos]) run(ctx context.Context, env Env, in input) (Output, error) {
	p, err := bindParams[P](in.values)
	if err != nil {
		return Output{}, err
	}
	var at Pos
	switch {
	case in.after != nil:
		at, err = t.Resume(ctx, env, p, *in.after)
	case in.at != nil:
		at, err = decodePosition[Pos](in.at, "state")
	default:
		at, err = t.Start(ctx, env, p)
	}
	if err != nil {
		return Output{}, err
	}
	fetch := func(req PageRequest[Pos]) (Page[Pos], error) { return t.Page(ctx, env, p, req) }
	items, next, done, err := collect(ctx, t.Def.Name, in.limit, t.MaxPageSize, at, true, fetch, nil)
	if err != nil {
		return Output{}, err
	}
	state, err := json.Marshal(next)
	return Output{Bundles: items, HasMore: !done, next: state}, err
}
