// Package modules holds the connector's modules, one declaration per file,
// the registry that checks and indexes them, and the runner that owns every
// loop a module would otherwise repeat: limits, paging, cursors, deadlines.
//
// A module author writes a spec (manifest.ModuleSpec, with a runnable
// example), a parameters struct whose `param` tags name the declared fields,
// the bundle type (Bundle), and one function: Run for an action, Page or All
// for a list, Start and Page for a trigger; and optionally Check for rules
// across fields.
package modules

import (
	"context"
	"encoding/json"
	"reflect"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

// Env is what one execution gives a module: the ProfitWell session bound to
// the caller's token, and the clock. A module logs with zerolog.Ctx(ctx):
// the server's request context carries a logger with the request id, the
// module name and the execution id.
type Env struct {
	PW  *profitwell.Session
	Now func() time.Time
}

// Module is implemented by Action, List, Paged and Trigger.
type Module interface {
	// Spec is the module's declaration.
	Spec() manifest.ModuleSpec
	decl() decl
	run(ctx context.Context, env Env, in input) (Output, error)
}

// decl is what the registry checks and keeps of a module besides its spec.
type decl struct {
	params  reflect.Type // the parameters struct
	bundle  BundleType
	check   func(manifest.Values) error // the rules across fields; nil: none
	resumes bool                        // a trigger that takes the engine's position
	defects []string                    // missing functions, wrong kind
}

// declOf starts the decl of a module with parameters P and the optional
// Check over them.
func declOf[P any](bundle BundleType, check func(P) error) decl {
	d := decl{params: reflect.TypeFor[P](), bundle: bundle}
	if check != nil {
		d.check = func(values manifest.Values) error {
			p, err := bindParams[P](values)
			if err != nil {
				return err
			}
			return check(p)
		}
	}
	return d
}

// need records defect unless ok.
func (d *decl) need(ok bool, defect string) {
	if !ok {
		d.defects = append(d.defects, defect)
	}
}

// input is what the registry hands a module after validation.
type input struct {
	values manifest.Values
	limit  int
	// at is the authenticated position of a cursor or a trigger's state;
	// nil: start from the beginning.
	at json.RawMessage
	// after is a trigger state in the engine's own form (Paged.Resume),
	// checked but not authenticated.
	after *EngineAfter
}

// Output is the result of one execution.
type Output struct {
	// Bundles are the output bundles, in the module's documented order.
	Bundles []any
	// HasMore tells whether a list has more bundles after these.
	HasMore bool
	// NextCursor continues the list after the last bundle (lists only).
	NextCursor string
	// State is a trigger's new position, to be saved when the cycle commits.
	State json.RawMessage
	// Invalidates names RPCs whose cached answers for this token are stale
	// after this execution.
	Invalidates []string

	// next is the position after the last bundle; the registry seals it
	// into NextCursor (lists) or State (triggers).
	next json.RawMessage
}

// pointers are the items of a list as pointers into rows, so that no row
// is copied or boxed on its own.
func pointers[T any](rows []T) []any {
	out := make([]any, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	return out
}

func bindParams[P any](values manifest.Values) (P, error) {
	var p P
	err := manifest.Bind(values, &p)
	return p, err
}
