package modules

import (
	"bytes"
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

// triggerState is what the engine stores between runs.
type triggerState struct {
	Module string          `json:"module"`
	At     json.RawMessage `json:"position"`
}

func (t *Trigger[P]) run(ctx context.Context, env Env, in input) (Output, error) {
	p, err := bindParams[P](in.values)
	if err != nil {
		return Output{}, err
	}
	var at json.RawMessage
	if len(in.state) > 0 && !bytes.Equal(bytes.TrimSpace(in.state), []byte("null")) {
		var st triggerState
		dec := json.NewDecoder(bytes.NewReader(in.state))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&st); err != nil || len(st.At) == 0 {
			return Output{}, manifest.Invalid("state", "is not a state this module wrote")
		}
		if st.Module != t.Def.Name {
			return Output{}, manifest.Invalid("state", "belongs to another module")
		}
		at = st.At
	} else if at, err = t.Start(ctx, env, p); err != nil {
		return Output{}, err
	}
	fetch := func(req PageRequest) (Page, error) { return t.Page(ctx, env, p, req) }
	items, next, done, err := collect(ctx, t.Def.Name, in.limit, t.MaxPageSize, at, fetch)
	if err != nil {
		return Output{}, err
	}
	state, err := json.Marshal(triggerState{Module: t.Def.Name, At: next})
	if err != nil {
		return Output{}, err
	}
	return Output{Bundles: items, HasMore: !done, State: state}, nil
}
