package modules

import (
	"context"
	"fmt"
	"reflect"

	"github.com/profitwell-connector/connector/manifest"
)

// Action is a module that returns exactly one bundle: create, read, update or
// delete one thing, or make one raw call.
type Action[P any] struct {
	// Def is the module's declaration.
	Def manifest.ModuleSpec
	// Run performs the action and returns the one output bundle.
	Run func(ctx context.Context, env Env, p P) (any, error)
	// Bundle is the Go type of the bundles, checked against Def.Interface.
	Bundle BundleType
	// Check, when set, checks the parameters together (rules across
	// fields) before anything runs; its problems join the fields' own.
	Check func(p P) error
	// Invalidates names RPCs whose cached options a success makes stale
	// (creating a plan invalidates listPlans).
	Invalidates []string
}

// Spec returns the declaration.
func (a *Action[P]) Spec() manifest.ModuleSpec { return a.Def }

func (a *Action[P]) bundleType() BundleType { return a.Bundle }

func (a *Action[P]) paramsType() reflect.Type { return paramsTypeOf[P]() }

func (a *Action[P]) checkParams(values manifest.Values) error {
	return checkWith(values, a.Check)
}

func (a *Action[P]) check() []error {
	var errs []error
	if a.Run == nil {
		errs = append(errs, fmt.Errorf("module %q: action without Run", a.Def.Name))
	}
	if a.Def.IsList() {
		errs = append(errs, fmt.Errorf("module %q: an Action must be of kind action or universal", a.Def.Name))
	}
	return errs
}

func (a *Action[P]) run(ctx context.Context, env Env, in input) (Output, error) {
	p, err := bindParams[P](in.values)
	if err != nil {
		return Output{}, err
	}
	bundle, err := a.Run(ctx, env, p)
	if err != nil {
		return Output{}, err
	}
	return Output{Bundles: []any{bundle}, Invalidates: a.Invalidates}, nil
}
