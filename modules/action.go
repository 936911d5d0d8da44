package modules

import (
	"context"

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

func (a *Action[P]) decl() decl {
	d := declOf(a.Bundle, a.Check)
	d.need(a.Run != nil, "action without Run")
	d.need(!a.Def.IsList(), "an Action must be of kind action or universal")
	return d
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
