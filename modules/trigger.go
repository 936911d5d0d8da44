package modules

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/profitwell-connector/connector/manifest"
)

// Trigger is a polling trigger: each run returns what changed since the
// position saved in its state, oldest first, at most limit bundles, and the
// new state. The engine saves the state only when its cycle commits, so a
// rolled-back cycle replays the same changes and nothing is emitted twice
// across committed runs. The paging loop is the lists' own.
type Trigger[P any] struct {
	// Def is the module's declaration; triggers take static parameters
	// only, and the limit is the last.
	Def manifest.ModuleSpec
	// Bundle is the Go type of the bundles, checked against Def.Interface.
	Bundle BundleType
	// MaxPageSize is the most items one upstream page can hold.
	MaxPageSize int
	// Start returns the position of a run without state (for example
	// "from now on", or from a date parameter).
	Start func(ctx context.Context, env Env, p P) (json.RawMessage, error)
	// Page fetches the changes after a position; it must always return the
	// position after its last item as Next.
	Page func(ctx context.Context, env Env, p P, req PageRequest) (Page, error)
}

// Spec returns the declaration.
func (t *Trigger[P]) Spec() manifest.ModuleSpec { return t.Def }

func (t *Trigger[P]) bundleType() BundleType { return t.Bundle }

func (t *Trigger[P]) paramsType() reflect.Type { return paramsTypeOf[P]() }

func (t *Trigger[P]) check() []error {
	var errs []error
	if t.Start == nil || t.Page == nil || t.MaxPageSize <= 0 {
		errs = append(errs, fmt.Errorf("module %q: a trigger needs Start, Page and MaxPageSize", t.Def.Name))
	}
	if t.Def.Kind != manifest.KindTrigger {
		errs = append(errs, fmt.Errorf("module %q: a Trigger must be of kind trigger", t.Def.Name))
	}
	return errs
}

func (t *Trigger[P]) run(ctx context.Context, env Env, in input) (Output, error) {
	p, err := bindParams[P](in.values)
	if err != nil {
		return Output{}, err
	}
	at := in.at
	if at == nil {
		if at, err = t.Start(ctx, env, p); err != nil {
			return Output{}, err
		}
	}
	fetch := func(req PageRequest) (Page, error) { return t.Page(ctx, env, p, req) }
	items, next, done, err := collect(ctx, t.Def.Name, in.limit, t.MaxPageSize, at, fetch)
	if err != nil {
		return Output{}, err
	}
	return Output{Bundles: items, HasMore: !done, next: next}, nil
}
